//! Notes written by the simulated sales team, in tandem's tag-line convention.
//!
//! The first line of a note is a tag line tandem parses: `#feedback campaign="…" verdict=works`
//! tells marketing how a campaign's message lands in real conversations, and
//! `#recycle reason=no_budget` explains why a lead went back to nurture. Verdicts lean per
//! campaign (some messages work, some do not) so the cockpit has a story to show. Which
//! touches leave a note, and what it says, comes from the step's salt, so a note reads the
//! same whether its step was generated into history or replayed live.

use chrono::{DateTime, Utc};

use super::journey::{Draw, draws};
use super::names::*;
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

/// The call note a sales touch leaves, if it leaves one (about one touch in eight).
pub fn touch_note(salt: u64) -> Option<String> {
    let mut rng = draws(salt, Draw::Note);
    rng.chance(0.12).then(|| rng.pick(PLAIN_NOTES).to_string())
}

/// The `#recycle` note the seller leaves on most recycles.
pub fn recycle_note(salt: u64, lost_deal: bool) -> Option<String> {
    let mut rng = draws(salt, Draw::Note);
    rng.chance(0.85).then(|| recycle_body(&mut rng, lost_deal))
}

/// Feedback on the lead's last-touch campaign, or now and then on another one.
pub fn feedback_note(salt: u64, last_campaign: Option<&str>) -> String {
    let mut rng = draws(salt, Draw::Note);
    let own = last_campaign.and_then(|c| CAMPAIGNS.iter().position(|x| x.0 == c));
    let campaign = match own {
        Some(i) if rng.chance(0.7) => i,
        _ => rng.below(CAMPAIGNS.len() as u64) as usize,
    };
    feedback_body(&mut rng, campaign)
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
