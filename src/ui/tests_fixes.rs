//! Behaviours a new user tripped over, each pinned by a test: the search spans every stage,
//! the footer never loses quit and help, a typed note is not thrown away on Esc, long errors
//! can be read in full, and a dialog line that does not fit says so with an ellipsis.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::dialogs::note::NoteDraft;
use super::dialogs::problems::Problems;
use super::fixture::Fixture;
use super::panes::Pane;
use super::{UiState, draw};
use crate::domain::Stage;
use crate::domain::snapshot::stage_index;

fn render(ui: &UiState, fx: &Fixture, w: u16, h: u16) -> Vec<String> {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| draw(f, ui, &fx.ctx())).expect("draw");
    let buf = term.backend().buffer().clone();
    buf.content
        .chunks(usize::from(w))
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect()
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn typed(ui: &mut UiState, fx: &Fixture, s: &str) {
    let ctx = fx.ctx();
    for c in s.chars() {
        ui.handle_key(key(KeyCode::Char(c)), &ctx);
    }
}

fn ui_for(fx: &Fixture) -> UiState {
    let mut ui = UiState::new(false);
    ui.on_data_changed(&fx.ctx());
    ui
}

#[test]
fn search_finds_leads_in_every_stage_and_names_their_stage() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    // Standing on the disqualified stage, type an MQL's name.
    ui.leads
        .set_stage(stage_index(Stage::Disqualified), &fx.ctx());
    typed(&mut ui, &fx, "/priya");
    ui.handle_key(key(KeyCode::Enter), &fx.ctx());
    let found = ui.selected_lead(&fx.ctx()).expect("a match");
    assert_eq!(found.name(), "Priya Natarajan");
    assert_eq!(found.stage, Some(Stage::Mql));
    let screen = render(&ui, &fx, 160, 45).join("\n");
    assert!(screen.contains("Leads · all stages"), "{screen}");
    assert!(screen.contains("search \"priya\" → 1"), "{screen}");
    let row = screen
        .lines()
        .find(|l| l.contains("Priya Natarajan"))
        .expect("row");
    assert!(row.contains(" mql "), "the match names its stage: {row}");
    // Esc clears the search and the stage's own list comes back.
    ui.handle_key(key(KeyCode::Esc), &fx.ctx());
    assert_eq!(ui.leads.stage(), Stage::Disqualified);
    assert!(!ui.leads.searching());
}

#[test]
fn quit_and_help_stay_in_the_footer_whatever_the_message() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    ui.message = Some("x".repeat(300));
    for w in [60u16, 80, 120, 160] {
        let screen = render(&ui, &fx, w, 30);
        let footer = screen.last().expect("footer");
        assert!(footer.contains("q quit"), "{w}: {footer}");
        assert!(footer.contains("? help"), "{w}: {footer}");
    }
}

#[test]
fn esc_in_the_feedback_editor_asks_before_discarding_text() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    typed(&mut ui, &fx, "n");
    assert!(ui.dialog_as::<NoteDraft>().is_some());
    typed(&mut ui, &fx, "buyers loved it");
    ui.handle_key(key(KeyCode::Esc), &fx.ctx());
    let draft = ui.dialog_as::<NoteDraft>().expect("still open");
    assert!(draft.discarding);
    let screen = render(&ui, &fx, 120, 30).join("\n");
    assert!(screen.contains("discard what you wrote?"), "{screen}");
    // n keeps the text and goes back to editing.
    typed(&mut ui, &fx, "n");
    let draft = ui.dialog_as::<NoteDraft>().expect("still open");
    assert_eq!(
        (draft.discarding, draft.text.as_str()),
        (false, "buyers loved it")
    );
    // Esc then y discards.
    ui.handle_key(key(KeyCode::Esc), &fx.ctx());
    typed(&mut ui, &fx, "y");
    assert!(ui.dialog.is_none());
    // An empty editor closes at once.
    typed(&mut ui, &fx, "n");
    ui.handle_key(key(KeyCode::Esc), &fx.ctx());
    assert!(ui.dialog.is_none());
}

#[test]
fn a_long_error_opens_in_full_on_e() {
    let mut fx = Fixture::new();
    let tail = "check HUBSPOT_TOKEN and the private app's scopes: crm.objects.contacts.read";
    let long = format!(
        "HubSpot refused the token (401). {} {tail}",
        "detail ".repeat(20)
    );
    fx.health[0].last_error = Some(long);
    fx.health[0].unauthorised = true;
    let mut ui = ui_for(&fx);
    ui.focus = Pane::Leads;
    let screen = render(&ui, &fx, 120, 30);
    assert!(
        screen[0].contains("HubSpot ✖ token refused"),
        "{}",
        screen[0]
    );
    let footer = screen.last().expect("footer");
    assert!(footer.contains("e errors"), "{footer}");
    assert!(
        !footer.contains("crm.objects.contacts.read"),
        "the footer is cut: {footer}"
    );
    typed(&mut ui, &fx, "e");
    assert!(ui.dialog_as::<Problems>().is_some());
    let screen = render(&ui, &fx, 120, 30).join("\n");
    assert!(screen.contains("crm.objects.contacts.read"), "{screen}");
    // Without a problem there is no hint.
    let clean = Fixture::new();
    let ui = ui_for(&clean);
    let screen = render(&ui, &clean, 160, 45);
    assert!(!screen.last().expect("footer").contains("e errors"));
}

#[test]
fn a_rotation_too_long_for_one_line_wraps_and_a_cut_says_so() {
    let fx = Fixture::new();
    let mut ui = ui_for(&fx);
    // Second MQL lead by urgency: Priya Natarajan, with two owners in her rotation.
    typed(&mut ui, &fx, "j>");
    // Room to spare: the rotation wraps between names, and every name can be read.
    let screen = render(&ui, &fx, 56, 24);
    let at = screen
        .iter()
        .position(|l| l.contains("coverage"))
        .expect("coverage line");
    assert!(screen[at].contains("Sam Ortiz"), "{}", screen[at]);
    assert!(screen[at + 1].contains("Lee Chen"), "{}", screen[at + 1]);
    // No room: one line, cut with an ellipsis rather than mid-name in silence.
    let screen = render(&ui, &fx, 56, 12);
    let line = screen
        .iter()
        .find(|l| l.contains("coverage"))
        .expect("coverage line");
    let inside = line.trim_end().trim_end_matches('║').trim_end_matches('│');
    assert!(inside.trim_end().ends_with('…'), "{line}");
}

#[test]
fn join_conflicts_are_listed_in_the_errors_view_not_dropped() {
    let mut fx = Fixture::new();
    fx.health[0].join_conflicts = vec![
        "ada@example.com: 2 Salesforce lead(s) and 1 Marketo lead(s) share the email; not joined"
            .into(),
        "Marketo lead 77 has no Salesforce record".into(),
    ];
    let mut ui = ui_for(&fx);
    ui.focus = Pane::Leads;
    let footer = render(&ui, &fx, 160, 45)
        .last()
        .cloned()
        .unwrap_or_default();
    assert!(footer.contains("e errors"), "{footer}");
    typed(&mut ui, &fx, "e");
    let screen = render(&ui, &fx, 160, 45).join("\n");
    assert!(screen.contains("records not joined (2)"), "{screen}");
    assert!(
        screen.contains("Marketo lead 77 has no Salesforce record"),
        "{screen}"
    );
}
