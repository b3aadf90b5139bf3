//! `tandem report --since`: what changed, each figure recomputed here from the simulated
//! HubSpot's raw HTTP answers (never from tandem's engine), over two windows 24 h apart.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use common::{frozen_now, frozen_sim};
use tandem::sim::SimHandle;

fn prop<'a>(o: &'a Value, name: &str) -> &'a str {
    o["properties"][name].as_str().unwrap_or("")
}

fn time(o: &Value, name: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(prop(o, name))
        .ok()
        .map(|t| t.to_utc())
}

/// Every object of a type with `props` and (but for contacts) its contact associations.
async fn all(sim: &SimHandle, object: &str, props: &str) -> Vec<Value> {
    let associations = (object != "contacts").then_some("contacts");
    common::list_all_with(sim, object, props, associations).await
}

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

/// The sales acceptance the README defines: in SAL or later now, or dated that far.
fn accepted(c: &Value) -> bool {
    let now = match (prop(c, "lifecyclestage"), prop(c, "hs_lead_status")) {
        ("customer" | "evangelist", _) => true,
        (_, "UNQUALIFIED" | "BAD_TIMING") => false,
        ("marketingqualifiedlead", s) => {
            ["OPEN", "IN_PROGRESS", "ATTEMPTED_TO_CONTACT", "CONNECTED"].contains(&s)
        }
        ("salesqualifiedlead" | "opportunity", _) => true,
        _ => false,
    };
    now || [
        "hs_lifecyclestage_salesqualifiedlead_date",
        "hs_lifecyclestage_opportunity_date",
        "hs_lifecyclestage_customer_date",
    ]
    .iter()
    .any(|p| time(c, p).is_some())
}

async fn report_json(sim: &SimHandle, since: &str, now: &str) -> Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tandem"));
    cmd.args(["report", "--format", "json", "--now", now, "--since", since])
        .arg("--hubspot-url")
        .arg(&sim.base_url)
        .env("HUBSPOT_TOKEN", &sim.token)
        .env_remove("TANDEM_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent-tandem-test");
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run tandem"))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
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
    let sim = frozen_sim(42, 2000).await;
    let contacts = all(
        &sim,
        "contacts",
        "lifecyclestage,hs_lead_status,hubspot_owner_assigneddate,\
         hs_lifecyclestage_marketingqualifiedlead_date,hs_lifecyclestage_salesqualifiedlead_date,\
         hs_lifecyclestage_opportunity_date,hs_lifecyclestage_customer_date",
    )
    .await;
    let notes = all(&sim, "notes", "hs_note_body,hs_timestamp").await;
    let deals = all(&sim, "deals", "dealstage,closedate").await;
    let until = frozen_now();
    let mut seen_any = 0;
    // Two windows 24 h apart: the last day, and the day before it.
    for back in [0, 1] {
        let end = until - Duration::hours(24 * back);
        let start = end - Duration::hours(24);
        let within = |t: Option<DateTime<Utc>>| t.is_some_and(|t| t > start && t <= end);
        let by = |f: &dyn Fn(&Value) -> bool| -> BTreeSet<String> {
            contacts
                .iter()
                .filter(|c| f(c))
                .map(|c| c["id"].as_str().unwrap().to_string())
                .collect()
        };
        let new_mqls = by(&|c| within(time(c, "hs_lifecyclestage_marketingqualifiedlead_date")));
        let handoffs = by(&|c| within(time(c, "hubspot_owner_assigneddate")));
        let accepted_now = by(&|c| within(time(c, "hubspot_owner_assigneddate")) && accepted(c));
        let recycles: BTreeSet<String> = notes
            .iter()
            .filter(|n| prop(n, "hs_note_body").starts_with("#recycle"))
            .filter(|n| within(time(n, "hs_timestamp")))
            .flat_map(contacts_of)
            .collect();
        let rejected: BTreeSet<String> = notes
            .iter()
            .filter(|n| prop(n, "hs_note_body").starts_with("#reject"))
            .filter(|n| within(time(n, "hs_timestamp")))
            .flat_map(contacts_of)
            .collect();
        let closed = |stage: &str| -> BTreeSet<String> {
            deals
                .iter()
                .filter(|d| prop(d, "dealstage") == stage && within(time(d, "closedate")))
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
            assert_eq!(&ids(&c[name]), expected, "{name}, window ending {end}");
            assert_eq!(c[name]["count"], expected.len(), "{name} count");
            seen_any += expected.len();
        }
        for name in ["breaches_new", "breaches_cleared"] {
            assert_eq!(c[name]["count"], ids(&c[name]).len(), "{name} count");
        }
    }
    assert!(seen_any > 0, "the windows hold changes to check");
    sim.shutdown().await;
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
