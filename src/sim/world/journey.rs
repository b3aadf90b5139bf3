//! Journeys: everything that will ever happen to one contact, laid out forward in time.
//!
//! A contact is created, and from then on each stage either moves on or ends after a dwell
//! counted in business hours, so every stage move, sales touch, deal close and nurture email
//! falls on a weekday between 09:00 and 17:00 UTC. Outcomes are dealt from shuffled decks
//! ([`Decks`]) rather than rolled one by one: every 20 closed deals hold exactly 5 wins, so
//! even a small world converts at the rates the README states. The world at an instant is
//! its journeys cut at that instant: generation folds the past (`plan.rs`), and a live world
//! replays the rest as the clock reaches it (`timeline.rs`).

use chrono::{DateTime, Utc};

use super::plan::Plant;
use super::time::{business_hours_between, minus_business_hours, plus_business_hours};
use crate::sim::rng::{Rng, mix};

/// Business hours in a business day.
const DAY: f64 = 8.0;

/// Business hours the generated history spans, and so the time a world of any size takes to
/// receive as many new contacts as it starts with (25 weeks; 5 an hour for 5,000 contacts).
pub const HISTORY_HOURS: f64 = 1000.0;

/// The decks behind each funnel rate, as card counts per outcome (README, "The simulated
/// HubSpot"). Outcome 0 is the step forward.
mod rates {
    /// New contacts: lead (60%) or newsletter subscriber (40%).
    pub const ARRIVES_AS_LEAD: &[u32] = &[3, 2];
    /// Subscribers who later convert to a lead: 35%.
    pub const SUBSCRIBER_TO_LEAD: &[u32] = &[7, 13];
    /// Leads who become MQLs: 40% (with the subscribers, 30% of all inquiries).
    pub const LEAD_TO_MQL: &[u32] = &[2, 3];
    /// MQLs sales accepts (70%); the rest are rejected as unqualified.
    pub const MQL_ACCEPTED: &[u32] = &[7, 3];
    /// SALs: qualified (48%), recycled to nurture (32%), disqualified (20%).
    pub const SAL_OUTCOME: &[u32] = &[12, 8, 5];
    /// SQLs: opportunity (55%), recycled (30%), disqualified (15%).
    pub const SQL_OUTCOME: &[u32] = &[11, 6, 3];
    /// Closed deals won: 25%.
    pub const DEAL_WON: &[u32] = &[1, 3];
}

/// What happens to a contact (or its deal) at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// A subscriber converts again and becomes a lead.
    Lead,
    Mql,
    /// Sales accepts the MQL: an owner, status OPEN.
    Accept,
    /// Sales rejects the MQL as unqualified.
    Reject,
    /// A call or email by the owner.
    Touch,
    Sql,
    /// A deal is opened; the contact becomes an opportunity.
    OpenDeal,
    /// The deal moves to its next open stage.
    Advance,
    Win,
    /// The deal is lost and the contact goes back to marketing.
    Lose,
    /// Back to marketing's nurture.
    Recycle,
    Disqualify,
    NurtureEmail,
    /// The owner writes messaging feedback on the lead's campaign.
    Feedback,
    Evangelist,
}

#[derive(Debug, Clone, Copy)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub step: Step,
    /// Seeds the step's own choices (owner, reason, note text, deal terms), so they come out
    /// the same whether the step is folded into history or replayed live.
    pub salt: u64,
}

pub struct Journey {
    pub created: DateTime<Utc>,
    /// Arrived as a newsletter subscriber (else as a lead).
    pub subscriber: bool,
    /// In time order.
    pub events: Vec<Event>,
}

/// What a step's salt is drawn for; each purpose gets its own stream.
#[derive(Debug, Clone, Copy)]
pub enum Draw {
    Owner = 1,
    Note = 2,
    Detail = 3,
    Deal = 4,
    Score = 5,
}

/// The lead score the scoring workflow gives a contact as it makes it an MQL: 50 to 99, the
/// MQL threshold being 50.
pub fn mql_score(salt: u64) -> u64 {
    50 + draws(salt, Draw::Score).below(50)
}

/// The draws a step's salt gives for one purpose.
pub fn draws(salt: u64, purpose: Draw) -> Rng {
    Rng::new(mix(salt ^ mix(purpose as u64)))
}

/// The owner a step picks among `ids` (round-robin is not what reps see in a real portal).
pub fn choose(salt: u64, ids: &[u64]) -> u64 {
    *draws(salt, Draw::Owner).pick(ids)
}

/// Whether a rejection or disqualification also moves the lifecycle stage to `other` (30%).
pub(super) fn disqualified_as_other(salt: u64) -> bool {
    draws(salt, Draw::Detail).chance(0.3)
}

/// A shuffled deck of outcomes, dealt one card at a time and reshuffled when empty.
#[derive(Debug, Clone)]
struct Deck {
    counts: &'static [u32],
    pile: Vec<u8>,
    rng: Rng,
}

impl Deck {
    fn new(rng: &mut Rng, salt: u64, counts: &'static [u32]) -> Self {
        Deck {
            counts,
            pile: Vec::new(),
            rng: rng.fork(salt),
        }
    }

    fn deal(&mut self) -> u8 {
        if self.pile.is_empty() {
            for (outcome, &n) in self.counts.iter().enumerate() {
                self.pile
                    .extend(std::iter::repeat_n(outcome as u8, n as usize));
            }
            for i in (1..self.pile.len()).rev() {
                let j = self.rng.below(i as u64 + 1) as usize;
                self.pile.swap(i, j);
            }
        }
        self.pile.pop().expect("refilled")
    }
}

/// One deck per funnel decision, shared by every journey of a world in creation order.
#[derive(Debug, Clone)]
pub struct Decks {
    arrives_as_lead: Deck,
    subscriber_to_lead: Deck,
    lead_to_mql: Deck,
    mql_accepted: Deck,
    sal: Deck,
    sql: Deck,
    won: Deck,
}

impl Decks {
    pub fn new(mut rng: Rng) -> Self {
        let r = &mut rng;
        Decks {
            arrives_as_lead: Deck::new(r, 1, rates::ARRIVES_AS_LEAD),
            subscriber_to_lead: Deck::new(r, 2, rates::SUBSCRIBER_TO_LEAD),
            lead_to_mql: Deck::new(r, 3, rates::LEAD_TO_MQL),
            mql_accepted: Deck::new(r, 4, rates::MQL_ACCEPTED),
            sal: Deck::new(r, 5, rates::SAL_OUTCOME),
            sql: Deck::new(r, 6, rates::SQL_OUTCOME),
            won: Deck::new(r, 7, rates::DEAL_WON),
        }
    }
}

fn after(t: DateTime<Utc>, hours: f64) -> DateTime<Utc> {
    plus_business_hours(t, hours)
}

struct Planner<'a> {
    rng: &'a mut Rng,
    decks: &'a mut Decks,
    events: Vec<Event>,
}

/// The journey of a contact arriving at `created` (a business-hours instant).
pub fn journey(rng: &mut Rng, decks: &mut Decks, created: DateTime<Utc>) -> Journey {
    let mut p = Planner::new(rng, decks);
    let subscriber = !p.yes(|d| &mut d.arrives_as_lead);
    let mut lead = created;
    if subscriber {
        if !p.yes(|d| &mut d.subscriber_to_lead) {
            return p.done(created, true);
        }
        lead = after(created, p.days(3.0, 40.0));
        p.push(lead, Step::Lead);
    }
    if p.yes(|d| &mut d.lead_to_mql) {
        // A demo request qualifies at once; most leads score their way up over weeks.
        let wait = if p.rng.chance(0.3) {
            p.rng.uniform(0.1, 4.0)
        } else {
            p.days(1.0, 25.0)
        };
        let mql = after(lead, wait);
        p.push(mql, Step::Mql);
        p.review(mql, None);
    }
    p.done(created, subscriber)
}

/// A planted SLA case around `anchor`; after the anchor it carries on like any journey.
pub fn planted(rng: &mut Rng, decks: &mut Decks, anchor: DateTime<Utc>, plant: Plant) -> Journey {
    let mut p = Planner::new(rng, decks);
    let mql_before = |p: &mut Planner, accepted: DateTime<Utc>| {
        let bh = p.rng.uniform(0.2, 5.0);
        minus_business_hours(accepted, bh)
    };
    let mql = match plant {
        Plant::OverdueMql | Plant::FreshMql => {
            let age = match plant {
                Plant::OverdueMql => p.rng.uniform(12.0, 60.0),
                _ => p.rng.uniform(0.1, 3.0),
            };
            let mql = minus_business_hours(anchor, age);
            p.push(mql, Step::Mql);
            let review = after(anchor, p.rng.uniform(0.5, 12.0));
            p.review(mql, Some(review));
            mql
        }
        Plant::SilentSal => {
            let accepted = minus_business_hours(anchor, p.rng.uniform(26.0, 70.0));
            let mql = mql_before(&mut p, accepted);
            p.push(mql, Step::Mql);
            p.push(accepted, Step::Accept);
            let first = after(anchor, p.rng.uniform(0.5, 8.0));
            p.sal(accepted, Some(first));
            mql
        }
        Plant::ForgottenNurture => {
            // 11+ business days back is always more than 14 calendar days.
            let recycled = minus_business_hours(anchor, p.days(11.0, 32.0));
            let accepted = minus_business_hours(recycled, p.days(3.0, 15.0));
            let mql = mql_before(&mut p, accepted);
            p.push(mql, Step::Mql);
            p.push(accepted, Step::Accept);
            let first = after(accepted, p.rng.uniform(0.1, 8.0)).min(recycled);
            p.push(first, Step::Touch);
            p.touches(first, recycled);
            p.push(recycled, Step::Recycle);
            let mailed = after(anchor, p.days(0.5, 5.0));
            p.nurture(recycled, Some(mailed));
            mql
        }
    };
    let created = minus_business_hours(mql, p.days(0.0, 20.0));
    p.done(created, false)
}

impl<'a> Planner<'a> {
    fn new(rng: &'a mut Rng, decks: &'a mut Decks) -> Self {
        Planner {
            rng,
            decks,
            events: Vec::new(),
        }
    }

    fn done(mut self, created: DateTime<Utc>, subscriber: bool) -> Journey {
        self.events.sort_by_key(|e| e.at);
        Journey {
            created,
            subscriber,
            events: self.events,
        }
    }

    fn push(&mut self, at: DateTime<Utc>, step: Step) {
        let salt = self.rng.next_u64();
        self.events.push(Event { at, step, salt });
    }

    /// Deal a card from one deck: true for the step forward.
    fn yes(&mut self, deck: impl Fn(&mut Decks) -> &mut Deck) -> bool {
        self.outcome(deck) == 0
    }

    fn outcome(&mut self, deck: impl Fn(&mut Decks) -> &mut Deck) -> u8 {
        deck(self.decks).deal()
    }

    /// Business hours in `lo..hi` business days.
    fn days(&mut self, lo: f64, hi: f64) -> f64 {
        self.rng.uniform(lo, hi) * DAY
    }

    /// Sales looks at a new MQL: accepted (then worked) or rejected. `at` fixes when.
    fn review(&mut self, mql: DateTime<Utc>, at: Option<DateTime<Utc>>) {
        let accepted = self.yes(|d| &mut d.mql_accepted);
        let wait = match accepted {
            // Most MQLs are picked up within the 4-hour SLA; some slip.
            true if self.rng.chance(0.6) => self.rng.uniform(0.1, 4.0),
            true => self.rng.uniform(4.0, 16.0),
            false => self.rng.uniform(0.5, 16.0),
        };
        let at = at.unwrap_or_else(|| after(mql, wait));
        if accepted {
            self.push(at, Step::Accept);
            self.sal(at, None);
        } else {
            self.push(at, Step::Reject);
        }
    }

    /// An accepted lead: first touch (minutes to days later), follow-ups, then qualified,
    /// recycled or disqualified. `first` fixes the first touch.
    fn sal(&mut self, accepted: DateTime<Utc>, first: Option<DateTime<Utc>>) {
        let outcome = self.outcome(|d| &mut d.sal);
        let dwell = match outcome {
            0 => self.days(1.0, 10.0),
            1 => self.days(3.0, 15.0),
            _ => self.days(2.0, 10.0),
        };
        let mut end = after(accepted, dwell);
        let first = match first {
            Some(f) => {
                end = end.max(after(f, self.rng.uniform(2.0, 24.0)));
                f
            }
            None => {
                let mut wait = match self.rng.weighted(&[35, 40, 25]) {
                    0 => self.rng.uniform(2.0, 90.0) / 60.0,
                    1 => self.rng.uniform(1.0, 10.0),
                    _ => self.days(1.0, 5.0),
                };
                if wait >= dwell {
                    wait = dwell * self.rng.uniform(0.2, 0.8);
                }
                after(accepted, wait)
            }
        };
        self.push(first, Step::Touch);
        self.touches(first, end);
        if self.rng.chance(0.2) {
            let span = business_hours_between(first, end);
            let at = after(first, self.rng.uniform(0.0, span));
            self.push(at, Step::Feedback);
        }
        match outcome {
            0 => {
                self.push(end, Step::Sql);
                self.sql(end);
            }
            1 => {
                self.push(end, Step::Recycle);
                self.nurture(end, None);
            }
            _ => self.push(end, Step::Disqualify),
        }
    }

    fn sql(&mut self, sql: DateTime<Utc>) {
        let outcome = self.outcome(|d| &mut d.sql);
        let dwell = match outcome {
            0 => self.days(1.0, 6.0),
            1 => self.days(3.0, 15.0),
            _ => self.days(2.0, 10.0),
        };
        let end = after(sql, dwell);
        self.touches(sql, end);
        match outcome {
            0 => self.opportunity(end),
            1 => {
                self.push(end, Step::Recycle);
                self.nurture(end, None);
            }
            _ => self.push(end, Step::Disqualify),
        }
    }

    /// A deal from open to close, 2 to 12 weeks whether it is won or lost (were lost deals
    /// quicker, the deals closed by any instant would lean lost).
    fn opportunity(&mut self, opened: DateTime<Utc>) {
        self.push(opened, Step::OpenDeal);
        let won = self.yes(|d| &mut d.won);
        let cycle = self.days(10.0, 60.0);
        let moves = if won { 4 } else { self.rng.range(0, 3) };
        let mut at: Vec<f64> = (0..moves).map(|_| self.rng.uniform(0.05, 0.95)).collect();
        at.sort_by(f64::total_cmp);
        for f in at {
            self.push(after(opened, cycle * f), Step::Advance);
        }
        let close = after(opened, cycle);
        self.touches(opened, close);
        if won {
            self.push(close, Step::Win);
            if self.rng.chance(0.15) {
                let ev = after(close, self.days(4.0, 22.0));
                self.push(ev, Step::Evangelist);
            }
        } else {
            self.push(close, Step::Lose);
            self.nurture(close, None);
        }
    }

    /// Sales follow-ups every 1–4 business days strictly between `from` and `until`.
    fn touches(&mut self, from: DateTime<Utc>, until: DateTime<Utc>) {
        let mut t = from;
        loop {
            t = after(t, self.days(1.0, 4.0));
            if t >= until {
                return;
            }
            self.push(t, Step::Touch);
        }
    }

    /// A nurture sequence of 3–6 emails; most start within a week or so, some are late (the
    /// `nurture_pickup` SLA). `first` fixes the first send.
    fn nurture(&mut self, recycled: DateTime<Utc>, first: Option<DateTime<Utc>>) {
        let wait = if self.rng.chance(0.75) {
            self.days(0.2, 7.0)
        } else {
            self.days(11.0, 30.0)
        };
        let mut t = first.unwrap_or_else(|| after(recycled, wait));
        self.push(t, Step::NurtureEmail);
        for _ in 0..self.rng.range(2, 5) {
            t = after(t, self.days(5.0, 15.0));
            self.push(t, Step::NurtureEmail);
        }
    }
}
