//! A sync that finishes under faults: the first load, the headless load behind `report`
//! and the worker's waits, against the simulated HubSpot's `/_sim/faults`.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use tandem::sim::{SimHandle, SimOptions};
use tandem::sources::{Connector, RetryPolicy};
use tandem::store::Store;
use tandem::sync::{
    self, ActionStatus, LoadProgress, SourceCommand, SourceHealth, SyncEvent, full_load, load_store,
};

use common::{clear_faults, client, get_json, inject};

/// A small portal read in many small pages, with no real rate limit in the way.
async fn small_world(seed: u64) -> SimHandle {
    let mut opts = SimOptions::new(seed, 300);
    opts.burst_limit = 1_000_000;
    common::frozen_sim_with(opts).await
}

/// Retries fast enough for a test; the budget and the logic are the real ones.
fn fast(sim: &tandem::sim::SimHandle) -> Connector {
    let hs = common::hubspot_with(sim, &tandem::config::Config::builtin());
    Connector::from(hs.with_page_size(20)).with_retry(RetryPolicy {
        base: Duration::from_millis(1),
        max_backoff: Duration::from_millis(20),
        ..RetryPolicy::default()
    })
}

/// The full mix from the issue, with slow answers shortened so the test stays quick.
fn full_mix(seed: u64) -> Value {
    json!({"kind": "mix", "seed": seed, "error_5xx": 0.2, "rate_limit": 0.1,
           "truncated": 0.05, "reset": 0.05, "slow": 0.05, "slow_millis": 5, "retry_after": 0})
}

/// What a report counts: leads per stage, deals, notes, owners.
fn counts(store: &Store) -> (BTreeMap<String, usize>, usize, usize, usize) {
    let mut stages = BTreeMap::new();
    for lead in store.leads() {
        *stages.entry(format!("{:?}", lead.stage)).or_default() += 1;
    }
    (
        stages,
        store.deals().len(),
        store.notes().len(),
        store.owners().len(),
    )
}

async fn stat(sim: &SimHandle, name: &str) -> u64 {
    get_json(sim, "/_sim/stats", &[]).await[name]
        .as_u64()
        .unwrap()
}

/// Events until one matches (the timeout only turns a hang into a failure).
async fn until_event(
    rx: &mut mpsc::UnboundedReceiver<SyncEvent>,
    mut wanted: impl FnMut(&SyncEvent) -> bool,
) -> SyncEvent {
    tokio::time::timeout(Duration::from_secs(120), async {
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

/// The worker's first load, collected as the app would, until it says it is done.
async fn worker_first_load(hs: Connector) -> (Store, SourceHealth) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let source = sync::spawn(
        0,
        "HubSpot",
        hs,
        Some(Duration::from_secs(1)),
        tx,
        common::outbox(),
    );
    let mut store = Store::default();
    let done = tokio::time::timeout(Duration::from_secs(120), async {
        loop {
            match rx.recv().await.expect("the worker is running") {
                SyncEvent::Data(_, d) => {
                    store.upsert_leads(d.leads);
                    store.upsert_deals(d.deals);
                    store.upsert_notes(d.notes);
                }
                SyncEvent::Reference { owners, .. } => {
                    store.set_owners(owners);
                }
                SyncEvent::Health(_, h) if h.loaded => return h,
                _ => {}
            }
        }
    })
    .await
    .expect("the first load finishes under faults");
    drop(source);
    (store, done)
}

#[tokio::test]
async fn the_first_load_and_the_report_load_finish_with_exact_counts_under_the_full_mix() {
    for seed in [1, 2, 3] {
        let sim = small_world(seed).await;
        let (clean, _) = load_store(&mut fast(&sim)).await.expect("clean load");
        let expected = counts(&clean);
        assert!(expected.0.values().sum::<usize>() == 300 && expected.2 > 0);

        inject(&sim, full_mix(seed)).await;
        let (store, _) = load_store(&mut fast(&sim))
            .await
            .unwrap_or_else(|e| panic!("seed {seed}: the report's load gave up: {e}"));
        assert_eq!(counts(&store), expected, "seed {seed}: report load");

        let (store, health) = worker_first_load(fast(&sim)).await;
        assert_eq!(counts(&store), expected, "seed {seed}: worker's first load");
        assert_eq!(
            (health.loaded_leads, health.loading_total),
            (300, Some(300))
        );
        assert!(
            stat(&sim, "faults_injected").await > 20,
            "seed {seed}: faults hit"
        );
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn a_failed_page_resumes_the_load_where_it_stood() {
    let sim = small_world(5).await;
    let before = stat(&sim, "requests").await;
    let mut progress = LoadProgress::default();
    let mut once = fast(&sim).with_retry(RetryPolicy::once());
    full_load(&mut once, &mut progress, |_, _| {})
        .await
        .unwrap();
    let clean = stat(&sim, "requests").await - before;

    // The search for the mark, the first pages and their leads' history go through; the
    // eighth request fails: the fourth page, or the third page's history read beside it
    // (a page's history and the next page are read at once).
    inject(&sim, json!({"kind": "delay", "millis": 0, "count": 7})).await;
    inject(&sim, json!({"status": 502})).await;
    let before = stat(&sim, "requests").await;
    let mut progress = LoadProgress::default();
    let mut leads = 0;
    let err = full_load(&mut once, &mut progress, |d, _| leads += d.leads.len()).await;
    assert!(err.is_err(), "the eighth request fails");
    assert!(
        leads == 40 || leads == 60,
        "the pages before the failure were handed over: {leads}"
    );
    assert!(!progress.is_done());
    full_load(&mut once, &mut progress, |d, _| leads += d.leads.len())
        .await
        .expect("the load resumes");
    assert!(progress.is_done());
    assert_eq!(leads, 300, "every lead once, none twice");
    assert_eq!(
        stat(&sim, "requests").await - before,
        clean + 1,
        "only the failed request was asked for again"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_day_long_retry_after_is_shown_and_does_not_block_refresh_or_quit() {
    let sim = small_world(6).await;
    inject(&sim, json!({"status": 429, "retry_after": 86400})).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let queue = common::outbox();
    let source = sync::spawn(
        0,
        "HubSpot",
        client(&sim),
        Some(Duration::from_secs(1)),
        tx,
        queue.clone(),
    );
    let limited = health(
        until_event(
            &mut rx,
            |e| matches!(e, SyncEvent::Health(_, h) if h.rate_limited_until.is_some()),
        )
        .await,
    );
    let until = limited.rate_limited_until.unwrap();
    assert!(until > Utc::now() + chrono::Duration::hours(23), "{until}");
    assert!(!limited.loaded);
    let asked = stat(&sim, "requests").await;

    // `r` is answered while the wait is pending, and does not break it.
    source.send(SourceCommand::Refresh).unwrap();
    let answer = health(until_event(&mut rx, |e| matches!(e, SyncEvent::Health(..))).await);
    assert_eq!(answer.rate_limited_until, Some(until));
    // So is a new action: it waits in the outbox, sent when the wait ends.
    let action = tandem::domain::action::Action::new(
        "1001",
        "Test Lead",
        tandem::domain::action::ActionKind::HandOff {
            owner_id: "1".into(),
        },
        Default::default(),
        Default::default(),
        Utc::now(),
    );
    let key = tandem::sources::Vendor::HubSpot.source_key(&sim.base_url);
    let queued = queue.enqueue(&key, action, 1, "", None).unwrap().unwrap();
    source.send(SourceCommand::Send).unwrap();
    let answer = health(until_event(&mut rx, |e| matches!(e, SyncEvent::Health(..))).await);
    assert_eq!(answer.rate_limited_until, Some(until));
    assert_eq!(
        queue.get(queued.id).unwrap().unwrap().status,
        ActionStatus::Queued
    );
    assert_eq!(
        stat(&sim, "requests").await,
        asked,
        "nothing sent during the wait"
    );

    // Quit: the worker ends (its event sender drops) without waiting out the day.
    drop(source);
    tokio::time::timeout(Duration::from_secs(60), async {
        while rx.recv().await.is_some() {}
    })
    .await
    .expect("the worker stops when the app quits");
    sim.shutdown().await;
}

/// The binary against `sim`.
async fn tandem(sim: &SimHandle, args: &[&str]) -> std::process::Output {
    let url = sim.base_url.clone();
    common::tandem_with(sim, &[&["--hubspot-url", url.as_str()][..], args].concat()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_and_check_give_up_at_the_timeout_with_a_clear_message_and_no_report() {
    let sim = small_world(8).await;
    inject(&sim, json!({"status": 503, "count": 10000})).await;
    for args in [
        &["report", "--timeout", "2"][..],
        &["check", "--timeout", "2"],
    ] {
        let out = tandem(&sim, args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "no partial report: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        for part in [
            "within --timeout 2s",
            "503",
            "no report printed",
            "raise --timeout",
        ] {
            assert!(stderr.contains(part), "{part}: {stderr}");
        }
        assert!(!stderr.contains("retrying in"), "{stderr}");
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_rate_limits_do_not_promise_a_retry_as_the_report_exits() {
    let sim = small_world(9).await;
    inject(
        &sim,
        json!({"status": 429, "retry_after": 1, "count": 10000}),
    )
    .await;
    let out = tandem(&sim, &["report", "--timeout", "2"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("rate limited: HubSpot asked"), "{stderr}");
    assert!(!stderr.contains("retrying in"), "{stderr}");
    sim.shutdown().await;
}

/// The header's states come from the worker: slow when an answer took seconds, failing
/// since the first failure of a run, healthy again on the next good round.
#[tokio::test]
async fn the_health_line_tells_slow_from_failing_from_healthy() {
    let sim = small_world(8).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let source = sync::spawn(0, "HubSpot", fast(&sim), None, tx, common::outbox());
    let loaded = health(
        until_event(
            &mut rx,
            |e| matches!(e, SyncEvent::Health(_, h) if h.loaded),
        )
        .await,
    );
    assert_eq!((loaded.slow, loaded.failing_since), (None, None));

    // One answer takes 2.2 s: the round succeeds, and the source reads as slow.
    inject(&sim, json!({"kind": "delay", "millis": 2200, "count": 1})).await;
    source.send(SourceCommand::Refresh).unwrap();
    let slow = health(
        until_event(
            &mut rx,
            |e| matches!(e, SyncEvent::Health(_, h) if h.slow.is_some()),
        )
        .await,
    );
    assert!(slow.slow.unwrap() >= Duration::from_millis(2200));
    assert!(slow.last_error.is_none());

    // Every request fails: failing since the first failure, and it stays that instant.
    inject(&sim, json!({"kind": "mix", "seed": 1, "error_5xx": 1.0})).await;
    let before = Utc::now();
    source.send(SourceCommand::Refresh).unwrap();
    let failing = health(
        until_event(
            &mut rx,
            |e| matches!(e, SyncEvent::Health(_, h) if h.last_error.is_some()),
        )
        .await,
    );
    let since = failing.failing_since.expect("failing since");
    assert!(since >= before, "{since} >= {before}");
    let again = health(
        until_event(&mut rx, |e| {
            matches!(e, SyncEvent::Health(_, h) if h.retry_at != failing.retry_at && h.last_error.is_some())
        })
        .await,
    );
    assert_eq!(again.failing_since, Some(since), "the run's start is kept");

    // The vendor answers again: healthy, neither slow nor failing.
    clear_faults(&sim).await;
    source.send(SourceCommand::Refresh).unwrap();
    let healthy = health(
        until_event(
            &mut rx,
            |e| matches!(e, SyncEvent::Health(_, h) if h.last_error.is_none()),
        )
        .await,
    );
    assert_eq!((healthy.slow, healthy.failing_since), (None, None));
    drop(source);
    sim.shutdown().await;
}

/// With two requests in flight (a page and the last page's history), the load still spends
/// the rate window's last call once: the window is paced, never overrun into 429s.
#[tokio::test]
async fn a_load_with_requests_in_flight_never_overruns_the_rate_window() {
    let mut opts = SimOptions::new(8, 200);
    // Twenty calls per ten seconds; the load needs more, so it must wait for the window.
    opts.burst_limit = 20;
    let sim = common::frozen_sim_with(opts).await;
    let mut load = fast(&sim);
    let (store, _) = load_store(&mut load).await.expect("loads");
    assert_eq!(store.leads().len(), 200);
    let sent = stat(&sim, "requests").await;
    assert!(
        sent > 20,
        "the load needed more than one window: {sent} requests"
    );
    assert_eq!(stat(&sim, "rate_limited").await, 0, "no 429 answers");
    sim.shutdown().await;
}
