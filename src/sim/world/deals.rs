//! Deals as generation writes them and a live world opens them: terms from the opening
//! step's salt (so a deal reads the same either way), the stage its journey reached.

use chrono::{DateTime, Duration, Utc};

use super::generate::Company;
use super::journey::{Draw, draws};
use super::names::*;
use super::plan::{DealPlan, Plan};
use super::{ObjType, World};

pub(super) struct DealSpec {
    pub(super) contact: u64,
    owner: u64,
    pub(super) created: DateTime<Utc>,
    name: String,
    amount: i64,
    stage: &'static str,
    close: DateTime<Utc>,
    lost_reason: Option<&'static str>,
    modified: DateTime<Utc>,
    /// The stage and close-date history its replayed journey wrote (`history::Replayer`).
    pub(super) history: Vec<super::history::Change>,
}

/// A deal's amount, product and expected close (days after it opened), from its salt and
/// the company's size; shared with deals opened in a live world.
pub(super) fn deal_terms(salt: u64, size: &str) -> (i64, &'static str, i64) {
    let mut rng = draws(salt, Draw::Deal);
    let size_factor = match size {
        "1-5" | "5-25" => 0.4,
        "25-50" | "50-100" => 0.8,
        "100-500" => 1.0,
        "500-1000" | "1000-5000" => 2.0,
        _ => 3.5,
    };
    let amount = ((rng.uniform(8_000.0, 60_000.0) * size_factor / 500.0).round() * 500.0) as i64;
    (amount, *rng.pick(DEAL_PRODUCTS), rng.range(14, 90))
}

/// The lost reason a losing step's salt picks.
pub(super) fn lost_reason(salt: u64) -> &'static str {
    let reason: &&'static str = draws(salt, Draw::Detail).pick(LOST_REASONS);
    reason
}

pub(super) fn deal_spec(
    contact: u64,
    owner: u64,
    opp: DateTime<Utc>,
    deal: &DealPlan,
    plan: &Plan,
    company: &Company,
    anchor: DateTime<Utc>,
) -> DealSpec {
    let (amount, product, expected) = deal_terms(deal.salt, company.size);
    let (stage, close, lost_reason, modified) = match (deal.won, plan.closed) {
        (Some(true), Some(c)) => ("closedwon", c, None, c),
        (Some(false), Some(c)) => ("closedlost", c, Some(lost_reason(plan.exit_salt)), c),
        _ => {
            let open = &super::schema::DEAL_STAGES[..5];
            let stage = open[deal.advances.min(open.len() - 1)];
            (stage, opp + Duration::days(expected), None, deal.moved)
        }
    };
    debug_assert!(modified <= anchor);
    DealSpec {
        contact,
        owner,
        created: opp,
        name: format!("{} - {product}", company.name),
        amount,
        stage,
        close,
        lost_reason,
        modified,
        history: Vec::new(),
    }
}

pub(super) fn insert_deal(w: &mut World, d: DealSpec) {
    let id = w.insert_new(ObjType::Deals, d.created);
    let r = w.get_mut(ObjType::Deals, id).expect("just inserted");
    r.set("dealname", d.name);
    r.set("amount", d.amount.to_string());
    r.set("dealstage", d.stage);
    r.set("pipeline", "default");
    r.set_ts("closedate", super::time::trunc_ms(d.close));
    r.set("hubspot_owner_id", d.owner.to_string());
    if let Some(reason) = d.lost_reason {
        r.set("closed_lost_reason", reason);
    }
    r.history = super::history::ending_on(d.history, &super::history::DEAL_REPLAYED, r);
    w.touch(ObjType::Deals, id, d.modified);
    w.associate(ObjType::Deals, id, ObjType::Contacts, d.contact);
}
