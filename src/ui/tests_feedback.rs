//! Feedback you can read and act on: the feedback pane has a selection, ⏎ opens the
//! campaign's whole thread with every note wrapped in full, and `n` there writes another
//! note on that campaign.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::UiState;
use super::dialogs::note::NoteDraft;
use super::dialogs::thread::Thread;
use super::fixture::Fixture;
use super::test_screen::screen;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn on_feedback(fx: &Fixture) -> UiState {
    let mut ui = UiState::new(true);
    let ctx = fx.ctx();
    ui.on_data_changed(&ctx);
    ui.handle_key(key(KeyCode::Char('5')), &ctx);
    ui
}

#[test]
fn enter_opens_the_campaigns_thread_with_every_note_in_full() {
    let mut fx = Fixture::new();
    // A long note: at 80 columns it must wrap, not be cut.
    let long = "The payback slide landed with the CFO, who then asked for the three customer \
                references in manufacturing and a version of the calculator with their own \
                numbers filled in before the next call";
    let mut note = fx
        .store
        .notes()
        .iter()
        .find(|n| n.id == "n2")
        .unwrap()
        .clone();
    if let crate::domain::feedback::NoteKind::Feedback { text, .. } = &mut note.kind {
        *text = long.into();
    }
    fx.store.upsert_notes(vec![note]);
    fx.rebuild();
    let mut ui = on_feedback(&fx);
    // Newest campaign first: the ROI webinar (13:02 today).
    let ctx = fx.ctx();
    ui.handle_key(key(KeyCode::Enter), &ctx);
    let thread = ui.dialog_as::<Thread>().expect("the thread is open");
    assert_eq!(thread.campaign, "ROI calculator webinar");
    let shown = screen(&ui, &fx, 80, 40);
    for text in [
        "+2 works",
        "CFOs quoted the payback slide back to me",
        "Sam Ortiz",
        "Lee Chen",
        "references in manufacturing",
        "filled in before the next call",
    ] {
        assert!(shown.contains(text), "missing {text}:\n{shown}");
    }
    assert!(
        shown.contains("· 2 notes"),
        "only this campaign's notes:\n{shown}"
    );
}

#[test]
fn n_in_the_feedback_pane_writes_on_the_selected_campaign() {
    let fx = Fixture::new();
    let mut ui = on_feedback(&fx);
    let ctx = fx.ctx();
    // The second campaign: the Q4 whitepaper; its latest note is on sql-1.
    ui.handle_key(key(KeyCode::Char('j')), &ctx);
    ui.handle_key(key(KeyCode::Char('n')), &ctx);
    let draft = ui.dialog_as::<NoteDraft>().expect("a note on the campaign");
    assert_eq!(draft.lead_id, "sql-1");
    assert_eq!(draft.campaigns[draft.campaign], "Q4 security whitepaper");
}

/// From a campaign, the note can go on any of the leads that discussed it: ←/→ on the lead
/// field switch, and the note is written on the lead shown.
#[test]
fn a_note_from_a_campaign_can_switch_to_another_of_its_leads() {
    let fx = Fixture::new();
    let mut ui = on_feedback(&fx);
    let ctx = fx.ctx();
    ui.handle_key(key(KeyCode::Char('j')), &ctx);
    ui.handle_key(key(KeyCode::Char('n')), &ctx);
    // From the text box back past the verdict and the campaign to the lead.
    for _ in 0..3 {
        ui.handle_key(key(KeyCode::BackTab), &ctx);
    }
    let shown = screen(&ui, &fx, 120, 40);
    assert!(shown.contains("▸ lead"), "{shown}");
    assert!(shown.contains("1 of 2"), "{shown}");
    ui.handle_key(key(KeyCode::Right), &ctx);
    let draft = ui.dialog_as::<NoteDraft>().expect("still writing");
    assert_eq!(draft.lead_id, "cust-1");
    let shown = screen(&ui, &fx, 120, 40);
    assert!(shown.contains("2 of 2"), "{shown}");
    // Written, reviewed and sent: on the lead now shown.
    for _ in 0..3 {
        ui.handle_key(key(KeyCode::Tab), &ctx);
    }
    for c in "they asked for the short version".chars() {
        ui.handle_key(key(KeyCode::Char(c)), &ctx);
    }
    ui.handle_key(
        KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL),
        &ctx,
    );
    let commands = ui.handle_key(key(KeyCode::Char('y')), &ctx);
    assert!(
        commands.iter().any(|c| matches!(
            c,
            crate::ui::Command::Submit { lead_id, .. } if lead_id == "cust-1"
        )),
        "{commands:?}"
    );
}
