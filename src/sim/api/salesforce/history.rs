//! Salesforce's opportunities, tasks and field history over the same world: a deal is an
//! `Opportunity` (its HubSpot stage as Salesforce's standard stage names), a note is a
//! `Task`, and the world's property history becomes `LeadHistory` (`Status`, `Owner`) and
//! `OpportunityFieldHistory` (`StageName`) rows, dated as they happened (metrics.md §1).

use crate::sim::world::{ObjType, Record, World};

use super::{Row, sf_id, sf_time, status_from};

/// Salesforce's standard opportunity stages, in order: (label, closed, won).
const OPPORTUNITY_STAGES: [(&str, bool, bool); 7] = [
    ("Prospecting", false, false),
    ("Qualification", false, false),
    ("Needs Analysis", false, false),
    ("Proposal/Price Quote", false, false),
    ("Negotiation/Review", false, false),
    ("Closed Won", true, true),
    ("Closed Lost", true, false),
];

/// HubSpot's default pipeline stages as Salesforce's standard opportunity stages.
pub(super) fn stage_name(dealstage: &str) -> &'static str {
    match dealstage {
        "appointmentscheduled" => "Prospecting",
        "qualifiedtobuy" => "Qualification",
        "presentationscheduled" => "Needs Analysis",
        "decisionmakerboughtin" => "Proposal/Price Quote",
        "contractsent" => "Negotiation/Review",
        "closedwon" => "Closed Won",
        "closedlost" => "Closed Lost",
        _ => "Prospecting",
    }
}

fn owner_user(w: &World, raw: Option<&str>) -> Option<String> {
    raw.and_then(|o| o.parse::<u64>().ok())
        .filter(|o| w.owner(*o).is_some())
        .map(|o| sf_id("005", o))
}

pub(super) fn opportunity_row(w: &World, d: &Record) -> Row {
    let stage = stage_name(d.get("dealstage").unwrap_or(""));
    let closed = stage.starts_with("Closed");
    let contact = d.assoc.first(ObjType::Contacts);
    Row::from([
        ("Id", Some(sf_id("006", d.id))),
        ("Name", d.get("dealname").map(str::to_string)),
        ("Amount", d.get("amount").map(str::to_string)),
        ("StageName", Some(stage.to_string())),
        ("IsClosed", Some(closed.to_string())),
        ("IsWon", Some((stage == "Closed Won").to_string())),
        (
            "CloseDate",
            d.ts("closedate").map(|t| t.format("%Y-%m-%d").to_string()),
        ),
        ("OwnerId", owner_user(w, d.get("hubspot_owner_id"))),
        ("ContactId", contact.map(|c| sf_id("003", c))),
        ("CreatedDate", Some(sf_time(d.created_at))),
        ("SystemModstamp", Some(sf_time(d.updated_at))),
    ])
}

pub(super) fn task_row(w: &World, n: &Record) -> Row {
    let body = n.get("hs_note_body").unwrap_or("");
    let subject: String = body
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(255)
        .collect();
    let who = n.assoc.first(ObjType::Contacts);
    let at = n.ts("hs_timestamp").unwrap_or(n.created_at);
    Row::from([
        ("Id", Some(sf_id("00T", n.id))),
        ("Subject", Some(subject)),
        ("Description", Some(body.to_string())),
        ("TaskSubtype", Some("Task".to_string())),
        ("Status", Some("Completed".to_string())),
        ("ActivityDate", Some(at.format("%Y-%m-%d").to_string())),
        ("CompletedDateTime", Some(sf_time(at))),
        ("WhoId", who.map(|c| sf_id("00Q", c))),
        ("OwnerId", owner_user(w, n.get("hubspot_owner_id"))),
        ("CreatedDate", Some(sf_time(at))),
        ("SystemModstamp", Some(sf_time(n.updated_at))),
    ])
}

/// Task ids from here on are a contact's logged calls, not notes: `ACTIVITY_IDS + contact *
/// 1000 + n` keeps them apart from every note's id.
const ACTIVITY_IDS: u64 = 500_000_000_000_000;

/// A contact's logged sales activities (each value `notes_last_contacted` took) as completed
/// call Tasks, dated to the millisecond by `CompletedDateTime`.
pub(super) fn activity_rows(w: &World, c: &Record) -> Vec<Row> {
    let owner = owner_user(w, c.get("hubspot_owner_id"));
    call_times(c)
        .into_iter()
        .enumerate()
        .map(|(k, at)| {
            Row::from([
                (
                    "Id",
                    Some(sf_id("00T", ACTIVITY_IDS + c.id * 1000 + k as u64)),
                ),
                ("Subject", Some("Call".to_string())),
                ("Description", None),
                ("TaskSubtype", Some("Call".to_string())),
                ("Status", Some("Completed".to_string())),
                ("ActivityDate", Some(at.format("%Y-%m-%d").to_string())),
                ("CompletedDateTime", Some(sf_time(at))),
                ("WhoId", Some(sf_id("00Q", c.id))),
                ("OwnerId", owner.clone()),
                ("CreatedDate", Some(sf_time(at))),
                ("SystemModstamp", Some(sf_time(at))),
            ])
        })
        .collect()
}

/// When a contact's logged calls happened, oldest first (at most 1,000).
pub(super) fn call_times(c: &Record) -> Vec<chrono::DateTime<chrono::Utc>> {
    let mut times = c.times_of("notes_last_contacted");
    times.truncate(1000);
    times
}

/// A field history row: what changed, from what to what, when. Its id is its parent's
/// number and the change's place among the parent's, so it never shifts as others are added.
pub(super) fn history_row(
    prefix: &str,
    (parent, k): (u64, u32),
    field: &'static str,
    parent_id: String,
    change: Change,
) -> Row {
    Row::from([
        ("Id", Some(sf_id(prefix, parent * 1000 + k as u64))),
        (field, Some(parent_id)),
        ("Field", Some(change.field.to_string())),
        ("OldValue", change.old),
        ("NewValue", change.new),
        ("CreatedDate", Some(sf_time(change.at))),
    ])
}

pub(in crate::sim::api) struct Change {
    pub field: &'static str,
    pub old: Option<String>,
    pub new: Option<String>,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A lead's `Status` and `Owner` changes, from the world's history of the properties they
/// are made of, oldest first.
pub(in crate::sim::api) fn lead_changes(w: &World, c: &Record) -> Vec<Change> {
    let mut entries: Vec<&crate::sim::world::history::Change> = c
        .history
        .iter()
        .filter(|h| {
            matches!(
                h.prop.as_str(),
                "lifecyclestage" | "hs_lead_status" | "hubspot_owner_id"
            )
        })
        .collect();
    entries.sort_by_key(|h| h.at);
    let (mut lifecycle, mut status, mut owner) = (String::new(), String::new(), None);
    let mut shown: Option<&'static str> = None;
    let mut out = Vec::new();
    let mut i = 0;
    while i < entries.len() {
        let at = entries[i].at;
        let owner_before = owner.clone();
        while i < entries.len() && entries[i].at == at {
            let h = entries[i];
            match h.prop.as_str() {
                "lifecyclestage" => lifecycle = h.value.to_string(),
                "hs_lead_status" => status = h.value.to_string(),
                _ => owner = owner_user(w, Some(&h.value)),
            }
            i += 1;
        }
        // A cleared stage is HubSpot's step on the way back: no status of its own.
        if !lifecycle.is_empty() {
            let now = status_from(&lifecycle, &status);
            if shown != Some(now) {
                if shown.is_some() {
                    out.push(Change {
                        field: "Status",
                        old: shown.map(str::to_string),
                        new: Some(now.to_string()),
                        at,
                    });
                }
                shown = Some(now);
            }
        }
        if owner != owner_before {
            out.push(Change {
                field: "Owner",
                old: owner_before,
                new: owner.clone(),
                at,
            });
        }
    }
    out
}

/// Salesforce's standard opportunity stages as `OpportunityStage` rows.
pub(super) fn stage_rows(w: &World) -> Vec<Row> {
    OPPORTUNITY_STAGES
        .iter()
        .enumerate()
        .map(|(i, (label, closed, won))| {
            Row::from([
                ("Id", Some(sf_id("01J", 100 + i as u64))),
                ("MasterLabel", Some(label.to_string())),
                ("ApiName", Some(label.to_string())),
                ("SortOrder", Some((i + 1).to_string())),
                ("IsClosed", Some(closed.to_string())),
                ("IsWon", Some(won.to_string())),
                ("IsActive", Some("true".to_string())),
                ("SystemModstamp", Some(sf_time(w.portal_created))),
            ])
        })
        .collect()
}

/// A deal's `StageName` changes, oldest first.
pub(super) fn stage_changes(d: &Record) -> Vec<Change> {
    let mut stages: Vec<_> = d.history.iter().filter(|h| h.prop == "dealstage").collect();
    stages.sort_by_key(|h| h.at);
    let mut before: Option<String> = None;
    let mut out = Vec::new();
    for h in stages {
        let now = stage_name(&h.value).to_string();
        if before.as_deref() != Some(now.as_str()) {
            if before.is_some() {
                out.push(Change {
                    field: "StageName",
                    old: before.clone(),
                    new: Some(now.clone()),
                    at: h.at,
                });
            }
            before = Some(now);
        }
    }
    out
}
