//! Key handling. Keys go to the open dialog first, then to the filter while typing, then to
//! the focused pane. Ctrl-C always quits. Nothing here panics on any key in any state.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::domain::{Lead, Stage, Team};

use super::breaches::Breaches;
use super::handoff::{self, HandOff};
use super::help;
use super::note::{self, NoteDraft, campaign_choices};
use super::recycle::{self, Recycle};
use super::state::{ActionChoice, Dialog, Outcome, Pane, UiState, has_pending, sales_rotation};
use super::{Command, ViewCtx};

const FILTER_MAX_CHARS: usize = 64;

/// A printable character typed without Ctrl or Alt (Shift is part of the character).
pub(crate) fn plain_char(key: KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                && !c.is_control() =>
        {
            Some(c)
        }
        _ => None,
    }
}

/// A cursor movement in a list.
#[derive(Debug, Clone, Copy)]
enum Move {
    By(isize),
    Page(isize),
    First,
    Last,
}

fn movement(key: KeyEvent) -> Option<Move> {
    Some(match (key.code, plain_char(key)) {
        (KeyCode::Up, _) | (_, Some('k')) => Move::By(-1),
        (KeyCode::Down, _) | (_, Some('j')) => Move::By(1),
        (KeyCode::PageUp, _) => Move::Page(-1),
        (KeyCode::PageDown, _) => Move::Page(1),
        (KeyCode::Home, _) | (_, Some('g')) => Move::First,
        (KeyCode::End, _) | (_, Some('G')) => Move::Last,
        _ => return None,
    })
}

fn apply(pos: usize, len: usize, page: usize, m: Move) -> usize {
    let last = len.saturating_sub(1);
    let step = |d: isize| {
        if d < 0 {
            pos.saturating_sub(d.unsigned_abs())
        } else {
            pos.saturating_add(d.unsigned_abs()).min(last)
        }
    };
    match m {
        Move::By(d) => step(d),
        Move::Page(d) => step(d.saturating_mul(page.max(1) as isize)),
        Move::First => 0,
        Move::Last => last,
    }
}

impl UiState {
    /// Returns commands for the app; mutates only UI state. Never panics.
    pub fn handle_key(&mut self, key: KeyEvent, ctx: &ViewCtx) -> Vec<Command> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && matches!(key.code, KeyCode::Char('c' | 'C')) {
            return vec![Command::Quit];
        }
        self.message = None;
        if let Some(dialog) = self.dialog.take() {
            return self.dialog_key(dialog, key, ctx);
        }
        if self.filter_typing {
            self.filter_key(key, ctx);
            return Vec::new();
        }
        self.pane_key(key, ctx)
    }

    fn pane_key(&mut self, key: KeyEvent, ctx: &ViewCtx) -> Vec<Command> {
        if let Some(m) = movement(key) {
            self.move_cursor(m, ctx);
            return Vec::new();
        }
        match (key.code, plain_char(key)) {
            (_, Some('q')) => return vec![Command::Quit],
            (_, Some('r')) => return vec![Command::Refresh],
            (_, Some('?')) => self.dialog = Some(Dialog::Help { scroll: 0 }),
            (KeyCode::Tab, _) => self.focus = self.focus.next(),
            (KeyCode::BackTab, _) => self.focus = self.focus.prev(),
            (_, Some(c @ '1'..='5')) => {
                self.focus = Pane::ALL[usize::from(c as u8 - b'1')];
            }
            (_, Some('/')) => {
                self.focus = Pane::Leads;
                self.filter_typing = true;
            }
            (KeyCode::Esc, _) if !self.filter.is_empty() => self.set_filter(String::new(), ctx),
            (KeyCode::Left, _) | (_, Some('h'))
                if matches!(self.focus, Pane::Leads | Pane::Pipeline) =>
            {
                self.set_stage(self.stage.saturating_sub(1), ctx);
            }
            (KeyCode::Right, _) | (_, Some('l'))
                if matches!(self.focus, Pane::Leads | Pane::Pipeline) =>
            {
                self.set_stage(self.stage + 1, ctx);
            }
            (KeyCode::Enter, _) => match self.focus {
                Pane::Pipeline => self.focus = Pane::Leads,
                Pane::Leads | Pane::Breaches => match self.target_lead(ctx) {
                    Some(lead) => {
                        self.dialog = Some(Dialog::Detail {
                            lead_id: lead.id.clone(),
                            scroll: 0,
                        });
                    }
                    None => self.message = Some("no lead selected".into()),
                },
                _ => {}
            },
            (_, Some('>')) => self.start_action(ActionChoice::HandOff, ctx),
            (_, Some('<')) => self.start_action(ActionChoice::Recycle, ctx),
            (_, Some('n')) => self.start_action(ActionChoice::Note, ctx),
            _ => {}
        }
        Vec::new()
    }

    fn move_cursor(&mut self, m: Move, ctx: &ViewCtx) {
        match self.focus {
            Pane::Pipeline => {
                let page = Stage::ALL.len();
                self.set_stage(apply(self.stage, Stage::ALL.len(), page, m), ctx);
            }
            Pane::Leads => {
                let len = self.visible_leads(ctx).len();
                let pos = apply(self.lead_sel, len, self.lead_page.get(), m);
                self.select_lead(pos, ctx);
            }
            Pane::Breaches => {
                let all = Breaches::collect(ctx);
                let pos = apply(self.breach_sel, all.len(), 10, m);
                self.select_breach(pos, &all, ctx);
            }
            Pane::Feedback => {
                let len = ctx.snapshot.feedback.len();
                self.feedback_scroll = apply(self.feedback_scroll, len, 4, m);
            }
            Pane::Kpis => {}
        }
    }

    fn set_filter(&mut self, filter: String, ctx: &ViewCtx) {
        self.filter = filter;
        self.lead_offset.set(0);
        self.refilter(ctx);
        self.select_lead(0, ctx);
    }

    fn filter_key(&mut self, key: KeyEvent, ctx: &ViewCtx) {
        match key.code {
            KeyCode::Esc => {
                self.filter_typing = false;
                self.set_filter(String::new(), ctx);
            }
            KeyCode::Enter | KeyCode::Tab => self.filter_typing = false,
            KeyCode::Backspace => {
                let mut f = self.filter.clone();
                f.pop();
                self.set_filter(f, ctx);
            }
            KeyCode::Up => self.move_cursor(Move::By(-1), ctx),
            KeyCode::Down => self.move_cursor(Move::By(1), ctx),
            _ => {
                if let Some(c) = plain_char(key)
                    && self.filter.chars().count() < FILTER_MAX_CHARS
                {
                    let mut f = self.filter.clone();
                    f.push(c);
                    self.set_filter(f, ctx);
                }
            }
        }
    }

    /// `>`, `<` or `n` on the focused pane's highlighted lead.
    fn start_action(&mut self, choice: ActionChoice, ctx: &ViewCtx) {
        match self.target_lead(ctx) {
            Some(lead) => {
                self.open_action(choice, lead, ctx);
            }
            None => {
                self.message = Some(match self.focus {
                    Pane::Leads | Pane::Breaches => "no lead selected".into(),
                    _ => "pick a lead first: 2 Leads or 4 Breaches".into(),
                });
            }
        }
    }

    /// Open the dialog for `choice` on `lead`, or explain in the footer why not.
    fn open_action(&mut self, choice: ActionChoice, lead: &Lead, ctx: &ViewCtx) -> bool {
        if let Err(why) = check_action(choice, lead, ctx) {
            self.message = Some(why);
            return false;
        }
        self.dialog = Some(match choice {
            ActionChoice::HandOff => Dialog::HandOff(HandOff::new(lead)),
            ActionChoice::Recycle => Dialog::Recycle(Recycle::new(lead)),
            ActionChoice::Note => {
                Dialog::Note(NoteDraft::new(lead, campaign_choices(lead, ctx.snapshot)))
            }
        });
        true
    }

    fn dialog_key(&mut self, mut dialog: Dialog, key: KeyEvent, ctx: &ViewCtx) -> Vec<Command> {
        let lead = dialog_lead(&dialog);
        let outcome = match &mut dialog {
            Dialog::Help { scroll } => scroll_key(key, scroll, help::LINES.len(), &['?', 'q']),
            Dialog::Detail { lead_id, scroll } => match plain_char(key) {
                Some('>') => Outcome::Open(ActionChoice::HandOff, lead_id.clone()),
                Some('<') => Outcome::Open(ActionChoice::Recycle, lead_id.clone()),
                Some('n') => Outcome::Open(ActionChoice::Note, lead_id.clone()),
                _ if key.code == KeyCode::Enter => Outcome::Close,
                _ => scroll_key(key, scroll, 100, &['q']),
            },
            Dialog::HandOff(d) => handoff::on_key(d, key, ctx, self.turn),
            Dialog::Recycle(d) => recycle::on_key(d, key),
            Dialog::Note(d) => note::on_key(d, key),
        };
        match outcome {
            Outcome::Stay => self.dialog = Some(dialog),
            Outcome::Say(msg) => {
                self.message = Some(msg);
                self.dialog = Some(dialog);
            }
            Outcome::Close => {}
            Outcome::Open(choice, id) => match ctx.store.lead(&id) {
                Some(lead) => {
                    if !self.open_action(choice, lead, ctx) {
                        self.dialog = Some(dialog);
                    }
                }
                None => self.message = Some("this lead is no longer in the data".into()),
            },
            Outcome::Submit(kind) => {
                let Some((lead_id, lead_name)) = lead else {
                    return Vec::new();
                };
                if matches!(dialog, Dialog::HandOff(_)) {
                    self.turn = self.turn.wrapping_add(1);
                }
                return vec![Command::Submit {
                    lead_id,
                    lead_name,
                    kind,
                }];
            }
        }
        Vec::new()
    }
}

/// Esc or one of `close` keys closes; ↑/↓/PgUp/PgDn scroll up to `max`.
fn scroll_key(key: KeyEvent, scroll: &mut u16, max: usize, close: &[char]) -> Outcome {
    if key.code == KeyCode::Esc || plain_char(key).is_some_and(|c| close.contains(&c)) {
        return Outcome::Close;
    }
    if let Some(m) = movement(key) {
        *scroll = apply(usize::from(*scroll), max, 10, m) as u16;
    }
    Outcome::Stay
}

fn dialog_lead(dialog: &Dialog) -> Option<(String, String)> {
    match dialog {
        Dialog::HandOff(d) => Some((d.lead_id.clone(), d.lead_name.clone())),
        Dialog::Recycle(d) => Some((d.lead_id.clone(), d.lead_name.clone())),
        Dialog::Note(d) => Some((d.lead_id.clone(), d.lead_name.clone())),
        Dialog::Help { .. } | Dialog::Detail { .. } => None,
    }
}

/// Why an action can't be taken on this lead right now, in words for the footer.
fn check_action(choice: ActionChoice, lead: &Lead, ctx: &ViewCtx) -> Result<(), String> {
    let name = &lead.name;
    if has_pending(ctx.outbox, &lead.id) {
        return Err(format!(
            "an action on {name} is still pending; wait for it to land"
        ));
    }
    let stage = lead.stage;
    let stage_id = stage.map_or("unmapped", Stage::id);
    match choice {
        ActionChoice::HandOff => {
            if !stage.is_some_and(Stage::can_hand_off) {
                return Err(match stage {
                    Some(s) if s.team() == Some(Team::Sales) => {
                        format!("can't hand off {name}: already with sales ({stage_id})")
                    }
                    _ => format!(
                        "can't hand off {name} ({stage_id}): only inquiry, mql and nurture leads go to sales"
                    ),
                });
            }
            if sales_rotation(ctx).is_empty() {
                return Err("can't hand off: no sales owners in the CRM".into());
            }
        }
        ActionChoice::Recycle => {
            if !stage.is_some_and(Stage::can_recycle) {
                return Err(format!(
                    "can't recycle {name} ({stage_id}): only mql, sal and sql leads go back to nurture"
                ));
            }
        }
        ActionChoice::Note => {
            if campaign_choices(lead, ctx.snapshot).is_empty() {
                return Err(format!(
                    "no campaign on record for {name} to give feedback on"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::domain::action::{ActionKind, round_robin};
    use crate::domain::feedback::{RecycleReason, Verdict};
    use crate::domain::snapshot::stage_index;
    use crate::ui::fixture::Fixture;

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

    /// A UI on the MQL stage with the named lead selected.
    fn on_lead(fx: &Fixture, name: &str) -> UiState {
        let mut ui = UiState::new(true);
        let ctx = fx.ctx();
        ui.on_data_changed(&ctx);
        let stage = fx
            .store
            .leads()
            .iter()
            .find(|l| l.name == name)
            .unwrap()
            .stage
            .unwrap();
        ui.set_stage(stage_index(stage), &ctx);
        let pos = ui
            .visible_leads(&ctx)
            .iter()
            .position(|&i| fx.store.leads()[i].name == name)
            .unwrap();
        ui.select_lead(pos, &ctx);
        ui
    }

    #[test]
    fn hand_off_submits_the_round_robin_owner_only_after_y() {
        let fx = Fixture::new();
        let mut ui = on_lead(&fx, "Priya Natarajan");
        let opened = press(&mut ui, &fx, &[ch('>')]);
        assert!(opened.is_empty());
        assert!(matches!(ui.dialog, Some(Dialog::HandOff(_))));
        // Moving the chooser around and back sends nothing.
        assert!(press(&mut ui, &fx, &[key(KeyCode::Right), key(KeyCode::Left)]).is_empty());
        let expected = round_robin(fx.store.owners(), Team::Sales, 0)
            .unwrap()
            .id
            .clone();
        let cmds = press(&mut ui, &fx, &[ch('y')]);
        assert_eq!(
            cmds,
            vec![Command::Submit {
                lead_id: "mql-breached".into(),
                lead_name: "Priya Natarajan".into(),
                kind: ActionKind::HandOff {
                    owner_id: expected.clone()
                },
            }]
        );
        assert!(ui.dialog.is_none());
        // The rotation moved on: the next hand-off proposes the other sales owner.
        let mut ui2 = on_lead(&fx, "Tom Becker");
        ui2.turn = ui.turn;
        let cmds = press(&mut ui2, &fx, &[ch('>'), ch('y')]);
        let next = round_robin(fx.store.owners(), Team::Sales, 1)
            .unwrap()
            .id
            .clone();
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
        let second = round_robin(fx.store.owners(), Team::Sales, 1)
            .unwrap()
            .id
            .clone();
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
            assert_eq!(ui.turn, 0);
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
        assert_eq!(ui.current_stage(), Stage::Inquiry);
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
                    reason: RecycleReason::NoResponse,
                    note: "no reply, try in Q1 ye".into(),
                },
            }]
        );
    }

    #[test]
    fn feedback_with_empty_text_is_refused() {
        let fx = Fixture::new();
        let mut ui = on_lead(&fx, "Priya Natarajan");
        press(&mut ui, &fx, &[ch('n')]);
        assert!(matches!(ui.dialog, Some(Dialog::Note(_))));
        let ctrl_s = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
        // Whitespace only counts as empty, by Ctrl-S and by y on a chooser field.
        let mut keys = typed("   ");
        keys.extend([ctrl_s, key(KeyCode::Tab), ch('y')]);
        assert!(press(&mut ui, &fx, &keys).is_empty());
        assert!(
            matches!(ui.dialog, Some(Dialog::Note(_))),
            "the dialog stays open"
        );
        assert_eq!(ui.message.as_deref(), Some(note::EMPTY_REFUSAL));
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
            }]
        );
    }

    #[test]
    fn question_mark_opens_help_and_q_closes_it_without_quitting() {
        let fx = Fixture::new();
        let mut ui = on_lead(&fx, "Priya Natarajan");
        assert!(press(&mut ui, &fx, &[ch('?')]).is_empty());
        assert!(matches!(ui.dialog, Some(Dialog::Help { .. })));
        assert!(press(&mut ui, &fx, &[ch('q')]).is_empty());
        assert!(ui.dialog.is_none());
        press(&mut ui, &fx, &[ch('?')]);
        press(&mut ui, &fx, &[key(KeyCode::Esc)]);
        assert!(ui.dialog.is_none());
    }

    #[test]
    fn q_quits_r_refreshes_and_ctrl_c_quits_from_a_dialog() {
        let fx = Fixture::new();
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
        let n = fx.snapshot.stage_leads[mql].len();
        ui.select_lead(n - 1, &ctx);
        let last_id = ui.lead_sel_id.clone().unwrap();
        fx.move_lead(&last_id, Stage::Sal);
        let ctx = fx.ctx();
        ui.on_data_changed(&ctx);
        assert_eq!(ui.lead_sel, n - 2);
        assert_ne!(ui.lead_sel_id.as_deref(), Some(last_id.as_str()));
        assert!(ui.selected_lead(&ctx).is_some());
    }

    #[test]
    fn selection_follows_the_lead_by_id_when_the_order_changes() {
        let mut fx = Fixture::new();
        let mut ui = on_lead(&fx, "Maria Lopez");
        let before = ui.lead_sel;
        // The lead ahead of her leaves; she is still selected at her new position.
        let first = fx.snapshot.stage_leads[stage_index(Stage::Mql)][0];
        let first_id = fx.store.leads()[first].id.clone();
        fx.move_lead(&first_id, Stage::Sal);
        ui.on_data_changed(&fx.ctx());
        assert_eq!(ui.lead_sel, before - 1);
        assert_eq!(ui.selected_lead(&fx.ctx()).unwrap().name, "Maria Lopez");
    }

    #[test]
    fn filter_narrows_and_esc_clears() {
        let fx = Fixture::new();
        let mut ui = on_lead(&fx, "Priya Natarajan");
        let mut keys = vec![ch('/')];
        keys.extend(typed("SOLTECH"));
        keys.push(key(KeyCode::Enter));
        press(&mut ui, &fx, &keys);
        let ctx = fx.ctx();
        assert_eq!(ui.visible_leads(&ctx).len(), 1);
        assert_eq!(ui.selected_lead(&ctx).unwrap().name, "Maria Lopez");
        // After ⏎ the filter stays and keys act again: `q` quits rather than typing.
        assert_eq!(press(&mut ui, &fx, &[ch('q')]), vec![Command::Quit]);
        press(&mut ui, &fx, &[key(KeyCode::Esc)]);
        let all = fx.snapshot.stage_leads[stage_index(Stage::Mql)].len();
        assert_eq!(ui.visible_leads(&fx.ctx()).len(), all);
    }

    #[test]
    fn movement_keys_and_stage_switching() {
        let fx = Fixture::new();
        let mut ui = UiState::new(true);
        ui.on_data_changed(&fx.ctx());
        let mql_len = fx.snapshot.stage_leads[stage_index(Stage::Mql)].len();
        press(&mut ui, &fx, &[ch('G')]);
        assert_eq!(ui.lead_sel, mql_len - 1);
        press(
            &mut ui,
            &fx,
            &[ch('g'), key(KeyCode::Down), ch('j'), ch('k')],
        );
        assert_eq!(ui.lead_sel, 1);
        press(&mut ui, &fx, &[key(KeyCode::PageDown)]);
        assert_eq!(ui.lead_sel, mql_len - 1);
        press(&mut ui, &fx, &[key(KeyCode::Right)]);
        assert_eq!(ui.current_stage(), Stage::Sal);
        assert_eq!(ui.lead_sel, 0);
        press(&mut ui, &fx, &[ch('1'), key(KeyCode::Up), key(KeyCode::Up)]);
        assert_eq!(ui.focus, Pane::Pipeline);
        assert_eq!(ui.current_stage(), Stage::Inquiry);
        press(&mut ui, &fx, &[key(KeyCode::Enter)]);
        assert_eq!(ui.focus, Pane::Leads);
        press(&mut ui, &fx, &[key(KeyCode::Enter)]);
        assert!(matches!(ui.dialog, Some(Dialog::Detail { .. })));
    }

    #[test]
    fn actions_need_a_lead_pane_and_the_breaches_pane_targets_its_lead() {
        let fx = Fixture::new();
        let mut ui = UiState::new(true);
        ui.on_data_changed(&fx.ctx());
        press(&mut ui, &fx, &[ch('3'), ch('>')]);
        assert!(ui.dialog.is_none());
        assert!(ui.message.is_some());
        // The most overdue breach is the nurture lead: it can be handed off from there.
        press(&mut ui, &fx, &[ch('4'), ch('>')]);
        let Some(Dialog::HandOff(d)) = &ui.dialog else {
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
        assert!(matches!(ui.dialog, Some(Dialog::Recycle(_))));
        press(&mut ui, &fx, &[key(KeyCode::Esc)]);
        assert!(ui.dialog.is_none());
        let mut ui = on_lead(&fx, "Lena Hoffmann");
        press(&mut ui, &fx, &[key(KeyCode::Enter), ch('<')]);
        assert!(
            matches!(ui.dialog, Some(Dialog::Detail { .. })),
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
}
