//! Who a hand-off goes to: segments of leads mapped to sales owners, round-robin within each.

use super::lead::{Lead, Owner, region_of, size_band};
use super::stage::Team;

/// How leads are cut into segments.
#[derive(Debug, Clone, PartialEq)]
pub enum SegmentBy {
    Region,
    Country,
    CompanySize,
    /// "EMEA ent".
    RegionSize,
    /// Any contact property, by name.
    Property(String),
}

impl SegmentBy {
    pub fn parse(s: &str) -> SegmentBy {
        match s.trim() {
            "region" => SegmentBy::Region,
            "country" => SegmentBy::Country,
            "company_size" => SegmentBy::CompanySize,
            "region_size" => SegmentBy::RegionSize,
            other => SegmentBy::Property(other.to_string()),
        }
    }

    /// The contact property this needs beyond the ones always fetched.
    pub fn extra_property(&self) -> Option<&str> {
        match self {
            SegmentBy::Property(p) => Some(p),
            _ => None,
        }
    }

    pub fn segment_of(&self, lead: &Lead) -> String {
        match self {
            SegmentBy::Region => region_of(&lead.country).to_string(),
            SegmentBy::Country => lead.country.to_ascii_uppercase(),
            SegmentBy::CompanySize => size_band(&lead.company_size).to_string(),
            SegmentBy::RegionSize => lead.segment(),
            SegmentBy::Property(p) => lead.props.get(p).map(String::from).unwrap_or_default(),
        }
    }
}

/// One segment and the owners (by email) who cover it.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub matches: String,
    pub owners: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    pub segment_by: SegmentBy,
    pub segments: Vec<Segment>,
    /// Owners (by email) for leads in no segment; empty means the whole Sales team.
    pub fallback: Vec<String>,
}

impl Default for Coverage {
    fn default() -> Self {
        Self {
            segment_by: SegmentBy::RegionSize,
            segments: Vec::new(),
            fallback: Vec::new(),
        }
    }
}

/// The owners a lead rotates over, and why (for the hand-off dialog).
#[derive(Debug, Clone, PartialEq)]
pub struct Rotation<'a> {
    pub segment: String,
    /// True when the lead fell through to the fallback rotation.
    pub fallback: bool,
    pub owners: Vec<&'a Owner>,
}

impl Coverage {
    /// The rotation for `lead`: its segment's owners that exist in the CRM, else the
    /// fallback list, else every Sales owner (ordered by id so the rotation is stable).
    pub fn rotation<'a>(&self, lead: &Lead, owners: &'a [Owner]) -> Rotation<'a> {
        let segment = self.segment_by.segment_of(lead);
        let by_email = |emails: &[String]| -> Vec<&'a Owner> {
            emails
                .iter()
                .filter_map(|e| owners.iter().find(|o| o.email.eq_ignore_ascii_case(e)))
                .collect()
        };
        let listed = self
            .segments
            .iter()
            .find(|s| s.matches.eq_ignore_ascii_case(segment.trim()))
            .map(|s| by_email(&s.owners))
            .filter(|o| !o.is_empty());
        if let Some(owners) = listed {
            return Rotation {
                segment,
                fallback: false,
                owners,
            };
        }
        let mut fallback = by_email(&self.fallback);
        if fallback.is_empty() {
            fallback = owners
                .iter()
                .filter(|o| o.team == Some(Team::Sales))
                .collect();
            fallback.sort_by(|a, b| a.id.cmp(&b.id));
        }
        Rotation {
            segment,
            fallback: true,
            owners: fallback,
        }
    }
}

impl Rotation<'_> {
    /// The owner whose turn it is; `turn` counts hand-offs proposed so far.
    pub fn pick(&self, turn: usize) -> Option<&Owner> {
        (!self.owners.is_empty()).then(|| self.owners[turn % self.owners.len()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Stage;
    use crate::domain::lead::tests_support::lead_in;

    fn owner(id: &str, email: &str, team: Team) -> Owner {
        Owner {
            id: id.into(),
            name: email.into(),
            email: email.into(),
            team: Some(team),
        }
    }

    #[test]
    fn segment_owners_then_fallback_then_sales_team() {
        let owners = vec![
            owner("3", "sam@x.example", Team::Sales),
            owner("2", "lee@x.example", Team::Sales),
            owner("1", "mia@x.example", Team::Marketing),
        ];
        let mut cov = Coverage {
            segment_by: SegmentBy::Region,
            segments: vec![Segment {
                matches: "emea".into(),
                owners: vec!["SAM@x.example".into(), "gone@x.example".into()],
            }],
            fallback: vec![],
        };
        let mut lead = lead_in(Stage::Mql);
        lead.country = "DE".into();
        let r = cov.rotation(&lead, &owners);
        assert_eq!((r.segment.as_str(), r.fallback), ("EMEA", false));
        assert_eq!(r.pick(5).unwrap().id, "3");

        lead.country = "US".into();
        let r = cov.rotation(&lead, &owners);
        assert!(r.fallback);
        let picks: Vec<&str> = (0..3).map(|t| r.pick(t).unwrap().id.as_str()).collect();
        assert_eq!(picks, ["2", "3", "2"], "whole Sales team by id");

        cov.fallback = vec!["lee@x.example".into()];
        assert_eq!(cov.rotation(&lead, &owners).pick(1).unwrap().id, "2");
    }

    #[test]
    fn segment_by_a_property() {
        let mut lead = lead_in(Stage::Mql);
        lead.props.insert("industry".into(), "Robotics".into());
        assert_eq!(SegmentBy::parse("industry").segment_of(&lead), "Robotics");
        assert_eq!(
            SegmentBy::parse("region_size").segment_of(&lead),
            "EMEA ent"
        );
    }
}
