//! What a person can do to a lead from the cockpit, before any vendor is involved.

use super::feedback::Verdict;
use super::lead::Owner;
use super::stage::Team;

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

/// Round-robin among a team's owners: `turn` counts hand-offs proposed so far.
/// Owners are ordered by id so the rotation is stable across polls.
pub fn round_robin(owners: &[Owner], team: Team, turn: usize) -> Option<&Owner> {
    let mut team_owners: Vec<&Owner> = owners.iter().filter(|o| o.team == Some(team)).collect();
    team_owners.sort_by(|a, b| a.id.cmp(&b.id));
    if team_owners.is_empty() {
        return None;
    }
    Some(team_owners[turn % team_owners.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(id: &str, team: Team) -> Owner {
        Owner {
            id: id.into(),
            name: format!("owner {id}"),
            email: String::new(),
            team: Some(team),
        }
    }

    #[test]
    fn round_robin_rotates_within_the_team() {
        let owners = vec![
            owner("3", Team::Sales),
            owner("1", Team::Marketing),
            owner("2", Team::Sales),
        ];
        let picks: Vec<&str> = (0..4)
            .map(|t| round_robin(&owners, Team::Sales, t).unwrap().id.as_str())
            .collect();
        assert_eq!(picks, ["2", "3", "2", "3"]);
        assert!(round_robin(&owners[1..2], Team::Sales, 0).is_none());
    }
}
