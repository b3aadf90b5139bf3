//! Precious data apart from disposable data: a damaged cache never costs a queued action,
//! a damaged outbox is refused alike by every command and salvaged row by row, and an older
//! tandem's outbox is moved out of its cache.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;

use tandem::app::cache::{Cache, Write};
use tandem::app::data_dir;
use tandem::domain::action::{Action, ActionKind, ActionStatus, Actor};
use tandem::domain::feedback::Verdict;
use tandem::sim::SimHandle;
use tandem::store::Store;
use tandem::store::outbox::Outbox;
use tandem::sync::{self, SyncEvent, load_store};

use common::{client, frozen_sim, inject, list_all};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tandem-precious-{name}-{}-{:x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn key(sim: &SimHandle) -> String {
    tandem::sources::Vendor::HubSpot.source_key(&sim.base_url)
}

/// A note on `lead`, queued as the user confirmed it (it carries `text` to find it by).
fn queue_note(outbox: &Outbox, sim: &SimHandle, store: &Store, lead: &str, text: &str) -> Action {
    let l = store.lead(lead).expect("seen");
    let kind = ActionKind::Feedback {
        campaign: "ROI calculator webinar".into(),
        verdict: Verdict::Works,
        text: text.into(),
    };
    let action = Action::new(
        lead,
        l.name(),
        kind.clone(),
        tandem::sources::Vendor::HubSpot.seen(l),
        Actor {
            user: "ana".into(),
            owner_id: None,
        },
        chrono::Utc::now(),
    );
    let steps = tandem::sources::hubspot::step_count(&kind);
    outbox
        .enqueue(&key(sim), action, steps, "", None)
        .unwrap()
        .unwrap()
}

/// The same action as queued (the file keeps times to the millisecond).
fn assert_same(read: &Action, queued: &Action) {
    let mut queued = queued.clone();
    queued.created_at =
        chrono::DateTime::from_timestamp_millis(queued.created_at.timestamp_millis()).unwrap();
    assert_eq!(read, &queued);
}

/// Every note on the server whose body carries `ref=<key>`, per key.
async fn notes_by_ref(sim: &SimHandle) -> std::collections::HashMap<String, usize> {
    let mut found = std::collections::HashMap::new();
    for n in list_all(sim, "notes", "hs_note_body").await {
        let body = n["properties"]["hs_note_body"].as_str().unwrap_or("");
        if let Some(at) = body.find("ref=") {
            let key: String = body[at + 4..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            *found.entry(key).or_default() += 1;
        }
    }
    found
}

/// The footer line of the cockpit, drawn wide enough that no message is cut.
fn footer(app: &tandem::app::App) -> String {
    let backend = ratatui::backend::TestBackend::new(400, 30);
    let mut terminal = ratatui::Terminal::new(backend).unwrap();
    terminal.draw(|f| app.draw(f)).unwrap();
    let buffer = terminal.backend().buffer();
    let y = buffer.area.height - 1;
    (0..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol())
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// Fill the cache of `dir` with the portal as loaded, as a cockpit would leave it.
fn fill_cache(dir: &Path, key: &str, store: &Store) {
    let opened = Cache::open(&dir.join("cache.db"), key).unwrap();
    opened.cache.send(Write::Reference {
        owners: store.owners().to_vec(),
        deal_stages: store.deal_stages().to_vec(),
    });
    opened.cache.send(Write::Records {
        leads: store.leads().to_vec(),
        deals: store.deals().to_vec(),
        notes: store.notes().to_vec(),
    });
    opened.cache.send(Write::Loaded(chrono::Utc::now()));
}

/// Damage `cache.db` one of the ways a disk or a careless hand does.
fn damage(path: &Path, rng: &mut fastrand::Rng) -> String {
    let len = std::fs::metadata(path).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    let how = match rng.u8(0..4) {
        0 => {
            file.set_len(4096).unwrap();
            "truncated to 4096 bytes".to_string()
        }
        1 => {
            file.set_len(len / 2).unwrap();
            "truncated to half".to_string()
        }
        2 => {
            let at = rng.u64(0..len / 2);
            file.set_len(at).unwrap();
            format!("truncated to {at} bytes")
        }
        _ => {
            use std::os::unix::fs::FileExt;
            let at = rng.u64(0..len);
            let n = rng.usize(1..8192);
            let junk: Vec<u8> = (0..n).map(|_| rng.u8(..)).collect();
            file.write_at(&junk, at).unwrap();
            format!("{n} random bytes at {at}")
        }
    };
    // With or without a write-ahead log beside it (a garbage one, as after a crash).
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    if rng.bool() {
        let junk: Vec<u8> = (0..rng.usize(32..20_000)).map(|_| rng.u8(..)).collect();
        std::fs::write(&wal, junk).unwrap();
        format!("{how}, with a damaged WAL")
    } else {
        let _ = std::fs::remove_file(&wal);
        how
    }
}

/// Send what the outbox holds through a worker, as the restarted cockpit does; returns each
/// entry's settled status.
async fn drain(sim: &SimHandle, outbox: Arc<Outbox>, ids: &[u64]) -> Vec<ActionStatus> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let source = sync::spawn(0, "HubSpot", client(sim), None, tx, outbox);
    let mut settled = std::collections::HashMap::new();
    tokio::time::timeout(Duration::from_secs(120), async {
        while settled.len() < ids.len() {
            if let Some(SyncEvent::Action(id, status)) = rx.recv().await
                && !status.is_open()
            {
                settled.insert(id, status);
            }
        }
    })
    .await
    .expect("every action settles");
    drop(source);
    ids.iter().map(|id| settled[id].clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_cache_never_costs_a_queued_action() {
    let sim = frozen_sim(21, 150).await;
    let (store, _) = load_store(&mut client(&sim)).await.unwrap();
    let leads: Vec<String> = store.leads().iter().map(|l| l.id.to_string()).collect();
    let mut rng = fastrand::Rng::with_seed(15);
    let mut queued_keys = Vec::new();
    let mut rebuilt = 0;
    for trial in 0..16 {
        let dir = scratch("cache");
        let ids: Vec<u64> = {
            // Queue with the CRM down, as the reproduction does, then quit.
            let opened = data_dir::open(Some(&dir), Some(&key(&sim))).unwrap();
            fill_cache(&dir, &key(&sim), &store);
            (0..rng.usize(1..4))
                .map(|i| {
                    let lead = &leads[rng.usize(..leads.len())];
                    let a =
                        queue_note(&opened.outbox, &sim, &store, lead, &format!("t{trial}.{i}"));
                    queued_keys.push(a.key.clone());
                    a.id
                })
                .collect()
        };
        let how = damage(&dir.join("cache.db"), &mut rng);

        // The restart: both files open, the cache rebuilt if it must be, every action kept.
        let opened = data_dir::open(Some(&dir), Some(&key(&sim)))
            .unwrap_or_else(|e| panic!("trial {trial} ({how}): {e}"));
        let unsent = opened.outbox.unsent().unwrap();
        assert_eq!(unsent.len(), ids.len(), "trial {trial} ({how})");
        let cache = opened.cache.expect("a cache");
        if let Some(aside) = &cache.moved_aside {
            rebuilt += 1;
            assert!(aside.exists(), "the damaged cache is kept");
            let said =
                data_dir::start_notice(Some(aside), unsent.len(), &dir.join("outbox.db")).unwrap();
            assert!(
                said.contains("rebuilt") && said.contains("queued in"),
                "{said}"
            );
        }
        drop(cache);
        let statuses = drain(&sim, opened.outbox, &ids).await;
        assert!(
            statuses.iter().all(|s| *s == ActionStatus::Done),
            "trial {trial} ({how}): {statuses:?}"
        );
    }
    assert!(rebuilt >= 4, "most damage is found and rebuilt: {rebuilt}");
    let landed = notes_by_ref(&sim).await;
    for key in &queued_keys {
        assert_eq!(landed.get(key), Some(&1), "{key} landed exactly once");
    }
    sim.shutdown().await;
}

/// The binary with `args` on the data dir `dir`.
async fn tandem(sim: &SimHandle, dir: &Path, args: &[&str]) -> std::process::Output {
    let dir = dir.to_string_lossy().to_string();
    common::tandem_with(sim, &[args, &["--data-dir", dir.as_str()][..]].concat()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_outbox_is_refused_alike_and_salvage_recovers_the_readable_rows() {
    let sim = frozen_sim(22, 120).await;
    let (store, _) = load_store(&mut client(&sim)).await.unwrap();
    let dir = scratch("outbox");
    const QUEUED: usize = 120;
    let queued: Vec<Action> = {
        let outbox = Outbox::open(&dir).unwrap();
        (0..QUEUED)
            .map(|i| {
                let lead = &store.leads()[i % store.leads().len()].id;
                queue_note(
                    &outbox,
                    &sim,
                    &store,
                    lead,
                    &format!("salvage {i} {}", "x".repeat(300)),
                )
            })
            .collect()
    };
    // Notices too: one breach at the first look (the baseline), then two to send.
    {
        use tandem::store::outbox::notify::Notice;
        let outbox = Outbox::open(&dir).unwrap();
        let notice = |n: u32| Notice {
            key: format!("breached:c{n}"),
            clock: format!("c{n}"),
            kind: "breached",
            payload: format!("{{\"lead_id\":\"{n}\"}}"),
        };
        let now = chrono::Utc::now();
        let open = |n: u32| (0..n).map(|i| format!("c{i}")).collect::<Vec<_>>();
        outbox
            .record_notices(&[notice(0)], Some(&open(1)), now)
            .unwrap();
        outbox
            .record_notices(&[notice(0), notice(1), notice(2)], Some(&open(3)), now)
            .unwrap();
        assert_eq!(outbox.notice_status().unwrap().waiting, 2);
    }
    // Closed: the log is folded into the file. Zero one page in the middle of it.
    let file = dir.join("outbox.db");
    let len = std::fs::metadata(&file).unwrap().len();
    assert!(len > 20 * 4096, "many pages: {len}");
    {
        use std::os::unix::fs::FileExt;
        let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
        f.write_at(&[0u8; 4096], (len / 4096 / 2) * 4096).unwrap();
    }

    let url = sim.base_url.clone();
    let refusals = [
        vec!["outbox"],
        vec!["outbox", "--send", "--hubspot-url", &url],
        vec!["audit"],
        vec!["report", "--offline", "--hubspot-url", &url],
        vec!["--hubspot-url", &url],
    ];
    let mut said = Vec::new();
    for args in &refusals {
        let out = tandem(&sim, &dir, args).await;
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("{} is damaged", file.display()))
                && stderr.contains(&format!(
                    "tandem outbox salvage --data-dir {}",
                    dir.display()
                )),
            "{args:?}: {stderr}"
        );
        said.push(stderr);
    }
    assert!(file.exists(), "never moved aside silently");

    let out = tandem(&sim, &dir, &["outbox", "salvage"]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("the damaged file is kept as"), "{text}");
    let outbox = Outbox::open(&dir).expect("a fresh outbox");
    let recovered = outbox.unsent().unwrap();
    let lost = QUEUED - recovered.len();
    assert!(
        (1..=QUEUED / 4).contains(&lost),
        "one page's rows lost, the rest recovered: {} of {QUEUED}",
        recovered.len()
    );
    assert!(
        text.contains(&format!("{} unsent in", data_dir::actions(recovered.len()))),
        "{text}"
    );
    // The notices to send are still to send, and the baseline still not news.
    let notices = outbox.notice_status().unwrap();
    assert_eq!((notices.waiting, notices.delivered), (2, 0), "{notices:?}");
    // What was recovered is what was queued, field for field.
    for entry in &recovered {
        let original = queued.iter().find(|a| a.key == entry.action.key).unwrap();
        assert_same(&entry.action, original);
    }
    // And it is sent, once each.
    drop(outbox);
    let out = tandem(&sim, &dir, &["outbox", "--send", "--hubspot-url", &url]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let landed = notes_by_ref(&sim).await;
    for entry in &recovered {
        assert_eq!(landed.get(&entry.action.key), Some(&1));
    }
    sim.shutdown().await;
}

/// An older tandem kept the outbox in `cache.db`: the first open moves it over; a damaged
/// one of those is refused with the salvage that recovers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_tandems_outbox_moves_out_of_the_cache_and_a_damaged_one_is_salvaged() {
    let sim = frozen_sim(23, 60).await;
    let (store, _) = load_store(&mut client(&sim)).await.unwrap();
    let lead = store.leads()[0].id.to_string();
    for damaged in [None, Some("audit"), Some("outbox")] {
        // Build the old layout: the cache's schema 2 holds the outbox tables.
        let old = scratch("old-source");
        let queued = {
            let outbox = Outbox::open(&old).unwrap();
            queue_note(&outbox, &sim, &store, &lead, "from an older tandem")
        };
        let dir = scratch("legacy");
        let cache = dir.join("cache.db");
        drop(tandem::store::disk::Disk::open(&cache).unwrap());
        {
            let conn = rusqlite::Connection::open(&cache).unwrap();
            conn.execute(
                "ATTACH DATABASE ?1 AS old",
                [old.join("outbox.db").to_string_lossy()],
            )
            .unwrap();
            for t in ["outbox", "audit", "rotation"] {
                conn.execute(&format!("INSERT INTO {t} SELECT * FROM old.{t}"), [])
                    .unwrap();
            }
            conn.execute("DETACH DATABASE old", []).unwrap();
        }
        let mut said = String::new();
        if let Some(table) = damaged {
            // Zero the table's only page: the cache cannot give its outbox up whole.
            let root: i64 = rusqlite::Connection::open(&cache)
                .unwrap()
                .query_row(
                    "SELECT rootpage FROM sqlite_master WHERE name = ?1",
                    [table],
                    |r| r.get(0),
                )
                .unwrap();
            use std::os::unix::fs::FileExt;
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(&cache)
                .unwrap();
            f.write_at(&[0u8; 4096], (root as u64 - 1) * 4096).unwrap();
            let refused = Outbox::open(&dir).unwrap_err().to_string();
            assert!(
                refused.contains("cache.db is damaged")
                    && refused.contains("--from")
                    && refused.contains("older tandem"),
                "{refused}"
            );
            let from = cache.to_string_lossy().to_string();
            let out = tandem(&sim, &dir, &["outbox", "salvage", "--from", &from]).await;
            said = String::from_utf8_lossy(&out.stdout).to_string();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let outbox = Outbox::open(&dir).unwrap();
        let unsent = outbox.unsent().unwrap();
        if damaged == Some("outbox") {
            // Its row is gone with the page; the audit log names it, to be done again.
            assert!(unsent.is_empty());
            assert!(said.contains("lost: #1 note"), "{said}");
        } else {
            assert_eq!(unsent.len(), 1, "damaged: {damaged:?}");
            assert_same(&unsent[0].action, &queued);
        }
        // The cache no longer holds an outbox of its own (or was set aside, damaged).
        if cache.exists() {
            let conn = rusqlite::Connection::open(&cache).unwrap();
            let tables: i64 = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE name = 'outbox'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(tables, 0);
        }
    }
    sim.shutdown().await;
}

/// The reproduction, end to end with the binary: queued while the CRM answers 503,
/// the cache truncated, the CRM healthy again: the note lands exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_queued_in_an_outage_lands_once_after_the_cache_is_truncated() {
    let sim = frozen_sim(24, 100).await;
    let (store, _) = load_store(&mut client(&sim)).await.unwrap();
    let dir = scratch("repro");
    let note = {
        let opened = data_dir::open(Some(&dir), Some(&key(&sim))).unwrap();
        fill_cache(&dir, &key(&sim), &store);
        queue_note(
            &opened.outbox,
            &sim,
            &store,
            &store.leads()[3].id,
            "kept through a truncation",
        )
    };
    inject(&sim, json!({"status": 503, "count": 1_000_000})).await;
    let url = sim.base_url.clone();
    let out = tandem(
        &sim,
        &dir,
        &["outbox", "--send", "--timeout", "3", "--hubspot-url", &url],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "still queued");
    let cache = dir.join("cache.db");
    let len = std::fs::metadata(&cache).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&cache)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    common::clear_faults(&sim).await;
    let out = tandem(&sim, &dir, &["outbox"]).await;
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.starts_with("1 action unsent in"), "{listed}");
    // The restart as the cockpit makes it: the app opens on the rebuilt cache and says so,
    // and the lens it then picks for its user (owners arrive) does not hide that.
    let opened = data_dir::open(Some(&dir), Some(&key(&sim))).unwrap();
    let (dead, _) = mpsc::unbounded_channel();
    let mut app = tandem::app::App::new(
        Arc::new(tandem::config::Config::builtin()),
        vec![("HubSpot".into(), dead)],
        false,
        false,
        common::frozen_now(),
        tandem::app::Outgoing {
            outbox: opened.outbox.clone(),
            key: key(&sim),
            vendor: tandem::sources::Vendor::HubSpot,
            user: store.owners()[0].email.clone(),
            outbox_path: opened.outbox_path.clone(),
        },
    );
    app.use_cache(opened.cache.expect("a cache"));
    app.on_sync(SyncEvent::Reference {
        source: 0,
        owners: store.owners().to_vec(),
        deal_stages: store.deal_stages().to_vec(),
    });
    assert!(
        app.model.lens_label.contains(&store.owners()[0].name),
        "{}",
        app.model.lens_label
    );
    app.refresh_snapshot();
    let said = footer(&app);
    assert!(
        said.contains("the local cache was damaged and is rebuilt")
            && said.contains("the outbox is apart and intact: 1 action from before is queued"),
        "{said}"
    );
    let statuses = drain(&sim, opened.outbox, &[note.id]).await;
    assert_eq!(statuses, vec![ActionStatus::Done]);
    assert_eq!(notes_by_ref(&sim).await.get(&note.key), Some(&1));
    sim.shutdown().await;
}
