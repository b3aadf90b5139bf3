//! `tandem report --since`: what changed, each figure recomputed here from the simulated
//! HubSpot's raw HTTP answers (never from tandem's engine), over two windows 24 h apart.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use common::{frozen_now, frozen_sim};
use tandem::sim::SimHandle;

fn contacts_of(o: &Value) -> Vec<String> {
    o["associations"]["contacts"]["results"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| r["id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

use common::oracle::stage;

/// One contact's flows in `(start, end]` by metrics.md §2, from its raw property history.
#[derive(Default)]
struct Flows {
    new_mql: bool,
    handoff: bool,
    accepted: bool,
    recycled: bool,
    rejected: bool,
}

fn flows(c: &Value, sales: &BTreeSet<String>, start: DateTime<Utc>, end: DateTime<Utc>) -> Flows {
    let changes = common::oracle::changes(c);
    let within = |t: DateTime<Utc>| t > start && t <= end;
    let (mut lifecycle, mut status, mut owner) = (String::new(), String::new(), String::new());
    let mut cur: Option<&str> = None;
    let mut accepted_since_mql = false;
    let mut f = Flows::default();
    let mut i = 0;
    while i < changes.len() {
        let at = changes[i].0;
        let before = cur;
        let mut new_owner = None;
        while i < changes.len() && changes[i].0 == at {
            let (_, p, v) = &changes[i];
            match p.as_str() {
                "lifecyclestage" => lifecycle = v.clone(),
                "hs_lead_status" => status = v.clone(),
                _ => new_owner = Some(v.clone()),
            }
            i += 1;
        }
        if let Some(o) = new_owner {
            let changed = o != owner;
            owner = o;
            if changed
                && sales.contains(&owner)
                && before == Some("mql")
                && !accepted_since_mql
                && within(at)
            {
                f.handoff = true;
            }
        }
        // An unmapped moment (a cleared stage) is no stage: the lead keeps its last one.
        let Some(now) = stage(&lifecycle, &status) else {
            continue;
        };
        if Some(now) == cur {
            continue;
        }
        let ev = within(at);
        match now {
            "mql" => {
                accepted_since_mql = false;
                f.new_mql |= ev;
            }
            "sal" => {
                accepted_since_mql = true;
                f.accepted |= ev;
            }
            "sql" | "opportunity" | "customer" if cur == Some("mql") => {
                accepted_since_mql = true;
                f.accepted |= ev;
            }
            "nurture" | "disqualified" if cur == Some("mql") && !accepted_since_mql => {
                f.rejected |= ev;
            }
            _ => {}
        }
        if now == "nurture" && matches!(cur, Some("sal" | "sql" | "opportunity")) {
            f.recycled |= ev;
        }
        cur = Some(now);
    }
    f
}

async fn report_json(sim: &SimHandle, since: &str, now: &str) -> Value {
    common::report_json(sim, &["--now", now, "--since", since]).await
}

fn ids(v: &Value) -> BTreeSet<String> {
    v["lead_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_over_two_windows_match_the_api() {
    let mut breaches = 0;
    for seed in [42, 7, 2026] {
        breaches += changes_match_the_api(seed).await;
    }
    assert!(breaches > 0, "the windows hold breaches to check");
}

/// Checks one seeded world's two windows; returns how many breaches changed in them.
async fn changes_match_the_api(seed: u64) -> usize {
    let mut breaches = 0;
    let sim = frozen_sim(seed, 2000).await;
    let contacts = common::oracle::contacts_with_history(&sim).await;
    assert_eq!(contacts.len(), 2000);
    let owners = common::get_json(&sim, "/crm/v3/owners", &[("limit", "100")]).await;
    let sales: BTreeSet<String> = owners["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| {
            o["teams"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|t| t["name"] == "Sales")
        })
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    assert!(!sales.is_empty());
    let deals = common::oracle::deals_with_history(&sim).await;
    let until = frozen_now();
    let mut seen_any = 0;
    // Two windows 24 h apart: the last day, and the day before it.
    for back in [0, 1] {
        let end = until - Duration::hours(24 * back);
        let start = end - Duration::hours(24);
        let within = |t: Option<DateTime<Utc>>| t.is_some_and(|t| t > start && t <= end);
        let by = |pick: &dyn Fn(&Flows) -> bool| -> BTreeSet<String> {
            contacts
                .iter()
                .filter(|c| pick(&flows(c, &sales, start, end)))
                .map(|c| c["id"].as_str().unwrap().to_string())
                .collect()
        };
        let new_mqls = by(&|f| f.new_mql);
        let handoffs = by(&|f| f.handoff);
        let accepted_now = by(&|f| f.accepted);
        let recycles = by(&|f| f.recycled);
        let rejected = by(&|f| f.rejected);
        let closed = |stage: &str| -> BTreeSet<String> {
            deals
                .iter()
                .filter(|d| {
                    common::oracle::deal_entries(d, stage)
                        .into_iter()
                        .any(|t| within(Some(t)))
                })
                .flat_map(contacts_of)
                .collect()
        };

        let r = report_json(&sim, &start.to_rfc3339(), &end.to_rfc3339()).await;
        let c = &r["changes"];
        assert_eq!(
            c["since"].as_str().unwrap(),
            start.to_rfc3339().replace("+00:00", "Z")
        );
        for (name, expected) in [
            ("new_mqls", &new_mqls),
            ("handoffs", &handoffs),
            ("accepted", &accepted_now),
            ("recycles", &recycles),
            ("rejected", &rejected),
            ("won", &closed("closedwon")),
            ("lost", &closed("closedlost")),
        ] {
            assert_eq!(
                &ids(&c[name]),
                expected,
                "{name}, seed {seed}, window ending {end}"
            );
            assert_eq!(c[name]["count"], expected.len(), "{name} count");
            seen_any += expected.len();
        }
        // SLA clocks as they stood at each end of the window, from each lead's history.
        let breached = |t: DateTime<Utc>| -> BTreeSet<String> {
            contacts
                .iter()
                .filter(|c| common::oracle::breached_at(c, t))
                .map(|c| c["id"].as_str().unwrap().to_string())
                .collect()
        };
        let (before, after) = (breached(start), breached(end));
        for (name, expected) in [
            ("breaches_new", after.difference(&before).cloned().collect()),
            (
                "breaches_cleared",
                before.difference(&after).cloned().collect(),
            ),
        ] {
            let expected: BTreeSet<String> = expected;
            assert_eq!(
                ids(&c[name]),
                expected,
                "{name}, seed {seed}, window ending {end}"
            );
            assert_eq!(c[name]["count"], expected.len(), "{name} count");
            seen_any += expected.len();
            breaches += expected.len();
        }
        // Every rejection has a reason row, if only "no reason recorded".
        let reasons: u64 = c["rejection_reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[1].as_u64().unwrap())
            .sum();
        assert_eq!(reasons as usize, rejected.len());
        assert_eq!(
            c["from_stage_dates"], 0,
            "every lead with events has history"
        );
    }
    assert!(
        seen_any > 0,
        "the windows hold changes to check (seed {seed})"
    );
    sim.shutdown().await;
    breaches
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_since_after_the_report_instant_is_refused() {
    let sim = frozen_sim(42, 50).await;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tandem"));
    cmd.args([
        "report",
        "--now",
        "2026-11-20T15:02:00Z",
        "--since",
        "2026-11-21T00:00:00Z",
    ])
    .arg("--hubspot-url")
    .arg(&sim.base_url)
    .env("HUBSPOT_TOKEN", &sim.token)
    .env_remove("TANDEM_CONFIG");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not before the report's instant"));
    sim.shutdown().await;
}
