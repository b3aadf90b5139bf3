//! Deal steps of a live world: SQLs become opportunities with a deal, deals move through the
//! default pipeline and close won (contact becomes a customer) or lost (contact recycled).

use chrono::Duration;

use super::evolve::{is, pick_contact, recycle, s, sales_owner_of, set};
use super::names::*;
use super::write::{self, Changes};
use super::{ObjType, World};
use crate::sim::rng::Rng;

pub(super) fn open_deal(w: &mut World, rng: &mut Rng) {
    let Some(id) = pick_contact(w, rng, |r| {
        is(r, "lifecyclestage", "salesqualifiedlead") && sales_owner_of(w, r).is_some()
    }) else {
        return;
    };
    let contact = w.get(ObjType::Contacts, id).expect("picked");
    let owner = sales_owner_of(w, contact).expect("picked");
    let name = format!(
        "{} - {}",
        contact.get("company").unwrap_or("Unknown"),
        rng.pick(DEAL_PRODUCTS)
    );
    let ts = w.stamp();
    let close = ts + Duration::days(rng.range(14, 90));
    let deal = w.insert_new(ObjType::Deals, ts);
    let props: Changes = [
        ("dealname", name),
        ("amount", ((rng.range(8, 120)) * 1000).to_string()),
        ("dealstage", "appointmentscheduled".to_string()),
        ("pipeline", "default".to_string()),
        ("closedate", super::time::fmt_ts(close)),
        ("hubspot_owner_id", owner.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Some(v)))
    .collect();
    write::commit(w, ObjType::Deals, deal, props, ts);
    w.associate(ObjType::Deals, deal, ObjType::Contacts, id);
    set(
        w,
        ObjType::Contacts,
        id,
        &[
            ("lifecyclestage", s("opportunity")),
            ("hs_lead_status", s("OPEN_DEAL")),
        ],
    );
}

pub(super) fn move_deal(w: &mut World, rng: &mut Rng) {
    let open: Vec<u64> = w
        .table(ObjType::Deals)
        .values()
        .filter(|d| !d.archived && d.get("dealstage").is_some_and(|s| !s.starts_with("closed")))
        .map(|d| d.id)
        .collect();
    if open.is_empty() {
        return;
    }
    let deal = open[rng.below(open.len() as u64) as usize];
    let stages = super::schema::DEAL_STAGES;
    let cur = w
        .get(ObjType::Deals, deal)
        .and_then(|d| d.get("dealstage"))
        .unwrap_or(stages[0])
        .to_string();
    let idx = stages.iter().position(|s| *s == cur).unwrap_or(0);
    let contact = w
        .get(ObjType::Deals, deal)
        .and_then(|d| d.linked(ObjType::Contacts).next());
    let roll = rng.unit();
    if roll < 0.6 && idx + 1 < 5 {
        set(
            w,
            ObjType::Deals,
            deal,
            &[("dealstage", s(stages[idx + 1]))],
        );
    } else if roll < 0.85 {
        let now = super::time::fmt_ts(w.now());
        set(
            w,
            ObjType::Deals,
            deal,
            &[("dealstage", s("closedwon")), ("closedate", Some(now))],
        );
        if let Some(c) = contact {
            set(
                w,
                ObjType::Contacts,
                c,
                &[("lifecyclestage", s("customer"))],
            );
        }
    } else {
        let reason = s(rng.pick(LOST_REASONS));
        let now = super::time::fmt_ts(w.now());
        set(
            w,
            ObjType::Deals,
            deal,
            &[
                ("dealstage", s("closedlost")),
                ("closedate", Some(now)),
                ("closed_lost_reason", reason),
            ],
        );
        if let Some(c) = contact {
            recycle(w, rng, c, true);
        }
    }
}
