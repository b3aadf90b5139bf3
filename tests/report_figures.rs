//! The figures behind the standup, each recomputed here from the simulated HubSpot's HTTP
//! answers, never from tandem's engine: ratios with their n, the MQL target pro-rated to
//! business time, coverage of what is left to win, and the breach list's order and wording
//! (cohorts and lenses: `report_cohorts.rs`).

mod common;

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveTime, TimeZone, Utc, Weekday};
use serde_json::Value;

use common::figures::{NOW, World, at, report, tandem, world};
use common::kpi;

const WEEK: (&str, &str) = ("2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z");

fn prop<'a>(o: &'a Value, name: &str) -> &'a str {
    o["properties"][name].as_str().unwrap_or("")
}

fn time(o: &Value, name: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(prop(o, name))
        .ok()
        .map(|t| t.to_utc())
}

fn in_week(t: Option<DateTime<Utc>>) -> bool {
    t.is_some_and(|t| t >= at(WEEK.0) && t < at(WEEK.1))
}

/// The README's default mapping, written out again here.
fn stage(o: &Value) -> &'static str {
    match (prop(o, "lifecyclestage"), prop(o, "hs_lead_status")) {
        ("customer" | "evangelist", _) => "customer",
        (_, "UNQUALIFIED") => "disqualified",
        (_, "BAD_TIMING") => "nurture",
        ("subscriber" | "lead", _) => "inquiry",
        ("marketingqualifiedlead", "" | "NEW") => "mql",
        (
            "marketingqualifiedlead",
            "OPEN" | "IN_PROGRESS" | "ATTEMPTED_TO_CONTACT" | "CONNECTED",
        ) => "sal",
        ("salesqualifiedlead", _) => "sql",
        ("opportunity", _) => "opportunity",
        _ => "unmapped",
    }
}

/// Mon–Fri 09:00–17:00 UTC business seconds in [a, b), day by day.
fn business_seconds(a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
    let mut total = 0;
    let mut day = a.date_naive();
    while day <= b.date_naive() {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            let hm =
                |h| Utc.from_utc_datetime(&day.and_time(NaiveTime::from_hms_opt(h, 0, 0).unwrap()));
            let (s, e) = (hm(9).max(a), hm(17).min(b));
            if e > s {
                total += (e - s).num_seconds();
            }
        }
        day = day.succ_opt().unwrap();
    }
    total
}

fn parts(k: &Value) -> (f64, f64) {
    (
        k["numerator"].as_f64().unwrap(),
        k["denominator"].as_f64().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ratios_carry_their_n_and_the_win_rate_matches_the_api() {
    let w = world().await;
    let r = report(&w, &["--now", NOW]).await;
    assert_eq!(r["min_sample"], 10);
    // Acceptance and the conversions are cohorts: see the test after this one.
    // Win rate with its n; on fewer than 10 closed deals it is never judged.
    let (mut won, mut lost) = (0u64, 0u64);
    for d in &w.deals {
        if in_week(time(d, "closedate")) {
            match prop(d, "dealstage") {
                "closedwon" => won += 1,
                "closedlost" => lost += 1,
                _ => {}
            }
        }
    }
    let win = kpi(&r, "win_rate");
    assert_eq!(parts(win), (won as f64, (won + lost) as f64));
    let closed = won + lost;
    assert_eq!(win["n"].as_u64(), Some(closed));
    assert_eq!(win["too_small"], closed > 0 && closed < 10);
    if closed < 10 {
        assert!(win["on_target"].is_null());
    }
    // Every ratio says what it divides, and a too-small one is never judged.
    for k in r["kpis"].as_array().unwrap() {
        if k["unit"] == "ratio" {
            assert!(
                k["numerator"].is_number() && k["denominator"].is_number(),
                "{k}"
            );
            assert_eq!(k["n"].as_f64(), k["denominator"].as_f64(), "{k}");
        }
        if k["too_small"] == true {
            assert!(k["on_target"].is_null(), "{k}");
        }
    }
    w.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mql_target_is_pro_rated_and_coverage_counts_what_closes_in_the_period() {
    let w = world().await;
    let r = report(&w, &["--now", NOW]).await;
    // Friday 15:02: 38h02 of the week's 40 business hours.
    let (start, end) = (at(WEEK.0), at(WEEK.1));
    let elapsed = business_seconds(start, at(NOW)) as f64;
    let total = business_seconds(start, end) as f64;
    let mqls = kpi(&r, "mqls_created");
    assert_eq!(mqls["target"].as_f64(), Some(60.0));
    let due = (60.0 * elapsed / total).ceil();
    assert_eq!(mqls["target_by_now"].as_f64(), Some(due));
    assert_eq!(
        mqls["on_target"].as_bool(),
        Some(mqls["value"].as_f64().unwrap() >= due)
    );

    // Coverage: open deals closing this week ÷ (400k − won this week).
    let closed = |d: &&Value| matches!(prop(d, "dealstage"), "closedwon" | "closedlost");
    let amount = |d: &Value| prop(d, "amount").parse::<f64>().unwrap_or(0.0);
    let closing: f64 = w
        .deals
        .iter()
        .filter(|d| !closed(d) && in_week(time(d, "closedate")))
        .map(amount)
        .sum();
    let all_open: f64 = w.deals.iter().filter(|d| !closed(d)).map(amount).sum();
    let won: f64 = w
        .deals
        .iter()
        .filter(|d| prop(d, "dealstage") == "closedwon" && in_week(time(d, "closedate")))
        .map(amount)
        .sum();
    let coverage = kpi(&r, "pipeline_coverage");
    assert!(all_open > closing, "some open deals close after this week");
    if won < 400_000.0 {
        let left = 400_000.0 - won;
        let (num, den) = parts(coverage);
        assert!((num - closing).abs() < 0.01 && (den - left).abs() < 0.01);
        let value = coverage["value"].as_f64().unwrap();
        assert!((value - closing / left).abs() < 1e-9, "{value}");
    } else {
        assert!(coverage["value"].is_null());
    }

    // Sunday 1 November 03:26: no business hour of the month has passed, so nothing is due.
    let month = report(&w, &["--now", "2026-11-01T03:26:00Z", "--period", "month"]).await;
    let mqls = kpi(&month, "mqls_created");
    assert_eq!(mqls["target"].as_f64(), Some(250.0));
    assert_eq!(mqls["target_by_now"].as_f64(), Some(0.0));
    assert_eq!(mqls["on_target"], true);
    w.sim.shutdown().await;
}

/// One breach as this test works it out: (lead id, SLA, team, urgency, who acts).
type Expected = (String, &'static str, &'static str, f64, String);

/// The breached clocks of mql_response (4 business hours) and nurture_pickup (14 calendar
/// days), straight from the contacts.
fn expected_breaches(w: &World) -> Vec<Expected> {
    let now = at(NOW);
    let acts = |c: &Value, team: &str, queue: &str| match w.owners.get(prop(c, "hubspot_owner_id"))
    {
        Some((name, t)) if t.to_lowercase().contains(team) => name.clone(),
        _ => queue.to_string(),
    };
    let mut out = Vec::new();
    for c in &w.contacts {
        let id = c["id"].as_str().unwrap().to_string();
        match stage(c) {
            "mql" => {
                let Some(since) = time(c, "hs_lifecyclestage_marketingqualifiedlead_date") else {
                    continue;
                };
                let over = business_seconds(since, now) - 4 * 3600;
                if over >= 0 {
                    let who = acts(c, "sales", "Sales queue");
                    out.push((id, "mql_response", "sales", over as f64 / 14_400.0, who));
                }
            }
            "nurture" => {
                let since = time(c, "hs_lifecyclestage_lead_date")
                    .or(time(c, "hs_lifecyclestage_subscriber_date"))
                    .or(time(c, "createdate"));
                let Some(since) = since else { continue };
                if time(c, "hs_email_last_send_date").is_some_and(|t| t > since) {
                    continue;
                }
                let limit = 14 * 86_400;
                let over = (now - since).num_seconds() - limit;
                if over >= 0 {
                    let who = acts(c, "market", "Marketing queue");
                    out.push((
                        id,
                        "nurture_pickup",
                        "marketing",
                        over as f64 / limit as f64,
                        who,
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breaches_are_listed_by_urgency_across_clocks_and_read_the_same_in_check() {
    let w = world().await;
    let r = report(&w, &["--now", NOW]).await;
    let listed: Vec<&Value> = r["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["state"] == "breached" && b["sla"] != "first_touch")
        .collect();
    let mut expected = expected_breaches(&w);
    assert!(expected.iter().any(|e| e.1 == "mql_response"));
    assert!(expected.iter().any(|e| e.1 == "nurture_pickup"));
    assert_eq!(listed.len(), expected.len());
    let by_id: HashMap<(&str, &str), &Expected> =
        expected.iter().map(|e| ((e.0.as_str(), e.1), e)).collect();
    for b in &listed {
        let e = by_id[&(b["lead_id"].as_str().unwrap(), b["sla"].as_str().unwrap())];
        assert_eq!(b["team"], e.2);
        assert!((b["urgency"].as_f64().unwrap() - e.3).abs() < 1e-3, "{b}");
        assert_eq!(b["acts"], e.4.as_str(), "{b}");
        assert_ne!(b["acts"], "—");
    }
    // The order: the team whose most urgent clock is most urgent first, each SLA's clocks
    // most urgent first — whatever the raw seconds say.
    expected.sort_by(|a, b| b.3.total_cmp(&a.3));
    let first_team = expected[0].2;
    assert_eq!(r["breaches"][0]["team"], first_team);
    let teams: Vec<&str> = r["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["team"].as_str().unwrap())
        .collect();
    let switches = teams.windows(2).filter(|p| p[0] != p[1]).count();
    assert!(switches <= 1, "each team's breaches together: {teams:?}");
    for sla in ["mql_response", "nurture_pickup"] {
        let u: Vec<f64> = listed
            .iter()
            .filter(|b| b["sla"] == sla)
            .map(|b| b["urgency"].as_f64().unwrap())
            .collect();
        assert!(u.windows(2).all(|p| p[0] >= p[1]), "{sla}: {u:?}");
    }
    // Raw overdue time would have put the long nurture clocks first; urgency does not.
    let most_seconds = r["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|b| b["overdue_seconds"].as_i64().unwrap())
        .unwrap();
    assert_eq!(most_seconds["sla"], "nurture_pickup");
    assert_eq!(
        first_team, "sales",
        "in this world an MQL is the most urgent"
    );

    // `check` prints the breached clocks in the same order, in words, with the clock named.
    let out = tandem(&w, &["check", "--now", NOW]).await;
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("✖ ")).collect();
    let breached: Vec<&Value> = r["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["state"] == "breached")
        .collect();
    for (line, b) in lines.iter().zip(&breached) {
        let sla = b["sla"].as_str().unwrap();
        assert!(line.starts_with(&format!("✖ {sla} (")), "{line}");
        let clock = if sla == "nurture_pickup" {
            "calendar"
        } else {
            "business"
        };
        assert!(line.ends_with(&format!("{clock} time")), "{line}");
        assert!(line.contains(", overdue "), "{line}");
        assert!(
            line.contains(&format!("{} to act", b["acts"].as_str().unwrap())),
            "{line}"
        );
    }
    assert!(lines[0].starts_with("✖ mql_response (accept or reject an MQL, sales): "));
    // The breached clocks come first; pace lines (no lead, no clock) may follow them.
    for line in lines.iter().take(breached.len()) {
        let after = line.split(", overdue ").nth(1).unwrap_or_default();
        assert!(
            after.starts_with(|c: char| c.is_ascii_digit()),
            "no minus sign: {line}"
        );
    }
    w.sim.shutdown().await;
}
