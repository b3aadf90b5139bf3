//! Key dispatch. Keys go to the open dialog first, then to the search line while typing,
//! then through the key table (`keymap.rs`) to an action. Ctrl-C always quits. Nothing here
//! panics on any key in any state.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

use crate::domain::Lead;
use crate::domain::Stage;
use crate::domain::breach::Filter;
use crate::domain::handoff::{self, ActionChoice, LeadFacts};
use crate::domain::kpi::PeriodKind;

use super::dialogs::accounts::Accounts;
use super::dialogs::detail::Detail;
use super::dialogs::handoff::HandOff;
use super::dialogs::help::Help;
use super::dialogs::note::{NoteDraft, campaign_choices};
use super::dialogs::outbox::Outbox as OutboxView;
use super::dialogs::problems::{self, Problems};
use super::dialogs::recycle::Recycle;
use super::dialogs::respond::Respond;
use super::dialogs::stage_info::StageInfo;
use super::dialogs::standup::Standup;
use super::dialogs::thread::Thread;
use super::dialogs::{Dialog, Outcome};
use super::keymap::{Action, lookup};
use super::panes::Pane;
use super::panes::breaches::{self, Breaches};
use super::widgets::cursor::{Move, apply};
use super::widgets::input::{ctrl, plain_char};
use super::widgets::spans::has_pending;
use super::{Command, UiState, ViewCtx};

impl UiState {
    /// Returns commands for the app; mutates only UI state. Never panics.
    pub fn handle_key(&mut self, key: KeyEvent, ctx: &ViewCtx) -> Vec<Command> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        if ctrl(key, 'c') {
            return vec![Command::Quit];
        }
        self.message = None;
        let quit_armed = std::mem::take(&mut self.quit_armed);
        if let Some(dialog) = self.dialog.take() {
            return self.dialog_key(dialog, key, ctx);
        }
        if self.leads.typing {
            self.search_key(key, ctx);
            return Vec::new();
        }
        match lookup(key, self.focus) {
            Some(Action::Quit) => self.quit_key(quit_armed, ctx),
            Some(action) => self.perform(action, ctx),
            None => Vec::new(),
        }
    }

    /// `q` with actions still unsent: a durable outbox keeps them for the next start (the
    /// app says so on the way out); without one, quitting would drop them, so it asks once
    /// more.
    fn quit_key(&mut self, armed: bool, ctx: &ViewCtx) -> Vec<Command> {
        let pending = ctx.outbox.iter().filter(|e| e.status.is_open()).count();
        if pending == 0 || armed || ctx.durable_outbox {
            return vec![Command::Quit];
        }
        self.quit_armed = true;
        self.message = Some(format!(
            "{pending} action(s) not yet sent and no local outbox keeps them: q again quits and drops them"
        ));
        Vec::new()
    }

    /// Whether `action` does something right now (the footer offers only those).
    pub(crate) fn applies(&self, action: Action, ctx: &ViewCtx) -> bool {
        let lead = || self.target_lead(ctx);
        match action {
            Action::Open if self.focus.lists_leads() => lead().is_some(),
            Action::HandOff | Action::Recycle | Action::Note | Action::Accept | Action::Reject
                if self.read_only =>
            {
                false
            }
            Action::Accept => {
                lead().is_some_and(|l| handoff::offered(ActionChoice::Accept, l.stage))
            }
            Action::Reject => {
                lead().is_some_and(|l| handoff::offered(ActionChoice::Reject, l.stage))
            }
            Action::Outbox => !ctx.outbox.is_empty(),
            Action::Undo => !self.read_only && undoable(ctx).is_some(),
            Action::HandOff => {
                lead().is_some_and(|l| handoff::offered(ActionChoice::HandOff, l.stage))
            }
            Action::Recycle => {
                lead().is_some_and(|l| handoff::offered(ActionChoice::Recycle, l.stage))
            }
            Action::Note if self.focus == Pane::Feedback => {
                ctx.snapshot.feedback.get(self.feedback_scroll).is_some()
            }
            Action::Note => lead().is_some(),
            Action::Move(_) if self.focus == Pane::Breaches => lead().is_some(),
            Action::ClearSearch => !self.leads.search.is_empty(),
            Action::Problems => problems::any(ctx),
            _ => true,
        }
    }

    fn perform(&mut self, action: Action, ctx: &ViewCtx) -> Vec<Command> {
        match action {
            Action::Quit => return vec![Command::Quit],
            Action::Refresh => return vec![Command::Refresh],
            Action::Period => {
                let now = ctx.snapshot.period.map_or(PeriodKind::Week, |p| p.kind);
                let all = PeriodKind::ALL;
                let next = all[(all.iter().position(|k| *k == now).unwrap_or(0) + 1) % all.len()];
                self.kpis.scroll = 0;
                return vec![Command::SetPeriod(next)];
            }
            Action::Model => self.kpis.next_model(ctx),
            Action::ShowN => self.kpis.show_n = !self.kpis.show_n,
            Action::BreachTeam => {
                self.set_breach_filter(breaches::next_team(self.breach_filter), ctx)
            }
            Action::BreachSla => {
                self.set_breach_filter(breaches::next_sla(self.breach_filter, ctx), ctx)
            }
            Action::Help => self.open_dialog(Box::new(Help::default())),
            Action::Problems => self.open_dialog(Box::new(Problems::default())),
            Action::Definition => self.open_dialog(Box::new(StageInfo::new(self.leads.stage()))),
            Action::NextPane => self.focus = self.focus.next(),
            Action::PrevPane => self.focus = self.focus.prev(),
            Action::Focus(pane) => self.focus = pane,
            Action::Move(m) => self.move_cursor(m, ctx),
            Action::PrevStage => self
                .leads
                .set_stage(self.leads.stage.saturating_sub(1), ctx),
            Action::NextStage => self.leads.set_stage(self.leads.stage + 1, ctx),
            Action::Search => {
                self.focus = Pane::Leads;
                self.leads.typing = true;
            }
            Action::ClearSearch => {
                if !self.leads.search.is_empty() {
                    self.leads.set_search(String::new(), ctx);
                }
            }
            Action::Open => match self.focus {
                Pane::Pipeline => self.focus = Pane::Leads,
                Pane::Feedback => match ctx.snapshot.feedback.get(self.feedback_scroll) {
                    Some(r) => self.open_dialog(Box::new(Thread::new(&r.campaign))),
                    None => self.message = Some("no feedback yet".into()),
                },
                _ => match self.target_lead(ctx) {
                    Some(lead) => self.open_dialog(Box::new(Detail::new(&lead.id))),
                    None => self.message = Some("no lead selected".into()),
                },
            },
            Action::HandOff
            | Action::Recycle
            | Action::Note
            | Action::Undo
            | Action::Accept
            | Action::Reject
                if self.read_only =>
            {
                self.message = Some("read-only: actions are off (W turns them back on)".into());
            }
            Action::HandOff => self.start_action(ActionChoice::HandOff, ctx),
            Action::Recycle => self.start_action(ActionChoice::Recycle, ctx),
            Action::Note if self.focus == Pane::Feedback => self.note_on_campaign(ctx),
            Action::Note => self.start_action(ActionChoice::Note, ctx),
            Action::Accept => self.start_action(ActionChoice::Accept, ctx),
            Action::Reject => self.start_action(ActionChoice::Reject, ctx),
            Action::Outbox => self.open_dialog(Box::new(OutboxView::default())),
            Action::Standup => self.open_dialog(Box::new(Standup::default())),
            Action::WhatIf => {
                self.open_dialog(Box::new(crate::ui::dialogs::whatif::WhatIf::default()))
            }
            Action::Accounts => self.open_dialog(Box::new(Accounts::default())),
            Action::Lens => return vec![Command::NextLens],
            Action::PrevLens => return vec![Command::PrevLens],
            Action::Undo => match undoable(ctx) {
                Some(id) => return vec![Command::Undo(id)],
                None => {
                    self.message = Some(format!(
                        "nothing to undo: u takes back a hand-off, accept, reject or recycle for {}s after it",
                        ctx.config.undo_window.num_seconds()
                    ))
                }
            },
            // A locked screen (`--locked`) stays read-only whatever is pressed at it.
            Action::ReadOnly if self.read_only_locked => {
                self.message =
                    Some("read-only is locked (--locked): restart without it to act".into());
            }
            Action::ReadOnly => {
                self.read_only = !self.read_only;
                self.message = Some(
                    if self.read_only {
                        "read-only: every action is off"
                    } else {
                        "actions are on again"
                    }
                    .into(),
                );
            }
        }
        Vec::new()
    }

    /// A new breach filter: the list starts again at its most urgent row.
    fn set_breach_filter(&mut self, filter: Filter, ctx: &ViewCtx) {
        self.breach_filter = filter;
        let all = Breaches::collect(ctx, filter);
        self.breaches.reset();
        self.breaches
            .select(0, all.len(), |i| all.lead_at(ctx, i).map(str::to_string));
    }

    fn move_cursor(&mut self, m: Move, ctx: &ViewCtx) {
        match self.focus {
            Pane::Pipeline => {
                let n = Stage::ALL.len();
                self.leads.set_stage(apply(self.leads.stage, n, n, m), ctx);
            }
            Pane::Leads => self.leads.move_by(m, ctx),
            Pane::Breaches => {
                let all = Breaches::collect(ctx, self.breach_filter);
                let mut probe = self.breaches.clone();
                probe.move_by(m, all.len(), |_| None);
                let id = all.lead_at(ctx, probe.pos()).map(str::to_string);
                self.breaches.select(probe.pos(), all.len(), |_| id);
            }
            Pane::Feedback => {
                let len = ctx.snapshot.feedback.len();
                self.feedback_scroll = apply(self.feedback_scroll, len, 4, m);
            }
            Pane::Kpis => {
                let len = super::panes::kpis::line_count(self, ctx);
                self.kpis.scroll = apply(self.kpis.scroll, len, 5, m);
            }
        }
    }

    fn search_key(&mut self, key: KeyEvent, ctx: &ViewCtx) {
        match key.code {
            KeyCode::Esc => {
                self.leads.typing = false;
                self.leads.set_search(String::new(), ctx);
            }
            KeyCode::Enter | KeyCode::Tab => self.leads.typing = false,
            KeyCode::Backspace => {
                let mut s = self.leads.search.clone();
                s.pop();
                self.leads.set_search(s, ctx);
            }
            KeyCode::Up => self.leads.move_by(Move::By(-1), ctx),
            KeyCode::Down => self.leads.move_by(Move::By(1), ctx),
            _ => {
                if let Some(c) = plain_char(key) {
                    self.leads.push_search(c, ctx);
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
                self.message = Some(if self.focus.lists_leads() {
                    "no lead selected".into()
                } else {
                    "pick a lead first: 2 Leads or 4 Breaches".into()
                });
            }
        }
    }

    /// Open the dialog for `choice` on `lead`, or explain in the footer why not.
    /// `n` in the feedback pane: another note on the selected campaign, on the lead its
    /// latest feedback came from, with the campaign already chosen.
    fn note_on_campaign(&mut self, ctx: &ViewCtx) {
        use crate::domain::feedback::NoteKind;
        let Some(rollup) = ctx.snapshot.feedback.get(self.feedback_scroll) else {
            self.message = Some("no campaign selected".into());
            return;
        };
        // The campaign's leads, newest feedback first: the user's own lead if one has such
        // feedback, else the latest one (whose owner the dialog then names).
        let mut notes: Vec<_> = ctx
            .store
            .notes()
            .iter()
            .filter(|n| matches!(&n.kind, NoteKind::Feedback { campaign, .. } if *campaign == rollup.campaign))
            .collect();
        notes.sort_by_key(|n| std::cmp::Reverse(n.at));
        let leads: Vec<&Lead> = notes
            .iter()
            .flat_map(|n| n.lead_ids.iter().filter_map(|id| ctx.store.lead(id)))
            .collect();
        let mine = leads
            .iter()
            .find(|l| ctx.me.is_some() && l.owner_id.as_deref() == ctx.me)
            .copied();
        let latest = mine.or_else(|| leads.first().copied());
        let Some(lead) = latest else {
            self.message = Some(format!(
                "no lead on record for \"{}\": press n on a lead instead",
                rollup.campaign
            ));
            return;
        };
        if !self.open_action(ActionChoice::Note, lead, ctx) {
            return;
        }
        if let Some(dialog) = self.dialog.as_mut()
            && let Some(draft) =
                (dialog.as_mut() as &mut dyn std::any::Any).downcast_mut::<NoteDraft>()
        {
            if let Some(i) = draft.campaigns.iter().position(|c| *c == rollup.campaign) {
                draft.campaign = i;
            }
            // The campaign's other leads, to switch to with ←/→ on the lead field.
            draft.add_leads(
                leads
                    .iter()
                    .map(|l| (l.id.to_string(), l.name().to_string())),
            );
        }
    }

    fn open_action(&mut self, choice: ActionChoice, lead: &Lead, ctx: &ViewCtx) -> bool {
        let facts = LeadFacts {
            pending: has_pending(ctx.outbox, &lead.id),
            stage_team: lead.stage.and_then(|s| ctx.config.stages.team(s)),
            sales_owners: handoff::sales_owners(ctx.store.owners()).len(),
            campaigns: campaign_choices(lead, ctx.snapshot).len(),
            me: ctx.me.is_some(),
        };
        if let Err(why) = handoff::check(choice, lead, facts) {
            self.message = Some(why.explain(lead.name()));
            return false;
        }
        let dialog: Box<dyn Dialog> = match choice {
            ActionChoice::HandOff => Box::new(HandOff::new(lead, ctx, &self.turns)),
            ActionChoice::Recycle => Box::new(Recycle::new(lead)),
            ActionChoice::Note => {
                Box::new(NoteDraft::new(lead, campaign_choices(lead, ctx.snapshot)))
            }
            ActionChoice::Accept => Box::new(Respond::accept(lead)),
            ActionChoice::Reject => Box::new(Respond::reject(lead)),
        };
        self.open_dialog(dialog);
        true
    }

    fn dialog_key(
        &mut self,
        mut dialog: Box<dyn Dialog>,
        key: KeyEvent,
        ctx: &ViewCtx,
    ) -> Vec<Command> {
        match dialog.on_key(key, ctx) {
            Outcome::Stay => self.dialog = Some(dialog),
            Outcome::Say(msg) => {
                self.message = Some(msg);
                self.dialog = Some(dialog);
            }
            Outcome::Outbox(op) => {
                self.dialog = Some(dialog);
                return vec![Command::Outbox(op)];
            }
            Outcome::Search(text) => {
                self.focus = Pane::Leads;
                self.leads.set_search(text, ctx);
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
                let Some((lead_id, lead_name)) = dialog.lead() else {
                    return Vec::new();
                };
                let turn = dialog.rotation_turn(ctx);
                if let Some((rotation, _)) = &turn {
                    // The rotation moves on only for a confirmed hand-off (the app then
                    // takes the turn in the store, shared with other cockpits).
                    self.turns.advance(rotation);
                }
                return vec![Command::Submit {
                    lead_id: lead_id.to_string(),
                    lead_name: lead_name.to_string(),
                    kind,
                    turn,
                }];
            }
        }
        Vec::new()
    }
}

/// The newest undoable action still inside the undo window and not yet undone.
fn undoable(ctx: &ViewCtx) -> Option<u64> {
    use crate::domain::action::ActionKind;
    let undone = |key: &str| {
        ctx.outbox
            .iter()
            .any(|e| matches!(&e.action.kind, ActionKind::Restore { undoes, .. } if undoes == key))
    };
    let last = ctx.outbox.iter().rev().find(|e| e.action.undoable())?;
    let fresh = ctx.now - last.action.created_at <= ctx.config.undo_window;
    let live = last.status.is_open() || last.status == crate::domain::action::ActionStatus::Done;
    (fresh && live && !undone(&last.action.key)).then(|| last.id())
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
