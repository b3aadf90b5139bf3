//! The shared pipeline stages and the team that owns each one.

use std::fmt;

/// Which side of the house owns a stage, a KPI or an SLA.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
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

    /// The funnel in order (`inquiry < mql < … < customer`); `nurture` and `disqualified`
    /// are exits, not steps (metrics.md §4).
    pub const FUNNEL: [Stage; 6] = [
        Stage::Inquiry,
        Stage::Mql,
        Stage::Sal,
        Stage::Sql,
        Stage::Opportunity,
        Stage::Customer,
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
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
