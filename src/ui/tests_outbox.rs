//! The outbox view and read-only mode: every entry's state is visible, a conflict is decided
//! there, and a standup shown cannot act.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::dialogs::handoff::HandOff;
use super::fixture::Fixture;
use super::test_screen::screen;
use super::{Command, OutboxOp, UiState};
use crate::domain::action::ActionStatus;

fn ch(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn press(ui: &mut UiState, fx: &Fixture, keys: &[KeyEvent]) -> Vec<Command> {
    let ctx = fx.ctx();
    keys.iter().flat_map(|k| ui.handle_key(*k, &ctx)).collect()
}

fn ui(fx: &Fixture) -> UiState {
    let mut ui = UiState::new(true);
    ui.on_data_changed(&fx.ctx());
    ui
}

/// The fixture's two entries (a queued hand-off, a done one) plus a conflict, newest.
fn with_conflict() -> Fixture {
    let mut fx = Fixture::new();
    let mut conflict = fx.outbox[0].clone();
    conflict.action.id = 3;
    conflict.action.lead_name = "Priya Natarajan".into();
    conflict.status = ActionStatus::Conflict("stage salesqualifiedlead → opportunity".into());
    fx.outbox.push(conflict);
    fx
}

#[test]
fn the_outbox_lists_every_entry_with_its_state_and_decides_a_conflict() {
    let fx = with_conflict();
    let mut ui = ui(&fx);
    assert!(press(&mut ui, &fx, &[ch('o')]).is_empty());
    let shown = screen(&ui, &fx, 160, 45);
    for text in [
        "Outbox · 1 open · 1 to decide",
        "⚠",
        "hand off not sent, the lead changed: stage salesqualifiedlead → opportunity",
        "hand off queued",
        "hand off done",
        "y send again",
        "d drop",
    ] {
        assert!(shown.contains(text), "missing {text}:\n{shown}");
    }
    // The conflict is newest, so selected first. The first y shows what sending writes
    // over the record as it is now; the second sends.
    assert!(press(&mut ui, &fx, &[ch('y')]).is_empty());
    let preview = screen(&ui, &fx, 160, 45);
    assert!(
        preview.contains("y again writes owner →") && preview.contains("over the record as it is"),
        "{preview}"
    );
    assert_eq!(
        press(&mut ui, &fx, &[ch('y')]),
        vec![Command::Outbox(OutboxOp::Confirm(3))]
    );
    // Any other key in between disarms it.
    assert!(press(&mut ui, &fx, &[ch('y'), ch('j'), ch('k'), ch('y')]).is_empty());
    assert_eq!(
        press(&mut ui, &fx, &[ch('d')]),
        vec![Command::Outbox(OutboxOp::Cancel(3))]
    );
    // Down to the done hand-off: nothing to decide, and the key says so.
    assert!(press(&mut ui, &fx, &[ch('j'), ch('c')]).is_empty());
    assert!(ui.message.as_deref().unwrap_or("").contains("is done"));
    // Down to the queued one: it can be cancelled.
    assert_eq!(
        press(&mut ui, &fx, &[ch('j'), ch('c')]),
        vec![Command::Outbox(OutboxOp::Cancel(1))]
    );
    assert!(press(&mut ui, &fx, &[ch('o')]).is_empty());
    assert!(ui.dialog.is_none(), "o closes it again");
}

#[test]
fn a_failed_entry_can_be_retried() {
    let mut fx = Fixture::new();
    fx.outbox[1].status = ActionStatus::Failed {
        done: 1,
        total: 3,
        reason: "400 VALIDATION_ERROR: bad owner".into(),
    };
    let mut ui = ui(&fx);
    press(&mut ui, &fx, &[ch('o')]);
    let shown = screen(&ui, &fx, 160, 45);
    assert!(
        shown.contains("hand off 1/3 done, then refused: 400 VALIDATION_ERROR"),
        "{shown}"
    );
    assert_eq!(
        press(&mut ui, &fx, &[ch('R')]),
        vec![Command::Outbox(OutboxOp::Retry(2))]
    );
}

#[test]
fn read_only_disables_every_action_and_says_so_in_the_header() {
    let fx = Fixture::new();
    let mut ui = ui(&fx);
    press(&mut ui, &fx, &[ch('W')]);
    assert!(ui.read_only);
    let shown = screen(&ui, &fx, 160, 45);
    assert!(shown.contains("READ-ONLY"), "{shown}");
    assert!(!shown.contains("> hand off"), "no action hint:\n{shown}");
    for k in ['>', '<', 'n'] {
        assert!(press(&mut ui, &fx, &[ch(k)]).is_empty());
        assert!(ui.dialog.is_none(), "{k} opened a dialog");
        assert!(ui.message.as_deref().unwrap_or("").contains("read-only"));
    }
    // W turns actions back on.
    press(&mut ui, &fx, &[ch('W')]);
    press(&mut ui, &fx, &[ch('>')]);
    assert!(ui.dialog_as::<HandOff>().is_some());
}

#[test]
fn u_takes_back_the_last_hand_off_only_inside_the_undo_window() {
    let mut fx = Fixture::new();
    // The fixture's newest hand-off (Jonas Weber, done) was made at 15:01:55.
    fx.outbox[1].action.created_at = fx.now - chrono::Duration::seconds(4);
    let mut ui = ui(&fx);
    assert_eq!(press(&mut ui, &fx, &[ch('u')]), vec![Command::Undo(2)]);
    // Already undone: a restore for it is in the outbox.
    let mut undone = fx.outbox[1].clone();
    undone.action.id = 9;
    undone.action.kind = crate::domain::action::ActionKind::Restore {
        stage: "marketingqualifiedlead".into(),
        status: "OPEN".into(),
        owner_id: None,
        owner_assigned_at: None,
        undoes: fx.outbox[1].action.key.clone(),
        withdraw_note: false,
        clear: None,
    };
    fx.outbox.push(undone);
    assert!(press(&mut ui, &fx, &[ch('u')]).is_empty());
    fx.outbox.pop();
    // Past the window: nothing, and the footer says why.
    fx.outbox[1].action.created_at = fx.now - chrono::Duration::seconds(11);
    assert!(press(&mut ui, &fx, &[ch('u')]).is_empty());
    assert!(
        ui.message
            .as_deref()
            .unwrap_or("")
            .contains("for 10s after it"),
        "{:?}",
        ui.message
    );
}
