//! Speed to lead and nurture pickup recomputed from the simulated HubSpot's raw history
//! (metrics.md §5), never with tandem's code: each of the week's MQLs timed from its first
//! MQL entry in the week to the first sales touch after it, the untouched ones pending.

mod common;

use chrono::{DateTime, Datelike, NaiveTime, TimeZone, Utc, Weekday};

use common::oracle::{contacts_with_history, stages, touches};
use common::{frozen_now, frozen_sim, kpi};

/// Week 47 of 2026, Monday to Monday.
fn week() -> (DateTime<Utc>, DateTime<Utc>) {
    (
        Utc.with_ymd_and_hms(2026, 11, 16, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap(),
    )
}

/// Business time from `a` to `b` in milliseconds: Monday to Friday, 09:00–17:00 UTC.
fn business_ms(a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
    let mut total = 0;
    let mut day = a.date_naive();
    while day <= b.date_naive() {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            let hm = |h| {
                day.and_time(NaiveTime::from_hms_opt(h, 0, 0).unwrap())
                    .and_utc()
            };
            let (s, e) = (hm(9).max(a), hm(17).min(b));
            if e > s {
                total += (e - s).num_milliseconds();
            }
        }
        day = day.succ_opt().unwrap();
    }
    total
}

fn median(mut xs: Vec<i64>) -> Option<f64> {
    xs.sort();
    let m = xs.len() / 2;
    match xs.len() {
        0 => None,
        n if n % 2 == 1 => Some(xs[m] as f64),
        _ => Some((xs[m - 1] + xs[m]) as f64 / 2.0),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speed_to_lead_and_nurture_pickup_match_the_raw_history() {
    let (start, end) = week();
    for seed in [7, 42] {
        let sim = frozen_sim(seed, 1500).await;
        let contacts = contacts_with_history(&sim).await;
        let (mut speeds, mut untouched) = (Vec::new(), 0);
        let (mut sent, mut picked) = (0, 0);
        for c in &contacts {
            let st = stages(c);
            if let Some(&(entry, _)) = st
                .iter()
                .find(|(at, s)| *s == "mql" && *at >= start && *at < end)
            {
                let touched = touches(c, "notes_last_contacted")
                    .into_iter()
                    .filter(|t| *t > entry)
                    .min();
                match touched {
                    Some(t) => speeds.push(business_ms(entry, t)),
                    None => untouched += 1,
                }
            }
            // The latest entry into nurture in the week, and a marketing email since.
            if let Some(&(entry, _)) = st
                .iter()
                .rev()
                .find(|(at, s)| *s == "nurture" && *at >= start && *at < end)
            {
                sent += 1;
                if touches(c, "hs_email_last_send_date")
                    .iter()
                    .any(|t| *t > entry)
                {
                    picked += 1;
                }
            }
        }
        assert!(
            !speeds.is_empty() && untouched > 0,
            "seed {seed}: both kinds"
        );

        let now = frozen_now().to_rfc3339();
        let r = common::report_json(&sim, &["--now", &now]).await;
        let speed = kpi(&r, "speed_to_lead");
        assert_eq!(speed["unit"], "seconds");
        assert_eq!(
            speed["n"].as_u64(),
            Some(speeds.len() as u64),
            "seed {seed}"
        );
        assert_eq!(speed["pending"].as_u64(), Some(untouched), "seed {seed}");
        // The report gives whole seconds.
        let expected = median(speeds).unwrap() / 1000.0;
        let got = speed["value"].as_f64().unwrap();
        assert!(
            (got - expected).abs() < 1.0,
            "seed {seed}: {got} vs {expected}"
        );

        let pickup = kpi(&r, "nurture_pickup");
        assert_eq!(
            (pickup["numerator"].as_f64(), pickup["denominator"].as_f64()),
            (Some(picked as f64), Some(sent as f64)),
            "seed {seed}"
        );
        sim.shutdown().await;
    }
}
