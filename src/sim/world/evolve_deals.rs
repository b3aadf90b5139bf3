//! Deal steps of a live world: an SQL's deal is opened, moves through the default pipeline
//! and closes won (the contact becomes a customer) or lost (the contact is recycled).

use chrono::{DateTime, Duration, Utc};

use super::deals::{deal_terms, lost_reason};
use super::evolve::{recycle, s, sales_owner_of, set_on};
use super::journey::{Event, Step};
use super::write::{self, Changes};
use super::{ObjType, World};

pub(super) fn open_deal(w: &mut World, at: DateTime<Utc>, contact: u64, salt: u64) {
    let Some(c) = w.get(ObjType::Contacts, contact) else {
        return;
    };
    let Some(owner) = sales_owner_of(w, c) else {
        return;
    };
    let (amount, product, expected) = deal_terms(salt, c.get("numemployees").unwrap_or(""));
    let name = format!("{} - {product}", c.get("company").unwrap_or("Unknown"));
    let ts = w.stamp_at(at);
    let deal = w.insert_new(ObjType::Deals, ts);
    let props: Changes = [
        ("dealname", name),
        ("amount", amount.to_string()),
        ("dealstage", "appointmentscheduled".to_string()),
        ("pipeline", "default".to_string()),
        (
            "closedate",
            super::time::fmt_ts(ts + Duration::days(expected)),
        ),
        ("hubspot_owner_id", owner.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Some(v)))
    .collect();
    write::commit(
        w,
        ObjType::Deals,
        deal,
        props,
        ts,
        super::history::Source::CrmUi,
    );
    w.associate(ObjType::Deals, deal, ObjType::Contacts, contact);
    set_on(
        w,
        ObjType::Contacts,
        at,
        contact,
        &[
            ("lifecyclestage", s("opportunity")),
            ("hs_lead_status", s("OPEN_DEAL")),
        ],
    );
}

/// The contact's open deal, if it has one.
fn open_deal_of(w: &World, contact: u64) -> Option<(u64, usize)> {
    let stages = super::schema::DEAL_STAGES;
    w.get(ObjType::Contacts, contact)?
        .linked(ObjType::Deals)
        .filter_map(|id| {
            let stage = w.live(ObjType::Deals, id)?.get("dealstage")?;
            let idx = stages[..5].iter().position(|s| *s == stage)?;
            Some((id, idx))
        })
        .next()
}

/// Advance, win or lose the contact's open deal.
pub(super) fn deal_step(w: &mut World, contact: u64, e: Event) {
    let Some((deal, idx)) = open_deal_of(w, contact) else {
        return;
    };
    let stages = super::schema::DEAL_STAGES;
    let at = e.at;
    let now = || Some(super::time::fmt_ts(at));
    match e.step {
        Step::Advance if idx + 1 < 5 => {
            set_on(
                w,
                ObjType::Deals,
                at,
                deal,
                &[("dealstage", s(stages[idx + 1]))],
            );
        }
        Step::Win => {
            let props = [("dealstage", s("closedwon")), ("closedate", now())];
            set_on(w, ObjType::Deals, at, deal, &props);
            set_on(
                w,
                ObjType::Contacts,
                at,
                contact,
                &[("lifecyclestage", s("customer"))],
            );
        }
        Step::Lose => {
            let props = [
                ("dealstage", s("closedlost")),
                ("closedate", now()),
                ("closed_lost_reason", s(lost_reason(e.salt))),
            ];
            set_on(w, ObjType::Deals, at, deal, &props);
            recycle(w, at, contact, e.salt, true);
        }
        _ => {}
    }
}
