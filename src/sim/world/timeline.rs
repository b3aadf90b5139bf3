//! A live world's future: the steps its journeys have yet to take, and the contacts yet to
//! arrive, replayed in time order as the clock reaches them.
//!
//! Nothing here reads the clock: [`advance`] applies everything due up to the instant it is
//! given, so a live world is a pure function of its seed, size, anchor and that instant,
//! however the instant is reached (one jump or many small ticks). Writes through the API
//! change what later steps find; a step whose contact has moved on is skipped
//! (`evolve.rs`).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Utc};

use super::journey::{self, Decks, Event, HISTORY_HOURS, Step};
use super::time::plus_business_hours;
use super::{World, evolve};
use crate::sim::rng::Rng;

pub struct Timeline {
    pending: BinaryHeap<Reverse<Pending>>,
    /// Breaks ties between steps due at the same instant: first planned, first applied.
    seq: u64,
    decks: Decks,
    /// Arrival gaps and the journeys of new contacts.
    rng: Rng,
    next_arrival: DateTime<Utc>,
    /// Mean business hours between two arrivals.
    gap: f64,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    at: DateTime<Utc>,
    seq: u64,
    contact: u64,
    step: Step,
    salt: u64,
}

impl Timeline {
    /// New contacts arrive at the pace the history had: `contacts` per [`HISTORY_HOURS`].
    pub fn new(decks: Decks, mut rng: Rng, anchor: DateTime<Utc>, contacts: usize) -> Self {
        let gap = HISTORY_HOURS / contacts.max(1) as f64;
        let next_arrival = plus_business_hours(anchor, arrival_gap(&mut rng, gap));
        Timeline {
            pending: BinaryHeap::new(),
            seq: 0,
            decks,
            rng,
            next_arrival,
            gap,
        }
    }

    pub fn push(&mut self, contact: u64, e: Event) {
        self.seq += 1;
        self.pending.push(Reverse(Pending {
            at: e.at,
            seq: self.seq,
            contact,
            step: e.step,
            salt: e.salt,
        }));
    }
}

/// Irregular but steady: between 0 and twice the mean, most often near it.
fn arrival_gap(rng: &mut Rng, mean: f64) -> f64 {
    mean * (rng.unit() + rng.unit())
}

/// Apply every step and arrival due at or before `to`, in time order.
pub fn advance(w: &mut World, to: DateTime<Utc>) {
    let Some(mut tl) = w.timeline.take() else {
        return;
    };
    loop {
        let arrival = tl.next_arrival;
        let step_due = tl
            .pending
            .peek()
            .is_some_and(|p| p.0.at <= to && p.0.at <= arrival);
        if step_due {
            let Reverse(p) = tl.pending.pop().expect("peeked");
            let e = Event {
                at: p.at,
                step: p.step,
                salt: p.salt,
            };
            evolve::apply(w, p.contact, e);
        } else if arrival <= to {
            let j = journey::journey(&mut tl.rng, &mut tl.decks, arrival);
            let id = evolve::arrive(w, &mut tl.rng, &j);
            for e in j.events {
                tl.push(id, e);
            }
            let gap = arrival_gap(&mut tl.rng, tl.gap);
            tl.next_arrival = plus_business_hours(arrival, gap);
        } else {
            break;
        }
    }
    w.timeline = Some(tl);
}
