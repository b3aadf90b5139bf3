//! Marketo's activity log over the same world: each contact's creation (New Lead), its
//! converting form fills with the program status change they made (the campaign touches),
//! every marketing email sent, and its lead status changes synced from Salesforce (Change
//! Data Value, for `leadchanges.json`). Read with paging tokens.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::sim::api::salesforce::history::lead_changes;
use crate::sim::world::names::CAMPAIGNS;
use crate::sim::world::{ObjType, Record, World};

pub const NEW_LEAD: u32 = 12;
pub const FILL_OUT_FORM: u32 = 2;
pub const SEND_EMAIL: u32 = 6;
pub const CHANGE_DATA_VALUE: u32 = 13;
pub const PROGRAM_STATUS: u32 = 104;

/// The activity types served, as `activities/types.json` lists them.
pub const TYPES: [(u32, &str, &str); 5] = [
    (FILL_OUT_FORM, "Fill Out Form", "Form Name"),
    (SEND_EMAIL, "Send Email", "Mail"),
    (NEW_LEAD, "New Lead", "Lead Source"),
    (CHANGE_DATA_VALUE, "Change Data Value", "Attribute Name"),
    (PROGRAM_STATUS, "Change Status in Progression", "Program"),
];

/// The program a campaign is (ids from 1001 in [`CAMPAIGNS`] order).
pub fn program_id(campaign: &str) -> Option<u64> {
    CAMPAIGNS
        .iter()
        .position(|(c, _)| *c == campaign)
        .map(|i| 1001 + i as u64)
}

/// One activity: (when, id, type, its JSON made on demand: a page builds 300 of the
/// thousands it sorts).
pub type Activity = (DateTime<Utc>, u64, u32, Box<dyn Fn() -> Value + Send>);

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A lead status change's old and new values (Change Data Value's `fields`).
type Values = (Option<String>, Option<String>);

fn activity(
    (id, lead, at, kind): (u64, u64, DateTime<Utc>, u32),
    primary: (Option<u64>, String),
    attributes: fn(u64) -> Value,
    change: Option<Values>,
) -> Activity {
    let make = move || {
        let mut body = json!({
            "id": id,
            "marketoGUID": id.to_string(),
            "leadId": lead,
            "activityDate": ts(at),
            "activityTypeId": kind,
            "campaignId": primary.0,
            "primaryAttributeValueId": primary.0,
            "primaryAttributeValue": primary.1,
            "attributes": attributes(lead),
        });
        if let Some((old, new)) = &change {
            body["fields"] =
                json!([{ "id": 31, "name": "leadStatus", "newValue": new, "oldValue": old }]);
        }
        body
    };
    (at, id, kind, Box::new(make))
}

/// Every activity of contact `c` (its lead status changes only when `with_changes`: they
/// cost the most and come last, so leaving them out moves no other activity's id).
pub fn of_contact(w: &World, c: &Record, with_changes: bool) -> Vec<Activity> {
    let mut out = Vec::new();
    let mut n = 0u64;
    let mut next_id = || {
        n += 1;
        c.id * 1000 + n
    };
    out.push(activity(
        (next_id(), c.id, c.created_at, NEW_LEAD),
        (None, c.get("hs_analytics_source").unwrap_or("").to_string()),
        |_| json!([{ "name": "Source Type", "value": "New lead" }]),
        None,
    ));
    // The converting campaigns, dated as HubSpot dates its first and most recent ones.
    let first_at = c.ts("first_conversion_date").unwrap_or(c.created_at);
    let recent_at = c.ts("recent_conversion_date").unwrap_or(first_at);
    let first = c.get("hs_analytics_first_touch_converting_campaign");
    let last = c.get("hs_analytics_last_touch_converting_campaign");
    let mut conversions = Vec::new();
    if let Some(f) = first {
        conversions.push((f, first_at));
    }
    if let Some(l) = last
        && !(Some(l) == first && recent_at == first_at)
    {
        conversions.push((l, recent_at));
    }
    for (campaign, at) in conversions {
        let form = CAMPAIGNS
            .iter()
            .find(|(c, _)| *c == campaign)
            .map_or("Contact us", |(_, f)| *f);
        out.push(activity(
            (next_id(), c.id, at, FILL_OUT_FORM),
            (None, form.to_string()),
            |_| json!([{ "name": "Webpage ID", "value": 1 }]),
            None,
        ));
        out.push(activity(
            (next_id(), c.id, at, PROGRAM_STATUS),
            (program_id(campaign), campaign.to_string()),
            |lead| {
                json!([
                    { "name": "New Status", "value": "Filled-out Form" },
                    { "name": "Old Status", "value": "Not in Program" },
                    { "name": "Success", "value": true },
                    { "name": "Program Member ID", "value": lead },
                ])
            },
            None,
        ));
    }
    for at in c.times_of("hs_email_last_send_date") {
        out.push(activity(
            (next_id(), c.id, at, SEND_EMAIL),
            (Some(2000), "Nurture - recycled leads.Email".to_string()),
            |_| json!([{ "name": "Campaign Run ID", "value": 1 }]),
            None,
        ));
    }
    // Status changes come last, so leaving them out moves no other activity's id.
    let changes = if with_changes {
        lead_changes(w, c)
    } else {
        Vec::new()
    };
    for ch in changes.into_iter().filter(|ch| ch.field == "Status") {
        out.push(activity(
            (next_id(), c.id, ch.at, CHANGE_DATA_VALUE),
            (None, "Lead Status".to_string()),
            |_| json!([{ "name": "Source", "value": "sfdc" }]),
            Some((ch.old, ch.new)),
        ));
    }
    out
}

/// Every activity of `types` (and of `leads`, if given) after the position `(at, id)`,
/// oldest first.
pub fn after(
    w: &World,
    from: (DateTime<Utc>, u64),
    types: &[u32],
    leads: Option<&[u64]>,
) -> Vec<Activity> {
    let contacts: Vec<&Record> = match leads {
        Some(ids) => ids
            .iter()
            .filter_map(|id| w.live(ObjType::Contacts, *id))
            .collect(),
        None => w
            .table(ObjType::Contacts)
            .values()
            .filter(|c| !c.archived)
            .collect(),
    };
    let mut out: Vec<Activity> = contacts
        .into_iter()
        .flat_map(|c| of_contact(w, c, types.contains(&CHANGE_DATA_VALUE)))
        .filter(|(at, id, kind, _)| types.contains(kind) && (*at, *id) > from)
        .collect();
    out.sort_by_key(|(at, id, _, _)| (*at, *id));
    out
}

/// A paging token for the position `(at, id)`: opaque to clients, as Marketo's are.
pub fn token(at: DateTime<Utc>, id: u64) -> String {
    let raw = format!("{}:{id}", at.timestamp_millis());
    raw.bytes().map(|b| format!("{b:02X}")).collect()
}

pub fn untoken(raw: &str) -> Option<(DateTime<Utc>, u64)> {
    let bytes: Option<Vec<u8>> = (0..raw.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(raw.get(i..i + 2)?, 16).ok())
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    let (ms, id) = text.split_once(':')?;
    Some((
        DateTime::from_timestamp_millis(ms.parse().ok()?)?,
        id.parse().ok()?,
    ))
}
