//! The local cache end to end: a cockpit that loaded from the CRM once opens on the same
//! pipeline at the next start, with the CRM gone.

mod common;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use tandem::app::App;
use tandem::app::cache::Cache;
use tandem::config::Config;
use tandem::sync::{self, SourceCommand};

use common::{client, frozen_now, frozen_sim};

fn scratch() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tandem-cache-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("cache.db")
}

fn app_with(source: mpsc::UnboundedSender<SourceCommand>) -> App {
    App::new(
        Arc::new(Config::builtin()),
        vec![("HubSpot".into(), source)],
        false,
        false,
        frozen_now(),
        tandem::app::Outgoing {
            outbox: common::outbox(),
            key: "hubspot@test".into(),
            vendor: tandem::sources::Vendor::HubSpot,
            user: "tester".into(),
            outbox_path: None,
        },
    )
}

#[tokio::test]
async fn the_next_start_opens_on_the_cached_pipeline_with_the_crm_down() {
    let path = scratch();
    let sim = frozen_sim(7, 600).await;
    let key = tandem::sources::Vendor::HubSpot.source_key(&sim.base_url);
    let sim_url = sim.base_url.clone();

    // First start: load from the CRM, writing through to the cache.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let source = sync::spawn(0, "HubSpot", client(&sim), None, tx, common::outbox());
    let mut app = app_with(source);
    app.use_cache(Cache::open(&path, &key).unwrap());
    assert!(app.model.store.leads().is_empty(), "a new cache is empty");
    tokio::time::timeout(Duration::from_secs(60), async {
        while !app.model.health[0].loaded {
            let event = rx.recv().await.expect("worker alive");
            app.on_sync(event);
        }
    })
    .await
    .expect("first load finishes");
    app.refresh_snapshot();
    let counts = app.model.snapshot.board.counts;
    let leads = app.model.store.leads().len();
    let owners = app.model.store.owners().len();
    assert!(leads >= 600 && counts.iter().sum::<usize>() > 0);
    // Quitting flushes the cache; then the CRM goes away.
    drop(app);
    {
        // Today's history holds every lead, with its stage as the panes showed it.
        let disk = tandem::store::disk::Disk::open(&path).unwrap().disk;
        let day = disk.day(frozen_now().date_naive(), &key).unwrap();
        assert_eq!(day.len(), leads);
        let mqls = day
            .iter()
            .filter(|r| r.stage.as_deref() == Some("mql"))
            .count();
        assert_eq!(
            mqls,
            counts[tandem::domain::snapshot::stage_index(tandem::domain::Stage::Mql)]
        );
        assert!(
            day.iter()
                .any(|r| r.sla_state.as_deref() == Some("breached"))
        );
    }
    sim.shutdown().await;

    // Second start, nothing answering: the same pipeline, dated by the last complete load.
    let (dead, _) = mpsc::unbounded_channel();
    let mut app = app_with(dead);
    app.use_cache(Cache::open(&path, &key).unwrap());
    app.refresh_snapshot();
    assert_eq!(app.model.store.leads().len(), leads);
    assert_eq!(app.model.store.owners().len(), owners);
    assert_eq!(app.model.snapshot.board.counts, counts);
    assert!(app.model.health[0].last_success.is_some());

    let cached_at = app.model.health[0].last_success;
    drop(app);

    // A start the next day writes day rows only for the leads whose state moved since the
    // last row written (each record keeps its row's fingerprint), not for every lead.
    let held = || {
        let disk = tandem::store::disk::Disk::open(&path).unwrap().disk;
        disk.day_rows_held(&key).unwrap()
    };
    let before = held();
    assert_eq!(before, leads);
    // The terminal loop holds the day history back until its first frame: a start that
    // ends before it writes none.
    let next_day_start = |first_frame: bool| {
        let (dead, _) = mpsc::unbounded_channel();
        let mut app = app_with(dead);
        app.hold_history();
        app.use_cache(Cache::open(&path, &key).unwrap());
        app.set_now(frozen_now() + chrono::Duration::days(1));
        app.refresh_snapshot();
        if first_frame {
            app.release_history();
        }
    };
    next_day_start(false);
    assert_eq!(held(), before, "held until the first frame");
    next_day_start(true);
    let written = held() - before;
    assert!(
        written > 0 && written < leads / 2,
        "{written} of {leads} leads written again"
    );

    // `report --offline` reads the same cache, makes no request, and says how old it is.
    let data_dir = path.parent().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["--hubspot-url", &sim_url, "--data-dir"])
        .arg(data_dir)
        .args([
            "report",
            "--offline",
            "--format",
            "json",
            "--now",
            "2026-11-20T15:02:00Z",
        ])
        .env_remove("HUBSPOT_TOKEN")
        .env_remove("TANDEM_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["cached_at"].is_string(), "{json}");
    let mql = &json["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "mql")
        .unwrap()["count"];
    assert_eq!(
        mql.as_u64().unwrap() as usize,
        counts[tandem::domain::snapshot::stage_index(tandem::domain::Stage::Mql)]
    );
    // Another portal was never loaded: refused, with what to do.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["--hubspot-url", "http://127.0.0.1:9", "--data-dir"])
        .arg(data_dir)
        .args(["check", "--offline"])
        .env_remove("TANDEM_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("run once without --offline"));

    // Third start, the CRM back (the same portal): a warm start polls from the stored
    // cursor — owners, pipeline, deletions and one search per object type, not a reload.
    let sim = frozen_sim(7, 600).await;
    let opened = Cache::open(&path, &key).unwrap();
    let cursor = opened
        .cursor
        .clone()
        .expect("a complete load left a cursor");
    let (tx, mut rx) = mpsc::unbounded_channel();
    // Polling every 5 s: the deferred deletion check must come on the second round.
    let interval = Some(Duration::from_secs(5));
    let source = sync::spawn_resuming(
        0,
        "HubSpot",
        client(&sim),
        interval,
        tx,
        common::outbox(),
        // The ledger follows the first frame, as the cockpit sends it.
        Some((cursor, None)),
    );
    let mut app = app_with(source);
    app.use_cache(opened);
    assert!(app.ledger_owed(), "a warm start owes its source the ledger");
    app.send_ledger();
    assert!(!app.ledger_owed());
    tokio::time::timeout(Duration::from_secs(60), async {
        while app.model.health[0].last_success <= cached_at {
            let event = rx.recv().await.expect("worker alive");
            app.on_sync(event);
        }
    })
    .await
    .expect("the warm poll finishes");
    app.refresh_snapshot();
    assert_eq!(app.model.store.leads().len(), leads);
    assert_eq!(app.model.snapshot.board.counts, counts);
    let requests = common::get_json(&sim, "/_sim/stats", &[]).await["requests"]
        .as_u64()
        .unwrap();
    // Owners, pipelines and one search each for contacts, deals and notes: 5. Records at
    // the cursor's own millisecond are not fetched (or re-associated) again, and deletions
    // are reconciled on the next round. A full load of this world takes 15 and grows with
    // its size; the warm start does not.
    assert_eq!(requests, 5, "a warm start took {requests} requests");
    // A contact deleted while the cockpit was closed leaves the panes on the next round.
    let gone = app.model.store.leads()[0].id.to_string();
    common::archive_contact(&sim, &gone).await;
    tokio::time::timeout(Duration::from_secs(60), async {
        while app.model.store.lead(&gone).is_some() {
            let event = rx.recv().await.expect("worker alive");
            app.on_sync(event);
        }
    })
    .await
    .expect("the next round reconciles deletions");
    // That round also checks the held records against the portal's counts, and the
    // header says so: nothing drifted while the cockpit was closed (a ledger that lost
    // the cache's versions would repair every record).
    tokio::time::timeout(Duration::from_secs(60), async {
        while app.model.health[0].reconciled.is_none() {
            let event = rx.recv().await.expect("worker alive");
            app.on_sync(event);
        }
    })
    .await
    .expect("the second round reconciles");
    let reconciled = app.model.health[0].reconciled.clone().unwrap();
    assert_eq!(reconciled.repaired, 0, "{reconciled:?}");
    drop(app);
    sim.shutdown().await;

    // Another portal's records are filed apart.
    let other = Cache::open(&path, "hubspot@http://elsewhere").unwrap();
    assert!(other.cached.leads.is_empty());
    drop(other);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}
