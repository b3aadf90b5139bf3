//! The what-if view (`w`): the proposed file replayed beside the current one, at 160×45 and
//! 80×24, with the leads whose verdict changes and each week's figures.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::UiState;
use super::fixture::Fixture;
use super::test_screen::screen;
use crate::report::replay::{Replay, ReplayInput};

fn ch(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// The fixture with a proposed file that halves `mql_response`.
fn halved() -> Fixture {
    let mut fx = Fixture::new();
    let mut proposed = fx.config.clone();
    let def = proposed
        .slas
        .iter_mut()
        .find(|d| d.id == "mql_response")
        .unwrap();
    def.limit = def.limit / 2;
    fx.proposed = Some(proposed);
    fx
}

#[test]
fn w_replays_the_proposed_file_with_the_leads_whose_verdict_changes() {
    let fx = halved();
    let replay = Replay::build(&ReplayInput {
        current: &fx.config,
        proposed: fx.proposed.as_ref().unwrap(),
        store: &fx.store,
        weeks: 6,
        now: fx.now,
        simulated: fx.simulated,
        history: None,
    });
    assert!(!replay.changed_leads.is_empty(), "halving adds breaches");
    let mut ui = UiState::new(true);
    let ctx = fx.ctx();
    ui.on_data_changed(&ctx);
    ui.handle_key(ch('w'), &ctx);
    let shown = screen(&ui, &fx, 160, 45);
    for text in [
        "What-if",
        "WHAT CHANGES",
        "mql_response: limit 4h → 2h (business)",
        "WHAT IT WOULD HAVE MEANT",
        "mql_response 4h → 2h: ",
        &format!(
            "leads whose verdict changes ({})",
            replay.changed_leads.len()
        ),
        "mql_response added",
    ] {
        assert!(shown.contains(text), "missing {text:?}:\n{shown}");
    }
    let first = &replay.changed_leads[0];
    assert!(shown.contains(&first.lead), "{shown}");
    // The selected lead's reason, wrapped under the list: the dialog's text, line by line.
    let inside: Vec<&str> = shown
        .lines()
        .filter_map(|l| l.split('║').nth(1))
        .flat_map(str::split_whitespace)
        .collect();
    assert!(
        inside
            .join(" ")
            .contains("past the proposed 2h, within the current 4h"),
        "{shown}"
    );
    // Tab: the week in progress, figure by figure, current and proposed.
    ui.handle_key(key(KeyCode::Tab), &ctx);
    let weeks = screen(&ui, &fx, 160, 45);
    assert!(weeks.contains("(to date, Fri 15:02 UTC)"), "{weeks}");
    assert!(weeks.contains("in MQL at the end"), "{weeks}");
    assert!(weeks.contains("mql_response breaches"), "{weeks}");
    // ←: the week before, a whole one.
    ui.handle_key(key(KeyCode::Left), &ctx);
    let before = screen(&ui, &fx, 160, 45);
    assert!(before.contains("Week of Mon 2026-11-09 ▶"), "{before}");
    // 80×24: the same view, shortened, every line inside the frame.
    ui.handle_key(key(KeyCode::Tab), &ctx);
    let narrow = screen(&ui, &fx, 80, 24);
    assert!(narrow.contains("What-if"), "{narrow}");
    assert!(narrow.contains("mql_response 4h → 2h"), "{narrow}");
    assert!(narrow.contains("leads whose verdict changes"), "{narrow}");
    assert!(narrow.lines().all(|l| l.chars().count() <= 80), "{narrow}");
    ui.handle_key(key(KeyCode::Esc), &ctx);
    assert!(!screen(&ui, &fx, 160, 45).contains("What-if"));
}

#[test]
fn without_a_proposed_file_the_view_says_how_to_give_one() {
    let fx = Fixture::new();
    let mut ui = UiState::new(true);
    let ctx = fx.ctx();
    ui.on_data_changed(&ctx);
    ui.handle_key(ch('w'), &ctx);
    let shown = screen(&ui, &fx, 160, 45);
    assert!(shown.contains("start with --proposed FILE"), "{shown}");
}
