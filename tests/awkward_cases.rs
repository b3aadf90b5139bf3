//! The awkward cases of metrics.md §7 that the simulated world plants (`sim/world/awkward.rs`),
//! read back the way a user would: their history with curl-like reads, their figures from
//! `tandem report`. Each lands in exactly the flows its story holds, and in no other.

mod common;

use std::collections::BTreeMap;

use serde_json::Value;

use common::{frozen_now, frozen_sim};

/// The flows of `changes`, by name, each as the set of lead ids in it.
const FLOWS: [&str; 9] = [
    "new_mqls",
    "handoffs",
    "accepted",
    "rejected",
    "recycles",
    "breaches_new",
    "breaches_cleared",
    "won",
    "lost",
];

fn flows_of(changes: &Value, id: &str) -> Vec<&'static str> {
    FLOWS
        .into_iter()
        .filter(|f| {
            changes[*f]["lead_ids"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i == id)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_planted_case_counts_in_its_own_flows_only() {
    let sim = frozen_sim(42, 2000).await;
    let stats = common::get_json(&sim, "/_sim/stats", &[]).await;
    let cases: BTreeMap<String, String> = stats["awkward"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    assert_eq!(cases.len(), 6, "{cases:?}");

    // The undone hand-off is in the vendor's history as two owner writes by the API.
    let undone = common::get_json(
        &sim,
        &format!("/crm/v3/objects/contacts/{}", cases["handoff_undone"]),
        &[("propertiesWithHistory", "hubspot_owner_id")],
    )
    .await;
    let owners = undone["propertiesWithHistory"]["hubspot_owner_id"]
        .as_array()
        .unwrap();
    assert_eq!(owners.len(), 2, "{owners:?}");
    assert_eq!(owners[0]["value"], "", "newest first: the undo cleared it");
    assert!(owners.iter().all(|o| o["sourceType"] == "INTEGRATION"));

    let now = frozen_now().to_rfc3339();
    let report = common::report_json(&sim, &["--now", &now, "--since", "24h"]).await;
    let changes = &report["changes"];
    let expect: [(&str, &[&str]); 6] = [
        // Handed off, accepted and recycled on the day: once in each of its flows.
        (
            "busy_day",
            &["new_mqls", "handoffs", "accepted", "recycles"],
        ),
        // Rejected three days ago; today's re-entry is a new MQL and nothing else yet.
        ("mql_reentry", &["new_mqls"]),
        // Owner and `salesqualifiedlead` in one write: handed off and accepted at the jump.
        ("mql_to_sql", &["new_mqls", "handoffs", "accepted"]),
        // Accepted days ago, recycled today before ever reaching `sql`.
        ("sal_recycled", &["recycles"]),
        // The hand-off happened (and was undone): the MQL still waits, and its clock ran out.
        ("handoff_undone", &["new_mqls", "handoffs", "breaches_new"]),
        // Lost eight days ago, reopened yesterday, won today.
        ("deal_reopened", &["won"]),
    ];
    for (case, flows) in expect {
        assert_eq!(flows_of(changes, &cases[case]), flows, "{case}");
    }
    sim.shutdown().await;
}
