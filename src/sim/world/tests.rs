//! Invariants of generated and evolved worlds that the HTTP tests cannot see cheaply.

use chrono::{DateTime, Duration, Utc};

use super::journey::HISTORY_HOURS;
use super::time::{business_hours_between, minus_business_hours};
use super::{ObjType, Record, Team, World, advance, generate};

fn now() -> DateTime<Utc> {
    "2026-11-16T08:00:00Z".parse().unwrap() // a Monday before opening: the hardest case
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn contacts(w: &World) -> Vec<&Record> {
    w.table(ObjType::Contacts).values().collect()
}

#[test]
fn same_seed_same_world() {
    let a = generate(9, 400, now(), true);
    let b = generate(9, 400, now(), true);
    for t in ObjType::ALL {
        let pa: Vec<_> = a
            .table(t)
            .values()
            .map(|r| (&r.props, r.updated_at, &r.assoc))
            .collect();
        let pb: Vec<_> = b
            .table(t)
            .values()
            .map(|r| (&r.props, r.updated_at, &r.assoc))
            .collect();
        assert_eq!(pa, pb);
    }
}

#[test]
fn timestamps_stay_in_the_past_and_in_order() {
    let w = generate(3, 2000, now(), true);
    // The history spans HISTORY_HOURS of business time: 25 weeks.
    let horizon = minus_business_hours(now(), HISTORY_HOURS);
    assert!(horizon >= now() - Duration::days(178));
    for c in contacts(&w) {
        assert!(
            c.created_at >= horizon && c.created_at <= now(),
            "{:?}",
            c.props
        );
        assert!(c.updated_at <= now() && c.updated_at >= c.created_at);
        let stages = [
            "subscriber",
            "lead",
            "marketingqualifiedlead",
            "salesqualifiedlead",
            "opportunity",
            "customer",
        ];
        let dates: Vec<_> = stages
            .iter()
            .filter_map(|s| c.ts(&format!("hs_lifecyclestage_{s}_date")))
            .collect();
        // Recycled leads re-enter `lead` later; everything else moves forward in time.
        if c.get("hs_lead_status") != Some("BAD_TIMING") {
            assert!(dates.windows(2).all(|d| d[0] <= d[1]), "{:?}", c.props);
        }
    }
}

#[test]
fn planted_sla_breaches_hold_on_a_monday_morning() {
    let w = generate(5, 300, now(), true);
    let unaccepted = |c: &&&Record| {
        c.get("lifecyclestage") == Some("marketingqualifiedlead")
            && c.get("hubspot_owner_id").is_none()
            && c.get("hs_lead_status").is_none_or(|s| s == "NEW")
    };
    let mql_age = |c: &Record| {
        business_hours_between(
            c.ts("hs_lifecyclestage_marketingqualifiedlead_date")
                .unwrap(),
            now(),
        )
    };
    let all = contacts(&w);
    assert!(
        all.iter()
            .filter(unaccepted)
            .filter(|c| mql_age(c) > 4.0)
            .count()
            >= 5
    );
    assert!(
        all.iter()
            .filter(unaccepted)
            .filter(|c| mql_age(c) < 4.0)
            .count()
            >= 3
    );
    let silent = all
        .iter()
        .filter(|c| c.get("hs_lead_status") == Some("OPEN"))
        .filter(|c| {
            let accepted = c.ts("hubspot_owner_assigneddate").unwrap();
            business_hours_between(accepted, now()) > 24.0
                && c.ts("notes_last_contacted").is_none_or(|a| a < accepted)
        })
        .count();
    assert!(silent >= 4, "silent SALs: {silent}");
    let sales = w.owners_in(Team::Sales);
    for c in all
        .iter()
        .filter(|c| c.get("hs_lead_status") == Some("OPEN"))
    {
        let owner: u64 = c.get("hubspot_owner_id").unwrap().parse().unwrap();
        assert!(sales.contains(&owner), "accepted leads are owned by Sales");
    }
}

#[test]
fn a_live_world_keeps_moving() {
    // A working day of a live 5,000-contact world, on simulated time.
    let start = at("2026-11-16T09:00:00Z");
    let mut w = generate(11, 5000, start, false);
    let before = w.table(ObjType::Contacts).len();
    let notes_before = w.table(ObjType::Notes).len();
    advance(&mut w, at("2026-11-16T17:00:00Z"));
    assert!(
        w.table(ObjType::Contacts).len() > before,
        "new inquiries arrive"
    );
    let changed: Vec<&Record> = contacts(&w)
        .into_iter()
        .filter(|c| c.updated_at > start)
        .collect();
    assert!(changed.len() > 100, "{} changed", changed.len());
    assert!(
        changed.iter().any(|c| c
            .ts("hubspot_owner_assigneddate")
            .is_some_and(|t| t > start)
            && c.get("hubspot_owner_id").is_some()),
        "MQLs get accepted"
    );
    assert!(
        changed
            .iter()
            .any(|c| c.ts("notes_last_contacted").is_some_and(|t| t >= start))
    );
    assert!(
        w.table(ObjType::Notes).len() > notes_before,
        "call, feedback or recycle notes get written"
    );
    for c in &changed {
        assert_eq!(c.ts("lastmodifieddate"), Some(c.updated_at));
    }
}

#[test]
fn first_engagement_is_the_first_sales_activity() {
    let w = generate(3, 2000, now(), true);
    let (mut spread, mut quick, mut slow) = (0, 0, 0);
    for c in contacts(&w) {
        let first = c.ts("hs_sa_first_engagement_date");
        let Some(last) = c.ts("notes_last_contacted") else {
            assert!(first.is_none(), "no activity, no first: {:?}", c.props);
            continue;
        };
        let first = first.unwrap_or_else(|| panic!("activity without first: {:?}", c.props));
        assert!(first <= last, "{:?}", c.props);
        // Recycled leads were reassigned to marketing after their sales activity.
        if c.get("hs_lead_status") != Some("BAD_TIMING") {
            let accepted = c
                .ts("hubspot_owner_assigneddate")
                .expect("worked leads are owned");
            assert!(first >= accepted, "{:?}", c.props);
            let after = first - accepted;
            quick += (after < Duration::hours(2)) as usize;
            slow += (after > Duration::days(1)) as usize;
        }
        spread += (first < last) as usize;
    }
    assert!(spread > 100, "several activities on many leads: {spread}");
    assert!(quick > 20 && slow > 20, "minutes to days: {quick} {slow}");
}

#[test]
fn first_activity_in_a_live_world_sets_first_engagement_once() {
    let start = at("2026-11-16T09:00:00Z");
    let mut w = generate(11, 2000, start, false);
    let before: Vec<(u64, Option<String>)> = contacts(&w)
        .iter()
        .map(|c| {
            (
                c.id,
                c.get("hs_sa_first_engagement_date").map(str::to_string),
            )
        })
        .collect();
    advance(&mut w, at("2026-11-18T17:00:00Z"));
    let mut newly = 0;
    for (id, first_before) in before {
        let c = w.get(ObjType::Contacts, id).unwrap();
        let first = c.get("hs_sa_first_engagement_date");
        match first_before {
            // Later activities only move `notes_last_contacted`.
            Some(f) => assert_eq!(first, Some(f.as_str())),
            None => newly += first.is_some() as usize,
        }
    }
    for c in contacts(&w) {
        if let Some(last) = c.ts("notes_last_contacted") {
            let first = c
                .ts("hs_sa_first_engagement_date")
                .expect("first engagement");
            assert!(first <= last, "{:?}", c.props);
        }
    }
    assert!(
        newly > 0,
        "some leads got their first activity while watched"
    );
}

/// The company generator as it was before the name pool could run out: redraw until a name
/// is free. It never returns once a suffix class is full, so only call it below that.
fn historical_company_names(seed: u64, n: usize) -> Vec<String> {
    use super::names::{COMPANY_HEADS, COMPANY_TAILS};
    let mut rng = crate::sim::rng::Rng::new(seed);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    while out.len() < n {
        let head = rng.pick(COMPANY_HEADS);
        let tail = rng.pick(COMPANY_TAILS);
        let mut name = format!("{head} {tail}");
        if !seen.insert(name.clone()) {
            name = format!(
                "{head} {tail} {}",
                ["Group", "Inc", "GmbH", "Ltd", "Co"][out.len() % 5]
            );
            if !seen.insert(name.clone()) {
                continue;
            }
        }
        // Country and size take one draw each; skip them so the stream stays aligned.
        rng.next_u64();
        rng.next_u64();
        out.push(name);
    }
    out
}

fn company_names(seed: u64, n: usize) -> Vec<String> {
    let mut rng = crate::sim::rng::Rng::new(seed);
    super::generate::make_companies(&mut rng, n)
        .into_iter()
        .map(|c| c.name)
        .collect()
}

#[test]
fn companies_for_thirty_thousand_contacts_get_distinct_names() {
    // generate() asks for contacts / 3 + 5 companies; the name pool holds about 4,800.
    let names = company_names(42, 30_000 / 3 + 5);
    assert_eq!(names.len(), 10_005);
    let distinct: std::collections::HashSet<&String> = names.iter().collect();
    assert_eq!(distinct.len(), names.len(), "company names stay unique");
    assert!(
        names.iter().any(|n| n.ends_with(" 2")),
        "past the pool, names are numbered"
    );
}

#[test]
fn companies_before_the_pool_runs_out_are_the_historical_ones() {
    for seed in [7, 42] {
        let names = company_names(seed, 6_000);
        let edge = names
            .iter()
            .position(|n| n.ends_with(|c: char| c.is_ascii_digit()))
            .expect("6,000 companies outgrow the pool");
        assert!(edge > 4_000, "numbering starts only when the pool is spent");
        assert_eq!(names[..edge], historical_company_names(seed, edge)[..]);
    }
}

#[test]
fn a_live_world_skips_the_steps_of_a_lead_a_client_moved() {
    let start = at("2026-11-16T09:00:00Z");
    let mut w = generate(5, 1000, start, false);
    let unreviewed: Vec<u64> = contacts(&w)
        .iter()
        .filter(|c| {
            c.get("lifecyclestage") == Some("marketingqualifiedlead")
                && c.get("hubspot_owner_id").is_none()
                && c.get("hs_lead_status").is_none_or(|s| s == "NEW")
        })
        .map(|c| c.id)
        .collect();
    assert!(unreviewed.len() >= 8, "{}", unreviewed.len());
    // A client disqualifies one through the API before sales would have looked at it.
    let moved = unreviewed[0];
    let input = serde_json::json!({"hs_lead_status": "UNQUALIFIED"});
    let changes = super::write::validate(
        &w,
        ObjType::Contacts,
        Some(moved),
        input.as_object().unwrap(),
    )
    .unwrap_or_else(|_| panic!("valid"));
    let ts = w.stamp();
    super::write::commit(
        &mut w,
        ObjType::Contacts,
        moved,
        changes,
        ts,
        super::history::Source::Integration,
    );
    let written = w.get(ObjType::Contacts, moved).unwrap().updated_at;

    advance(&mut w, at("2026-11-19T17:00:00Z"));
    let c = w.get(ObjType::Contacts, moved).unwrap();
    assert_eq!(c.get("hs_lead_status"), Some("UNQUALIFIED"));
    assert_eq!(
        c.get("hubspot_owner_id"),
        None,
        "its planned review was skipped"
    );
    assert_eq!(c.updated_at, written);
    // The others were reviewed (accepted or rejected) as planned.
    for id in &unreviewed[1..] {
        let c = w.get(ObjType::Contacts, *id).unwrap();
        assert!(
            c.get("hs_lead_status").is_some_and(|s| s != "NEW"),
            "{:?}",
            c.props
        );
    }
}
