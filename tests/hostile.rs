//! No value a vendor sends can panic tandem or wedge its worker: extreme `Retry-After`
//! values through the headless commands and the cockpit's worker, and a server that
//! accepts and never answers.

mod common;

use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use tokio::sync::mpsc;

use tandem::sim::{SimHandle, SimOptions};
use tandem::sources::hubspot::RetryPolicy;
use tandem::sync::{self, SourceCommand, SourceHealth, SyncEvent};

use common::{client, inject};

/// The values from the issue: u64::MAX, i64::MAX, and 10¹³ (which panicked the worker).
const EXTREME: [u64; 3] = [u64::MAX, i64::MAX as u64, 10_000_000_000_000];

async fn small_world(seed: u64) -> SimHandle {
    let mut opts = SimOptions::new(seed, 200);
    opts.burst_limit = 1_000_000;
    common::frozen_sim_with(opts).await
}

/// The binary against `sim`.
async fn tandem(sim: &SimHandle, args: &[&str]) -> std::process::Output {
    let url = sim.base_url.clone();
    common::tandem_with(sim, &[args, &["--hubspot-url", url.as_str()][..]].concat()).await
}

async fn until_health(
    rx: &mut mpsc::UnboundedReceiver<SyncEvent>,
    wanted: impl Fn(&SourceHealth) -> bool,
) -> SourceHealth {
    until_event(rx, |e| match e {
        SyncEvent::Health(_, h) if wanted(h) => Some(h.clone()),
        _ => None,
    })
    .await
}

/// Events until one yields a value (the timeout only turns a hang into a failure).
async fn until_event<T>(
    rx: &mut mpsc::UnboundedReceiver<SyncEvent>,
    mut wanted: impl FnMut(&SyncEvent) -> Option<T>,
) -> T {
    tokio::time::timeout(Duration::from_secs(120), async {
        loop {
            let event = rx.recv().await.expect("the worker is running");
            if let Some(v) = wanted(&event) {
                return v;
            }
        }
    })
    .await
    .expect("the worker answers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_and_check_exit_2_with_a_clear_message_on_an_endless_retry_after() {
    let sim = small_world(11).await;
    for secs in EXTREME {
        inject(
            &sim,
            json!({"status": 429, "retry_after": secs, "count": 10_000}),
        )
        .await;
        for args in [
            &["report", "--no-cache", "--timeout", "10"][..],
            &["check", "--no-cache", "--timeout", "10"],
        ] {
            let out = tandem(&sim, args).await;
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{secs} {args:?}: {stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
            assert!(
                stderr.contains("HubSpot asked to wait 1d"),
                "{secs} {args:?}: {stderr}"
            );
            assert!(out.stdout.is_empty(), "no partial report");
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn the_worker_shows_an_endless_wait_with_its_date_and_keeps_answering() {
    for secs in EXTREME {
        let sim = small_world(12).await;
        inject(
            &sim,
            json!({"status": 429, "retry_after": secs, "count": 50}),
        )
        .await;
        let (tx, mut rx) = mpsc::unbounded_channel();
        let source = sync::spawn(
            0,
            "HubSpot",
            client(&sim),
            Some(Duration::from_secs(1)),
            tx,
            common::outbox(),
        );
        let limited = until_health(&mut rx, |h| h.rate_limited_until.is_some()).await;
        let until = limited.rate_limited_until.unwrap();
        let day = Utc::now() + chrono::Duration::days(1);
        assert!(until <= day, "capped at a day: {until}");
        assert!(until > day - chrono::Duration::minutes(5), "{until}");

        // The worker is alive: `r` is answered (with the wait kept), twice over.
        for _ in 0..2 {
            source.send(SourceCommand::Refresh).unwrap();
            let answer = until_health(&mut rx, |_| true).await;
            assert_eq!(answer.rate_limited_until, Some(until));
        }
        drop(source);
        tokio::time::timeout(Duration::from_secs(60), async {
            while rx.recv().await.is_some() {}
        })
        .await
        .expect("the worker stops when the app quits");
        sim.shutdown().await;
    }
}

/// A server that accepts and does not answer: the header hears of it after the first
/// timeout, not after the whole retry budget.
#[tokio::test]
async fn a_server_that_never_answers_is_named_after_the_first_timeout() {
    let sim = small_world(13).await;
    inject(&sim, json!({"kind": "delay", "millis": 3_000, "count": 2})).await;
    let quick = client(&sim).with_retry(RetryPolicy {
        request_timeout: Duration::from_millis(300),
        base: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        ..RetryPolicy::default()
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    let source = sync::spawn(0, "HubSpot", quick, None, tx, common::outbox());
    let said = until_event(&mut rx, |e| match e {
        SyncEvent::Trouble(_, what) => Some(what.clone()),
        _ => None,
    })
    .await;
    assert!(said.starts_with("no answer for"), "{said}");
    // Later tries are answered: the load finishes and the trouble is gone.
    let loaded = until_health(&mut rx, |h| h.loaded).await;
    assert_eq!(loaded.trouble, None);
    drop(source);
    sim.shutdown().await;
}

/// `outbox --send` meets the same endless wait: exit 2, the entry still queued, and the
/// vendor's demand in words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_send_exits_2_on_an_endless_retry_after_and_keeps_the_action() {
    let sim = small_world(14).await;
    let dir = std::env::temp_dir().join(format!("tandem-hostile-{:x}", fastrand::u64(..)));
    let outbox = tandem::store::outbox::Outbox::open(&dir).unwrap();
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
    let queued = outbox.enqueue(&key, action, 1, "", None).unwrap().unwrap();
    let data_dir = dir.to_string_lossy().to_string();
    for secs in EXTREME {
        inject(
            &sim,
            json!({"status": 429, "retry_after": secs, "count": 10_000}),
        )
        .await;
        let args = [
            "outbox",
            "--send",
            "--timeout",
            "10",
            "--data-dir",
            data_dir.as_str(),
        ];
        let out = tandem(&sim, &args).await;
        let said = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{secs}: {said} {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            said.contains("1 still queued") && said.contains("HubSpot asked to wait 1d"),
            "{secs}: {said}"
        );
        assert!(outbox.get(queued.id).unwrap().unwrap().status.is_open());
    }
    sim.shutdown().await;
}
