//! Vendor-neutral records: what the store holds and every domain function reads.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::attribution::Touch;
pub use super::card::Card;
use super::feedback::NoteKind;
use super::stage::{Stage, Team};
pub use super::sym::{Props, Sym};

pub use super::dates::{Dates, LeadDates};

/// A lead's id as the vendor gives it: up to 24 bytes (HubSpot's numbers, Salesforce's
/// 18 characters) kept in the struct itself, not in a heap block of its own each.
pub type LeadId = compact_str::CompactString;

/// A person in the shared pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lead {
    pub id: LeadId,
    /// The name, email and title; read them through [`name`](Self::name) and the others.
    #[serde(flatten)]
    pub card: Card,
    pub company: Sym,
    pub country: Sym,
    pub company_size: Sym,
    /// Derived by the config's stage rules from the raw properties in `props`.
    pub stage: Option<Stage>,
    pub owner_id: Option<Sym>,
    /// Original source channel (e.g. `PAID_SEARCH`), for sourced pipeline.
    pub source_channel: Sym,
    pub first_campaign: Option<Sym>,
    pub last_campaign: Option<Sym>,
    pub recent_conversion: Option<Sym>,
    pub dates: LeadDates,
    /// The raw vendor properties the config reads, by the vendor's own names: those the
    /// stage rules classify `stage` from, and those coverage segments and lenses read.
    pub props: Props,
    pub updated_at: DateTime<Utc>,
    /// The vendor's own history of the properties the stage rules read and of the owner;
    /// empty when the vendor gave none (then only the stage dates above tell the past).
    #[serde(default)]
    pub history: History,
}

pub use super::history::{History, HistoryLists, List, OwnerChange, PropChange};

impl Lead {
    pub fn name(&self) -> &str {
        self.card.name()
    }

    pub fn email(&self) -> &str {
        self.card.email()
    }

    pub fn title(&self) -> &str {
        self.card.title()
    }

    /// A short segment label used for coverage ("EMEA ent").
    pub fn segment(&self) -> String {
        format!(
            "{} {}",
            region_of(&self.country),
            size_band(&self.company_size)
        )
    }

    /// The earliest of [`touches`](Self::touches), without building them.
    pub fn earliest_touch(&self) -> Option<DateTime<Utc>> {
        if !self.history.campaigns().is_empty() {
            return self.history.campaigns().iter().map(|(at, _)| at).min();
        }
        let d = &self.dates;
        let first = self
            .first_campaign
            .as_ref()
            .and(d.first_conversion().or(d.created()));
        let recent = self.last_campaign.as_ref().and(
            d.recent_conversion()
                .or(d.first_conversion())
                .or(d.created()),
        );
        first.into_iter().chain(recent).min()
    }

    /// The campaign touches: every converting campaign when the MAP's history gives them,
    /// else the first and the most recent the CRM records, oldest first (one touch when
    /// they are the same conversion).
    pub fn touches(&self) -> Vec<Touch> {
        if !self.history.campaigns().is_empty() {
            return self
                .history
                .campaigns()
                .iter()
                .map(|(at, campaign)| Touch { campaign, at })
                .collect();
        }
        let d = &self.dates;
        let mut out = Vec::with_capacity(2);
        if let (Some(campaign), Some(at)) =
            (&self.first_campaign, d.first_conversion().or(d.created()))
        {
            out.push(Touch {
                campaign: *campaign,
                at,
            });
        }
        let recent = d
            .recent_conversion()
            .or(d.first_conversion())
            .or(d.created());
        if let (Some(campaign), Some(at)) = (&self.last_campaign, recent) {
            let same = out
                .first()
                .is_some_and(|f| f.campaign == *campaign && f.at == at);
            if !same {
                out.push(Touch {
                    campaign: *campaign,
                    at,
                });
            }
        }
        out.sort_by_key(|t| t.at);
        out
    }

    /// When the lead entered its current shared stage, if known.
    pub fn entered_current_stage(&self) -> Option<DateTime<Utc>> {
        let d = &self.dates;
        match self.stage? {
            Stage::Inquiry | Stage::Nurture => d.inquiry().or(d.created()),
            Stage::Mql => d.mql(),
            Stage::Sal => d.accepted().or(d.mql()),
            Stage::Sql => d.sql(),
            Stage::Opportunity => d.opportunity(),
            Stage::Customer => d.customer(),
            Stage::Disqualified => None,
        }
    }
}

/// Region from an ISO country code, the way sales territories are usually cut.
pub fn region_of(country: &str) -> &'static str {
    match country.trim().to_ascii_uppercase().as_str() {
        "US" | "CA" | "BR" | "MX" | "AR" | "CL" | "CO" => "AMER",
        "JP" | "IN" | "AU" | "SG" | "NZ" | "CN" | "KR" | "HK" => "APAC",
        "" => "—",
        _ => "EMEA",
    }
}

/// Company size band from HubSpot's `numemployees` options, or from a head count.
pub fn size_band(employees: &str) -> &'static str {
    match employees.trim() {
        "1-5" | "5-25" | "25-50" | "50-100" => "smb",
        "100-500" | "500-1000" => "mid",
        "1000-5000" | "5000-10000" | "10000+" => "ent",
        // A head count, as CRMs other than HubSpot keep it.
        n => match n.parse::<u64>() {
            Ok(1..100) => "smb",
            Ok(100..1000) => "mid",
            Ok(1000..) => "ent",
            _ => "—",
        },
    }
}

/// A CRM user who can own leads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Owner {
    pub id: String,
    pub name: String,
    pub email: String,
    pub team: Option<Team>,
}

/// A stage of the vendor's deal pipeline, with what closing there means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DealStage {
    pub id: String,
    pub label: String,
    pub order: i64,
    pub is_closed: bool,
    pub is_won: bool,
}

/// A deal and the contacts it is associated with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deal {
    pub id: String,
    pub name: String,
    pub amount: f64,
    pub stage_id: String,
    pub created_at: Option<DateTime<Utc>>,
    pub close_date: Option<DateTime<Utc>>,
    pub owner_id: Option<String>,
    pub contact_ids: Vec<String>,
    pub updated_at: DateTime<Utc>,
    /// The vendor's history of the deal's stage, oldest first: (from when, stage id). Empty
    /// when the vendor gave none (then only `close_date` dates a close).
    #[serde(default)]
    pub stage_history: Vec<(DateTime<Utc>, String)>,
}

impl Deal {
    /// Every time the deal entered a closed stage, with whether it was won, oldest first
    /// (metrics.md §2): from its stage history, or for want of it its close date. A deal
    /// reopened after a loss and won later closes twice, lost then won.
    pub fn closings(&self, stages: &[DealStage]) -> Vec<(DateTime<Utc>, bool)> {
        let closed = |id: &str| {
            stages
                .iter()
                .find(|s| s.id == id)
                .filter(|s| s.is_closed)
                .map(|s| s.is_won)
        };
        if self.stage_history.is_empty() {
            return closed(&self.stage_id)
                .zip(self.close_date)
                .map(|(won, at)| vec![(at, won)])
                .unwrap_or_default();
        }
        let mut out = Vec::new();
        let mut before: Option<&str> = None;
        for (at, stage) in &self.stage_history {
            if before != Some(stage.as_str())
                && let Some(won) = closed(stage)
            {
                out.push((*at, won));
            }
            before = Some(stage);
        }
        out
    }
}

/// A note on a lead: messaging feedback, a recycle reason, or a plain remark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// Inline up to 24 bytes, as lead ids are: a quarter of a million notes at 1M leads.
    pub id: LeadId,
    /// Nearly always one: a list with its length on the heap, of inline ids.
    pub lead_ids: thin_vec::ThinVec<LeadId>,
    pub owner_id: Option<Sym>,
    pub at: DateTime<Utc>,
    pub kind: NoteKind,
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A blank lead in `stage`, for domain tests to fill in.
    pub fn lead_in(stage: Stage) -> Lead {
        Lead {
            id: "1".into(),
            card: Card::new("Priya Natarajan", "priya@acme.example", ""),
            company: "Acme Robotics".into(),
            country: "DE".into(),
            company_size: "1000-5000".into(),
            stage: Some(stage),
            owner_id: None,
            source_channel: Sym::default(),
            first_campaign: None,
            last_campaign: None,
            recent_conversion: None,
            dates: LeadDates::default(),
            props: Props::default(),
            updated_at: DateTime::<Utc>::MIN_UTC,
            history: Default::default(),
        }
    }
}

#[cfg(test)]
mod size_tests {
    use super::size_band;

    #[test]
    fn a_head_count_falls_in_the_band_its_hubspot_option_would() {
        for (band, count, expected) in [
            ("50-100", "50", "smb"),
            ("100-500", "100", "mid"),
            ("500-1000", "999", "mid"),
            ("1000-5000", "1000", "ent"),
            ("10000+", "10000", "ent"),
        ] {
            assert_eq!(size_band(band), expected);
            assert_eq!(size_band(count), expected);
        }
        assert_eq!(size_band("0"), "—");
        assert_eq!(size_band("many"), "—");
    }
}

#[cfg(test)]
mod tests {
    /// A million leads stay in memory: each byte here is a megabyte at 1M.
    #[test]
    fn a_note_takes_at_most_112_bytes() {
        // 144 with String ids and owner, besides the heap block each of those held.
        let size = std::mem::size_of::<super::Note>();
        assert!(size <= 112, "{size}");
    }

    #[test]
    fn a_lead_takes_at_most_248_bytes() {
        assert!(
            std::mem::size_of::<super::Lead>() <= 248,
            "{}",
            std::mem::size_of::<super::Lead>()
        );
    }
}
