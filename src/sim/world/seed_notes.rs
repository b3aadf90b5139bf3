//! Notes written by the simulated sales team, in tandem's tag-line convention.
//!
//! The first line of a note is a tag line tandem parses: `#feedback campaign="…" verdict=works`
//! tells marketing how a campaign's message lands in real conversations, and
//! `#recycle reason=no_budget` explains why a lead went back to nurture. Verdicts lean per
//! campaign (some messages work, some do not) so the cockpit has a story to show.

use chrono::{DateTime, Duration, Utc};

use super::generate::Placed;
use super::names::*;
use super::plan::{Fate, Plan};
use super::time::minus_business_hours;
use super::{ObjType, World};
use crate::sim::rng::Rng;

pub struct NoteSpec {
    pub contact: u64,
    pub owner: u64,
    pub ts: DateTime<Utc>,
    pub body: String,
}

/// How often each campaign in [`CAMPAIGNS`] gets a `works` verdict.
const WORKS_RATE: &[f64] = &[0.8, 0.35, 0.7, 0.5, 0.25, 0.85, 0.4, 0.9];

pub fn feedback_body(rng: &mut Rng, campaign_idx: usize) -> String {
    let works = rng.chance(WORKS_RATE[campaign_idx % WORKS_RATE.len()]);
    let (verdict, pool) = if works {
        ("works", FEEDBACK_WORKS)
    } else {
        ("does_not_work", FEEDBACK_FAILS)
    };
    format!(
        "#feedback campaign=\"{}\" verdict={verdict}\n{}",
        CAMPAIGNS[campaign_idx].0,
        rng.pick(pool)
    )
}

pub fn recycle_body(rng: &mut Rng, lost_deal: bool) -> String {
    let (reason, text) = if lost_deal {
        // Lost deals are recycled for commercial reasons, not silence.
        *rng.pick(&[RECYCLE_REASONS[0], RECYCLE_REASONS[1], RECYCLE_REASONS[4]])
    } else {
        *rng.pick(RECYCLE_REASONS)
    };
    format!("#recycle reason={reason}\n{text}")
}

pub fn recycle_note(
    rng: &mut Rng,
    contact: u64,
    owner: u64,
    at: DateTime<Utc>,
    plan: &Plan,
) -> NoteSpec {
    NoteSpec {
        contact,
        owner,
        ts: at,
        body: recycle_body(rng, plan.lost_deal),
    }
}

fn worked(placed: &[Placed]) -> Vec<&Placed> {
    placed
        .iter()
        .filter(|p| p.sales_owner.is_some() && p.plan.accepted.is_some())
        .collect()
}

/// 30–60 feedback notes spread over the last six weeks.
pub fn feedback_notes(rng: &mut Rng, placed: &[Placed], now: DateTime<Utc>) -> Vec<NoteSpec> {
    let pool = worked(placed);
    if pool.is_empty() {
        return Vec::new();
    }
    let count = (placed.len() / 60).clamp(30, 60);
    (0..count)
        .map(|_| {
            let p = pool[rng.below(pool.len() as u64) as usize];
            let campaign = if rng.chance(0.7) {
                CAMPAIGNS
                    .iter()
                    .position(|c| c.0 == p.last_campaign)
                    .unwrap_or(0)
            } else {
                rng.below(CAMPAIGNS.len() as u64) as usize
            };
            let from = p
                .plan
                .accepted
                .expect("worked")
                .max(now - Duration::days(42));
            NoteSpec {
                contact: p.id,
                owner: p.sales_owner.expect("worked"),
                ts: between(rng, from, now),
                body: feedback_body(rng, campaign),
            }
        })
        .collect()
}

/// Ordinary, untagged call notes on worked leads.
pub fn plain_notes(rng: &mut Rng, placed: &[Placed], now: DateTime<Utc>) -> Vec<NoteSpec> {
    let pool: Vec<_> = worked(placed)
        .into_iter()
        .filter(|p| p.plan.fate != Fate::Sal || p.plan.activity.is_some())
        .collect();
    if pool.is_empty() {
        return Vec::new();
    }
    let count = (placed.len() / 40).clamp(10, 150);
    (0..count)
        .map(|_| {
            let p = pool[rng.below(pool.len() as u64) as usize];
            let from = p.plan.accepted.expect("worked");
            let to = p.plan.exited.unwrap_or(now);
            NoteSpec {
                contact: p.id,
                owner: p.sales_owner.expect("worked"),
                ts: between(rng, from, to),
                body: rng.pick(PLAIN_NOTES).to_string(),
            }
        })
        .collect()
}

/// A moment in `[from, to)`, pulled back into business hours when that stays in range:
/// reps write notes at their desks, not at 3 a.m.
fn between(rng: &mut Rng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    let span = (to - from).num_milliseconds().max(1) as u64;
    let t = from + Duration::milliseconds(rng.below(span) as i64);
    let at_desk = minus_business_hours(t, rng.uniform(0.0, 0.5));
    if at_desk >= from { at_desk } else { t }
}

/// Store a note, link it to its contact, and bump the contact's `notes_last_updated`.
pub fn insert(w: &mut World, n: NoteSpec) -> u64 {
    let ts = super::time::trunc_ms(n.ts);
    let id = w.insert_new(ObjType::Notes, ts);
    let note = w.get_mut(ObjType::Notes, id).expect("just inserted");
    note.set("hs_note_body", n.body);
    note.set_ts("hs_timestamp", ts);
    note.set("hubspot_owner_id", n.owner.to_string());
    w.associate(ObjType::Notes, id, ObjType::Contacts, n.contact);
    if let Some(c) = w.get_mut(ObjType::Contacts, n.contact) {
        c.set_ts("notes_last_updated", ts);
        if c.updated_at < ts {
            c.set_ts("lastmodifieddate", ts);
            c.updated_at = ts;
        }
    }
    id
}
