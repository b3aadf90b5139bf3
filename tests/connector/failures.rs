//! Failures at the connector's edges: refused tokens, server errors, garbage, refused
//! writes, and polls interrupted halfway.

use std::time::Duration;

use tokio::sync::mpsc;

use tandem::sources::hubspot::RetryPolicy;
use tandem::sync::saga::Sent;
use tandem::sync::{self, ActionStatus, SourceCommand, SourceHealth, SyncEvent};

use super::*;

/// A connector to the sim with a token it refuses.
fn wrong_token(sim: &SimHandle) -> Connector {
    let stages = std::sync::Arc::new(tandem::config::Config::builtin().stages);
    let token = Secret::new("pat-wrong-secret");
    Connector::new(
        tandem::sources::Vendor::HubSpot,
        &sim.base_url,
        token,
        stages,
        Vec::new(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_wrong_token_is_a_typed_error_without_the_token() {
    let sim = frozen_sim(50).await;
    let mut hs = wrong_token(&sim);
    let err = load_all(&mut hs).await.unwrap_err();
    assert!(matches!(err, SourceError::Unauthorized { .. }), "{err:?}");
    let message = err.to_string();
    assert!(!message.contains("pat-wrong-secret"));
    assert!(!err.is_transient());
    // The message says what to fix: the variable and the private app's scopes.
    for fix in [
        "HubSpot refused the token (401): check HUBSPOT_TOKEN",
        "crm.objects.contacts.read",
        "crm.objects.contacts.write",
        "crm.objects.deals.read",
        "crm.objects.owners.read",
    ] {
        assert!(message.contains(fix), "{fix}: {message}");
    }
    // A configured source names its own variable.
    let mut hs = hs.with_token_env("ACME_HUBSPOT_TOKEN");
    let err = load_all(&mut hs).await.unwrap_err();
    assert!(
        err.to_string().contains("check ACME_HUBSPOT_TOKEN"),
        "{err}"
    );
    sim.shutdown().await;
}

async fn requests(sim: &SimHandle) -> u64 {
    get_json(sim, "/_sim/stats", &[]).await["requests"]
        .as_u64()
        .unwrap()
}

/// The next health report (the timeout only turns a hang into a failure).
async fn next_health(rx: &mut mpsc::UnboundedReceiver<SyncEvent>) -> SourceHealth {
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Some(SyncEvent::Health(_, h)) = rx.recv().await {
                return h;
            }
        }
    })
    .await
    .expect("the worker reports its health")
}

#[tokio::test]
async fn a_refused_token_stops_the_worker_until_the_user_asks_again() {
    let sim = frozen_sim(50).await;
    let hs = wrong_token(&sim);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let queue = common::outbox();
    let source = sync::spawn(
        0,
        "HubSpot",
        hs,
        Some(Duration::from_secs(1)),
        tx,
        queue.clone(),
    );

    let health = next_health(&mut rx).await;
    assert!(health.unauthorised, "{health:?}");
    let error = health.last_error.expect("the refusal is shown");
    assert!(error.contains("check HUBSPOT_TOKEN"), "{error}");
    assert!(!error.contains("pat-wrong-secret"));
    assert_eq!(requests(&sim).await, 1, "one refused request");

    // `r` tries once more, and only once.
    source.send(SourceCommand::Refresh).unwrap();
    let health = next_health(&mut rx).await;
    assert!(health.unauthorised);
    assert_eq!(requests(&sim).await, 2);

    // A write cannot succeed with this token: it stays queued (sent once the token is
    // fixed), says why, and is not retried in a loop.
    let hand_off = ActionKind::HandOff {
        owner_id: "1".into(),
    };
    let key = tandem::sources::Vendor::HubSpot.source_key(&sim.base_url);
    let queued = queue
        .enqueue(
            &key,
            action(&Store::default(), 77, "1001", hand_off),
            1,
            "",
            None,
        )
        .unwrap()
        .unwrap();
    source.send(SourceCommand::Send).unwrap();
    let status = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Some(SyncEvent::Action(got, status)) = rx.recv().await
                && got == queued.id
                && matches!(status, ActionStatus::Retrying { .. })
            {
                return status;
            }
        }
    })
    .await
    .expect("the action is answered");
    match status {
        ActionStatus::Retrying { error, done: 0, .. } => {
            assert!(error.contains("refused the token"), "{error}")
        }
        other => panic!("{other:?}"),
    }
    assert!(next_health(&mut rx).await.unauthorised);
    assert_eq!(requests(&sim).await, 3, "one attempt for the write");
    sim.shutdown().await;
}

#[tokio::test]
async fn server_errors_and_garbage_are_typed_and_transient() {
    let sim = frozen_sim(50).await;
    // One try per request, so each failure reaches the caller as the vendor gave it.
    let mut hs = client(&sim).with_retry(RetryPolicy::once());
    let (_, mut cursor) = loaded_store(&mut hs).await;

    inject(&sim, json!({ "status": 503, "count": 1 })).await;
    let err = hs.poll(&mut cursor).await.unwrap_err();
    assert!(
        matches!(err, SourceError::Api { status: 503, .. }),
        "{err:?}"
    );
    assert!(err.is_transient());

    inject(&sim, json!({ "kind": "malformed_json", "count": 1 })).await;
    let err = hs.poll(&mut cursor).await.unwrap_err();
    assert!(matches!(err, SourceError::Malformed(_)), "{err:?}");

    // And the next poll works again from the same cursor.
    hs.poll(&mut cursor).await.expect("recovers");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_refused_write_is_reported_not_swallowed() {
    let sim = frozen_sim(50).await;
    let mut hs = client(&sim);
    let refused = action(
        &Store::default(),
        9,
        "999999999",
        ActionKind::HandOff {
            owner_id: "1".into(),
        },
    );
    // Settled as failed (never retried as if transient), with the vendor's answer.
    match try_send(&mut hs, &refused, false).await {
        Sent::Settled(ActionStatus::Failed {
            reason, done: 0, ..
        }) => {
            assert!(reason.contains("404"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    sim.shutdown().await;
}

async fn faults_injected(sim: &SimHandle) -> u64 {
    get_json(sim, "/_sim/stats", &[]).await["faults_injected"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_poll_that_fails_halfway_keeps_its_place() {
    let sim = frozen_sim(80).await;
    let mut hs = client(&sim).with_retry(RetryPolicy::once());
    let (store, mut cursor) = loaded_store(&mut hs).await;
    let id = first_in(&store, Stage::Mql);
    patch_status(&sim, &id, "UNQUALIFIED").await;
    // A later change, so the first one is not the boundary record a GTE search re-reads.
    let other = first_in(&store, Stage::Sal);
    patch_status(&sim, &other, "CONNECTED").await;
    // The contacts search goes through; the deals search that follows fails.
    inject(&sim, json!({ "kind": "delay", "millis": 0, "count": 1 })).await;
    inject(&sim, json!({ "status": 503, "count": 1 })).await;
    assert!(hs.poll(&mut cursor).await.is_err());
    let delta = hs.poll(&mut cursor).await.expect("next poll works");
    assert!(
        delta
            .leads
            .iter()
            .any(|l| l.id == id && l.stage == Some(Stage::Disqualified)),
        "the change read before the failure is read again"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_record_changed_while_paging_is_not_skipped() {
    // Room for 450 writes without tripping the simulated rate limit.
    let mut opts = tandem::sim::SimOptions::new(7, 500);
    opts.burst_limit = 5000;
    let sim = common::frozen_sim_with(opts).await;
    let mut hs = client(&sim);
    let (store, mut cursor) = loaded_store(&mut hs).await;
    // 450 changes: more than two search pages.
    let ids: Vec<String> = store
        .leads()
        .iter()
        .take(450)
        .map(|l| l.id.to_string())
        .collect();
    for id in &ids {
        patch_status(&sim, id, "IN_PROGRESS").await;
    }
    // Page 1 answers at once; page 2 waits while one record from page 1 changes again.
    let before = faults_injected(&sim).await;
    inject(&sim, json!({ "kind": "delay", "millis": 0, "count": 1 })).await;
    inject(&sim, json!({ "kind": "delay", "millis": 1500, "count": 1 })).await;
    let poll = tokio::spawn(async move {
        let delta = hs.poll(&mut cursor).await;
        (hs, cursor, delta)
    });
    // Wait until page 2 is being held (a real barrier, not a sleep).
    tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while faults_injected(&sim).await < before + 2 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("page 2 requested");
    patch_status(&sim, &ids[10], "CONNECTED").await;
    let (_, _, delta) = poll.await.unwrap();
    let delta = delta.unwrap();
    let seen: std::collections::HashSet<&str> = delta.leads.iter().map(|l| l.id.as_str()).collect();
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| !seen.contains(id.as_str()))
        .collect();
    assert!(missing.is_empty(), "skipped: {missing:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_refused_backward_move_leaves_the_stage_as_it_was() {
    let sim = frozen_sim(200).await;
    let mut hs = client(&sim);
    let (store, _) = loaded_store(&mut hs).await;
    // An SQL parked in nurture: handing it off is a backward move (SQL → MQL).
    let id = first_in(&store, Stage::Sql);
    patch_status(&sim, &id, "BAD_TIMING").await;
    // Seen after the change (a poll later), so the write is tried and refused.
    let (store, _) = loaded_store(&mut hs).await;
    let backward = action(
        &store,
        11,
        &id,
        ActionKind::HandOff {
            owner_id: "999999".into(),
        },
    );
    match try_send(&mut hs, &backward, false).await {
        Sent::Settled(ActionStatus::Failed { reason, .. }) => {
            assert!(reason.contains("400"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let server = server_contact(&sim, &id).await;
    assert_eq!(server["properties"]["lifecyclestage"], "salesqualifiedlead");
    assert_eq!(server["properties"]["hs_lead_status"], "BAD_TIMING");
    sim.shutdown().await;
}
