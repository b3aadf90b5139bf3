//! Actions on their way to the outbox: who is acting, what a recycle follows through with,
//! the undo, and the user's decisions on entries (cancel, retry, confirm a conflict).

use chrono::{DateTime, Utc};

use super::{App, OUTBOX_HISTORY};
use crate::domain::action::{Action, ActionKind, ActionStatus, Actor, OutboxEntry};
use crate::sync::SourceCommand;

impl App {
    /// `u`: cancel the action if it is not sent yet, else queue its inverse, which expects
    /// the record as the action left it (anything newer is a conflict, as for any action).
    pub(super) fn undo(&mut self, id: u64) {
        let Some(entry) = self.model.outbox.iter().find(|e| e.id() == id).cloned() else {
            return;
        };
        let now = self.model.now;
        let action = &entry.action;
        // An undone hand-off gives its rotation turn back, sent or not.
        if matches!(action.kind, ActionKind::HandOff { .. }) {
            if let Err(e) = self.outgoing.outbox.give_back_turn(id) {
                tracing::warn!(error = %e, "cannot give the rotation turn back");
            }
            self.reload_turns();
        }
        if entry.status == ActionStatus::Queued
            && let Ok(true) = self.outgoing.outbox.cancel(id, now)
        {
            if let Some(slot) = self.model.outbox.iter_mut().find(|e| e.id() == id) {
                slot.status = ActionStatus::Cancelled;
                slot.updated_at = now;
            }
            self.ui.message = Some(format!(
                "undone: {} {} cancelled before it was sent",
                action.verb(),
                action.lead_name
            ));
            return;
        }
        let vendor = self.outgoing.vendor;
        let Some(kind) = vendor.inverse(action) else {
            return;
        };
        let seen = vendor.expected_after(action);
        let steps = vendor.step_count(&kind);
        let what = self.describe(&kind);
        let restore = Action::new(
            &action.lead_id,
            &action.lead_name,
            kind,
            seen,
            self.actor(),
            now,
        );
        match self
            .outgoing
            .outbox
            .enqueue(&self.outgoing.key, restore, steps, &what, None)
        {
            Ok(Some(restore)) => {
                self.ui.message = Some(format!(
                    "undoing {} {}: putting the lead back as it was",
                    action.verb(),
                    action.lead_name
                ));
                self.model.outbox.push(OutboxEntry {
                    action: restore,
                    status: ActionStatus::Queued,
                    updated_at: now,
                });
                self.wake_senders();
            }
            Ok(None) => {}
            Err(e) => {
                self.ui.message = Some(format!("not undone: cannot write the local outbox ({e})"))
            }
        }
    }

    /// Apply the user's decision on an outbox entry, then show it as the file has it.
    pub(super) fn decide(&mut self, op: crate::ui::OutboxOp) {
        use crate::ui::OutboxOp;
        let outbox = &self.outgoing.outbox;
        let now = self.model.now;
        let (id, result, said) = match op {
            OutboxOp::Cancel(id) => (id, outbox.cancel(id, now), "dropped"),
            OutboxOp::Retry(id) => (id, outbox.requeue(id, now), "queued again"),
            // Sent over the record as the conflict showed it.
            OutboxOp::Confirm(id) => (id, outbox.requeue(id, now), "sent again"),
        };
        self.ui.message = Some(match result {
            Ok(true) => format!("#{id} {said}"),
            Ok(false) => format!("#{id} changed meanwhile (sent or decided elsewhere)"),
            Err(e) => format!("cannot write the local outbox: {e}"),
        });
        if let Ok(Some(fresh)) = outbox.get(id)
            && let Some(slot) = self.model.outbox.iter_mut().find(|e| e.id() == id)
        {
            *slot = fresh;
        }
        self.wake_senders();
    }

    /// Tell the sources an action waits; each one sends the actions filed under its own key.
    fn wake_senders(&self) {
        for tx in &self.sources {
            let _ = tx.send(SourceCommand::Send);
        }
    }

    /// Who is acting: the user, and the CRM owner with their email (or, for a bare OS user
    /// name, the one owner whose address starts with it).
    pub(super) fn actor(&self) -> Actor {
        let user = self.outgoing.user.clone();
        let owner_id =
            crate::domain::lens::identify(self.model.store.owners(), &user).map(|o| o.id.clone());
        Actor { user, owner_id }
    }

    /// Write the action to the outbox (one transaction, before any HTTP call), then wake the
    /// source. It carries the lead as the user saw it, for the conflict check.
    pub(super) fn submit(
        &mut self,
        lead_id: String,
        lead_name: String,
        kind: ActionKind,
        turn: Option<(String, usize)>,
    ) {
        let Some(lead) = self.model.store.lead(&lead_id) else {
            self.ui.message = Some("not sent: this lead is no longer in the data".into());
            return;
        };
        let seen = self.outgoing.vendor.seen(lead);
        let now = self.model.now;
        let kind = self.follow_through(kind, now);
        let what = self.describe(&kind);
        let steps = self.outgoing.vendor.step_count(&kind);
        let action = Action::new(&lead_id, &lead_name, kind, seen, self.actor(), now);
        let turn = turn.as_ref().map(|(r, t)| (r.as_str(), *t));
        let queued = self
            .outgoing
            .outbox
            .enqueue(&self.outgoing.key, action, steps, &what, turn);
        self.reload_turns();
        let action = match queued {
            Ok(Some(action)) => action,
            Ok(None) => {
                self.ui.message = Some(
                    "not handed off: another cockpit just took that turn of the rotation; press > again for the next owner"
                        .into(),
                );
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot write the outbox");
                self.ui.message = Some(format!("not sent: cannot write the local outbox ({e})"));
                return;
            }
        };
        tracing::info!(id = action.id, key = %action.key, verb = action.verb(), user = %action.actor.user, "action queued");
        self.wake_senders();
        self.model.outbox.push(OutboxEntry {
            action,
            status: ActionStatus::Queued,
            updated_at: now,
        });
        if self.model.outbox.len() > OUTBOX_HISTORY
            && let Some(pos) = self.model.outbox.iter().position(|e| !e.status.is_open())
        {
            // Only settled entries leave the view; the outbox file keeps them all.
            self.model.outbox.remove(pos);
        }
    }

    /// A recycle follows the policy through: the nurture owner takes the lead, and the
    /// revisit day (a working day) is written to the agreed property.
    pub(super) fn follow_through(&mut self, kind: ActionKind, now: DateTime<Utc>) -> ActionKind {
        let (reason, note, reject) = match kind {
            ActionKind::Recycle { reason, note, .. } => (reason, note, false),
            // A rejection back to nurture follows the same path as a recycle.
            ActionKind::Reject {
                reason,
                note,
                recycle: true,
                ..
            } => (reason, note, true),
            other => return other,
        };
        let policy = &self.model.config.recycle;
        let owner_id = policy.nurture_owner.as_deref().and_then(|name| {
            let found =
                crate::domain::handoff::owner_by_email_or_id(self.model.store.owners(), name);
            if found.is_none() {
                tracing::warn!(name, "the nurture owner in the config matches no CRM owner");
            }
            found.map(|o| o.id.clone())
        });
        let revisit = policy.revisit_property.clone().and_then(|p| {
            policy
                .revisit_day(&reason, now, &self.model.config.calendar)
                .map(|d| (p, d))
        });
        if reject {
            return ActionKind::Reject {
                reason,
                recycle: true,
                note,
                owner_id,
                revisit,
            };
        }
        ActionKind::Recycle {
            reason,
            note,
            owner_id,
            revisit,
        }
    }

    /// The intended change in words, for the audit log.
    pub(super) fn describe(&self, kind: &ActionKind) -> String {
        // Owners by name (with their id), as the audit log is read by people.
        let owner = |id: &str| {
            let name = self
                .model
                .store
                .owners()
                .iter()
                .find(|o| o.id == id)
                .map_or(id.to_string(), |o| o.name.clone());
            format!("{name} ({id})")
        };
        let nurture = |owner_id: &Option<String>, revisit: &Option<(String, chrono::NaiveDate)>| {
            let mut what = String::new();
            if let Some(o) = owner_id {
                what.push_str(&format!(", to {}", owner(o)));
            }
            if let Some((_, day)) = revisit {
                what.push_str(&format!(", revisit {day}"));
            }
            what
        };
        match kind {
            ActionKind::HandOff { owner_id } => format!("to {}", owner(owner_id)),
            ActionKind::Recycle {
                reason,
                owner_id,
                revisit,
                ..
            } => format!("reason {reason}{}", nurture(owner_id, revisit)),
            ActionKind::Feedback {
                campaign, verdict, ..
            } => format!("{campaign}: {}", verdict.label()),
            ActionKind::Restore {
                stage: lifecycle,
                undoes,
                ..
            } => format!("undo {undoes}: back to {lifecycle}"),
            ActionKind::Accept { owner_id } => format!("as owner {}", owner(owner_id)),
            ActionKind::Reject {
                reason,
                recycle,
                owner_id,
                revisit,
                ..
            } => format!(
                "reason {reason}, then {}{}",
                if *recycle { "recycle" } else { "disqualify" },
                nurture(owner_id, revisit)
            ),
        }
    }
}
