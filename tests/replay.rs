//! `tandem replay`: under the current definitions it reproduces the ordinary figures week
//! by week; a halved limit adds exactly the clocks answered between the two limits, as this
//! test recomputes them from the simulated HubSpot's own history.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};

use common::oracle::{contacts_with_history, stages};
use common::{client, frozen_now, frozen_sim, tandem_with};
use tandem::config::Config;
use tandem::domain::kpi::PeriodKind;
use tandem::report::Report;
use tandem::report::replay::{Replay, ReplayInput};

/// Mon–Fri 09:00–17:00 UTC business milliseconds in [a, b), day by day (the built-in calendar).
fn business_ms(a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
    let mut total = 0;
    let mut day = a.date_naive();
    while day <= b.date_naive() {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            let at =
                |h| Utc.from_utc_datetime(&day.and_time(NaiveTime::from_hms_opt(h, 0, 0).unwrap()));
            let (s, e) = (at(9).max(a), at(17).min(b));
            if e > s {
                total += (e - s).num_milliseconds();
            }
        }
        day = day.succ_opt().unwrap();
    }
    total
}

async fn replayed(
    seed: u64,
    proposed: &Config,
) -> (tandem::sim::SimHandle, tandem::store::Store, Replay) {
    let sim = frozen_sim(seed, 600).await;
    let (store, _) = tandem::sync::load_store(&mut client(&sim)).await.unwrap();
    let replay = Replay::build(&ReplayInput {
        current: &Config::builtin(),
        proposed,
        store: &store,
        weeks: 6,
        now: frozen_now(),
        simulated: true,
        history: None,
    });
    (sim, store, replay)
}

#[tokio::test]
async fn replay_under_the_current_definitions_gives_the_ordinary_figures_each_week() {
    let config = Config::builtin();
    let now = frozen_now();
    for seed in [5, 11, 42] {
        let (sim, store, replay) = replayed(seed, &config).await;
        assert_eq!(replay.weeks.len(), 7);
        assert!(
            replay.changed_leads.is_empty(),
            "seed {seed}: nothing changes"
        );
        for w in &replay.weeks {
            assert_eq!(w.current, w.proposed);
            assert!(w.difference.stages.values().all(|d| *d == 0));
        }
        // The week in progress is the report of now: stages, KPIs, open breaches.
        let report = Report::build(&config, &store, PeriodKind::Week, (None, now), true);
        let last = &replay.weeks[6].current;
        assert_eq!(last.stages, report.stages, "seed {seed}");
        assert_eq!(last.unmapped, report.unmapped, "seed {seed}");
        assert_eq!(last.kpis, report.kpis, "seed {seed}");
        for s in &last.slas {
            let open = |states: &[&str]| {
                report
                    .breaches
                    .iter()
                    .filter(|b| b.sla == s.sla && states.contains(&b.state))
                    .count()
            };
            assert_eq!(
                s.open_breached,
                open(&["breached", "escalated"]),
                "seed {seed} {}",
                s.sla
            );
            assert_eq!(s.open_warning, open(&["warning"]), "seed {seed} {}", s.sla);
        }
        assert!(
            last.slas.iter().any(|s| s.open_breached > 0),
            "the sim plants breaches"
        );
        // Past weeks' KPIs are the cockpit's history of them (the last five and this one).
        let snap = store.snapshot_with(&config, PeriodKind::Week, now, None);
        for (id, history) in &snap.kpi_history {
            let replayed: Vec<Option<f64>> = replay.weeks[1..]
                .iter()
                .map(|w| {
                    let k = w.current.kpis.iter().find(|k| k.id == *id).unwrap();
                    if k.too_small { None } else { k.value }
                })
                .collect();
            assert_eq!(&replayed, history, "seed {seed}: {id}");
        }
        // Each week's flows are what `report --since` says for that window.
        for w in &replay.weeks {
            let r = Report::build(
                &config,
                &store,
                PeriodKind::Week,
                (Some(w.start), w.until),
                true,
            );
            assert_eq!(
                w.current.changes, r.changes,
                "seed {seed}, week of {}",
                w.start
            );
        }
        assert!(
            replay
                .weeks
                .iter()
                .any(|w| w.current.changes.new_mqls.count > 0)
        );
        // Stage counts at each week's end, recomputed from the raw contact history.
        let contacts = contacts_with_history(&sim).await;
        for w in &replay.weeks {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for c in &contacts {
                if let Some((_, s)) = stages(c).into_iter().rfind(|(at, _)| *at <= w.until) {
                    *counts.entry(s).or_default() += 1;
                }
            }
            for s in &w.current.stages {
                assert_eq!(
                    s.count,
                    counts.get(s.id).copied().unwrap_or(0),
                    "seed {seed}: {} at {}",
                    s.id,
                    w.until
                );
            }
        }
    }
}

#[tokio::test]
async fn a_halved_limit_adds_exactly_the_clocks_answered_between_the_two_limits() {
    let mut proposed = Config::builtin();
    let def = proposed
        .slas
        .iter_mut()
        .find(|d| d.id == "mql_response")
        .unwrap();
    let limit = def.limit.num_milliseconds();
    def.limit = Duration::milliseconds(limit / 2);
    let half = limit / 2;
    let now = frozen_now();
    for seed in [7, 42] {
        let (sim, _store, replay) = replayed(seed, &proposed).await;
        let from = replay.window_start;
        // From the raw history: every clock an entry into `mql` started in the window, its
        // answer the next change of stage.
        let mut expected = BTreeSet::new();
        for c in contacts_with_history(&sim).await {
            let st = stages(&c);
            for (i, (t0, s)) in st.iter().enumerate() {
                if *s != "mql" || *t0 < from {
                    continue;
                }
                let between = match st.get(i + 1).map(|(t1, _)| *t1).filter(|t1| *t1 <= now) {
                    Some(t1) => {
                        let r = business_ms(*t0, t1);
                        r > half && r <= limit
                    }
                    None => {
                        let elapsed = business_ms(*t0, now);
                        elapsed >= half && elapsed < limit
                    }
                };
                if between {
                    expected.insert((c["id"].as_str().unwrap().to_string(), *t0));
                }
            }
        }
        let mut added = BTreeSet::new();
        for c in &replay.changed_leads {
            for b in &c.breaches {
                assert_eq!(b.sla, "mql_response");
                assert_eq!(b.change, "added", "a tighter limit avoids no breach: {c:?}");
                added.insert((c.lead_id.clone(), b.started_at));
            }
        }
        assert!(
            !expected.is_empty(),
            "seed {seed}: some MQLs were answered between 2h and 4h"
        );
        assert_eq!(added, expected, "seed {seed}");
        let s = replay
            .summary
            .iter()
            .find(|s| s.sla == "mql_response")
            .unwrap();
        assert!(s.breaches_proposed >= s.breaches_current);
        assert_eq!(s.difference as usize, expected.len());
        assert!(s.line.starts_with("mql_response 4h → 2h: "), "{}", s.line);
        for other in replay.summary.iter().filter(|s| s.sla != "mql_response") {
            assert_eq!(other.difference, 0, "{}", other.line);
        }
    }
}

/// The done-when run: a halved `mql_response` and a raised MQL score threshold, through the
/// binary, reading `hubspotscore`'s history the current rules never read.
#[tokio::test]
async fn the_command_replays_a_raised_score_threshold_on_the_scores_own_history() {
    let sim = frozen_sim(42, 600).await;
    let dir = std::env::temp_dir().join(format!("tandem-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let current = dir.join("current.toml");
    let proposed = dir.join("proposed.toml");
    std::fs::write(&current, tandem::config::EXAMPLE).unwrap();
    let mql_rule =
        r#"when = { lifecyclestage = ["marketingqualifiedlead"], hs_lead_status = ["", "NEW"] }"#;
    assert!(tandem::config::EXAMPLE.contains(mql_rule));
    let text = tandem::config::EXAMPLE
        .replace(
            mql_rule,
            &mql_rule.replace(" }", r#", hubspotscore = [">= 60"] }"#),
        )
        .replacen("limit = \"4h\"", "limit = \"2h\"", 1);
    std::fs::write(&proposed, text).unwrap();
    let now = "2026-11-20T15:02:00Z";
    let args = |format: &'static str| {
        vec![
            "--config".to_string(),
            current.display().to_string(),
            "replay".into(),
            "--proposed".into(),
            proposed.display().to_string(),
            "--now".into(),
            now.into(),
            "--format".into(),
            format.into(),
            "--hubspot-url".into(),
            sim.base_url.clone(),
        ]
    };
    let run = |a: Vec<String>| {
        let sim = &sim;
        async move {
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            let out = tandem_with(sim, &a).await;
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        }
    };
    let json: serde_json::Value = serde_json::from_str(&run(args("json")).await).unwrap();
    assert_eq!(
        json["history"]["properties"],
        serde_json::json!(["hubspotscore"])
    );
    assert!(json["history"]["requests"].as_u64().unwrap() > 0);
    for w in json["weeks"].as_array().unwrap() {
        for side in ["current", "proposed"] {
            for field in ["stages", "kpis", "changes", "slas"] {
                assert!(!w[side][field].is_null(), "{side}.{field}");
            }
            assert!(w[side]["changes"]["new_mqls"]["count"].is_u64());
        }
    }
    // A clock only the current rules start is an MQL scored 50–59 then, which the proposed
    // rule does not admit; and an MQL the proposed rule drops now is one so scored now.
    let reasons: Vec<&str> = json["changed_leads"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["reasons"].as_array().unwrap())
        .map(|r| r.as_str().unwrap())
        .collect();
    let by_rules: Vec<&&str> = reasons
        .iter()
        .filter(|r| r.contains("no such clock started") || r.starts_with("stage now mql"))
        .collect();
    assert!(!by_rules.is_empty(), "{reasons:#?}");
    for r in by_rules {
        assert!(r.contains("hubspotscore = 5"), "{r}");
    }
    let md = run(args("markdown")).await;
    for needle in [
        "## What changes",
        "stage mql (hubspot): now also needs hubspotscore ≥ 60",
        "- mql_response 4h → 2h: ",
        "## Week by week",
        "| in MQL at the end |",
        "## Leads whose verdict changes",
        "the proposed rules read hubspotscore",
    ] {
        assert!(md.contains(needle), "{needle:?} missing from:\n{md}");
    }
}
