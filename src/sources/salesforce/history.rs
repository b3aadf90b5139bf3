//! What a Lead's timeline needs besides the Lead row: its `LeadHistory`, its converted
//! Opportunity with that opportunity's `OpportunityFieldHistory`, and its logged calls and
//! emails. Gathered whole during the first load, or for the changed leads during a poll.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::wire::Row;
use crate::domain::lead::Sym;

/// Task subtypes that are a rep's activity on the lead (the SLA clocks' stops).
pub const SALES_ACTIVITY: [&str; 2] = ["Call", "Email"];

/// One field history row: `field` went from `old` to `new` at `at`. The texts are
/// interned: a million leads' history is millions of rows over a few fields and values
/// (24 bytes a row, against about 180 as three strings).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub at: DateTime<Utc>,
    pub field: Sym,
    pub old: Option<Sym>,
    pub new: Option<Sym>,
}

/// The history fields tandem reads (the stage rules' fields, the owner, an opportunity's
/// stage). Only these are kept: an org may track free-text fields too, and their values
/// must not be interned for the session.
pub type Tracked = HashSet<String>;

impl Change {
    /// A `LeadHistory` or `OpportunityFieldHistory` row, keyed by its parent's id; `None`
    /// for a field not `tracked`.
    pub fn from_row(row: &Row, parent: &str, tracked: &Tracked) -> Option<(String, Change)> {
        let field = row.text("Field").filter(|f| tracked.contains(f))?;
        Some((
            row.id_at(parent)?,
            Change {
                at: row.time("CreatedDate")?,
                field: Sym::new(&field),
                old: row.text("OldValue").map(|v| Sym::new(&v)),
                new: row.text("NewValue").map(|v| Sym::new(&v)),
            },
        ))
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Side {
    /// `LeadHistory` by LeadId, oldest first.
    pub lead_changes: HashMap<String, Vec<Change>>,
    /// `OpportunityFieldHistory` by OpportunityId, oldest first.
    pub opp_changes: HashMap<String, Vec<Change>>,
    /// Opportunities by id.
    pub opps: HashMap<String, Row>,
    /// Each lead's logged calls and emails (Task `WhoId`), unsorted.
    pub touches: HashMap<String, Vec<DateTime<Utc>>>,
}

impl Side {
    pub fn add_lead_change(&mut self, row: &Row, tracked: &Tracked) {
        if let Some((lead, c)) = Change::from_row(row, "LeadId", tracked) {
            self.lead_changes.entry(lead).or_default().push(c);
        }
    }

    pub fn add_opp_change(&mut self, row: &Row, tracked: &Tracked) {
        if let Some((opp, c)) = Change::from_row(row, "OpportunityId", tracked) {
            self.opp_changes.entry(opp).or_default().push(c);
        }
    }

    /// A Task: a sales touch when it is a call or an email on a lead.
    pub fn add_task(&mut self, row: &Row, lead: Option<String>) {
        let activity = row
            .text("TaskSubtype")
            .is_some_and(|s| SALES_ACTIVITY.contains(&s.as_str()));
        let at = row.time("CompletedDateTime").or(row.time("CreatedDate"));
        if let (true, Some(lead), Some(at)) = (activity, lead, at) {
            self.touches.entry(lead).or_default().push(at);
        }
    }

    /// Hold an Opportunity; its id when it was not held yet.
    pub fn add_opp(&mut self, row: Row) -> Option<String> {
        let id = row.id()?;
        self.opps.insert(id.clone(), row).is_none().then_some(id)
    }

    /// Oldest first, whatever order the rows came in.
    pub fn sort(&mut self) {
        for changes in self
            .lead_changes
            .values_mut()
            .chain(self.opp_changes.values_mut())
        {
            changes.sort_by_key(|c| c.at);
        }
    }
}

/// A field's values over time: the value it had from `since` (the first change's old value,
/// else the value now), then each change. Oldest first.
pub fn values_over_time<'a>(
    since: DateTime<Utc>,
    now: Option<String>,
    changes: impl Iterator<Item = &'a Change>,
) -> Vec<(DateTime<Utc>, String)> {
    let changes: Vec<&Change> = changes.collect();
    let first = match changes.first() {
        Some(c) => c.old.map(|v| v.as_str().to_string()),
        None => now,
    };
    let mut out = vec![(since, first.unwrap_or_default())];
    out.extend(changes.iter().map(|c| {
        (
            c.at,
            c.new.map(|v| v.as_str().to_string()).unwrap_or_default(),
        )
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    #[test]
    fn a_field_starts_from_its_first_old_value_or_from_now() {
        let changes = [Change {
            at: at("2026-11-02T10:00:00Z"),
            field: Sym::new("Status"),
            old: Some(Sym::new("Open - Not Contacted")),
            new: Some(Sym::new("Marketing Qualified")),
        }];
        let since = at("2026-11-01T09:00:00Z");
        assert_eq!(
            values_over_time(since, Some("Marketing Qualified".into()), changes.iter()),
            vec![
                (since, "Open - Not Contacted".to_string()),
                (
                    at("2026-11-02T10:00:00Z"),
                    "Marketing Qualified".to_string()
                ),
            ]
        );
        assert_eq!(
            values_over_time(since, Some("Nurture".into()), [].iter()),
            vec![(since, "Nurture".to_string())]
        );
    }

    #[test]
    fn only_the_tracked_fields_history_is_kept() {
        let row = |field: &str, new: &str| {
            Row(serde_json::json!({
                "Id": "017000000000001AAA", "LeadId": "00Q000000000001AAA",
                "Field": field, "OldValue": null, "NewValue": new,
                "CreatedDate": "2026-11-02T10:00:00.000+0000",
            })
            .as_object()
            .cloned()
            .unwrap_or_default())
        };
        let tracked: Tracked = ["Status".to_string()].into();
        let mut side = Side::default();
        side.add_lead_change(
            &row("Description", "a rep's free text, kept nowhere"),
            &tracked,
        );
        side.add_lead_change(&row("Status", "Working - Contacted"), &tracked);
        let changes = &side.lead_changes["00Q000000000001AAA"];
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field.as_str(), "Status");
        assert_eq!(
            changes[0].new.map(|v| v.as_str()),
            Some("Working - Contacted")
        );
        assert_eq!(changes[0].old, None);
    }
}
