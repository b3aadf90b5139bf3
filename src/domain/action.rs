//! What a person can do to a lead from the cockpit, before any vendor is involved.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::feedback::Verdict;

/// Identifies one action through the outbox, the write-back and the UI's lists: the
/// outbox row's id, so it is unique across every process sharing the data dir.
pub type ActionId = u64;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionKind {
    /// Marketing → sales: this sales owner gets the MQL, which waits in `mql` until the rep
    /// accepts or rejects it.
    HandOff { owner_id: String },
    /// Sales → marketing: back to nurture, with the reason written as a note.
    Recycle {
        /// A reason code from the recycle policy.
        reason: String,
        note: String,
        /// The marketing owner the lead passes to (the policy's nurture owner).
        #[serde(default)]
        owner_id: Option<String>,
        /// The working day marketing revisits it, and the contact property it is written to.
        #[serde(default)]
        revisit: Option<(String, chrono::NaiveDate)>,
    },
    /// Sales tells marketing whether a campaign's messaging works.
    Feedback {
        campaign: String,
        verdict: Verdict,
        text: String,
    },
    /// Sales takes an MQL: it becomes theirs (owner), in SAL.
    Accept { owner_id: String },
    /// Sales turns an MQL down for an agreed reason: disqualified, or recycled to nurture.
    Reject {
        reason: String,
        recycle: bool,
        note: String,
        /// Back to nurture follows a recycle's path: the nurture owner takes it …
        #[serde(default)]
        owner_id: Option<String>,
        /// … with the day to look again (the recycle reason of the same code's delay).
        #[serde(default)]
        revisit: Option<(String, chrono::NaiveDate)>,
    },
    /// Undo a sent hand-off, accept, reject or recycle: the lead back to the stage, status
    /// and owner it had, every stage date and the revisit day as they were before the
    /// action (from the vendor's history), and a recycle's or rejection's note withdrawn.
    Restore {
        /// The raw stage and status values to put back (see [`Seen`]).
        #[serde(alias = "lifecycle")]
        stage: String,
        #[serde(alias = "lead_status")]
        status: String,
        owner_id: Option<String>,
        /// When the owner was assigned before (`None`: never), written back explicitly.
        #[serde(default)]
        owner_assigned_at: Option<DateTime<Utc>>,
        /// The undone action's key (its note carries it).
        undoes: String,
        /// The undone action wrote a note to withdraw.
        withdraw_note: bool,
        /// A property the undone action set that had no value before (the revisit day):
        /// cleared, so the record is as if the action never ran.
        #[serde(default)]
        clear: Option<String>,
    },
}

/// The lead as the user saw it when they confirmed: the write is refused (a conflict) if
/// the CRM has moved on since.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Seen {
    /// The record's raw stage and status values as its vendor names them (not the mapped
    /// stage): what a conflict compares. Older outboxes wrote them as `lifecycle` and
    /// `lead_status`.
    #[serde(alias = "lifecycle")]
    pub stage: String,
    #[serde(alias = "lead_status")]
    pub status: String,
    pub owner_id: Option<String>,
    /// The record's last-modified value.
    pub updated_at: DateTime<Utc>,
    /// When the owner was assigned (HubSpot stamps it on every owner change): an undo
    /// writes it back so sales acceptance is not counted for a hand-off that was taken back.
    #[serde(default)]
    pub owner_assigned_at: Option<DateTime<Utc>>,
}

/// Who did it: the OS user (or `user` in the config) and the CRM owner whose email matches.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Actor {
    pub user: String,
    pub owner_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub id: ActionId,
    /// Unique across runs (alphanumeric, so a search can match it as one token): written
    /// into notes so a retry after an ambiguous failure can tell whether the note landed.
    pub key: String,
    pub lead_id: String,
    /// For messages in the UI ("handed off Jonas Weber").
    pub lead_name: String,
    pub kind: ActionKind,
    pub seen: Seen,
    pub actor: Actor,
    pub created_at: DateTime<Utc>,
}

impl Action {
    /// A new action, not yet in the outbox (id 0), with a fresh key. `seen` is the lead as
    /// the user was shown it.
    pub fn new(
        lead_id: &str,
        lead_name: &str,
        kind: ActionKind,
        seen: Seen,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Self {
        Action {
            id: 0,
            key: format!("tdm{:x}{:x}", now.timestamp_millis(), fastrand::u32(..)),
            lead_id: lead_id.to_string(),
            lead_name: lead_name.to_string(),
            kind,
            seen,
            actor,
            created_at: now,
        }
    }

    pub fn verb(&self) -> &'static str {
        self.kind.verb()
    }

    pub fn past_tense(&self) -> &'static str {
        match self.kind {
            ActionKind::HandOff { .. } => "handed off",
            ActionKind::Recycle { .. } => "recycled",
            ActionKind::Feedback { .. } => "noted",
            ActionKind::Restore { .. } => "undone",
            ActionKind::Accept { .. } => "accepted",
            ActionKind::Reject { .. } => "rejected",
        }
    }

    /// Whether `u` can undo it (a hand-off or a recycle).
    pub fn undoable(&self) -> bool {
        matches!(
            self.kind,
            ActionKind::HandOff { .. }
                | ActionKind::Recycle { .. }
                | ActionKind::Accept { .. }
                | ActionKind::Reject { .. }
        )
    }

    /// Whether the action changes the record (and so must not land on newer state); a note
    /// only adds to it.
    pub fn changes_record(&self) -> bool {
        !matches!(self.kind, ActionKind::Feedback { .. })
    }
}

impl ActionKind {
    pub fn verb(&self) -> &'static str {
        match self {
            ActionKind::HandOff { .. } => "hand off",
            ActionKind::Recycle { .. } => "recycle",
            ActionKind::Feedback { .. } => "note",
            ActionKind::Restore { .. } => "undo",
            ActionKind::Accept { .. } => "accept",
            ActionKind::Reject { .. } => "reject",
        }
    }
}

/// Where an action is on its way to the vendor. Multi-step actions (a recycle is three
/// writes) count the steps the vendor has confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionStatus {
    /// In the outbox; nothing sent yet.
    Queued,
    /// Being written now.
    Sending { done: u8, total: u8 },
    /// A step failed for a reason that may pass (5xx, 429, timeout): it is tried again,
    /// resuming at the first step not confirmed.
    Retrying { done: u8, total: u8, error: String },
    /// The vendor confirmed every step.
    Done,
    /// Refused for good (the vendor's reason); `done` steps were applied and stay applied.
    Failed { done: u8, total: u8, reason: String },
    /// The record moved since the user saw it (what changed): nothing was written. The
    /// user confirms it again or drops it.
    Conflict(String),
    /// Dropped by the user before it was sent.
    Cancelled,
}

impl ActionStatus {
    /// Still on its way: the worker will (re)send it.
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            ActionStatus::Queued | ActionStatus::Sending { .. } | ActionStatus::Retrying { .. }
        )
    }

    /// Waiting for the user (a conflict) or for the worker.
    pub fn needs_attention(&self) -> bool {
        matches!(
            self,
            ActionStatus::Failed { .. } | ActionStatus::Conflict(_)
        )
    }

    /// A short word for lists and the audit log.
    pub fn word(&self) -> &'static str {
        match self {
            ActionStatus::Queued => "queued",
            ActionStatus::Sending { .. } => "sending",
            ActionStatus::Retrying { done: 0, .. } => "retrying",
            ActionStatus::Retrying { .. } => "partly done",
            ActionStatus::Done => "done",
            ActionStatus::Failed { done: 0, .. } => "failed",
            ActionStatus::Failed { .. } => "partly done, failed",
            ActionStatus::Conflict(_) => "conflict",
            ActionStatus::Cancelled => "cancelled",
        }
    }

    /// The full line: "recycle 2/3 done, retrying: 503 …".
    pub fn describe(&self, verb: &str) -> String {
        match self {
            ActionStatus::Queued => format!("{verb} queued"),
            ActionStatus::Sending { done: 0, .. } => format!("{verb} sending"),
            ActionStatus::Sending { done, total } => format!("{verb} {done}/{total} done, sending"),
            ActionStatus::Retrying { done: 0, error, .. } => {
                format!("{verb} not sent yet, retrying: {error}")
            }
            ActionStatus::Retrying { done, total, error } => {
                format!("{verb} {done}/{total} done, retrying: {error}")
            }
            ActionStatus::Done => format!("{verb} done"),
            ActionStatus::Failed {
                done: 0, reason, ..
            } => format!("{verb} refused: {reason}"),
            ActionStatus::Failed {
                done,
                total,
                reason,
            } => format!("{verb} {done}/{total} done, then refused: {reason}"),
            ActionStatus::Conflict(what) => format!("{verb} not sent, the lead changed: {what}"),
            ActionStatus::Cancelled => format!("{verb} cancelled"),
        }
    }
}

/// One action as the user sees it in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    pub action: Action,
    pub status: ActionStatus,
    pub updated_at: DateTime<Utc>,
}

impl OutboxEntry {
    pub fn id(&self) -> ActionId {
        self.action.id
    }
}

/// What moved between what the user saw and the record now, or `None` when the action may
/// go ahead. The last-modified value may have moved by our own earlier writes to the lead
/// (`ours`: the vendor's time of the latest); anything newer is someone else's change.
/// `owner` names an owner id for the message.
pub fn conflict(
    seen: &Seen,
    now: &Seen,
    ours: Option<DateTime<Utc>>,
    owner: &dyn Fn(&str) -> String,
) -> Option<String> {
    let shown = |v: &str| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.to_string()
        }
    };
    let owner_of = |o: &Option<String>| o.as_deref().map_or("nobody".to_string(), owner);
    let mut moved = Vec::new();
    if seen.stage != now.stage {
        moved.push(format!(
            "stage {} → {}",
            shown(&seen.stage),
            shown(&now.stage)
        ));
    }
    if seen.owner_id != now.owner_id {
        moved.push(format!(
            "owner {} → {}",
            owner_of(&seen.owner_id),
            owner_of(&now.owner_id)
        ));
    }
    if seen.status != now.status {
        moved.push(format!(
            "status {} → {}",
            shown(&seen.status),
            shown(&now.status)
        ));
    }
    let allowed = ours.map_or(seen.updated_at, |t| t.max(seen.updated_at));
    if moved.is_empty() && now.updated_at > allowed {
        moved.push(format!(
            "modified in the CRM at {} (stage, owner and status as shown)",
            now.updated_at.format("%Y-%m-%d %H:%M:%S UTC")
        ));
    }
    (!moved.is_empty()).then(|| moved.join(", "))
}

impl ActionKind {
    /// What sending it writes, in the cockpit's words, for the preview before a conflict is
    /// sent over the record as it is now. `owner` names an owner id.
    pub fn intent(&self, owner: impl Fn(&str) -> String) -> String {
        let nurture = |owner_id: &Option<String>, revisit: &Option<(String, chrono::NaiveDate)>| {
            let mut s = String::new();
            if let Some(o) = owner_id {
                s.push_str(&format!(", owner → {}", owner(o)));
            }
            if let Some((_, day)) = revisit {
                s.push_str(&format!(", revisit {day}"));
            }
            s
        };
        match self {
            ActionKind::HandOff { owner_id } => {
                format!(
                    "owner → {}, stage forward to mql (it waits for the rep)",
                    owner(owner_id)
                )
            }
            ActionKind::Accept { owner_id } => {
                format!("owner → {}, the lead to sal", owner(owner_id))
            }
            ActionKind::Recycle {
                reason,
                owner_id,
                revisit,
                ..
            } => format!(
                "the lead back to nurture (reason {reason}){}, and a #recycle note",
                nurture(owner_id, revisit)
            ),
            ActionKind::Reject {
                reason,
                recycle: true,
                owner_id,
                revisit,
                ..
            } => format!(
                "the lead back to nurture (reason {reason}){}, and a #reject note",
                nurture(owner_id, revisit)
            ),
            ActionKind::Reject { reason, .. } => {
                format!("the lead disqualified (reason {reason}), and a #reject note")
            }
            ActionKind::Feedback { campaign, .. } => format!("a note on {campaign}"),
            ActionKind::Restore {
                stage: lifecycle,
                owner_id,
                ..
            } => format!(
                "the lead back as it was: stage {lifecycle}, owner {}",
                owner_id.as_deref().map_or("none".to_string(), &owner)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn seen(lifecycle: &str, owner: Option<&str>, updated: &str) -> Seen {
        Seen {
            stage: lifecycle.into(),
            status: "OPEN".into(),
            owner_id: owner.map(str::to_string),
            updated_at: at(updated),
            owner_assigned_at: None,
        }
    }

    #[test]
    fn an_unchanged_record_is_no_conflict() {
        let s = seen("salesqualifiedlead", Some("7"), "2026-11-20T10:00:00Z");
        assert_eq!(conflict(&s, &s.clone(), None, &|o| o.to_string()), None);
    }

    #[test]
    fn a_stage_moved_to_opportunity_is_named() {
        let s = seen("salesqualifiedlead", Some("7"), "2026-11-20T10:00:00Z");
        let now = seen("opportunity", Some("8"), "2026-11-20T10:05:00Z");
        let names = |o: &str| format!("owner#{o}");
        assert_eq!(
            conflict(&s, &now, None, &names).as_deref(),
            Some("stage salesqualifiedlead → opportunity, owner owner#7 → owner#8")
        );
    }

    #[test]
    fn a_newer_modification_conflicts_unless_it_was_ours() {
        let s = seen("marketingqualifiedlead", None, "2026-11-20T10:00:00Z");
        let now = seen("marketingqualifiedlead", None, "2026-11-20T10:05:00Z");
        let name = |o: &str| o.to_string();
        assert!(
            conflict(&s, &now, None, &name)
                .unwrap()
                .starts_with("modified in the CRM at 2026-11-20 10:05:00")
        );
        // Our own note at 10:05 touched the contact: not someone else's change.
        assert_eq!(
            conflict(&s, &now, Some(at("2026-11-20T10:05:00Z")), &name),
            None
        );
        // Someone wrote after our note.
        assert!(conflict(&s, &now, Some(at("2026-11-20T10:04:00Z")), &name).is_some());
    }

    /// An outbox written before the fields were named for every vendor still reads.
    #[test]
    fn an_older_outboxs_seen_and_restore_still_read() {
        let seen: Seen = serde_json::from_str(
            r#"{"lifecycle":"marketingqualifiedlead","lead_status":"OPEN","owner_id":"7",
                "updated_at":"2026-11-20T10:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(
            (seen.stage.as_str(), seen.status.as_str()),
            ("marketingqualifiedlead", "OPEN")
        );
        let kind: ActionKind = serde_json::from_str(
            r#"{"kind":"restore","lifecycle":"lead","lead_status":"BAD_TIMING","owner_id":null,
                "undoes":"k1","withdraw_note":true}"#,
        )
        .unwrap();
        assert!(matches!(
            kind,
            ActionKind::Restore { ref stage, ref status, .. } if stage == "lead" && status == "BAD_TIMING"
        ));
    }
}
