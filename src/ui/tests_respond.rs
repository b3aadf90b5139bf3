//! Sales answering an MQL from the keyboard: `a` accepts it as theirs, `x` rejects it with an
//! agreed reason; nothing is sent before `y`, and only an MQL can be answered.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixture::Fixture;
use super::test_screen::on_lead as on;
use super::{Command, UiState};
use crate::domain::action::ActionKind;

fn ch(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn press(ui: &mut UiState, fx: &Fixture, keys: &[KeyEvent]) -> Vec<Command> {
    let ctx = fx.ctx();
    keys.iter().flat_map(|k| ui.handle_key(*k, &ctx)).collect()
}

#[test]
fn a_then_y_accepts_the_mql_as_mine() {
    let mut fx = Fixture::new();
    fx.me = Some("s1");
    let mut ui = on(&fx, "Priya Natarajan");
    assert!(
        press(&mut ui, &fx, &[ch('a')]).is_empty(),
        "nothing before y"
    );
    let cmds = press(&mut ui, &fx, &[ch('y')]);
    match &cmds[..] {
        [Command::Submit { lead_id, kind, .. }] => {
            assert_eq!(lead_id, "mql-breached");
            assert_eq!(
                kind,
                &ActionKind::Accept {
                    owner_id: "s1".into()
                }
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn x_rejects_for_the_chosen_reason_as_the_config_says() {
    let fx = Fixture::new();
    let mut ui = on(&fx, "Priya Natarajan");
    // The second agreed reason: no budget, which recycles.
    let cmds = press(&mut ui, &fx, &[ch('x'), ch('j'), ch('y')]);
    let second = &fx.config.reject_reasons[1];
    match &cmds[..] {
        [Command::Submit { kind, .. }] => assert_eq!(
            kind,
            &ActionKind::Reject {
                reason: second.code.clone(),
                recycle: second.recycle,
                note: String::new(),
                owner_id: None,
                revisit: None,
            }
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn only_an_mql_is_answered_and_accepting_needs_an_owner() {
    let mut fx = Fixture::new();
    fx.me = Some("s1");
    let mut ui = on(&fx, "Jonas Weber");
    assert!(press(&mut ui, &fx, &[ch('a')]).is_empty());
    assert!(ui.dialog.is_none());
    assert!(
        ui.message
            .as_deref()
            .unwrap_or("")
            .contains("only an MQL waits for sales")
    );
    fx.me = None;
    let mut ui = on(&fx, "Priya Natarajan");
    press(&mut ui, &fx, &[ch('a')]);
    assert!(ui.dialog.is_none());
    assert!(ui.message.as_deref().unwrap_or("").contains("no CRM owner"));
    // Rejecting needs no owner.
    press(&mut ui, &fx, &[ch('x')]);
    assert!(ui.dialog.is_some());
}
