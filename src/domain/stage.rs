//! The shared pipeline stages and the team that owns each one.

use std::fmt;

/// Which side of the house owns a stage, a KPI or an SLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Team {
    Marketing,
    Sales,
}

impl Team {
    pub fn short(self) -> &'static str {
        match self {
            Team::Marketing => "MKT",
            Team::Sales => "SLS",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Team::Marketing => "marketing",
            Team::Sales => "sales",
        }
    }

    /// Owners in the CRM carry team names; match them loosely ("Sales", "sales team").
    pub fn from_team_name(name: &str) -> Option<Team> {
        let name = name.to_ascii_lowercase();
        if name.contains("market") {
            Some(Team::Marketing)
        } else if name.contains("sales") {
            Some(Team::Sales)
        } else {
            None
        }
    }
}

/// One shared stage of the pipeline both teams co-own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    Inquiry,
    Mql,
    Sal,
    Sql,
    Opportunity,
    Customer,
    Nurture,
    Disqualified,
}

impl Stage {
    /// Display order in the pipeline pane: the funnel first, then the two exits.
    pub const ALL: [Stage; 8] = [
        Stage::Inquiry,
        Stage::Mql,
        Stage::Sal,
        Stage::Sql,
        Stage::Opportunity,
        Stage::Customer,
        Stage::Nurture,
        Stage::Disqualified,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Stage::Inquiry => "inquiry",
            Stage::Mql => "mql",
            Stage::Sal => "sal",
            Stage::Sql => "sql",
            Stage::Opportunity => "opportunity",
            Stage::Customer => "customer",
            Stage::Nurture => "nurture",
            Stage::Disqualified => "disqualified",
        }
    }

    /// The team whose move it is while a lead sits here; nobody owns a disqualified lead.
    pub fn team(self) -> Option<Team> {
        match self {
            Stage::Inquiry | Stage::Nurture => Some(Team::Marketing),
            // An MQL waits on sales to accept or reject it.
            Stage::Mql | Stage::Sal | Stage::Sql | Stage::Opportunity | Stage::Customer => {
                Some(Team::Sales)
            }
            Stage::Disqualified => None,
        }
    }

    /// The next funnel stage, for stage-to-stage conversion; exits have none.
    pub fn next(self) -> Option<Stage> {
        match self {
            Stage::Inquiry => Some(Stage::Mql),
            Stage::Mql => Some(Stage::Sal),
            Stage::Sal => Some(Stage::Sql),
            Stage::Sql => Some(Stage::Opportunity),
            Stage::Opportunity => Some(Stage::Customer),
            _ => None,
        }
    }

    /// Stages that may be handed to sales (marketing → sales).
    pub fn can_hand_off(self) -> bool {
        matches!(self, Stage::Inquiry | Stage::Mql | Stage::Nurture)
    }

    /// Stages that sales may recycle back to marketing for nurture.
    pub fn can_recycle(self) -> bool {
        matches!(self, Stage::Mql | Stage::Sal | Stage::Sql)
    }

    /// A short written definition, shown in the stage detail.
    pub fn definition(self) -> &'static str {
        match self {
            Stage::Inquiry => "Known contact who has engaged but is not yet qualified.",
            Stage::Mql => "Marketing-qualified: meets the lead definition; waiting on sales.",
            Stage::Sal => "Sales-accepted: a sales owner is working the lead.",
            Stage::Sql => "Sales-qualified: sales confirmed need, budget and timing.",
            Stage::Opportunity => "An open deal is attached.",
            Stage::Customer => "Closed-won.",
            Stage::Nurture => "Recycled to marketing for nurture until the revisit date.",
            Stage::Disqualified => "Not a fit; out of the pipeline.",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// HubSpot's lead statuses that mean sales has accepted and is working an MQL.
const ACCEPTED_STATUSES: [&str; 4] = ["OPEN", "IN_PROGRESS", "ATTEMPTED_TO_CONTACT", "CONNECTED"];

/// The default HubSpot mapping from `lifecyclestage` + `hs_lead_status` to a shared stage.
///
/// Dispositions win over the lifecycle stage (a recycled lead keeps an old lifecycle stage
/// in some portals), except that a customer stays a customer.
pub fn classify_hubspot(lifecycle: &str, lead_status: &str) -> Option<Stage> {
    let lifecycle = lifecycle.trim().to_ascii_lowercase();
    let status = lead_status.trim().to_ascii_uppercase();
    if matches!(lifecycle.as_str(), "customer" | "evangelist") {
        return Some(Stage::Customer);
    }
    match status.as_str() {
        "UNQUALIFIED" => return Some(Stage::Disqualified),
        "BAD_TIMING" => return Some(Stage::Nurture),
        _ => {}
    }
    match lifecycle.as_str() {
        "subscriber" | "lead" => Some(Stage::Inquiry),
        "marketingqualifiedlead" if status.is_empty() || status == "NEW" => Some(Stage::Mql),
        "marketingqualifiedlead" if ACCEPTED_STATUSES.contains(&status.as_str()) => {
            Some(Stage::Sal)
        }
        "salesqualifiedlead" => Some(Stage::Sql),
        "opportunity" => Some(Stage::Opportunity),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_hubspot_mapping() {
        let cases = [
            ("subscriber", "", Some(Stage::Inquiry)),
            ("lead", "", Some(Stage::Inquiry)),
            ("marketingqualifiedlead", "", Some(Stage::Mql)),
            ("marketingqualifiedlead", "NEW", Some(Stage::Mql)),
            ("marketingqualifiedlead", "OPEN", Some(Stage::Sal)),
            ("marketingqualifiedlead", "IN_PROGRESS", Some(Stage::Sal)),
            (
                "marketingqualifiedlead",
                "ATTEMPTED_TO_CONTACT",
                Some(Stage::Sal),
            ),
            ("marketingqualifiedlead", "CONNECTED", Some(Stage::Sal)),
            ("salesqualifiedlead", "CONNECTED", Some(Stage::Sql)),
            ("opportunity", "", Some(Stage::Opportunity)),
            ("customer", "", Some(Stage::Customer)),
            ("evangelist", "", Some(Stage::Customer)),
            ("lead", "BAD_TIMING", Some(Stage::Nurture)),
            ("marketingqualifiedlead", "BAD_TIMING", Some(Stage::Nurture)),
            ("lead", "UNQUALIFIED", Some(Stage::Disqualified)),
            ("customer", "BAD_TIMING", Some(Stage::Customer)),
            ("other", "", None),
            ("marketingqualifiedlead", "OPEN_DEAL", None),
        ];
        for (lifecycle, status, want) in cases {
            assert_eq!(
                classify_hubspot(lifecycle, status),
                want,
                "{lifecycle}/{status}"
            );
        }
    }

    #[test]
    fn every_stage_but_disqualified_has_an_owner() {
        for stage in Stage::ALL {
            assert_eq!(
                stage.team().is_none(),
                stage == Stage::Disqualified,
                "{stage}"
            );
        }
    }
}
