//! Key handling: every action needs an explicit confirm; refusals say why.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::domain::Team;
use crate::domain::action::ActionKind;
use crate::domain::coverage::{Segment, SegmentBy};
use crate::domain::feedback::Verdict;
use crate::domain::snapshot::stage_index;
use crate::sync::ActionStatus;
use crate::ui::fixture::Fixture;
use crate::ui::test_screen::on_lead;

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn ch(c: char) -> KeyEvent {
    key(KeyCode::Char(c))
}

/// Press keys in order, collecting every command.
fn press(ui: &mut UiState, fx: &Fixture, keys: &[KeyEvent]) -> Vec<Command> {
    let ctx = fx.ctx();
    keys.iter().flat_map(|k| ui.handle_key(*k, &ctx)).collect()
}

fn typed(s: &str) -> Vec<KeyEvent> {
    s.chars().map(ch).collect()
}

/// The `n`-th sales owner of the whole-team rotation (by id), the fallback coverage.
fn sales(fx: &Fixture, n: usize) -> String {
    let mut ids: Vec<&str> = fx
        .store
        .owners()
        .iter()
        .filter(|o| o.team == Some(Team::Sales))
        .map(|o| o.id.as_str())
        .collect();
    ids.sort();
    ids[n % ids.len()].to_string()
}

fn handed_to(cmds: &[Command]) -> Option<&str> {
    match cmds {
        [
            Command::Submit {
                kind: ActionKind::HandOff { owner_id },
                ..
            },
        ] => Some(owner_id),
        _ => None,
    }
}

#[test]
fn hand_off_proposes_the_coverage_owner_and_segments_rotate_apart() {
    let mut fx = Fixture::new();
    fx.config.coverage.segment_by = SegmentBy::Region;
    fx.config.coverage.segments = vec![Segment {
        matches: "EMEA".into(),
        owners: vec!["lee@tandem.example".into(), "sam@tandem.example".into()],
    }];
    // Priya (DE) is EMEA: Lee first, then Sam.
    let mut ui = on_lead(&fx, "Priya Natarajan");
    assert_eq!(
        handed_to(&press(&mut ui, &fx, &[ch('>'), ch('y')])),
        Some("s2")
    );
    assert_eq!(
        handed_to(&press(&mut ui, &fx, &[ch('>'), ch('y')])),
        Some("s1")
    );
    // Aiko (JP) is in no segment: the whole sales team by id, untouched by EMEA's turns.
    let mut other = on_lead(&fx, "Aiko Tanaka");
    other.turns = ui.turns.clone();
    assert_eq!(
        handed_to(&press(&mut other, &fx, &[ch('>'), ch('y')])),
        Some("s1")
    );
}

#[test]
fn hand_off_submits_the_round_robin_owner_only_after_y() {
    let fx = Fixture::new();
    let mut ui = on_lead(&fx, "Priya Natarajan");
    let opened = press(&mut ui, &fx, &[ch('>')]);
    assert!(opened.is_empty());
    assert!(ui.dialog_as::<HandOff>().is_some());
    // Moving the chooser around and back sends nothing.
    assert!(press(&mut ui, &fx, &[key(KeyCode::Right), key(KeyCode::Left)]).is_empty());
    let expected = sales(&fx, 0);
    let cmds = press(&mut ui, &fx, &[ch('y')]);
    assert_eq!(
        cmds,
        vec![Command::Submit {
            lead_id: "mql-breached".into(),
            lead_name: "Priya Natarajan".into(),
            kind: ActionKind::HandOff {
                owner_id: expected.clone()
            },
            turn: Some((crate::domain::handoff::FALLBACK.to_string(), 0)),
        }]
    );
    assert!(ui.dialog.is_none());
    // The rotation moved on: the next hand-off proposes the other sales owner.
    let mut ui2 = on_lead(&fx, "Tom Becker");
    ui2.turns = ui.turns.clone();
    let cmds = press(&mut ui2, &fx, &[ch('>'), ch('y')]);
    let next = sales(&fx, 1);
    assert_ne!(next, expected);
    assert!(
        matches!(&cmds[..], [Command::Submit { kind: ActionKind::HandOff { owner_id }, .. }] if *owner_id == next)
    );
}

#[test]
fn hand_off_chooser_changes_the_owner() {
    let fx = Fixture::new();
    let mut ui = on_lead(&fx, "Priya Natarajan");
    let cmds = press(&mut ui, &fx, &[ch('>'), key(KeyCode::Right), ch('y')]);
    let second = sales(&fx, 1);
    assert!(
        matches!(&cmds[..], [Command::Submit { kind: ActionKind::HandOff { owner_id }, .. }] if *owner_id == second)
    );
}

#[test]
fn hand_off_cancelled_with_n_or_esc_sends_nothing() {
    let fx = Fixture::new();
    for cancel in [ch('n'), key(KeyCode::Esc)] {
        let mut ui = on_lead(&fx, "Priya Natarajan");
        let cmds = press(&mut ui, &fx, &[ch('>'), cancel]);
        assert!(cmds.is_empty());
        assert!(ui.dialog.is_none());
        assert!(ui.turns.get(crate::domain::handoff::FALLBACK) == 0);
        // And a stray `y` afterwards does nothing either.
        assert!(press(&mut ui, &fx, &[ch('y')]).is_empty());
    }
}

#[test]
fn hand_off_of_a_sales_lead_is_refused_with_a_reason() {
    let fx = Fixture::new();
    let mut ui = on_lead(&fx, "Jonas Weber");
    assert!(press(&mut ui, &fx, &[ch('>')]).is_empty());
    assert!(ui.dialog.is_none());
    let msg = ui.message.clone().unwrap();
    assert!(
        msg.contains("can't hand off Jonas Weber: already with sales (sal)"),
        "{msg}"
    );
    // A `y` after the refusal sends nothing, and the message goes with the next key.
    assert!(press(&mut ui, &fx, &[ch('y')]).is_empty());
    assert!(ui.message.is_none());
}

#[test]
fn recycle_of_an_inquiry_is_refused() {
    let fx = Fixture::new();
    let mut ui = on_lead(&fx, "Lena Hoffmann");
    assert_eq!(ui.leads.stage(), Stage::Inquiry);
    assert!(press(&mut ui, &fx, &[ch('<')]).is_empty());
    assert!(ui.dialog.is_none());
    let msg = ui.message.clone().unwrap();
    assert!(
        msg.contains("can't recycle Lena Hoffmann (inquiry)"),
        "{msg}"
    );
    assert!(press(&mut ui, &fx, &[ch('y')]).is_empty());
}

#[test]
fn recycle_yields_the_chosen_reason_and_note() {
    let fx = Fixture::new();
    let mut ui = on_lead(&fx, "Jonas Weber");
    let mut keys = vec![
        ch('<'),
        key(KeyCode::Down),
        key(KeyCode::Down),
        key(KeyCode::Tab),
    ];
    // In the note, y and n are text, not answers.
    keys.extend(typed("no reply, try in Q1 yes"));
    keys.push(key(KeyCode::Backspace));
    keys.push(key(KeyCode::Enter));
    let before_y = press(&mut ui, &fx, &keys);
    assert!(before_y.is_empty());
    let cmds = press(&mut ui, &fx, &[ch('y')]);
    assert_eq!(
        cmds,
        vec![Command::Submit {
            lead_id: "sal-warning".into(),
            lead_name: "Jonas Weber".into(),
            kind: ActionKind::Recycle {
                reason: "no_response".into(),
                note: "no reply, try in Q1 ye".into(),
                owner_id: None,
                revisit: None,
            },
            turn: None,
        }]
    );
}

#[test]
fn feedback_with_empty_text_is_refused() {
    let fx = Fixture::new();
    let mut ui = on_lead(&fx, "Priya Natarajan");
    press(&mut ui, &fx, &[ch('n')]);
    assert!(ui.dialog_as::<NoteDraft>().is_some());
    let ctrl_s = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
    // Whitespace only counts as empty, by Ctrl-S and by y on a chooser field.
    let mut keys = typed("   ");
    keys.extend([ctrl_s, key(KeyCode::Tab), ch('y')]);
    assert!(press(&mut ui, &fx, &keys).is_empty());
    assert!(
        ui.dialog_as::<NoteDraft>().is_some(),
        "the dialog stays open"
    );
    assert_eq!(
        ui.message.as_deref(),
        Some(crate::ui::dialogs::note::EMPTY_REFUSAL)
    );
}

#[test]
fn feedback_sends_campaign_verdict_and_multiline_text_after_review() {
    let fx = Fixture::new();
    let mut ui = on_lead(&fx, "Priya Natarajan");
    let ctrl_s = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
    let mut keys = vec![ch('n')];
    keys.extend(typed("CFOs loved it"));
    keys.push(key(KeyCode::Enter));
    keys.extend(typed("ask for more"));
    // Campaign: one to the right; verdict: toggled.
    keys.extend([
        key(KeyCode::Tab),
        key(KeyCode::Right),
        key(KeyCode::Tab),
        key(KeyCode::Right),
    ]);
    keys.extend([key(KeyCode::Tab), ctrl_s]);
    assert!(press(&mut ui, &fx, &keys).is_empty());
    // `n` on the review step goes back to editing; Ctrl-S and `y` send.
    assert!(press(&mut ui, &fx, &[ch('n')]).is_empty());
    let cmds = press(&mut ui, &fx, &[ctrl_s, ch('y')]);
    let lead = fx.store.lead("mql-breached").unwrap();
    let campaigns = campaign_choices(lead, &fx.snapshot);
    assert_eq!(
        cmds,
        vec![Command::Submit {
            lead_id: "mql-breached".into(),
            lead_name: "Priya Natarajan".into(),
            kind: ActionKind::Feedback {
                campaign: campaigns[1].clone(),
                verdict: Verdict::DoesNotWork,
                text: "CFOs loved it\nask for more".into(),
            },
            turn: None,
        }]
    );
}

#[test]
fn question_mark_opens_help_and_q_closes_it_without_quitting() {
    let fx = Fixture::new();
    let mut ui = on_lead(&fx, "Priya Natarajan");
    assert!(press(&mut ui, &fx, &[ch('?')]).is_empty());
    assert!(ui.dialog_as::<Help>().is_some());
    assert!(press(&mut ui, &fx, &[ch('q')]).is_empty());
    assert!(ui.dialog.is_none());
    press(&mut ui, &fx, &[ch('?')]);
    press(&mut ui, &fx, &[key(KeyCode::Esc)]);
    assert!(ui.dialog.is_none());
}

#[test]
fn q_quits_r_refreshes_and_ctrl_c_quits_from_a_dialog() {
    let mut fx = Fixture::new();
    fx.outbox.retain(|e| e.status != ActionStatus::Queued);
    let mut ui = on_lead(&fx, "Priya Natarajan");
    assert_eq!(press(&mut ui, &fx, &[ch('r')]), vec![Command::Refresh]);
    assert_eq!(press(&mut ui, &fx, &[ch('q')]), vec![Command::Quit]);
    press(&mut ui, &fx, &[ch('n')]);
    assert!(ui.dialog.is_some());
    // `q` is text in the note, Ctrl-C still quits.
    assert!(press(&mut ui, &fx, &[ch('q')]).is_empty());
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(press(&mut ui, &fx, &[ctrl_c]), vec![Command::Quit]);
}

#[test]
fn key_releases_are_ignored() {
    let fx = Fixture::new();
    let mut ui = on_lead(&fx, "Priya Natarajan");
    let mut release = ch('q');
    release.kind = KeyEventKind::Release;
    assert!(press(&mut ui, &fx, &[release]).is_empty());
}

#[test]
fn selection_clamps_when_the_selected_lead_leaves_the_stage() {
    let mut fx = Fixture::new();
    let ctx = fx.ctx();
    let mut ui = UiState::new(true);
    ui.on_data_changed(&ctx);
    let mql = stage_index(Stage::Mql);
    let n = fx.snapshot.board.stage_leads[mql].len();
    ui.leads.select(n - 1, &ctx);
    let last_id = ui.leads.cursor.id().map(str::to_string).unwrap();
    fx.move_lead(&last_id, Stage::Sal);
    let ctx = fx.ctx();
    ui.on_data_changed(&ctx);
    assert_eq!(ui.leads.cursor.pos(), n - 2);
    assert_ne!(ui.leads.cursor.id(), Some(last_id.as_str()));
    assert!(ui.selected_lead(&ctx).is_some());
}

#[test]
fn selection_follows_the_lead_by_id_when_the_order_changes() {
    let mut fx = Fixture::new();
    let mut ui = on_lead(&fx, "Maria Lopez");
    let before = ui.leads.cursor.pos();
    // The lead ahead of her leaves; she is still selected at her new position.
    let first = fx.snapshot.board.stage_leads[stage_index(Stage::Mql)]
        .get(0)
        .unwrap();
    let first_id = fx.store.leads()[first].id.to_string();
    fx.move_lead(&first_id, Stage::Sal);
    ui.on_data_changed(&fx.ctx());
    assert_eq!(ui.leads.cursor.pos(), before - 1);
    assert_eq!(ui.selected_lead(&fx.ctx()).unwrap().name(), "Maria Lopez");
}

#[test]
fn filter_narrows_and_esc_clears() {
    let mut fx = Fixture::new();
    fx.outbox.retain(|e| e.status != ActionStatus::Queued);
    let mut ui = on_lead(&fx, "Priya Natarajan");
    let mut keys = vec![ch('/')];
    keys.extend(typed("SOLTECH"));
    keys.push(key(KeyCode::Enter));
    press(&mut ui, &fx, &keys);
    let ctx = fx.ctx();
    assert_eq!(ui.leads.visible(&ctx).len(), 1);
    assert_eq!(ui.selected_lead(&ctx).unwrap().name(), "Maria Lopez");
    // After ⏎ the filter stays and keys act again: `q` quits rather than typing.
    assert_eq!(press(&mut ui, &fx, &[ch('q')]), vec![Command::Quit]);
    press(&mut ui, &fx, &[key(KeyCode::Esc)]);
    let all = fx.snapshot.board.stage_leads[stage_index(Stage::Mql)].len();
    assert_eq!(ui.leads.visible(&fx.ctx()).len(), all);
}

#[test]
fn movement_keys_and_stage_switching() {
    let fx = Fixture::new();
    let mut ui = UiState::new(true);
    ui.on_data_changed(&fx.ctx());
    let mql_len = fx.snapshot.board.stage_leads[stage_index(Stage::Mql)].len();
    press(&mut ui, &fx, &[ch('G')]);
    assert_eq!(ui.leads.cursor.pos(), mql_len - 1);
    press(
        &mut ui,
        &fx,
        &[ch('g'), key(KeyCode::Down), ch('j'), ch('k')],
    );
    assert_eq!(ui.leads.cursor.pos(), 1);
    press(&mut ui, &fx, &[key(KeyCode::PageDown)]);
    assert_eq!(ui.leads.cursor.pos(), mql_len - 1);
    press(&mut ui, &fx, &[key(KeyCode::Right)]);
    assert_eq!(ui.leads.stage(), Stage::Sal);
    assert_eq!(ui.leads.cursor.pos(), 0);
    press(&mut ui, &fx, &[ch('1'), key(KeyCode::Up), key(KeyCode::Up)]);
    assert_eq!(ui.focus, Pane::Pipeline);
    assert_eq!(ui.leads.stage(), Stage::Inquiry);
    press(&mut ui, &fx, &[key(KeyCode::Enter)]);
    assert_eq!(ui.focus, Pane::Leads);
    press(&mut ui, &fx, &[key(KeyCode::Enter)]);
    assert!(ui.dialog_as::<Detail>().is_some());
}

#[test]
fn actions_need_a_lead_pane_and_the_breaches_pane_targets_its_lead() {
    let fx = Fixture::new();
    let mut ui = UiState::new(true);
    ui.on_data_changed(&fx.ctx());
    press(&mut ui, &fx, &[ch('3'), ch('>')]);
    assert!(ui.dialog.is_none());
    assert!(ui.message.is_some());
    // The most urgent breach is Aiko's MQL (3h02 over a 4h limit, before Omar's nurture
    // pickup at 5d07 over 14 days): it can be handed off from there.
    press(&mut ui, &fx, &[ch('4'), ch('>')]);
    let Some(d) = ui.dialog_as::<HandOff>() else {
        panic!("no hand-off dialog")
    };
    assert_eq!(d.lead_name, "Aiko Tanaka");
    // Marketing's breaches only (t twice: sales, then marketing): the cursor is on Omar.
    press(
        &mut ui,
        &fx,
        &[key(KeyCode::Esc), ch('t'), ch('t'), ch('>')],
    );
    let Some(d) = ui.dialog_as::<HandOff>() else {
        panic!("no hand-off dialog")
    };
    assert_eq!(d.lead_name, "Omar Haddad");
}

#[test]
fn a_pending_action_blocks_a_second_one() {
    let fx = Fixture::new();
    let mut ui = on_lead(&fx, "Maria Lopez");
    let msg_before = ui.message.clone();
    assert!(msg_before.is_none());
    // Maria has a pending hand-off in the fixture outbox.
    press(&mut ui, &fx, &[ch('n')]);
    assert!(ui.dialog.is_none());
    assert!(ui.message.as_deref().unwrap().contains("still pending"));
}

#[test]
fn detail_opens_actions_and_closes() {
    let fx = Fixture::new();
    let mut ui = on_lead(&fx, "Priya Natarajan");
    press(&mut ui, &fx, &[key(KeyCode::Enter), ch('<')]);
    assert!(ui.dialog_as::<Recycle>().is_some());
    press(&mut ui, &fx, &[key(KeyCode::Esc)]);
    assert!(ui.dialog.is_none());
    let mut ui = on_lead(&fx, "Lena Hoffmann");
    press(&mut ui, &fx, &[key(KeyCode::Enter), ch('<')]);
    assert!(
        ui.dialog_as::<Detail>().is_some(),
        "refused: detail stays open"
    );
    assert!(ui.message.is_some());
}

#[test]
fn no_key_panics_in_any_state() {
    let fx = Fixture::new();
    let empty = Fixture::empty();
    let codes = [
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Left,
        KeyCode::Right,
        KeyCode::PageUp,
        KeyCode::PageDown,
        KeyCode::Home,
        KeyCode::End,
        KeyCode::Enter,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Backspace,
        KeyCode::Delete,
        KeyCode::F(5),
    ];
    let chars = "jkhlgG12345/>?<nyY s\u{7f}株";
    for f in [&fx, &empty] {
        for opener in ["", "?", "/", ">", "<", "n", "\n", "4\n", "1"] {
            let mut ui = on_lead(&fx, "Priya Natarajan");
            let mut keys: Vec<KeyEvent> = opener
                .chars()
                .map(|c| {
                    if c == '\n' {
                        key(KeyCode::Enter)
                    } else {
                        ch(c)
                    }
                })
                .collect();
            keys.extend(codes.iter().map(|c| key(*c)));
            keys.extend(chars.chars().map(ch));
            keys.push(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL));
            keys.push(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::ALT));
            let ctx = f.ctx();
            ui.on_data_changed(&ctx);
            for k in keys {
                let _ = ui.handle_key(k, &ctx);
            }
        }
    }
}

#[test]
fn q_with_unsent_actions_and_no_outbox_file_asks_once_more() {
    let mut fx = Fixture::new();
    fx.durable_outbox = false;
    assert!(fx.outbox.iter().any(|e| e.status == ActionStatus::Queued));
    let mut ui = on_lead(&fx, "Priya Natarajan");
    assert!(
        press(&mut ui, &fx, &[ch('q')]).is_empty(),
        "first q only warns"
    );
    assert!(
        ui.message
            .as_deref()
            .unwrap_or("")
            .contains("not yet sent and no local outbox keeps them")
    );
    assert_eq!(press(&mut ui, &fx, &[ch('q')]), vec![Command::Quit]);
    // Any other key in between disarms it.
    let mut ui = on_lead(&fx, "Priya Natarajan");
    press(&mut ui, &fx, &[ch('q'), ch('j')]);
    assert!(press(&mut ui, &fx, &[ch('q')]).is_empty());
}

#[test]
fn q_with_unsent_actions_in_an_outbox_file_quits_at_once() {
    let fx = Fixture::new();
    assert!(fx.outbox.iter().any(|e| e.status.is_open()));
    let mut ui = on_lead(&fx, "Priya Natarajan");
    assert_eq!(press(&mut ui, &fx, &[ch('q')]), vec![Command::Quit]);
}

#[test]
fn a_locked_screen_stays_read_only_whatever_is_pressed() {
    let fx = Fixture::new();
    let mut ui = on_lead(&fx, "Priya Natarajan");
    ui.read_only = true;
    ui.read_only_locked = true;
    press(&mut ui, &fx, &[ch('W')]);
    assert!(ui.read_only, "W cannot undo --locked");
    assert!(
        press(&mut ui, &fx, &[ch('>')]).is_empty(),
        "no action starts"
    );
    assert!(ui.dialog.is_none(), "no dialog opens");
    let header = crate::ui::test_screen::screen(&ui, &fx, 160, 45)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(header.contains("READ-ONLY · locked"), "{header}");
    // Without the lock W turns actions back on.
    ui.read_only_locked = false;
    press(&mut ui, &fx, &[ch('W')]);
    assert!(!ui.read_only);
}
