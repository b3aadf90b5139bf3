//! The standup view: the same figures as `tandem report`, per team, with their leads.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::UiState;
use super::fixture::Fixture;
use super::test_screen::screen;

fn ch(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

#[test]
fn s_shows_what_changed_since_the_last_standup_with_the_leads() {
    let fx = Fixture::new();
    let mut ui = UiState::new(true);
    let ctx = fx.ctx();
    ui.on_data_changed(&ctx);
    ui.handle_key(ch('S'), &ctx);
    // Friday 15:02: the last standup was Thursday 09:30. Counted here from the fixture's
    // own dates: the MQLs dated after it.
    let since = chrono::DateTime::parse_from_rfc3339("2026-11-19T09:30:00Z").unwrap();
    let new_mqls: Vec<&str> = fx
        .store
        .leads()
        .iter()
        .filter(|l| l.dates.mql().is_some_and(|t| t > since && t <= fx.now))
        .map(|l| l.name())
        .collect();
    assert!(!new_mqls.is_empty());
    let shown = screen(&ui, &fx, 160, 45);
    assert!(
        shown.contains("Since Thu 09:30 (the last standup)"),
        "{shown}"
    );
    for text in [
        "MARKETING",
        "SALES",
        "SHARED",
        "recycled to nurture",
        "SLA breaches cleared",
    ] {
        assert!(shown.contains(text), "missing {text}:\n{shown}");
    }
    assert!(
        shown.contains(&format!("{:>5}  new MQLs", new_mqls.len())),
        "{shown}"
    );
    for name in &new_mqls {
        assert!(
            shown.contains(name),
            "{name} listed under new MQLs:\n{shown}"
        );
    }
    // w: the last 24 hours instead.
    ui.handle_key(ch('w'), &ctx);
    assert!(screen(&ui, &fx, 160, 45).contains("Since Thu 15:02 (last 24h)"));
}

#[test]
fn a_lists_companies_by_open_deal_value_and_enter_lists_a_companys_leads() {
    let fx = Fixture::new();
    let mut ui = UiState::new(true);
    let ctx = fx.ctx();
    ui.on_data_changed(&ctx);
    ui.handle_key(ch('A'), &ctx);
    let all = crate::domain::accounts::accounts(
        fx.store.leads(),
        fx.store.deals(),
        fx.store.deal_stages(),
    );
    let shown = screen(&ui, &fx, 160, 45);
    assert!(
        shown.contains(&format!("Accounts · {} companies", all.len())),
        "{shown}"
    );
    let top = &all[0];
    assert!(top.open_value > 0.0, "the fixture has an open deal");
    assert!(
        shown.contains(&crate::units::money(top.open_value)),
        "{shown}"
    );
    ui.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE), &ctx);
    assert!(ui.dialog.is_none());
    assert_eq!(ui.focus, super::panes::Pane::Leads);
    assert_eq!(ui.leads.search, top.company);
}

#[test]
fn a_reps_own_breaches_lead_the_board() {
    use crate::ui::panes::breaches::Breaches;
    let mut fx = Fixture::new();
    let ctx = fx.ctx();
    let board = Breaches::collect(&ctx, Default::default());
    // Without an identity the board is in urgency order; find a group whose clocks sit on
    // leads of one owner that does not come first.
    let owner_of = |t: usize| {
        fx.store
            .lead(&fx.snapshot.board.timers[t].lead_id)
            .and_then(|l| l.owner_id)
    };
    let (pos, owner) = board
        .groups
        .iter()
        .enumerate()
        .skip(1)
        .find_map(|(i, g)| g.timers.iter().find_map(|&t| owner_of(t)).map(|o| (i, o)))
        .expect("a later group with an owned lead");
    let sla = board.groups[pos].sla;
    let leaked: &'static str = owner.as_str();
    fx.me = Some(leaked);
    let ctx = fx.ctx();
    let mine = Breaches::collect(&ctx, Default::default());
    assert_eq!(
        mine.groups[0].sla, sla,
        "the group with my lead comes first"
    );
    assert_eq!(mine.len(), board.len(), "nothing dropped");
}
