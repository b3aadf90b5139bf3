//! What a standup feels: how fast the first load fills the cockpit, how long a data change
//! takes to re-derive every pane, and how long one frame takes to draw — on the simulated
//! world (5,000 contacts unless `TANDEM_BENCH_CONTACTS` says) over real loopback HTTP.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::runtime::Runtime;

use tandem::app::App;
use tandem::config::Config;
use tandem::domain::kpi::PeriodKind;
use tandem::domain::snapshot::Changes;
use tandem::sim::{self, SimHandle, SimOptions};
use tandem::sources::{Connector, Secret, Vendor};
use tandem::store::Store;
use tandem::sync::{SyncEvent, load_all, load_store};

/// `TANDEM_BENCH_CONTACTS` sizes the world (5,000 by default; `benches/scale.sh` runs 100k
/// and 1M).
fn contacts() -> usize {
    std::env::var("TANDEM_BENCH_CONTACTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000)
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T15:02:00Z")
        .unwrap()
        .to_utc()
}

fn client(sim: &SimHandle, config: &Config) -> Connector {
    let stages = Arc::new(config.stages.clone());
    let token = Secret::new(sim.token.clone());
    let extra = config.extra_contact_properties();
    Connector::new(Vendor::HubSpot, &sim.base_url, token, stages, extra).unwrap()
}

async fn frozen_sim() -> SimHandle {
    let mut opts = SimOptions::new(42, contacts());
    opts.now = Some(now());
    // The bench loads many times over; don't let the simulated rate limit pace it.
    opts.burst_limit = 1_000_000;
    sim::start(opts).await.unwrap()
}

async fn loaded_store(sim: &SimHandle, config: &Config) -> Store {
    load_store(&mut client(sim, config)).await.unwrap().0
}

fn benches(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let config = Config::builtin();
    let sim = rt.block_on(frozen_sim());

    let mut group = c.benchmark_group("cockpit");
    group.sample_size(10);
    group.bench_function("first load over HTTP", |b| {
        b.to_async(&rt).iter(|| loaded_store(&sim, &config));
    });

    // A 1970 MQL date: business time over 56 years must cost what a week does.
    let since_1970 = DateTime::parse_from_rfc3339("1970-01-01T09:00:00Z")
        .unwrap()
        .to_utc();
    group.bench_function("business time over 56 years", |b| {
        b.iter(|| config.calendar.between(since_1970, now()));
    });

    let mut store = rt.block_on(loaded_store(&sim, &config));
    group.bench_function("snapshot rebuild after a data change", |b| {
        b.iter(|| store.snapshot(&config, PeriodKind::Week, now()));
    });

    // A poll that changed 100 leads: upserted, and the snapshot follows them. Two versions
    // of the same 100 leads take turns, so every round is a real change.
    let mut snapshot = store.snapshot(&config, PeriodKind::Week, now());
    let step = (store.leads().len() / 100).max(1);
    let before: Vec<_> = store
        .leads()
        .iter()
        .step_by(step)
        .take(100)
        .cloned()
        .collect();
    let after: Vec<_> = before
        .iter()
        .map(|l| {
            let mut l = l.clone();
            l.dates.set_last_sales_activity(Some(now()));
            l.card = l.card.with_title(&format!("{} (changed)", l.title()));
            l
        })
        .collect();
    let mut turn = false;
    group.bench_function("snapshot update after a poll changing 100 leads", |b| {
        b.iter(|| {
            turn = !turn;
            let leads = if turn { after.clone() } else { before.clone() };
            let changed = store.upsert_leads_at(leads);
            let changes = Changes {
                leads: &changed,
                ..Changes::default()
            };
            store.update_snapshot(&mut snapshot, &changes, &config, PeriodKind::Week, now());
            snapshot.board.counts
        });
    });

    // A warm start's work before its first frame: read the cache, classify, fill the store,
    // build the snapshot.
    let dir = std::env::temp_dir().join(format!("tandem-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cache.db");
    let key = "hubspot@bench";
    {
        let opened = tandem::app::cache::Cache::open(&path, key).unwrap();
        let (reference, delta, cursor) =
            rt.block_on(async { load_all(&mut client(&sim, &config)).await.unwrap() });
        use tandem::app::cache::Write;
        opened.cache.send(Write::Reference {
            owners: reference.owners,
            deal_stages: reference.deal_stages,
        });
        opened.cache.send(Write::Records {
            leads: delta.leads,
            deals: delta.deals,
            notes: delta.notes,
        });
        opened.cache.send(Write::Cursor(cursor));
        opened.cache.send(Write::Loaded(now()));
    }
    group.bench_function(
        "warm start: cache read into the store, snapshot built",
        |b| {
            b.iter(|| {
                let opened = tandem::app::cache::Cache::open(&path, key).unwrap();
                let store = tandem::app::cache::store_from(opened.cached, &config.stages, key);
                store
                    .snapshot(&config, PeriodKind::Week, now())
                    .board
                    .counts
            });
        },
    );
    let _ = std::fs::remove_dir_all(&dir);

    // `tandem report`'s computation once the records are in.
    group.bench_function("report computed from a loaded store", |b| {
        b.iter(|| {
            tandem::report::Report::build(&config, &store, PeriodKind::Week, (None, now()), true)
                .breached()
        });
    });

    // `tandem replay`'s (and the what-if view's) computation: six weeks and this one, under
    // the current file and a proposed one with `mql_response` halved.
    let mut proposed = config.clone();
    if let Some(def) = proposed.slas.iter_mut().find(|d| d.id == "mql_response") {
        def.limit = def.limit / 2;
    }
    group.bench_function(
        "replay of 6 weeks under two files from a loaded store",
        |b| {
            b.iter(|| {
                tandem::report::replay::Replay::build(&tandem::report::replay::ReplayInput {
                    current: &config,
                    proposed: &proposed,
                    store: &store,
                    weeks: 6,
                    now: now(),
                    simulated: true,
                    history: None,
                })
                .changed_leads
                .len()
            });
        },
    );

    // A frame of the wide cockpit with every pane full.
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let mut app = App::new(
        Arc::new(config.clone()),
        vec![("HubSpot".into(), tx)],
        true,
        true,
        now(),
        tandem::app::Outgoing {
            outbox: Arc::new(tandem::store::outbox::Outbox::in_memory().unwrap()),
            key: "hubspot@bench".into(),
            vendor: Vendor::HubSpot,
            user: "bench".into(),
            outbox_path: None,
        },
    );
    let data = rt.block_on(async { load_all(&mut client(&sim, &config)).await.unwrap() });
    app.on_sync(SyncEvent::Reference {
        source: 0,
        owners: data.0.owners,
        deal_stages: data.0.deal_stages,
    });
    app.on_sync(SyncEvent::Data(0, data.1));
    app.refresh_snapshot();
    let mut terminal = Terminal::new(TestBackend::new(160, 45)).unwrap();
    group.bench_function("draw one 160x45 frame", |b| {
        b.iter(|| terminal.draw(|f| app.draw(f)).unwrap().area);
    });
    group.finish();
    rt.block_on(sim.shutdown());
}

criterion_group!(cockpit, benches);
criterion_main!(cockpit);
