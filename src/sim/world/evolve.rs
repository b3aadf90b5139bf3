//! One step of a live world: the funnel keeps moving while a client watches.
//!
//! Each step is a handful of small, plausible events (new inquiries, MQL promotions, sales
//! accepting and working leads, deals moving and closing, nurture emails, the odd feedback
//! note), all written through [`write::commit`] so they carry the same derived stamps and
//! strictly increasing `lastmodifieddate`s as API writes. A client polling every few seconds
//! sees changes within a minute.

use super::names::*;
use super::seed_notes::{self, NoteSpec};
use super::write::{self, Changes};
use super::{ObjType, Record, Team, World};
use crate::sim::rng::Rng;

pub fn step(w: &mut World) {
    let mut rng = std::mem::replace(&mut w.rng, Rng::new(0));
    for _ in 0..rng.range(1, 3) {
        new_inquiry(w, &mut rng);
    }
    for _ in 0..rng.range(0, 2) {
        promote_to_mql(w, &mut rng);
    }
    for _ in 0..rng.range(0, 2) {
        accept_mql(w, &mut rng);
    }
    for _ in 0..rng.range(1, 3) {
        log_activity(w, &mut rng);
    }
    if rng.chance(0.4) {
        qualify(w, &mut rng);
    }
    if rng.chance(0.3) {
        super::evolve_deals::open_deal(w, &mut rng);
    }
    if rng.chance(0.5) {
        super::evolve_deals::move_deal(w, &mut rng);
    }
    for _ in 0..rng.range(1, 3) {
        nurture_email(w, &mut rng);
    }
    if rng.chance(0.25) {
        feedback(w, &mut rng);
    }
    if rng.chance(0.08) {
        give_up(w, &mut rng);
    }
    w.rng = rng;
}

pub(super) fn set(w: &mut World, t: ObjType, id: u64, props: &[(&str, Option<String>)]) {
    let ts = w.stamp();
    let changes: Changes = props
        .iter()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect();
    write::commit(w, t, id, changes, ts);
}

pub(super) fn s(v: impl AsRef<str>) -> Option<String> {
    Some(v.as_ref().to_string())
}

/// A random live contact matching `pred`.
pub(super) fn pick_contact(
    w: &World,
    rng: &mut Rng,
    pred: impl Fn(&Record) -> bool,
) -> Option<u64> {
    let ids: Vec<u64> = w
        .table(ObjType::Contacts)
        .values()
        .filter(|r| !r.archived && pred(r))
        .map(|r| r.id)
        .collect();
    (!ids.is_empty()).then(|| ids[rng.below(ids.len() as u64) as usize])
}

pub(super) fn is(r: &Record, prop: &str, value: &str) -> bool {
    r.get(prop) == Some(value)
}

pub(super) fn sales_owner_of(w: &World, r: &Record) -> Option<u64> {
    let id = r.get("hubspot_owner_id")?.parse().ok()?;
    (w.owner(id)?.team == Team::Sales).then_some(id)
}

fn new_inquiry(w: &mut World, rng: &mut Rng) {
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
    let stage = if rng.chance(0.4) {
        "subscriber"
    } else {
        "lead"
    };
    let ts = w.stamp();
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
    write::commit(w, ObjType::Contacts, id, props, ts);
}

fn promote_to_mql(w: &mut World, rng: &mut Rng) {
    let Some(id) = pick_contact(w, rng, |r| {
        is(r, "lifecyclestage", "lead") && r.get("hs_lead_status").is_none_or(|s| s == "NEW")
    }) else {
        return;
    };
    let status = if rng.chance(0.5) { s("NEW") } else { None };
    set(
        w,
        ObjType::Contacts,
        id,
        &[
            ("lifecyclestage", s("marketingqualifiedlead")),
            ("hs_lead_status", status),
        ],
    );
}

fn accept_mql(w: &mut World, rng: &mut Rng) {
    let Some(id) = pick_contact(w, rng, |r| {
        is(r, "lifecyclestage", "marketingqualifiedlead")
            && r.get("hs_lead_status").is_none_or(|s| s == "NEW")
    }) else {
        return;
    };
    let owner = *rng.pick(&w.owners_in(Team::Sales));
    set(
        w,
        ObjType::Contacts,
        id,
        &[
            ("hs_lead_status", s("OPEN")),
            ("hubspot_owner_id", Some(owner.to_string())),
        ],
    );
}

/// A rep calls or emails a lead they own. [`write::commit`] turns the lead's first activity
/// into `hs_sa_first_engagement_date` as well; later ones only move `notes_last_contacted`.
fn log_activity(w: &mut World, rng: &mut Rng) {
    let Some(id) = pick_contact(w, rng, |r| {
        sales_owner_of(w, r).is_some()
            && r.get("hs_lead_status")
                .is_some_and(|s| !matches!(s, "UNQUALIFIED" | "BAD_TIMING"))
    }) else {
        return;
    };
    let ts = super::time::fmt_ts(w.now());
    let mut props = vec![("notes_last_contacted", Some(ts))];
    if w.get(ObjType::Contacts, id)
        .is_some_and(|r| is(r, "hs_lead_status", "OPEN"))
    {
        props.push((
            "hs_lead_status",
            s(rng.pick(&["ATTEMPTED_TO_CONTACT", "CONNECTED", "IN_PROGRESS"])),
        ));
    }
    set(w, ObjType::Contacts, id, &props);
}

fn qualify(w: &mut World, rng: &mut Rng) {
    let Some(id) = pick_contact(w, rng, |r| {
        is(r, "lifecyclestage", "marketingqualifiedlead")
            && r.get("hs_lead_status")
                .is_some_and(|s| matches!(s, "CONNECTED" | "IN_PROGRESS"))
    }) else {
        return;
    };
    set(
        w,
        ObjType::Contacts,
        id,
        &[("lifecyclestage", s("salesqualifiedlead"))],
    );
}

/// Hand a lead back to marketing: clear-then-set `lead`, BAD_TIMING, marketing owner, note.
pub(super) fn recycle(w: &mut World, rng: &mut Rng, contact: u64, lost_deal: bool) {
    let seller = w
        .get(ObjType::Contacts, contact)
        .and_then(|r| sales_owner_of(w, r));
    let marketer = *rng.pick(&w.owners_in(Team::Marketing));
    set(w, ObjType::Contacts, contact, &[("lifecyclestage", None)]);
    set(
        w,
        ObjType::Contacts,
        contact,
        &[
            ("lifecyclestage", s("lead")),
            ("hs_lead_status", s("BAD_TIMING")),
            ("hubspot_owner_id", Some(marketer.to_string())),
        ],
    );
    if let Some(owner) = seller {
        let ts = w.stamp();
        let body = seed_notes::recycle_body(rng, lost_deal);
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
}

fn give_up(w: &mut World, rng: &mut Rng) {
    if let Some(id) = pick_contact(w, rng, |r| {
        is(r, "hs_lead_status", "ATTEMPTED_TO_CONTACT") && sales_owner_of(w, r).is_some()
    }) {
        recycle(w, rng, id, false);
    }
}

fn nurture_email(w: &mut World, rng: &mut Rng) {
    let Some(id) = pick_contact(w, rng, |r| is(r, "hs_lead_status", "BAD_TIMING")) else {
        return;
    };
    let now = super::time::fmt_ts(w.now());
    set(
        w,
        ObjType::Contacts,
        id,
        &[("hs_email_last_send_date", Some(now))],
    );
}

fn feedback(w: &mut World, rng: &mut Rng) {
    let Some(id) = pick_contact(w, rng, |r| {
        sales_owner_of(w, r).is_some() && !is(r, "hs_lead_status", "UNQUALIFIED")
    }) else {
        return;
    };
    let contact = w.get(ObjType::Contacts, id).expect("picked");
    let owner = sales_owner_of(w, contact).expect("picked");
    let campaign = contact
        .get("hs_analytics_last_touch_converting_campaign")
        .and_then(|c| CAMPAIGNS.iter().position(|x| x.0 == c))
        .unwrap_or(0);
    let ts = w.stamp();
    let body = seed_notes::feedback_body(rng, campaign);
    seed_notes::insert(
        w,
        NoteSpec {
            contact: id,
            owner,
            ts,
            body,
        },
    );
}
