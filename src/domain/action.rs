//! What a person can do to a lead from the cockpit, before any vendor is involved.

use super::feedback::Verdict;

/// Identifies one action through the outbox, the write-back and the UI's pending list.
pub type ActionId = u64;

#[derive(Debug, Clone, PartialEq)]
pub enum ActionKind {
    /// Marketing → sales: the lead becomes sales-accepted with this owner.
    HandOff { owner_id: String },
    /// Sales → marketing: back to nurture, with the reason written as a note.
    Recycle {
        /// A reason code from the recycle policy.
        reason: String,
        note: String,
    },
    /// Sales tells marketing whether a campaign's messaging works.
    Feedback {
        campaign: String,
        verdict: Verdict,
        text: String,
    },
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
}

impl Action {
    pub fn verb(&self) -> &'static str {
        match self.kind {
            ActionKind::HandOff { .. } => "hand off",
            ActionKind::Recycle { .. } => "recycle",
            ActionKind::Feedback { .. } => "note",
        }
    }

    pub fn past_tense(&self) -> &'static str {
        match self.kind {
            ActionKind::HandOff { .. } => "handed off",
            ActionKind::Recycle { .. } => "recycled",
            ActionKind::Feedback { .. } => "noted",
        }
    }
}
