//! Lenses through the whole cockpit: a rep starts on their own leads and breaches, every pane
//! follows the lens, and `L` moves to the next one. Who is whose is read back from the
//! simulated HubSpot's raw API, not from tandem.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc::{self, UnboundedReceiver};

use tandem::app::App;
use tandem::sim::SimHandle;
use tandem::sync::{self, SyncEvent};

use common::{client, frozen_now, frozen_sim, get_json, list_all};

async fn cockpit(sim: &SimHandle, user: &str) -> (App, UnboundedReceiver<SyncEvent>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let queue = common::outbox();
    let source = sync::spawn(0, "HubSpot", client(sim), None, tx, queue.clone());
    let app = App::new(
        std::sync::Arc::new(tandem::config::Config::builtin()),
        vec![("HubSpot".into(), source)],
        true,
        false,
        frozen_now(),
        common::outgoing(sim, queue, user),
    );
    (app, rx)
}

async fn loaded(app: &mut App, rx: &mut UnboundedReceiver<SyncEvent>) {
    tokio::time::timeout(Duration::from_secs(60), async {
        while !app.model.health[0].loaded {
            app.on_sync(rx.recv().await.expect("worker alive"));
        }
        app.refresh_snapshot();
    })
    .await
    .expect("loaded");
}

fn screen(app: &App) -> String {
    screen_at(app, 160, 45)
}

/// The sales rep who owns the most contacts, from the raw API: (id, email, name).
async fn busiest_rep(sim: &SimHandle) -> (String, String, String, HashMap<String, Option<String>>) {
    let contacts = list_all(sim, "contacts", "hubspot_owner_id").await;
    let owner_of: HashMap<String, Option<String>> = contacts
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["properties"]["hubspot_owner_id"]
                    .as_str()
                    .map(str::to_string),
            )
        })
        .collect();
    let owners = get_json(sim, "/crm/v3/owners", &[("limit", "100")]).await;
    let sales: Vec<&serde_json::Value> = owners["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| {
            o["teams"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t["name"].as_str() == Some("Sales")))
        })
        .collect();
    let owned = |id: &str| {
        owner_of
            .values()
            .filter(|o| o.as_deref() == Some(id))
            .count()
    };
    let rep = sales
        .iter()
        .max_by_key(|o| owned(o["id"].as_str().unwrap()))
        .expect("a sales rep");
    let name = format!(
        "{} {}",
        rep["firstName"].as_str().unwrap(),
        rep["lastName"].as_str().unwrap()
    );
    (
        rep["id"].as_str().unwrap().to_string(),
        rep["email"].as_str().unwrap().to_string(),
        name,
        owner_of,
    )
}

#[tokio::test]
async fn a_rep_starts_on_their_own_leads_and_every_pane_follows() {
    let sim = frozen_sim(42, 600).await;
    let (rep, email, name, owner_of) = busiest_rep(&sim).await;
    let (mut app, mut rx) = cockpit(&sim, &email).await;
    loaded(&mut app, &mut rx).await;
    let shown = screen(&app);
    assert!(shown.contains(&format!("lens: me ({name})")), "{shown}");

    // Every lead the panes read is the rep's own, or unowned in a sales stage's queue.
    let view = app.model.view();
    let leads = view.store.leads();
    assert!(!leads.is_empty());
    for l in leads {
        let owner = owner_of[l.id.as_str()].as_deref();
        assert!(
            owner == Some(rep.as_str()) || owner.is_none(),
            "{} owned by {owner:?}",
            l.id
        );
    }
    let own = owner_of
        .values()
        .filter(|o| o.as_deref() == Some(rep.as_str()))
        .count();
    assert_eq!(
        leads
            .iter()
            .filter(|l| l.owner_id.as_deref() == Some(rep.as_str()))
            .count(),
        own,
        "all of the rep's leads are there"
    );
    // The pipeline counts and the breaches follow the same leads.
    let counted: usize = view.snapshot.board.counts.iter().sum();
    assert_eq!(counted + view.snapshot.board.unmapped, leads.len());
    let ids: HashSet<&str> = leads.iter().map(|l| l.id.as_str()).collect();
    assert!(
        view.snapshot
            .board
            .timers
            .iter()
            .all(|t| ids.contains(t.lead_id.as_str()))
    );

    // L: the next lens, named in the header; the last one is everyone again.
    app.on_key(KeyEvent::new(KeyCode::Char('L'), KeyModifiers::NONE));
    app.refresh_snapshot();
    let header = screen(&app).lines().next().unwrap_or("").to_string();
    assert!(header.contains("lens: team sales"), "{header}");
    for _ in 0..40 {
        if app.model.lens_label == "everyone" {
            break;
        }
        app.on_key(KeyEvent::new(KeyCode::Char('L'), KeyModifiers::NONE));
        app.refresh_snapshot();
    }
    assert_eq!(app.model.view().store.leads().len(), owner_of.len());
    let header = screen(&app).lines().next().unwrap_or("").to_string();
    assert!(
        !header.contains("lens:"),
        "everyone needs no badge: {header}"
    );
    // H goes back one: from everyone to the lens before it, and back again with L.
    let before_everyone = {
        app.on_key(KeyEvent::new(KeyCode::Char('H'), KeyModifiers::NONE));
        app.refresh_snapshot();
        app.model.lens_label.clone()
    };
    assert_ne!(before_everyone, "everyone");
    app.on_key(KeyEvent::new(KeyCode::Char('L'), KeyModifiers::NONE));
    app.refresh_snapshot();
    assert_eq!(app.model.lens_label, "everyone");
    sim.shutdown().await;
}

/// The same lens at both sizes: every pane (or tab) shows the rep's part of the pipeline.
#[tokio::test]
async fn a_lens_at_160x45_and_80x24() {
    let sim = frozen_sim(42, 600).await;
    let (_, email, _, _) = busiest_rep(&sim).await;
    let (mut app, mut rx) = cockpit(&sim, &email).await;
    loaded(&mut app, &mut rx).await;
    // The freshness badge, frozen so the picture does not depend on the wall clock.
    app.model.health[0].last_success = Some(frozen_now() - chrono::Duration::seconds(12));
    let wide = screen_at(&app, 160, 45);
    insta::assert_snapshot!("lens_me_160x45", wide);
    let narrow = screen_at(&app, 80, 24);
    assert!(
        narrow.lines().next().unwrap_or("").contains("lens: me"),
        "{narrow}"
    );
    insta::assert_snapshot!("lens_me_80x24", narrow);
    sim.shutdown().await;
}

fn screen_at(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| app.draw(f)).unwrap();
    let b = t.backend().buffer().clone();
    (0..b.area.height)
        .map(|y| {
            (0..b.area.width)
                .map(|x| b[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The day history ("since yesterday") is everyone's: under a rep's lens the snapshot counts
/// only their leads, by their places in the lens's own store, so nothing is written until the
/// whole pipeline is shown; then every lead's row carries its own clock's state.
#[tokio::test]
async fn the_day_history_waits_for_everyone_and_reads_each_leads_own_clock() {
    let sim = frozen_sim(42, 600).await;
    let (_, email, _, _) = busiest_rep(&sim).await;
    let (mut app, mut rx) = cockpit(&sim, &email).await;
    let dir = std::env::temp_dir().join(format!("tandem-lens-day-{}", std::process::id()));
    let path = dir.join("cache.db");
    let key = tandem::sources::Vendor::HubSpot.source_key(&sim.base_url);
    app.use_cache(tandem::app::cache::Cache::open(&path, &key).unwrap());
    loaded(&mut app, &mut rx).await;
    assert_ne!(
        app.model.lens_label, "everyone",
        "a rep starts on their own leads"
    );
    for _ in 0..40 {
        if app.model.lens_label == "everyone" {
            break;
        }
        app.on_key(KeyEvent::new(KeyCode::Char('L'), KeyModifiers::NONE));
        app.refresh_snapshot();
    }
    assert_eq!(app.model.lens_label, "everyone");
    let now = app.model.now;
    let expected: HashMap<String, Option<&str>> = (app.model.store.leads().iter().enumerate())
        .map(|(i, lead)| {
            let state = app
                .model
                .snapshot
                .board
                .timer_of(i, lead)
                .map(|t| match t.state(now) {
                    tandem::domain::sla::SlaState::Running => "running",
                    tandem::domain::sla::SlaState::Warning => "warning",
                    tandem::domain::sla::SlaState::Breached => "breached",
                    tandem::domain::sla::SlaState::Escalated => "escalated",
                });
            (lead.id.to_string(), state)
        })
        .collect();
    drop(app);
    let disk = tandem::store::disk::Disk::open(&path).unwrap().disk;
    let rows = disk.day(now.date_naive(), &key).unwrap();
    assert_eq!(rows.len(), expected.len(), "a row for every lead");
    for row in rows {
        assert_eq!(
            row.sla_state.as_deref(),
            expected[&row.lead_id],
            "lead {}",
            row.lead_id
        );
    }
    assert!(expected.values().any(Option::is_some), "some clocks run");
    let _ = std::fs::remove_dir_all(&dir);
    sim.shutdown().await;
}
