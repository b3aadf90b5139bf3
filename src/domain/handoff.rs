//! The rules behind the cockpit's action keys: which actions a lead allows right now, and
//! whose turn it is to take a hand-off. Pure: the caller gathers the facts, nothing here
//! reads a store, a clock or a terminal.

use std::collections::HashMap;

use super::coverage::Coverage;
use super::lead::{Lead, Owner};
use super::stage::{Stage, Team};

/// The three things a person can do to a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionChoice {
    HandOff,
    Recycle,
    Note,
    /// Sales answers an MQL: accept it (theirs, in SAL) or reject it with a reason.
    Accept,
    Reject,
}

/// What the caller knows about a lead beyond the lead itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct LeadFacts {
    /// An earlier action on this lead has not been confirmed by the vendor yet.
    pub pending: bool,
    /// The team that owns the lead's stage, per the shared definitions.
    pub stage_team: Option<Team>,
    /// Sales owners in the CRM (hand-off needs at least one).
    pub sales_owners: usize,
    /// Campaigns the lead could give feedback on.
    pub campaigns: usize,
    /// The user maps to a CRM owner (accepting makes the lead theirs).
    pub me: bool,
}

/// Why an action is refused, worded for the person who pressed the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// One action at a time per lead: a second one could race the first at the vendor.
    Pending,
    AlreadyWithSales(Stage),
    NotHandable(Option<Stage>),
    NoSalesOwners,
    NotRecyclable(Option<Stage>),
    NoCampaign,
    NotAnMql(Option<Stage>),
    NotAnOwner,
}

impl Refusal {
    pub fn explain(self, name: &str) -> String {
        let id = |s: Option<Stage>| s.map_or("unmapped", Stage::id);
        match self {
            Refusal::Pending => {
                format!("an action on {name} is still pending; wait for it to land")
            }
            Refusal::AlreadyWithSales(s) => {
                format!("can't hand off {name}: already with sales ({})", s.id())
            }
            Refusal::NotHandable(s) => format!(
                "can't hand off {name} ({}): only inquiry, mql and nurture leads go to sales",
                id(s)
            ),
            Refusal::NoSalesOwners => "can't hand off: no sales owners in the CRM".into(),
            Refusal::NotRecyclable(s) => format!(
                "can't recycle {name} ({}): only mql, sal and sql leads go back to nurture",
                id(s)
            ),
            Refusal::NoCampaign => format!("no campaign on record for {name} to give feedback on"),
            Refusal::NotAnMql(s) => format!(
                "{name} is {}: only an MQL waits for sales to accept or reject it",
                id(s)
            ),
            Refusal::NotAnOwner => "you map to no CRM owner: set `user` in the config (or \
                --user) to your CRM email to accept leads"
                .into(),
        }
    }
}

/// Whether `choice` may be taken on `lead` now.
pub fn check(choice: ActionChoice, lead: &Lead, facts: LeadFacts) -> Result<(), Refusal> {
    if facts.pending {
        return Err(Refusal::Pending);
    }
    let stage = lead.stage;
    match choice {
        ActionChoice::HandOff => match stage {
            Some(s) if s.can_hand_off() => {
                if facts.sales_owners == 0 {
                    return Err(Refusal::NoSalesOwners);
                }
            }
            Some(s) if facts.stage_team == Some(Team::Sales) => {
                return Err(Refusal::AlreadyWithSales(s));
            }
            _ => return Err(Refusal::NotHandable(stage)),
        },
        ActionChoice::Recycle => {
            if !stage.is_some_and(Stage::can_recycle) {
                return Err(Refusal::NotRecyclable(stage));
            }
        }
        ActionChoice::Note => {
            if facts.campaigns == 0 {
                return Err(Refusal::NoCampaign);
            }
        }
        ActionChoice::Accept | ActionChoice::Reject if stage != Some(Stage::Mql) => {
            return Err(Refusal::NotAnMql(stage));
        }
        ActionChoice::Accept if !facts.me => return Err(Refusal::NotAnOwner),
        ActionChoice::Accept | ActionChoice::Reject => {}
    }
    Ok(())
}

/// Whether the action keys for `choice` are worth offering (footer hints) for a lead in `stage`.
pub fn offered(choice: ActionChoice, stage: Option<Stage>) -> bool {
    match choice {
        ActionChoice::HandOff => stage.is_some_and(Stage::can_hand_off),
        ActionChoice::Recycle => stage.is_some_and(Stage::can_recycle),
        ActionChoice::Note => true,
        ActionChoice::Accept | ActionChoice::Reject => stage == Some(Stage::Mql),
    }
}

/// The owner a config names by email (any case) or CRM id.
pub fn owner_by_email_or_id<'a>(owners: &'a [Owner], name: &str) -> Option<&'a Owner> {
    let wanted = name.trim().to_lowercase();
    owners
        .iter()
        .find(|o| o.id == name.trim() || o.email.to_lowercase() == wanted)
}

/// Rotation key for leads in no listed segment.
pub const FALLBACK: &str = "(fallback)";

/// Sales owners in round-robin order (by id, so every process agrees on the order).
pub fn sales_owners(owners: &[Owner]) -> Vec<&Owner> {
    let mut out: Vec<_> = owners
        .iter()
        .filter(|o| o.team == Some(Team::Sales))
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// The owners a hand-off can go to: the lead's rotation first, then every other sales owner.
#[derive(Debug, Clone)]
pub struct HandOffChoices<'a> {
    pub owners: Vec<&'a Owner>,
    /// The first `in_rotation` of `owners` are the lead's segment rotation.
    pub in_rotation: usize,
    /// The segment's name, or [`FALLBACK`]; each key rotates on its own.
    pub rotation_key: String,
    /// The lead's segment as computed, even when it fell back.
    pub segment: String,
}

impl<'a> HandOffChoices<'a> {
    pub fn new(coverage: &Coverage, lead: &Lead, owners: &'a [Owner]) -> Self {
        let rotation = coverage.rotation(lead, owners);
        let rotation_key = if rotation.fallback {
            FALLBACK.to_string()
        } else {
            rotation.segment.clone()
        };
        let in_rotation = rotation.owners.len();
        let mut all = rotation.owners;
        for o in sales_owners(owners) {
            if !all.iter().any(|x| x.id == o.id) {
                all.push(o);
            }
        }
        Self {
            owners: all,
            in_rotation,
            rotation_key,
            segment: rotation.segment,
        }
    }

    pub fn is_fallback(&self) -> bool {
        self.rotation_key == FALLBACK
    }

    pub fn rotation(&self) -> &[&'a Owner] {
        &self.owners[..self.in_rotation]
    }

    /// The owner proposed after `turn` hand-offs in this rotation, moved `shift` places by
    /// the user.
    pub fn proposed(&self, turn: usize, shift: usize) -> Option<&'a Owner> {
        if self.owners.is_empty() {
            return None;
        }
        let base = turn % self.in_rotation.max(1);
        Some(self.owners[(base + shift) % self.owners.len()])
    }
}

/// Confirmed hand-offs per rotation, so each segment rotates on its own.
#[derive(Debug, Clone, Default)]
pub struct Turns(HashMap<String, usize>);

impl Turns {
    /// The turns everyone sharing the data dir has taken (from the store).
    pub fn from_map(turns: HashMap<String, usize>) -> Self {
        Turns(turns)
    }

    pub fn get(&self, rotation_key: &str) -> usize {
        self.0.get(rotation_key).copied().unwrap_or(0)
    }

    /// A hand-off was confirmed: the next one goes to the next owner.
    pub fn advance(&mut self, rotation_key: &str) {
        *self.0.entry(rotation_key.to_string()).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lead::tests_support::lead_in;

    fn owner(id: &str, team: Team) -> Owner {
        Owner {
            id: id.into(),
            name: format!("owner {id}"),
            email: format!("{id}@example.com"),
            team: Some(team),
        }
    }

    fn facts() -> LeadFacts {
        LeadFacts {
            pending: false,
            stage_team: None,
            sales_owners: 2,
            campaigns: 1,
            me: true,
        }
    }

    #[test]
    fn each_action_is_allowed_only_in_its_stages() {
        for stage in Stage::ALL {
            let lead = lead_in(stage);
            let hand = check(ActionChoice::HandOff, &lead, facts()).is_ok();
            let recycle = check(ActionChoice::Recycle, &lead, facts()).is_ok();
            assert_eq!(
                hand,
                matches!(stage, Stage::Inquiry | Stage::Mql | Stage::Nurture),
                "{stage}"
            );
            assert_eq!(
                recycle,
                matches!(stage, Stage::Mql | Stage::Sal | Stage::Sql),
                "{stage}"
            );
        }
    }

    #[test]
    fn refusals_say_why() {
        let sal = lead_in(Stage::Sal);
        let sales = LeadFacts {
            stage_team: Some(Team::Sales),
            ..facts()
        };
        assert_eq!(
            check(ActionChoice::HandOff, &sal, sales),
            Err(Refusal::AlreadyWithSales(Stage::Sal))
        );
        let mql = lead_in(Stage::Mql);
        let pending = LeadFacts {
            pending: true,
            ..facts()
        };
        assert_eq!(
            check(ActionChoice::Note, &mql, pending),
            Err(Refusal::Pending)
        );
        let nobody = LeadFacts {
            sales_owners: 0,
            ..facts()
        };
        assert_eq!(
            check(ActionChoice::HandOff, &mql, nobody),
            Err(Refusal::NoSalesOwners)
        );
        let no_campaign = LeadFacts {
            campaigns: 0,
            ..facts()
        };
        assert_eq!(
            check(ActionChoice::Note, &mql, no_campaign),
            Err(Refusal::NoCampaign)
        );
        assert!(
            Refusal::AlreadyWithSales(Stage::Sal)
                .explain("Ann")
                .contains("already with sales (sal)")
        );
    }

    #[test]
    fn the_rotation_moves_on_per_key_and_the_shift_wraps() {
        let owners = vec![
            owner("3", Team::Sales),
            owner("1", Team::Sales),
            owner("2", Team::Marketing),
        ];
        let lead = lead_in(Stage::Mql);
        let choices = HandOffChoices::new(&Coverage::default(), &lead, &owners);
        // No segments configured: every sales owner, by id, is the fallback rotation.
        assert!(choices.is_fallback());
        let ids: Vec<_> = choices.owners.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["1", "3"]);
        let mut turns = Turns::default();
        assert_eq!(choices.proposed(turns.get(FALLBACK), 0).unwrap().id, "1");
        turns.advance(FALLBACK);
        assert_eq!(choices.proposed(turns.get(FALLBACK), 0).unwrap().id, "3");
        assert_eq!(choices.proposed(turns.get(FALLBACK), 1).unwrap().id, "1");
        assert_eq!(turns.get("EMEA ent"), 0);
        let none: Vec<Owner> = Vec::new();
        assert!(
            HandOffChoices::new(&Coverage::default(), &lead, &none)
                .proposed(0, 0)
                .is_none()
        );
    }
}
