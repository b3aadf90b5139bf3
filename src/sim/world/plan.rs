//! Funnel plans: for each generated contact, which stage it reached and when.
//!
//! Times are laid out *backward from `now`*, so the shape of the funnel at `now` is chosen
//! directly (how many fresh MQLs, how many stale ones) instead of emerging by chance. The
//! "planted" plans guarantee the SLA breaches tandem exists to catch: MQLs left unaccepted
//! past 4 business hours, accepted leads without sales activity for 24 business hours, and
//! recycled leads without a marketing email in 14 days.

use chrono::{DateTime, Duration, Utc};

use super::time::{minus_business_hours, plus_business_hours};
use crate::sim::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    Subscriber,
    Lead,
    Mql,
    Sal,
    Sql,
    Opportunity,
    Customer,
    Nurture,
    Disqualified,
}

const FATES: &[(Fate, u32)] = &[
    (Fate::Subscriber, 16),
    (Fate::Lead, 27),
    (Fate::Mql, 3),
    (Fate::Sal, 4),
    (Fate::Sql, 6),
    (Fate::Opportunity, 6),
    (Fate::Customer, 7),
    (Fate::Nurture, 8),
    (Fate::Disqualified, 5),
];

/// A deliberately placed SLA case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plant {
    None,
    OverdueMql,
    FreshMql,
    SilentSal,
    ForgottenNurture,
}

/// Milestones of one contact; `None` means the stage was never reached.
#[derive(Debug, Clone)]
pub struct Plan {
    pub fate: Fate,
    pub created: DateTime<Utc>,
    pub subscriber: Option<DateTime<Utc>>,
    pub lead: Option<DateTime<Utc>>,
    pub mql: Option<DateTime<Utc>>,
    pub accepted: Option<DateTime<Utc>>,
    pub sql: Option<DateTime<Utc>>,
    pub opp: Option<DateTime<Utc>>,
    /// Deal closed (won for customers, lost for nurture-after-loss).
    pub closed: Option<DateTime<Utc>>,
    pub evangelist: Option<DateTime<Utc>>,
    /// Recycled to nurture, or disqualified.
    pub exited: Option<DateTime<Utc>>,
    pub lost_deal: bool,
    /// Last sales activity (`notes_last_contacted`).
    pub activity: Option<DateTime<Utc>>,
    /// Last marketing email (`hs_email_last_send_date`).
    pub email: Option<DateTime<Utc>>,
}

fn days(rng: &mut Rng, lo: f64, hi: f64) -> Duration {
    Duration::milliseconds((rng.uniform(lo, hi) * 86_400_000.0) as i64)
}

/// How many of each planted case a world of `n` contacts gets.
pub fn plants(n: usize) -> Vec<Plant> {
    let mut v = Vec::new();
    v.extend(std::iter::repeat_n(Plant::OverdueMql, (n / 200).max(5)));
    v.extend(std::iter::repeat_n(Plant::FreshMql, (n / 400).max(3)));
    v.extend(std::iter::repeat_n(Plant::SilentSal, (n / 250).max(4)));
    v.extend(std::iter::repeat_n(
        Plant::ForgottenNurture,
        (n / 250).max(4),
    ));
    v
}

pub fn plan(rng: &mut Rng, now: DateTime<Utc>, plant: Plant) -> Plan {
    let fate = match plant {
        Plant::None => FATES[rng.weighted(&FATES.iter().map(|f| f.1).collect::<Vec<_>>())].0,
        Plant::OverdueMql | Plant::FreshMql => Fate::Mql,
        Plant::SilentSal => Fate::Sal,
        Plant::ForgottenNurture => Fate::Nurture,
    };
    let mut p = Plan {
        fate,
        created: now,
        subscriber: None,
        lead: None,
        mql: None,
        accepted: None,
        sql: None,
        opp: None,
        closed: None,
        evangelist: None,
        exited: None,
        lost_deal: false,
        activity: None,
        email: None,
    };
    match fate {
        Fate::Subscriber => {
            p.subscriber = Some(now - days(rng, 0.02, 120.0));
        }
        Fate::Lead => {
            p.lead = Some(now - days(rng, 0.02, 118.0));
        }
        Fate::Mql => {
            let bh = match plant {
                Plant::OverdueMql => rng.uniform(12.0, 60.0),
                Plant::FreshMql => rng.uniform(0.1, 3.0),
                // Most MQLs get picked up in time; some slip.
                _ if rng.chance(0.6) => rng.uniform(0.1, 4.0),
                _ => rng.uniform(4.0, 16.0),
            };
            p.mql = Some(minus_business_hours(now, bh));
        }
        Fate::Sal => {
            let bh = match plant {
                Plant::SilentSal => rng.uniform(26.0, 70.0),
                _ => rng.uniform(0.5, 40.0),
            };
            let accepted = minus_business_hours(now, bh);
            p.accepted = Some(accepted);
            if plant == Plant::None && bh > 1.0 && rng.chance(0.75) {
                let after = rng.uniform(0.3, bh.min(20.0));
                p.activity = Some(plus_business_hours(accepted, after).min(now));
            }
        }
        Fate::Sql => {
            let sql = now - days(rng, 0.5, 20.0);
            p.sql = Some(sql);
            p.accepted = Some(sql - days(rng, 1.0, 6.0));
            p.activity = Some(sql + (now - sql) / rng.range(1, 4) as i32);
        }
        Fate::Opportunity => {
            let opp = now - days(rng, 0.5, 30.0);
            p.opp = Some(opp);
            p.sql = Some(opp - days(rng, 1.0, 6.0));
            p.accepted = Some(p.sql.unwrap() - days(rng, 1.0, 6.0));
            p.activity = Some(now - (now - opp).min(days(rng, 0.1, 5.0)));
        }
        Fate::Customer => {
            let closed = now - days(rng, 1.0, 50.0);
            p.closed = Some(closed);
            p.opp = Some(closed - days(rng, 7.0, 35.0));
            p.sql = Some(p.opp.unwrap() - days(rng, 1.0, 6.0));
            p.accepted = Some(p.sql.unwrap() - days(rng, 1.0, 6.0));
            p.activity = Some(closed - days(rng, 0.0, 2.0));
            let ev = closed + days(rng, 5.0, 30.0);
            if ev < now && rng.chance(0.15) {
                p.evangelist = Some(ev);
            }
        }
        Fate::Nurture => {
            let recycled = match plant {
                Plant::ForgottenNurture => now - days(rng, 15.0, 45.0),
                _ => now - days(rng, 1.0, 60.0),
            };
            p.exited = Some(recycled);
            if rng.chance(0.4) {
                p.lost_deal = true;
                let closed = recycled - days(rng, 0.0, 2.0);
                p.closed = Some(closed);
                p.opp = Some(closed - days(rng, 7.0, 30.0));
                p.sql = Some(p.opp.unwrap() - days(rng, 1.0, 6.0));
                p.accepted = Some(p.sql.unwrap() - days(rng, 1.0, 6.0));
            } else {
                p.accepted = Some(recycled - days(rng, 2.0, 20.0));
            }
            p.activity = Some(recycled - days(rng, 0.0, 1.0));
            let mailed = recycled + days(rng, 1.0, 13.0);
            if plant == Plant::None && mailed < now && rng.chance(0.7) {
                p.email = Some(mailed);
            }
        }
        Fate::Disqualified => {
            let disq = now - days(rng, 0.5, 60.0);
            p.exited = Some(disq);
            p.accepted = Some(disq - days(rng, 0.5, 10.0));
            p.activity = Some(disq);
        }
    }
    // Everything accepted was an MQL a few business hours before.
    if let Some(acc) = p.accepted {
        p.mql = Some(minus_business_hours(acc, rng.uniform(0.2, 5.0)));
    }
    if let Some(mql) = p.mql {
        p.lead = Some(mql - days(rng, 0.0, 20.0));
    }
    let first = p.lead.or(p.subscriber).unwrap_or(now);
    // A third of leads started as newsletter subscribers.
    let horizon = now - Duration::days(120);
    if p.subscriber.is_none() && rng.chance(0.3) && first - Duration::days(1) > horizon {
        p.subscriber = Some((first - days(rng, 1.0, 30.0)).max(horizon));
    }
    p.created = p.subscriber.or(p.lead).unwrap_or(now);
    // Marketing mail for everyone else: some send between creation and now.
    if p.email.is_none() && fate != Fate::Nurture && rng.chance(0.7) {
        let span = (now - p.created).num_milliseconds().max(1);
        p.email = Some(p.created + Duration::milliseconds(rng.below(span as u64) as i64));
    }
    if p.email.is_none() && fate == Fate::Nurture && rng.chance(0.5) {
        // Mailed while still an MQL, before the recycle: does not count for the SLA.
        p.email = p.mql.map(|m| m + Duration::hours(2));
    }
    p
}

/// When sales first worked a lead that has had sales activity: minutes to days after
/// acceptance, never after the last activity. Some leads had a single touch so far (first
/// equals last). Drawn from its own stream, after [`plan`], so adding it left every other
/// generated value of a seed unchanged.
pub fn first_activity(rng: &mut Rng, p: &Plan) -> Option<DateTime<Utc>> {
    let last = p.activity?;
    let Some(accepted) = p.accepted else {
        return Some(last);
    };
    if rng.chance(0.2) {
        return Some(last);
    }
    let first = match rng.weighted(&[35, 40, 25]) {
        // Picked up right away.
        0 => accepted + Duration::minutes(rng.range(2, 90)),
        // Later that day or the next, in working hours.
        1 => plus_business_hours(accepted, rng.uniform(1.0, 10.0)),
        _ => accepted + days(rng, 1.0, 5.0),
    };
    Some(first.min(last))
}
