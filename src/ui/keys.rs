//! Key handling. Keys go to the open dialog first, then to the filter while typing, then to
//! the focused pane. Ctrl-C always quits. Nothing here panics on any key in any state.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::domain::{Lead, Stage, Team};

use super::breaches::Breaches;
use super::handoff::{self, HandOff};
use super::note::{self, NoteDraft, campaign_choices};
use super::recycle::{self, Recycle};
use crate::domain::kpi::PeriodKind;

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
        let quit_armed = std::mem::take(&mut self.quit_armed);
        if let Some(dialog) = self.dialog.take() {
            return self.dialog_key(dialog, key, ctx);
        }
        if self.filter_typing {
            self.filter_key(key, ctx);
            return Vec::new();
        }
        if plain_char(key) == Some('q') {
            return self.quit_key(quit_armed, ctx);
        }
        self.pane_key(key, ctx)
    }

    /// `q` with actions still unconfirmed asks once more: quitting would drop them.
    fn quit_key(&mut self, armed: bool, ctx: &ViewCtx) -> Vec<Command> {
        let pending = ctx
            .outbox
            .iter()
            .filter(|e| e.status == crate::sync::ActionStatus::Pending)
            .count();
        if pending == 0 || armed {
            return vec![Command::Quit];
        }
        self.quit_armed = true;
        self.message = Some(format!(
            "{pending} action(s) not yet confirmed by the CRM; q again quits and drops them"
        ));
        Vec::new()
    }

    fn pane_key(&mut self, key: KeyEvent, ctx: &ViewCtx) -> Vec<Command> {
        if let Some(m) = movement(key) {
            self.move_cursor(m, ctx);
            return Vec::new();
        }
        match (key.code, plain_char(key)) {
            (_, Some('r')) => return vec![Command::Refresh],
            (_, Some('p')) => {
                let now = ctx.snapshot.period.map_or(PeriodKind::Week, |p| p.kind);
                let all = PeriodKind::ALL;
                let next = all[(all.iter().position(|k| *k == now).unwrap_or(0) + 1) % all.len()];
                self.kpi_scroll = 0;
                return vec![Command::SetPeriod(next)];
            }
            (_, Some('m')) => {
                let n = ctx.snapshot.attribution.len().max(1);
                self.model_index = (self.model_index + 1) % n;
                self.model_chosen = true;
            }
            (_, Some('?')) => self.dialog = Some(Dialog::Help { scroll: 0 }),
            (_, Some('d')) if matches!(self.focus, Pane::Pipeline | Pane::Leads) => {
                self.dialog = Some(Dialog::Stage {
                    stage: self.current_stage(),
                    scroll: 0,
                });
            }
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
            Pane::Kpis => {
                let len = super::kpis::line_count(self, ctx);
                self.kpi_scroll = apply(self.kpi_scroll, len, 5, m);
            }
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
            ActionChoice::HandOff => Dialog::HandOff(HandOff::new(lead, ctx, &self.turns)),
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
            Dialog::Help { scroll } => scroll_key(key, scroll, self.scroll_len(), &['?', 'q']),
            Dialog::Stage { scroll, .. } => scroll_key(key, scroll, self.scroll_len(), &['d', 'q']),
            Dialog::Detail { lead_id, scroll } => match plain_char(key) {
                Some('>') => Outcome::Open(ActionChoice::HandOff, lead_id.clone()),
                Some('<') => Outcome::Open(ActionChoice::Recycle, lead_id.clone()),
                Some('n') => Outcome::Open(ActionChoice::Note, lead_id.clone()),
                _ if key.code == KeyCode::Enter => Outcome::Close,
                _ => scroll_key(key, scroll, self.scroll_len(), &['q']),
            },
            Dialog::HandOff(d) => handoff::on_key(d, key, ctx),
            Dialog::Recycle(d) => recycle::on_key(d, key, ctx),
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
                if let Dialog::HandOff(d) = &dialog {
                    // The rotation moves on only for a confirmed hand-off.
                    *self.turns.entry(d.rotation_key.clone()).or_default() += 1;
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
impl UiState {
    /// Scroll positions the open dialog has (its last drawn maximum, plus the top).
    fn scroll_len(&self) -> usize {
        usize::from(self.dialog_scroll_max.get()).saturating_add(1)
    }
}

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
        Dialog::Help { .. } | Dialog::Detail { .. } | Dialog::Stage { .. } => None,
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
                    Some(s) if ctx.config.stages.team(s) == Some(Team::Sales) => {
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
#[path = "keys_tests.rs"]
mod tests;
