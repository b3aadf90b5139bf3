//! The simulated funnel is a plausible B2B one: rates in the README's ranges, activity in
//! business hours, deals closing up to now, a few new leads an hour, and a live world that is
//! a pure function of (seed, size, anchor, instant). Everything is recomputed here from the
//! records, as a client would see them, not from the generator's plans.

use chrono::{DateTime, Utc};

use super::time::{business_hours_between, in_business_hours};
use super::{ObjType, Record, World, advance, generate};

const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A Friday afternoon: the week's closes and arrivals are in.
fn friday() -> DateTime<Utc> {
    at("2026-11-20T15:02:00Z")
}

/// The README's ranges ("The simulated HubSpot"), as fractions.
const RANGES: [(&str, f64, f64); 6] = [
    ("inquiry→MQL", 0.20, 0.35),
    ("MQL→SAL", 0.60, 0.80),
    ("SAL→SQL", 0.35, 0.55),
    ("MQL→SQL", 0.20, 0.40),
    ("SQL→opportunity", 0.45, 0.65),
    ("win rate", 0.20, 0.30),
];

/// The funnel's rates over every contact and deal: of those that reached a stage, the
/// share that reached the next (same order as [`RANGES`]).
fn rates(w: &World) -> [f64; 6] {
    let contacts: Vec<&Record> = w.table(ObjType::Contacts).values().collect();
    let count = |pred: &dyn Fn(&Record) -> bool| contacts.iter().filter(|c| pred(c)).count();
    let has = |c: &Record, p: &str| c.get(p).is_some();
    let mql = |c: &Record| has(c, "hs_lifecyclestage_marketingqualifiedlead_date");
    // Accepted: a sales owner was assigned (tandem's accepted date); recycled leads keep
    // the date of their reassignment to marketing, so they count too.
    let sal = |c: &Record| mql(c) && has(c, "hubspot_owner_assigneddate");
    let sql = |c: &Record| has(c, "hs_lifecyclestage_salesqualifiedlead_date");
    let opp = |c: &Record| sql(c) && has(c, "hs_lifecyclestage_opportunity_date");
    let ratio = |a: usize, b: usize| a as f64 / b.max(1) as f64;
    let deals = w.table(ObjType::Deals).values();
    let stages: Vec<&str> = deals.filter_map(|d| d.get("dealstage")).collect();
    let won = stages.iter().filter(|s| **s == "closedwon").count();
    let lost = stages.iter().filter(|s| **s == "closedlost").count();
    [
        ratio(count(&mql), contacts.len()),
        ratio(count(&sal), count(&mql)),
        ratio(count(&|c| sal(c) && sql(c)), count(&sal)),
        ratio(count(&|c| mql(c) && sql(c)), count(&mql)),
        ratio(count(&opp), count(&sql)),
        ratio(won, won + lost),
    ]
}

fn assert_in_ranges(seed: u64, r: [f64; 6]) {
    let shown: Vec<String> = RANGES
        .iter()
        .zip(r)
        .map(|((name, _, _), v)| format!("{name} {:.1}%", v * 100.0))
        .collect();
    println!("seed {seed}: {}", shown.join(", "));
    for ((name, lo, hi), v) in RANGES.iter().zip(r) {
        assert!((*lo..=*hi).contains(&v), "seed {seed}: {name} {v:.3}");
    }
}

#[test]
fn funnel_rates_stay_in_the_stated_ranges() {
    for seed in SEEDS {
        let w = generate(seed, 5000, friday(), true);
        let closed = w
            .table(ObjType::Deals)
            .values()
            .filter(|d| d.get("dealstage").is_some_and(|s| s.starts_with("closed")))
            .count();
        assert!(closed > 100, "enough deals to measure: {closed}");
        assert_in_ranges(seed, rates(&w));
    }
}

#[test]
fn the_funnel_keeps_its_rates_as_a_live_world_runs() {
    // Four weeks later the live world has moved on by itself; its rates have not.
    let start = at("2026-11-16T09:00:00Z");
    for seed in [1, 2] {
        let mut w = generate(seed, 5000, start, false);
        advance(&mut w, at("2026-12-14T09:00:00Z"));
        assert_in_ranges(seed, rates(&w));
    }
}

/// Every instant a record carries that stands for something done: created, a stage
/// entered, an owner assigned, a touch, an email, a note, a deal opened or closed.
fn activity(w: &World) -> Vec<(String, DateTime<Utc>)> {
    let mut out = Vec::new();
    let mut take = |r: &Record, name: &str| {
        if let Some(t) = r.ts(name) {
            out.push((format!("{name} of {}", r.id), t));
        }
    };
    for c in w.table(ObjType::Contacts).values() {
        let dated = c.props.keys().filter(|k| {
            k.starts_with("hs_lifecyclestage_")
                || matches!(
                    *k,
                    "createdate"
                        | "hubspot_owner_assigneddate"
                        | "notes_last_contacted"
                        | "hs_sa_first_engagement_date"
                        | "hs_email_last_send_date"
                        | "first_conversion_date"
                        | "recent_conversion_date"
                )
        });
        for name in dated {
            take(c, name);
        }
    }
    for d in w.table(ObjType::Deals).values() {
        take(d, "createdate");
        // An open deal's close date is the rep's estimate, not something done.
        if d.get("dealstage").is_some_and(|s| s.starts_with("closed")) {
            take(d, "closedate");
        }
    }
    for n in w.table(ObjType::Notes).values() {
        take(n, "hs_timestamp");
    }
    out
}

fn assert_business_hours(w: &World, what: &str) {
    let all = activity(w);
    assert!(all.len() > 10_000, "{what}: {} instants", all.len());
    let off: Vec<_> = all.iter().filter(|(_, t)| !in_business_hours(*t)).collect();
    assert!(
        off.is_empty(),
        "{what}: {} off hours, e.g. {:?}",
        off.len(),
        &off[..off.len().min(5)]
    );
}

#[test]
fn history_happens_on_weekdays_in_business_hours() {
    for seed in SEEDS {
        assert_business_hours(&generate(seed, 5000, friday(), true), "history");
    }
}

#[test]
fn evolution_happens_on_weekdays_in_business_hours() {
    let start = at("2026-11-16T09:00:00Z");
    let mut w = generate(3, 5000, start, false);
    advance(&mut w, at("2026-11-20T17:00:00Z"));
    let worked = w.table(ObjType::Contacts).values();
    assert!(worked.filter(|c| c.updated_at > start).count() > 500);
    assert_business_hours(&w, "a working week");
    // The weekend changes nothing; Monday morning does.
    let before = snapshot(&w);
    advance(&mut w, at("2026-11-23T08:59:59Z"));
    assert!(before == snapshot(&w), "nothing moves over the weekend");
    advance(&mut w, at("2026-11-23T12:00:00Z"));
    assert!(before != snapshot(&w), "Monday morning moves again");
    assert_business_hours(&w, "after the weekend");
}

#[test]
fn closed_deals_reach_up_to_now() {
    for seed in SEEDS {
        let w = generate(seed, 5000, friday(), true);
        let closes: Vec<(bool, f64)> = w
            .table(ObjType::Deals)
            .values()
            .filter_map(|d| {
                let won = match d.get("dealstage")? {
                    "closedwon" => true,
                    "closedlost" => false,
                    _ => return None,
                };
                Some((won, business_hours_between(d.ts("closedate")?, friday())))
            })
            .collect();
        let within = |days: f64| closes.iter().filter(move |(_, age)| *age <= days * 8.0);
        println!(
            "seed {seed}: closed in the last 1/3/5 business days: {} / {} / {}, won in the last 10: {}",
            within(1.0).count(),
            within(3.0).count(),
            within(5.0).count(),
            within(10.0).filter(|(won, _)| *won).count()
        );
        assert!(within(3.0).count() > 0, "seed {seed}: closes this week");
        assert!(
            within(10.0).any(|(won, _)| *won),
            "seed {seed}: wins in the last two weeks"
        );
    }
}

fn created_between(w: &World, from: DateTime<Utc>, to: DateTime<Utc>) -> usize {
    let contacts = w.table(ObjType::Contacts).values();
    contacts
        .filter(|c| c.created_at > from && c.created_at <= to)
        .count()
}

#[test]
fn new_leads_arrive_a_few_an_hour_scaled_to_the_world() {
    // README: about n / 1,000 new contacts per business hour, 5 for 5,000. Here: 3 to 8 an
    // hour for 5,000 contacts over a working day, a fifth of that for 1,000 over a week.
    let monday = at("2026-11-16T09:00:00Z");
    for seed in SEEDS {
        let mut w = generate(seed, 5000, monday, false);
        let evening = at("2026-11-16T17:00:00Z");
        advance(&mut w, evening);
        let per_hour = created_between(&w, monday, evening) as f64 / 8.0;
        println!("seed {seed}: {per_hour:.2} new contacts per business hour (5,000)");
        assert!((3.0..=8.0).contains(&per_hour), "seed {seed}: {per_hour}");

        let mut small = generate(seed, 1000, monday, false);
        let friday_night = at("2026-11-20T17:00:00Z");
        advance(&mut small, friday_night);
        let per_hour = created_between(&small, monday, friday_night) as f64 / 40.0;
        assert!((0.6..=1.6).contains(&per_hour), "seed {seed}: {per_hour}");
    }
}

/// Everything a client could read from the world.
fn snapshot(w: &World) -> Vec<String> {
    ObjType::ALL
        .iter()
        .flat_map(|t| w.table(*t).values())
        .map(|r| {
            format!(
                "{} {:?} {} {} {} {:?}",
                r.id, r.props, r.created_at, r.updated_at, r.archived, r.assoc
            )
        })
        .collect()
}

#[test]
fn a_live_world_is_a_function_of_seed_size_start_and_instant() {
    let start = at("2026-11-16T10:00:00Z");
    let end = at("2026-11-17T15:30:00Z");
    // Ticked every few minutes, as the server does...
    let mut ticked = generate(7, 2000, start, false);
    let mut t = start;
    while t < end {
        t = (t + chrono::Duration::seconds(437)).min(end);
        advance(&mut ticked, t);
    }
    // ...or started late and caught up in one go.
    let mut jumped = generate(7, 2000, start, false);
    advance(&mut jumped, end);
    assert!(snapshot(&ticked) == snapshot(&jumped), "same world");
    let moved = ticked.table(ObjType::Contacts).values();
    assert!(moved.filter(|c| c.updated_at > start).count() > 50);

    // Its history is the frozen world's at the same instant.
    let live = generate(7, 2000, start, false);
    assert!(snapshot(&live) == snapshot(&generate(7, 2000, start, true)));
    // And another start is another world.
    let mut other = generate(7, 2000, at("2026-11-16T11:00:00Z"), false);
    advance(&mut other, end);
    assert!(snapshot(&other) != snapshot(&jumped));
}
