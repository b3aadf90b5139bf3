//! The whole cockpit without a terminal: simulated HubSpot over HTTP → sync worker → app →
//! panes on a `TestBackend`, driven by key presses.

mod common;

use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc::{self, UnboundedReceiver};

use tandem::app::App;
use tandem::domain::Stage;
use tandem::domain::snapshot::stage_index;
use tandem::sim::SimHandle;
use tandem::sync::{self, ActionStatus, SyncEvent};

use common::{client, frozen_now, frozen_sim, server_contact};

async fn start(contacts: usize) -> (SimHandle, App, UnboundedReceiver<SyncEvent>) {
    start_with(contacts, tandem::config::Config::builtin()).await
}

async fn start_with(
    contacts: usize,
    config: tandem::config::Config,
) -> (SimHandle, App, UnboundedReceiver<SyncEvent>) {
    let sim = frozen_sim(42, contacts).await;
    let hubspot = client(&sim);
    let (tx, rx) = mpsc::unbounded_channel();
    // Manual polling only: every read in this test is caused by the test.
    let queue = common::outbox();
    let source = sync::spawn(0, "HubSpot", hubspot, None, tx, queue.clone());
    let app = App::new(
        std::sync::Arc::new(config),
        vec![("HubSpot".into(), source)],
        true,
        false,
        frozen_now(),
        common::outgoing(&sim, queue, "tester"),
    );
    (sim, app, rx)
}

/// Feed sync events to the app until `done` holds. The timeout only turns a hang into a
/// failure; it is never what the test waits for.
async fn pump_until(
    app: &mut App,
    rx: &mut UnboundedReceiver<SyncEvent>,
    done: impl Fn(&App) -> bool,
) {
    tokio::time::timeout(Duration::from_secs(60), async {
        while !done(app) {
            let event = rx.recv().await.expect("worker alive");
            app.on_sync(event);
            app.refresh_snapshot();
        }
    })
    .await
    .expect("condition reached");
}

fn press(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
    app.refresh_snapshot();
}

fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| app.draw(f)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        for x in 0..buffer.area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn selected(app: &App) -> tandem::domain::Lead {
    app.ui
        .selected_lead(&app.model.view())
        .expect("a lead is highlighted")
        .clone()
}

fn loaded(app: &App) -> bool {
    app.model.health[0].loaded
}

/// Freeze the freshness badge so the picture does not depend on the wall clock.
fn settle_badges(app: &mut App) {
    app.model.health[0].last_success = Some(frozen_now() - chrono::Duration::seconds(12));
}

#[tokio::test]
async fn cockpit_on_a_frozen_world() {
    let (sim, mut app, mut rx) = start(1200).await;
    pump_until(&mut app, &mut rx, loaded).await;
    settle_badges(&mut app);
    insta::assert_snapshot!("wide_160x45", render(&app, 160, 45));
    insta::assert_snapshot!("narrow_80x24", render(&app, 80, 24));
    sim.shutdown().await;
}

#[tokio::test]
async fn hand_off_from_the_keyboard_reaches_the_crm_and_comes_back() {
    let (sim, mut app, mut rx) = start(300).await;
    pump_until(&mut app, &mut rx, loaded).await;
    let lead = selected(&app);
    assert_eq!(
        lead.stage,
        Some(Stage::Mql),
        "the cockpit opens on the MQLs"
    );
    let mql = stage_index(Stage::Mql);
    assert_eq!(
        app.model.store.leads()[app.model.snapshot.board.stage_leads[mql].get(0).unwrap()].id,
        lead.id,
        "the most urgent MQL is highlighted"
    );

    press(&mut app, KeyCode::Char('>'));
    assert!(
        app.model.outbox.is_empty(),
        "nothing is sent before confirming"
    );
    press(&mut app, KeyCode::Char('y'));
    assert_eq!(app.model.outbox.len(), 1);
    assert_eq!(app.model.outbox[0].status, ActionStatus::Queued);
    let screen = render(&app, 160, 45);
    assert!(
        screen.contains(&format!("handing off {}", lead.name())),
        "{screen}"
    );

    pump_until(&mut app, &mut rx, |a| {
        a.model.outbox[0].status == ActionStatus::Done
    })
    .await;
    let server = server_contact(&sim, &lead.id).await;
    assert_eq!(
        server["properties"]["hs_lead_status"]
            .as_str()
            .unwrap_or(""),
        lead.props
            .get("hs_lead_status")
            .map(|v| v.as_str())
            .unwrap_or(""),
        "a hand-off leaves the status: the rep's accept sets it"
    );
    let owner = server["properties"]["hubspot_owner_id"]
        .as_str()
        .expect("an owner")
        .to_string();

    // The worker reads back after writing; the lead waits in mql with its new owner.
    pump_until(&mut app, &mut rx, |a| {
        a.model
            .store
            .lead(&lead.id)
            .and_then(|l| l.owner_id)
            .is_some_and(|o| o == owner)
    })
    .await;
    assert_eq!(
        app.model.store.lead(&lead.id).and_then(|l| l.stage),
        Some(Stage::Mql)
    );
    let screen = render(&app, 160, 45);
    assert!(
        screen.contains(&format!("handed off {}", lead.name())),
        "{screen}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_refused_action_is_shown_as_failed() {
    let (sim, mut app, mut rx) = start(200).await;
    pump_until(&mut app, &mut rx, loaded).await;
    let lead = selected(&app);
    // The lead disappears from the CRM behind our back (archived), so the write must fail.
    common::archive_contact(&sim, &lead.id).await;
    press(&mut app, KeyCode::Char('>'));
    press(&mut app, KeyCode::Char('y'));
    pump_until(&mut app, &mut rx, |a| {
        matches!(a.model.outbox[0].status, ActionStatus::Failed { .. })
    })
    .await;
    let screen = render(&app, 160, 45);
    assert!(screen.contains("failed"), "{screen}");
    // `r` also reconciles deletions: the archived lead leaves the panes.
    let mql = stage_index(Stage::Mql);
    let before = app.model.snapshot.board.counts[mql];
    assert!(app.model.store.lead(&lead.id).is_some());
    press(&mut app, KeyCode::Char('r'));
    pump_until(&mut app, &mut rx, |a| {
        a.model.store.lead(&lead.id).is_none()
    })
    .await;
    assert_eq!(app.model.snapshot.board.counts[mql], before - 1);
    sim.shutdown().await;
}

/// The swap-remove race: a removal and `>` `y` arrive in one batch of events. The
/// hand-off must go to the lead the user selected, never to the one that took its slot.
#[tokio::test]
async fn a_key_in_the_same_batch_as_a_removal_acts_on_the_selected_lead() {
    let (sim, mut app, mut rx) = start(300).await;
    pump_until(&mut app, &mut rx, loaded).await;
    // A new MQL arrives: stored last. The user moves onto it.
    let mut newcomer = selected(&app);
    newcomer.id = "990001".into();
    newcomer.card = newcomer.card.with_name("Newcomer Lead");
    let mut delta = tandem::sources::hubspot::Delta::default();
    delta.leads.push(newcomer.clone());
    app.on_sync(SyncEvent::Data(0, delta));
    app.refresh_snapshot();
    for _ in 0..app.model.store.leads().len() {
        if selected(&app).id == newcomer.id {
            break;
        }
        press(&mut app, KeyCode::Char('j'));
    }
    assert_eq!(selected(&app).id, newcomer.id);
    // Then, in one batch: the first stored lead is removed (the newcomer, last, takes its
    // slot), and the user hands off.
    let victim = app.model.store.leads()[0].id.to_string();
    app.on_sync(SyncEvent::Removed {
        source: 0,
        leads: vec![victim],
        deals: Vec::new(),
        notes: Vec::new(),
    });
    app.on_key(KeyEvent::new(KeyCode::Char('>'), KeyModifiers::NONE));
    app.on_key(KeyEvent::new(KeyCode::Char('y'), KeyModifiers::NONE));
    assert_eq!(app.model.outbox.len(), 1);
    assert_eq!(app.model.outbox[0].action.lead_id, newcomer.id);
    sim.shutdown().await;
}

/// Quitting with an action the CRM has not confirmed says where it is: with an outbox file
/// it stays queued for the next start.
#[tokio::test]
async fn quitting_with_a_queued_action_says_it_stays_queued() {
    let (sim, mut loaded_app, mut rx) = start(200).await;
    pump_until(&mut loaded_app, &mut rx, loaded).await;
    // The same data in a cockpit whose source no longer runs: nothing gets sent.
    let (dead, _) = mpsc::unbounded_channel();
    let mut outgoing = common::outgoing(&sim, common::outbox(), "tester");
    outgoing.outbox_path = Some("/srv/tandem/outbox.db".into());
    let mut app = App::new(
        std::sync::Arc::new(tandem::config::Config::builtin()),
        vec![("HubSpot".into(), dead)],
        true,
        false,
        frozen_now(),
        outgoing,
    );
    app.model.store = std::mem::take(&mut loaded_app.model.store);
    app.refresh_snapshot();
    assert_eq!(app.farewell(), None, "nothing queued, nothing to say");
    press(&mut app, KeyCode::Char('>'));
    press(&mut app, KeyCode::Char('y'));
    press(&mut app, KeyCode::Char('q'));
    assert!(
        app.should_quit(),
        "an outbox file keeps it: q quits at once"
    );
    let said = app.farewell().expect("a word on the way out");
    assert!(
        said.contains("1 action not yet confirmed by the CRM stays queued in /srv/tandem/outbox.db and is sent at the next start"),
        "{said}"
    );
    sim.shutdown().await;
}

/// A recycle follows through: the lead passes to the nurture owner from the config, and the
/// revisit day (a working day) is written to the agreed contact property.
#[tokio::test]
async fn a_recycle_writes_the_revisit_day_and_passes_the_lead_to_marketing() {
    use chrono::{Datelike, Weekday};
    let (sim, mut app, mut rx) = start(300).await;
    pump_until(&mut app, &mut rx, loaded).await;
    press(&mut app, KeyCode::Char('l'));
    press(&mut app, KeyCode::Char('l'));
    let lead = selected(&app);
    assert_eq!(lead.stage, Some(Stage::Sql));
    press(&mut app, KeyCode::Char('<'));
    press(&mut app, KeyCode::Char('y'));
    pump_until(&mut app, &mut rx, |a| {
        a.model.outbox.first().map(|e| &e.status) == Some(&ActionStatus::Done)
    })
    .await;
    // The first reason (no budget) revisits after 90 days; a weekend moves to Monday.
    let mut day = (frozen_now() + chrono::Duration::days(90)).date_naive();
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day = day.succ_opt().unwrap();
    }
    let path = format!("/crm/v3/objects/contacts/{}", lead.id);
    let server = common::get_json(
        &sim,
        &path,
        &[(
            "properties",
            "tandem_revisit_date,hubspot_owner_id,hs_lead_status",
        )],
    )
    .await;
    assert_eq!(
        server["properties"]["tandem_revisit_date"],
        format!("{day}T00:00:00.000Z")
    );
    let owners = common::get_json(&sim, "/crm/v3/owners", &[("limit", "100")]).await;
    let nurture = owners["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["email"] == "priya.venkataraman@tandemdemo.example")
        .expect("the configured nurture owner exists in the simulated portal");
    assert_eq!(server["properties"]["hubspot_owner_id"], nurture["id"]);
    assert_eq!(server["properties"]["hs_lead_status"], "BAD_TIMING");
    sim.shutdown().await;
}

/// `r` while the vendor's wait runs: nothing is sent before it ends, and the footer says so
/// with the day the wait ends.
#[tokio::test]
async fn refresh_during_a_long_rate_limit_says_why_it_waits() {
    let (sim, mut app, mut rx) = start(100).await;
    pump_until(&mut app, &mut rx, loaded).await;
    app.model.health[0].rate_limited_until = Some(frozen_now() + chrono::Duration::hours(11));
    press(&mut app, KeyCode::Char('r'));
    let footer = render(&app, 200, 45)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    assert!(
        footer.contains("HubSpot asked tandem to wait until Sat 02:02: r polls then, not before"),
        "{footer}"
    );
    sim.shutdown().await;
}

/// An owner the config names that the CRM lacks is said once the owners arrive, and `e`
/// shows where it is written.
#[tokio::test]
async fn an_unknown_coverage_owner_is_named_at_its_line_and_column() {
    let text = "[coverage]\nsegment_by = \"region\"\n[[coverage.segment]]\nmatch = \"EMEA\"\nowners = [\"nobody@tandemdemo.example\"]\n";
    let config = tandem::config::Config::parse("team.toml", text).unwrap();
    let (sim, mut app, mut rx) = start_with(100, config).await;
    pump_until(&mut app, &mut rx, loaded).await;
    let footer = render(&app, 220, 45)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    assert!(
        footer.contains("config: team.toml:5:11: warning: coverage segment \"EMEA\" names nobody@tandemdemo.example"),
        "{footer}"
    );
    press(&mut app, KeyCode::Char('e'));
    let screen = render(&app, 160, 45);
    assert!(
        screen.contains("The config names owners the CRM does not have"),
        "{screen}"
    );
    assert!(screen.contains("team.toml:5:11: warning"), "{screen}");
    sim.shutdown().await;
}

/// A rejection back to nurture follows a recycle's path (the nurture owner, the revisit
/// day); undoing a recycle takes back everything it wrote, the revisit day included.
#[tokio::test]
async fn a_rejection_to_nurture_follows_the_recycle_path_and_an_undo_clears_the_revisit_day() {
    let (sim, mut app, mut rx) = start(300).await;
    pump_until(&mut app, &mut rx, loaded).await;
    let owners = common::get_json(&sim, "/crm/v3/owners", &[("limit", "100")]).await;
    let nurture = owners["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["email"] == "priya.venkataraman@tandemdemo.example")
        .unwrap()["id"]
        .clone();
    let props = |id: &str| {
        let sim = &sim;
        let path = format!("/crm/v3/objects/contacts/{id}");
        async move {
            common::get_json(
                sim,
                &path,
                &[(
                    "properties",
                    "tandem_revisit_date,hubspot_owner_id,hs_lead_status",
                )],
            )
            .await["properties"]
                .clone()
        }
    };

    // x on the selected MQL, the second reason (no budget: back to nurture).
    let lead = selected(&app);
    assert_eq!(lead.stage, Some(Stage::Mql));
    press(&mut app, KeyCode::Char('x'));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Char('y'));
    pump_until(&mut app, &mut rx, |a| {
        a.model.outbox.first().map(|e| &e.status) == Some(&ActionStatus::Done)
    })
    .await;
    let rejected = props(&lead.id).await;
    assert_eq!(rejected["hs_lead_status"], "BAD_TIMING");
    assert_eq!(
        rejected["hubspot_owner_id"], nurture,
        "the nurture owner takes it"
    );
    assert!(rejected["tandem_revisit_date"].is_string(), "{rejected}");

    // A recycle of an SQL, then u: the revisit day goes with it.
    press(&mut app, KeyCode::Char('l'));
    press(&mut app, KeyCode::Char('l'));
    let sql = selected(&app);
    assert_eq!(sql.stage, Some(Stage::Sql));
    let before = props(&sql.id).await;
    press(&mut app, KeyCode::Char('<'));
    press(&mut app, KeyCode::Char('y'));
    pump_until(&mut app, &mut rx, |a| {
        a.model
            .outbox
            .iter()
            .filter(|e| e.status == ActionStatus::Done)
            .count()
            == 2
    })
    .await;
    assert!(props(&sql.id).await["tandem_revisit_date"].is_string());
    press(&mut app, KeyCode::Char('u'));
    pump_until(&mut app, &mut rx, |a| {
        a.model
            .outbox
            .iter()
            .filter(|e| e.status == ActionStatus::Done)
            .count()
            == 3
    })
    .await;
    let undone = props(&sql.id).await;
    assert_eq!(undone["tandem_revisit_date"], before["tandem_revisit_date"]);
    assert_eq!(undone["hubspot_owner_id"], before["hubspot_owner_id"]);
    assert_eq!(undone["hs_lead_status"], before["hs_lead_status"]);
    sim.shutdown().await;
}

/// Time alone moves leakage: when the clock reaches a running SLA clock's due time, the
/// figure moves in place, exactly as a rebuild at that instant would have it, and nothing is
/// rebuilt; a new week is a rebuild.
#[tokio::test]
async fn time_alone_moves_leakage_in_place_and_a_new_week_rebuilds() {
    let (sim, mut app, mut rx) = start(300).await;
    pump_until(&mut app, &mut rx, |a| {
        a.model.health.iter().all(|h| h.loaded)
    })
    .await;
    let builds = app.snapshot_builds();
    let leakage = |a: &App| {
        a.model
            .snapshot
            .kpis
            .iter()
            .find(|k| k.id == "funnel_leakage")
            .map(|k| k.value)
            .unwrap()
    };
    let before = leakage(&app);
    let now = app.model.now;
    let period = app.model.snapshot.period.unwrap();
    let due = app
        .model
        .snapshot
        .board
        .timers
        .iter()
        .map(|t| t.due_at)
        .filter(|d| *d > now)
        .min()
        .expect("a clock still running");
    assert!(due < period.end, "due within the week");

    app.set_now(due - chrono::Duration::seconds(1));
    app.refresh_snapshot();
    assert_eq!(leakage(&app), before);
    app.set_now(due);
    app.refresh_snapshot();
    let config = tandem::config::Config::builtin();
    let fresh = app.model.store.snapshot(&config, app.model.period, due);
    assert_eq!(app.model.snapshot, fresh, "as a rebuild at {due}");
    assert_ne!(leakage(&app), before, "a lead started leaking at {due}");
    assert_eq!(app.snapshot_builds(), builds, "moved in place");

    app.set_now(period.end + chrono::Duration::hours(1));
    app.refresh_snapshot();
    assert_eq!(
        app.snapshot_builds(),
        builds + 1,
        "a new week is counted afresh"
    );
    assert_ne!(app.model.snapshot.period, Some(period));
    sim.shutdown().await;
}

/// A poll that changes a few leads moves them in the board lead by lead, with no rebuild,
/// and leaves the snapshot exactly as a rebuild from the store would.
#[tokio::test]
async fn a_poll_moves_the_changed_leads_without_a_rebuild() {
    let (sim, mut app, mut rx) = start(300).await;
    pump_until(&mut app, &mut rx, |a| {
        a.model.health.iter().all(|h| h.loaded)
    })
    .await;
    let builds = app.snapshot_builds();
    let mql = stage_index(Stage::Mql);
    let mqls: Vec<String> = app.model.snapshot.board.stage_leads[mql]
        .iter()
        .take(3)
        .map(|i| app.model.store.leads()[i].id.to_string())
        .collect();
    assert_eq!(mqls.len(), 3);
    for id in &mqls {
        common::patch_contact(
            &sim,
            id,
            serde_json::json!({ "lifecyclestage": "salesqualifiedlead" }),
        )
        .await;
    }
    let before = app.model.snapshot.board.counts[mql];
    press(&mut app, KeyCode::Char('r'));
    pump_until(&mut app, &mut rx, |a| {
        mqls.iter().all(|id| {
            a.model
                .store
                .lead(id)
                .is_some_and(|l| l.stage != Some(Stage::Mql))
        })
    })
    .await;
    app.refresh_snapshot();
    assert_eq!(app.model.snapshot.board.counts[mql], before - 3);
    let config = tandem::config::Config::builtin();
    let fresh = app
        .model
        .store
        .snapshot(&config, app.model.period, app.model.now);
    assert_eq!(app.model.snapshot, fresh);
    assert_eq!(app.snapshot_builds(), builds, "followed lead by lead");
    sim.shutdown().await;
}

/// An escalated clock shows its third level (⇑) and the team lead it went to, in the
/// breaches pane at 160×45 and in the one-pane layout at 80×24, with the group's count.
#[tokio::test]
async fn an_escalated_breach_names_the_team_lead_at_both_sizes() {
    let text = "[[team]]\nname = \"sales\"\nlead = \"dana.whitfield@tandemdemo.example\"\n\
        [[sla]]\nid = \"mql_response\"\nlabel = \"accept or reject an MQL\"\nstage = \"mql\"\n\
        team = \"sales\"\nlimit = \"4h\"\nclock = \"business\"\nescalate_after = \"8h\"\n";
    let config = tandem::config::Config::parse("team.toml", text).unwrap();
    let (sim, mut app, mut rx) = start_with(1500, config).await;
    pump_until(&mut app, &mut rx, loaded).await;
    let escalated = app
        .model
        .snapshot
        .board
        .timers
        .iter()
        .filter(|t| t.state(frozen_now()) == tandem::domain::sla::SlaState::Escalated)
        .count();
    assert!(
        escalated > 0,
        "the seeded world has MQLs 12 business hours old"
    );
    let wide = render(&app, 160, 45);
    assert!(wide.contains(&format!("⇑{escalated}")), "{wide}");
    assert!(wide.contains("⇑ Dana Whitfield"), "{wide}");
    assert!(wide.contains("⇑ overdue"), "{wide}");
    // The one-pane layout: the breaches pane is the fourth.
    press(&mut app, KeyCode::Char('4'));
    let narrow = render(&app, 80, 24);
    assert!(narrow.contains("⇑ Dana Whitfield"), "{narrow}");
    assert!(narrow.contains(&format!("⇑{escalated}")), "{narrow}");
    sim.shutdown().await;
}
