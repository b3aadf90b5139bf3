//! The worker's scheduling against the simulated HubSpot.

use std::sync::Arc;

use super::*;
use crate::config::Config;
use crate::sim::{self, SimHandle, SimOptions};
use crate::sources::{Connector, Secret, Vendor};

async fn frozen_sim() -> SimHandle {
    let mut opts = SimOptions::new(7, 20);
    opts.now = Some("2026-11-20T15:02:00Z".parse().unwrap());
    sim::start(opts).await.expect("sim starts")
}

fn worker(sim: &SimHandle, token: &str) -> Worker {
    let stages = Arc::new(Config::builtin().stages);
    let client = Connector::new(
        Vendor::HubSpot,
        &sim.base_url,
        Secret::new(token),
        stages,
        Vec::new(),
    )
    .unwrap();
    let (events, _) = mpsc::unbounded_channel();
    Worker::new(
        0,
        "HubSpot",
        client,
        Some(Duration::from_secs(1)),
        events,
        outbox(),
    )
}

fn outbox() -> Arc<Outbox> {
    Arc::new(Outbox::in_memory().unwrap())
}

#[tokio::test]
async fn a_refused_token_schedules_no_retry() {
    let sim = frozen_sim().await;
    let mut w = worker(&sim, "pat-wrong-secret");
    assert_eq!(w.step().await, None, "no poll is scheduled after a 401");
    assert!(w.health.unauthorised);
    assert!(
        w.hold_until.is_none(),
        "manual-refresh mode does not retry either"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_server_is_retried_later() {
    let sim = frozen_sim().await;
    let mut w = worker(&sim, &sim.token.clone());
    sim.shutdown().await;
    assert!(w.step().await.is_some(), "a connection failure is retried");
    assert!(!w.health.unauthorised);
    let error = w.health.last_error.expect("the failure is shown");
    assert!(
        error.contains("cannot connect to http://127.0.0.1:"),
        "{error}"
    );
}

#[tokio::test]
async fn a_failing_poll_backs_off_no_longer_than_the_interval() {
    let stages = Arc::new(Config::builtin().stages);
    let client = Connector::new(
        Vendor::HubSpot,
        "http://127.0.0.1:9",
        Secret::new("t"),
        stages,
        Vec::new(),
    )
    .unwrap();
    let (events, _) = mpsc::unbounded_channel();
    let interval = Duration::from_secs(2);
    let mut w = Worker::new(0, "HubSpot", client, Some(interval), events, outbox());
    assert!(w.client.retry_policy().max_backoff <= interval);
    let err = SourceError::Api {
        status: 503,
        category: String::new(),
        message: "down".into(),
    };
    for n in 0..30 {
        let delay = w.delay_after(&err, Failing::Poll).expect("retried");
        assert!(delay <= interval, "failure {n}: {delay:?}");
    }
}

/// Events until one matches.
async fn until_event(
    rx: &mut mpsc::UnboundedReceiver<SyncEvent>,
    mut wanted: impl FnMut(&SyncEvent) -> bool,
) -> SyncEvent {
    // The timeout only turns a hang into a failure.
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let event = rx.recv().await.expect("the worker is running");
            if wanted(&event) {
                return event;
            }
        }
    })
    .await
    .expect("the worker answers")
}

fn health(event: SyncEvent) -> SourceHealth {
    match event {
        SyncEvent::Health(_, h) => h,
        other => panic!("{other:?}"),
    }
}

async fn sim_requests(sim: &SimHandle) -> u64 {
    let stats: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/_sim/stats", sim.base_url))
        .bearer_auth(&sim.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    stats["requests"].as_u64().unwrap()
}

/// Queue a hand-off of contact 1001 in `outbox`, as the app does at `y`.
fn queue_hand_off(outbox: &Outbox, key: &str) {
    let action = crate::domain::action::Action::new(
        "1001",
        "Test Lead",
        crate::domain::action::ActionKind::HandOff {
            owner_id: "1".into(),
        },
        Default::default(),
        Default::default(),
        Utc::now(),
    );
    outbox.enqueue(key, action, 1, "", None).unwrap().unwrap();
}

#[tokio::test]
async fn a_new_action_or_refresh_does_not_cut_a_failing_actions_wait_short() {
    let sim = frozen_sim().await;
    let stages = Arc::new(Config::builtin().stages);
    let token = Secret::new(sim.token.clone());
    let client = Connector::new(Vendor::HubSpot, &sim.base_url, token, stages, Vec::new())
        .unwrap()
        .with_retry(crate::sources::RetryPolicy::once());
    let (events, mut rx) = mpsc::unbounded_channel();
    let queue = outbox();
    let mut w = Worker::new(0, "HubSpot", client, None, events, queue.clone());
    let key = w.outbox_key.clone();
    // Backoffs long enough that no scheduled retry can happen during the test.
    w.action_backoff = Backoff::new(Duration::from_secs(3600), Duration::from_secs(3600));
    w.poll_backoff = w.action_backoff.clone();
    let (commands, inbox) = mpsc::unbounded_channel();
    let task = tokio::spawn(w.run(inbox));
    until_event(
        &mut rx,
        |e| matches!(e, SyncEvent::Health(_, h) if h.loaded),
    )
    .await;

    let status = reqwest::Client::new()
        .post(format!("{}/_sim/faults", sim.base_url))
        .bearer_auth(&sim.token)
        .json(&serde_json::json!({"status": 503, "count": 100}))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success());
    queue_hand_off(&queue, &key);
    commands.send(SourceCommand::Send).unwrap();
    let failed = health(
        until_event(
            &mut rx,
            |e| matches!(e, SyncEvent::Health(_, h) if h.last_error.is_some()),
        )
        .await,
    );
    let retry_at = failed.retry_at.expect("a retry is scheduled");
    let tried = sim_requests(&sim).await;

    // Another action and `r` are answered at once, and the failing action keeps its wait.
    queue_hand_off(&queue, &key);
    commands.send(SourceCommand::Send).unwrap();
    commands.send(SourceCommand::Refresh).unwrap();
    for _ in 0..2 {
        let answer = health(until_event(&mut rx, |e| matches!(e, SyncEvent::Health(..))).await);
        assert_eq!(
            answer.retry_at,
            Some(retry_at),
            "the wait stands: {answer:?}"
        );
    }
    assert_eq!(sim_requests(&sim).await, tried, "nothing was retried");
    drop(commands);
    task.await.expect("the worker stops when the app quits");
    sim.shutdown().await;
}
