//! Periodic reconciliation against the simulated portal: drift that polls cannot see is
//! found by counts, range by range, and repaired.

use serde_json::json;

use tandem::config::Config;
use tandem::sources::Connector;
use tandem::sync::Ledger;
use tandem::sync::reconcile::{PARTS, reconcile};

use super::common;

/// A search-index lag longer than the polls' overlap (here the overlap is cut to nothing,
/// as a real portal's rare long lag would outrun the two minutes) makes polls miss updates
/// for good. Reconciliation finds every one from counts alone, for about one request a
/// range, and a second run finds nothing left.
#[tokio::test]
async fn reconciliation_repairs_the_updates_polls_missed() {
    let mut opts = tandem::sim::SimOptions::new(5, 300);
    opts.index_lag = std::time::Duration::from_millis(40);
    opts.burst_limit = 100_000;
    let sim = common::frozen_sim_with(opts).await;
    let hubspot =
        common::hubspot_with(&sim, &Config::builtin()).with_index_margin(chrono::Duration::zero());
    let mut hs: Connector = hubspot.into();
    let (mut store, mut cursor) = tandem::sync::load_store(&mut hs).await.unwrap();
    let mut ledger = Ledger::of(store.leads(), store.deals());
    let ids: Vec<String> = store.leads().iter().map(|l| l.id.to_string()).collect();
    let written = super::titles_written_between_polls(&sim, &mut hs, &mut cursor, &ids, |delta| {
        ledger.hold(&delta);
        store.upsert_leads(delta.leads);
    })
    .await;
    // Time passes until every write is in the index; the polls go on and still miss them.
    let quiet = &ids[ids.len() - 1];
    for _ in 0..45 {
        common::patch_contact(&sim, quiet, json!({ "company": "Quiet Ltd" })).await;
    }
    // Writes to a note move the clock on until the quiet contact's last write is indexed
    // too, and a poll takes it: no update is in flight when reconciliation runs.
    let note = store.notes()[0].id.clone();
    for i in 0..45 {
        let body = json!({ "properties": { "hs_note_body": format!("tick {i}") } });
        let url = format!("{}/crm/v3/objects/notes/{note}", sim.base_url);
        let sent = reqwest::Client::new()
            .patch(url)
            .bearer_auth(&sim.token)
            .json(&body);
        assert!(sent.send().await.unwrap().status().is_success());
    }
    let delta = hs.poll(&mut cursor).await.unwrap();
    ledger.hold(&delta);
    store.upsert_leads(delta.leads);
    let stale = |store: &tandem::store::Store| {
        written
            .iter()
            .filter(|(id, title)| store.lead(id).expect("held").title() != *title)
            .count()
    };
    let missed = stale(&store);
    assert!(missed > 0, "the lag made polls miss updates");

    let outcome = reconcile(&mut hs, &ledger, &cursor)
        .await
        .unwrap()
        .expect("HubSpot counts by time");
    assert_eq!(
        outcome.repaired.leads.len(),
        missed,
        "exactly the missed ones"
    );
    ledger.hold(&outcome.repaired);
    store.upsert_leads(outcome.repaired.leads);
    assert_eq!(stale(&store), 0, "every missed update repaired");
    // One count per range for both kinds, plus a read of each range that differed.
    assert!(
        outcome.requests <= 2 * PARTS + 2 * missed,
        "{} requests",
        outcome.requests
    );

    let again = reconcile(&mut hs, &ledger, &cursor).await.unwrap().unwrap();
    assert_eq!(again.repaired_count(), 0, "{:?}", again.repaired);
    sim.shutdown().await;
}
