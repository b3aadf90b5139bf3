//! A live world's steps, written as HubSpot would record them.
//!
//! Each journey step (`journey.rs`) becomes writes through [`write::commit`] at the step's
//! own instant, so it carries the same derived stamps and strictly increasing
//! `lastmodifieddate`s as API writes, and never depends on when the server got round to it.
//! A step first checks that its contact is still where its journey left it: after a client
//! hands off, recycles or disqualifies a lead through the API, the steps planned for that
//! lead no longer fit and are skipped.

use chrono::{DateTime, Utc};

use super::history::Source;
use super::journey::{self, Draw, Event, Journey, Step, disqualified_as_other, draws};
use super::names::*;
use super::seed_notes::{self, NoteSpec};
use super::write::{self, Changes};
use super::{ObjType, Record, Team, World, evolve_deals};
use crate::sim::rng::Rng;

const MQL: &str = "marketingqualifiedlead";

/// Apply one step to `contact`, if it still fits.
pub(super) fn apply(w: &mut World, contact: u64, e: Event) {
    let Some(c) = w.live(ObjType::Contacts, contact) else {
        return;
    };
    let stage = c.get("lifecyclestage").unwrap_or("").to_string();
    let status = c.get("hs_lead_status").map(str::to_string);
    let owned = sales_owner_of(w, c).is_some();
    // Not yet looked at by sales.
    let unreviewed = status.as_deref().is_none_or(|s| s == "NEW");
    let open = !matches!(status.as_deref(), Some("UNQUALIFIED" | "BAD_TIMING"));
    let in_sales =
        open && owned && matches!(stage.as_str(), MQL | "salesqualifiedlead" | "opportunity");
    let at = e.at;
    match e.step {
        Step::Lead if stage == "subscriber" => {
            set(w, at, contact, &[("lifecyclestage", s("lead"))])
        }
        Step::Mql if matches!(stage.as_str(), "subscriber" | "lead") && open => {
            let status = draws(e.salt, Draw::Detail)
                .chance(0.5)
                .then(|| "NEW".into());
            let now = super::time::fmt_ts(at);
            set(
                w,
                at,
                contact,
                &[
                    ("lifecyclestage", s(MQL)),
                    ("hs_lead_status", status),
                    (
                        "hubspotscore",
                        Some(super::journey::mql_score(e.salt).to_string()),
                    ),
                    ("recent_conversion_date", Some(now)),
                ],
            );
        }
        Step::Accept if stage == MQL && unreviewed && !owned => {
            let owner = journey::choose(e.salt, &w.owners_in(Team::Sales));
            set(
                w,
                at,
                contact,
                &[
                    ("hs_lead_status", s("OPEN")),
                    ("hubspot_owner_id", Some(owner.to_string())),
                ],
            );
        }
        Step::Reject if stage == MQL && unreviewed => disqualify(w, at, contact, e.salt),
        Step::Touch if in_sales => touch(w, at, contact, e.salt, status.as_deref()),
        Step::Sql if stage == MQL && in_sales => {
            let status = *draws(e.salt, Draw::Detail).pick(&["IN_PROGRESS", "CONNECTED"]);
            set(
                w,
                at,
                contact,
                &[
                    ("lifecyclestage", s("salesqualifiedlead")),
                    ("hs_lead_status", s(status)),
                ],
            );
        }
        Step::OpenDeal if stage == "salesqualifiedlead" && in_sales => {
            evolve_deals::open_deal(w, at, contact, e.salt)
        }
        Step::Advance | Step::Win | Step::Lose if stage == "opportunity" && in_sales => {
            evolve_deals::deal_step(w, contact, e)
        }
        Step::Recycle if in_sales => recycle(w, at, contact, e.salt, false),
        Step::Disqualify if in_sales => disqualify(w, at, contact, e.salt),
        Step::NurtureEmail if status.as_deref() == Some("BAD_TIMING") => {
            let now = super::time::fmt_ts(at);
            set(w, at, contact, &[("hs_email_last_send_date", Some(now))]);
        }
        Step::Feedback if owned && status.as_deref() != Some("UNQUALIFIED") => {
            feedback(w, at, contact, e.salt)
        }
        Step::Evangelist if stage == "customer" => {
            set(w, at, contact, &[("lifecyclestage", s("evangelist"))])
        }
        // The contact has moved on.
        _ => {}
    }
}

/// Write `props` on a record at `at` (or just after the last write).
pub(super) fn set_on(
    w: &mut World,
    t: ObjType,
    at: DateTime<Utc>,
    id: u64,
    props: &[(&str, Option<String>)],
) {
    let ts = w.stamp_at(at);
    let changes: Changes = props
        .iter()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect();
    write::commit(w, t, id, changes, ts, source_of(props));
}

/// Who makes a simulated change: lead scoring (a workflow) makes an MQL; reps do the rest.
fn source_of(props: &[(&str, Option<String>)]) -> Source {
    let scored = props
        .iter()
        .any(|(n, v)| *n == "lifecyclestage" && v.as_deref() == Some(MQL));
    if scored {
        Source::Automation
    } else {
        Source::CrmUi
    }
}

fn set(w: &mut World, at: DateTime<Utc>, id: u64, props: &[(&str, Option<String>)]) {
    set_on(w, ObjType::Contacts, at, id, props);
}

pub(super) fn s(v: impl AsRef<str>) -> Option<String> {
    Some(v.as_ref().to_string())
}

pub(super) fn sales_owner_of(w: &World, r: &Record) -> Option<u64> {
    let id = r.get("hubspot_owner_id")?.parse().ok()?;
    (w.owner(id)?.team == Team::Sales).then_some(id)
}

/// Post a note by `owner` on `contact` at `at`.
fn note(w: &mut World, at: DateTime<Utc>, contact: u64, owner: u64, body: String) {
    let ts = w.stamp_at(at);
    seed_notes::insert(
        w,
        NoteSpec {
            contact,
            owner,
            ts,
            body,
        },
    );
}

fn owner_of(w: &World, contact: u64) -> Option<u64> {
    w.get(ObjType::Contacts, contact)
        .and_then(|r| sales_owner_of(w, r))
}

/// A rep calls or emails a lead they own. [`write::commit`] turns the lead's first activity
/// into `hs_sa_first_engagement_date` as well; later ones only move `notes_last_contacted`.
fn touch(w: &mut World, at: DateTime<Utc>, contact: u64, salt: u64, status: Option<&str>) {
    let mut props = vec![("notes_last_contacted", Some(super::time::fmt_ts(at)))];
    if status == Some("OPEN") {
        let working = ["ATTEMPTED_TO_CONTACT", "CONNECTED", "IN_PROGRESS"];
        props.push((
            "hs_lead_status",
            s(draws(salt, Draw::Detail).pick(&working)),
        ));
    }
    set(w, at, contact, &props);
    if let (Some(body), Some(owner)) = (seed_notes::touch_note(salt), owner_of(w, contact)) {
        note(w, at, contact, owner, body);
    }
}

fn feedback(w: &mut World, at: DateTime<Utc>, contact: u64, salt: u64) {
    let Some(c) = w.get(ObjType::Contacts, contact) else {
        return;
    };
    let Some(owner) = sales_owner_of(w, c) else {
        return;
    };
    let campaign = c.get("hs_analytics_last_touch_converting_campaign");
    let body = seed_notes::feedback_note(salt, campaign);
    note(w, at, contact, owner, body);
}

/// Hand a lead back to marketing: clear-then-set `lead`, BAD_TIMING, marketing owner, and
/// (mostly) the seller's `#recycle` note.
pub(super) fn recycle(w: &mut World, at: DateTime<Utc>, contact: u64, salt: u64, lost_deal: bool) {
    let seller = owner_of(w, contact);
    let marketer = journey::choose(salt, &w.owners_in(Team::Marketing));
    set(w, at, contact, &[("lifecyclestage", None)]);
    set(
        w,
        at,
        contact,
        &[
            ("lifecyclestage", s("lead")),
            ("hs_lead_status", s("BAD_TIMING")),
            ("hubspot_owner_id", Some(marketer.to_string())),
        ],
    );
    if let (Some(owner), Some(body)) = (seller, seed_notes::recycle_note(salt, lost_deal)) {
        note(w, at, contact, owner, body);
    }
}

/// UNQUALIFIED, and now and then the lifecycle stage `other` as well.
fn disqualify(w: &mut World, at: DateTime<Utc>, contact: u64, salt: u64) {
    let mut props = vec![("hs_lead_status", s("UNQUALIFIED"))];
    if disqualified_as_other(salt) {
        props.push(("lifecyclestage", s("other")));
    }
    set(w, at, contact, &props);
}

/// A new contact arrives at the start of its journey; returns its id.
pub(super) fn arrive(w: &mut World, rng: &mut Rng, j: &Journey) -> u64 {
    let first = *rng.pick(FIRST_NAMES);
    let last = *rng.pick(LAST_NAMES);
    let company = format!("{} {}", rng.pick(COMPANY_HEADS), rng.pick(COMPANY_TAILS));
    let slug: String = company
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let local = format!("{first}.{last}")
        .to_lowercase()
        .replace([' ', '\''], "");
    let campaign = rng.pick(CAMPAIGNS);
    let stage = if j.subscriber { "subscriber" } else { "lead" };
    let ts = w.stamp_at(j.created);
    let id = w.insert_new(ObjType::Contacts, ts);
    let email = format!("{local}.{id}@{slug}.example");
    let props: Changes = [
        ("firstname", first.to_string()),
        ("lastname", last.to_string()),
        ("email", email),
        ("company", company),
        ("jobtitle", rng.pick(JOB_TITLES).to_string()),
        (
            "country",
            COUNTRIES[rng.weighted(&COUNTRIES.iter().map(|c| c.1).collect::<Vec<_>>())]
                .0
                .to_string(),
        ),
        (
            "numemployees",
            rng.pick(super::schema::NUM_EMPLOYEES).to_string(),
        ),
        (
            "hs_analytics_source",
            SOURCES[rng.weighted(&SOURCES.iter().map(|s| s.1).collect::<Vec<_>>())]
                .0
                .to_string(),
        ),
        (
            "hs_analytics_first_touch_converting_campaign",
            campaign.0.to_string(),
        ),
        (
            "hs_analytics_last_touch_converting_campaign",
            campaign.0.to_string(),
        ),
        (
            "first_conversion_event_name",
            format!("{}: {}", campaign.0, campaign.1),
        ),
        (
            "recent_conversion_event_name",
            format!("{}: {}", campaign.0, campaign.1),
        ),
        ("first_conversion_date", super::time::fmt_ts(ts)),
        ("recent_conversion_date", super::time::fmt_ts(ts)),
        ("num_conversion_events", "1".to_string()),
        ("lifecyclestage", stage.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Some(v)))
    .collect();
    write::commit(w, ObjType::Contacts, id, props, ts, Source::Form);
    id
}
