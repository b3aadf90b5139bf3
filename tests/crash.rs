//! `kill -9` at random points while actions flow through the real binary
//! (`tandem outbox --send`) against the simulated HubSpot with faults injected. Afterwards
//! every action is applied exactly once and completely, checked through the server's API,
//! and no stage date was rewritten.
//!
//! `TANDEM_CRASH_TRIALS` sets the number of trials (a few by default; `benches/crash.sh`
//! runs 200 and prints the tally).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use tandem::domain::Stage;
use tandem::domain::action::{Action, ActionKind, Actor};
use tandem::domain::feedback::Verdict;
use tandem::sim::SimHandle;
use tandem::store::Store;
use tandem::store::outbox::Outbox;

use common::{clear_faults, client, frozen_sim, get_json, inject, list_all};

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tandem-crash-{}-{:x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn send_child(sim: &SimHandle, dir: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["outbox", "--send", "--timeout", "120", "--hubspot-url"])
        .arg(&sim.base_url)
        .arg("--data-dir")
        .arg(dir)
        .env("HUBSPOT_TOKEN", &sim.token)
        .env_remove("TANDEM_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent-tandem-test")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run tandem")
}

/// Wait for the child off the async runtime, so the in-test server keeps answering it.
async fn wait(mut child: Child) -> std::process::ExitStatus {
    tokio::task::spawn_blocking(move || child.wait().expect("wait"))
        .await
        .unwrap()
}

async fn kill_after(mut child: Child, after: Duration) {
    tokio::time::sleep(after).await;
    // SIGKILL: no chance to clean up, as `kill -9`.
    let _ = child.kill();
    wait(child).await;
}

const PROPS: &str = "lifecyclestage,hs_lead_status,hubspot_owner_id,\
    hs_lifecyclestage_lead_date,hs_lifecyclestage_marketingqualifiedlead_date,\
    hs_lifecyclestage_salesqualifiedlead_date,hs_lifecyclestage_opportunity_date";

async fn contact(sim: &SimHandle, id: &str) -> Value {
    let path = format!("/crm/v3/objects/contacts/{id}");
    get_json(sim, &path, &[("properties", PROPS)]).await["properties"].clone()
}

async fn notes(sim: &SimHandle, key: &str) -> Vec<Value> {
    let marker = format!("ref={key}");
    list_all(sim, "notes", "hs_note_body,hubspot_owner_id")
        .await
        .into_iter()
        .filter(|n| {
            n["properties"]["hs_note_body"]
                .as_str()
                .unwrap_or("")
                .contains(&marker)
        })
        .collect()
}

fn queue(outbox: &Outbox, sim: &SimHandle, store: &Store, lead: &str, kind: ActionKind) -> Action {
    let l = store.lead(lead).expect("seen");
    let action = Action::new(
        lead,
        l.name(),
        kind.clone(),
        tandem::sources::Vendor::HubSpot.seen(l),
        Actor {
            user: "ana".into(),
            owner_id: store.owners().first().map(|o| o.id.clone()),
        },
        chrono::Utc::now(),
    );
    let key = tandem::sources::Vendor::HubSpot.source_key(&sim.base_url);
    let steps = tandem::sources::hubspot::step_count(&kind);
    outbox
        .enqueue(&key, action, steps, "", None)
        .unwrap()
        .unwrap()
}

#[derive(Debug, Default)]
struct Tally {
    lost: usize,
    partial: usize,
    once: usize,
    duplicated: usize,
    restamped: usize,
}

/// How completely `action` landed, judged from the server alone.
async fn judge(sim: &SimHandle, action: &Action, before: &Value, tally: &mut Tally) {
    let after = contact(sim, &action.lead_id).await;
    let written = notes(sim, &action.key).await.len();
    let (applied, parts) = match &action.kind {
        ActionKind::HandOff { owner_id } => {
            let owner = after["hubspot_owner_id"] == owner_id.as_str();
            let stage = after["lifecyclestage"] == "marketingqualifiedlead";
            ([owner, stage].iter().filter(|b| **b).count(), 2)
        }
        ActionKind::Recycle { .. } => {
            let status = after["hs_lead_status"] == "BAD_TIMING";
            let stage = after["lifecyclestage"] == "lead";
            let noted = written >= 1;
            ([status, stage, noted].iter().filter(|b| **b).count(), 3)
        }
        ActionKind::Feedback { .. } => (usize::from(written >= 1), 1),
        ActionKind::Restore { .. } | ActionKind::Accept { .. } | ActionKind::Reject { .. } => {
            unreachable!("the trials send hand-offs, recycles and notes")
        }
    };
    if written > 1 {
        tally.duplicated += 1;
    } else if applied == 0 {
        tally.lost += 1;
    } else if applied < parts {
        tally.partial += 1;
    } else {
        tally.once += 1;
    }
    // Only the stage the action enters may get a new date.
    let entered = match &action.kind {
        ActionKind::Recycle { .. } => Some("lead"),
        ActionKind::HandOff { .. } => Some("marketingqualifiedlead"),
        _ => None,
    };
    for stage in [
        "lead",
        "marketingqualifiedlead",
        "salesqualifiedlead",
        "opportunity",
    ] {
        let prop = format!("hs_lifecyclestage_{stage}_date");
        if Some(stage) != entered && after[&prop] != before[&prop] {
            tally.restamped += 1;
        }
    }
}

/// One trial: an action, the binary killed `kills` times at random instants, then let
/// finish; the server's state judged afterwards.
async fn trial(sim: &SimHandle, store: &Store, lead: &str, kind: ActionKind, tally: &mut Tally) {
    let dir = scratch();
    let outbox = Outbox::open(&dir).unwrap();
    let before = contact(sim, lead).await;
    let action = queue(&outbox, sim, store, lead, kind);
    inject(sim, mix(fastrand::u64(..))).await;
    for _ in 0..fastrand::usize(1..=3) {
        let child = send_child(sim, &dir);
        kill_after(child, Duration::from_millis(fastrand::u64(0..400))).await;
    }
    let status = wait(send_child(sim, &dir)).await;
    assert!(status.success(), "the last run sends everything: {status}");
    clear_faults(sim).await;
    judge(sim, &action, &before, tally).await;
    let _ = std::fs::remove_dir_all(&dir);
}

fn mix(seed: u64) -> Value {
    json!({"kind": "mix", "seed": seed, "error_5xx": 0.2, "rate_limit": 0.05,
        "truncated": 0.05, "reset": 0.05, "slow": 0.05, "slow_millis": 300, "retry_after": 1})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_points_loses_nothing_and_applies_nothing_twice() {
    let trials: usize = std::env::var("TANDEM_CRASH_TRIALS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4);
    // The verification lists every note after each trial: no rate limit on top of the
    // injected 429s, which the mix still sends.
    let mut opts = tandem::sim::SimOptions::new(11, 5000);
    opts.burst_limit = u32::MAX;
    let sim = common::frozen_sim_with(opts).await;
    let (store, _) = tandem::sync::load_store(&mut client(&sim)).await.unwrap();
    let pick = |stage: Stage| -> Vec<String> {
        store
            .leads()
            .iter()
            .filter(|l| l.stage == Some(stage))
            .map(|l| l.id.to_string())
            .collect()
    };
    let (mut mqls, mut sqls, mut all) = (pick(Stage::Mql), pick(Stage::Sql), pick(Stage::Inquiry));
    let sales = common::sales_owner(&store);
    let mut tally = Tally::default();
    for n in 0..trials {
        // Each trial on a lead no earlier trial touched.
        let (lead, kind) = match n % 3 {
            0 if !mqls.is_empty() => (
                mqls.pop().unwrap(),
                ActionKind::HandOff {
                    owner_id: sales.clone(),
                },
            ),
            1 if !sqls.is_empty() => (
                sqls.pop().unwrap(),
                ActionKind::Recycle {
                    reason: "no_budget".into(),
                    note: format!("crash trial {n}"),
                    owner_id: None,
                    revisit: None,
                },
            ),
            _ => (
                all.pop().expect("enough leads for the trials"),
                ActionKind::Feedback {
                    campaign: "ROI calculator webinar".into(),
                    verdict: Verdict::Works,
                    text: format!("crash trial {n}"),
                },
            ),
        };
        trial(&sim, &store, &lead, kind, &mut tally).await;
    }
    println!(
        "crash tally over {trials} trials: lost {} / partial {} / once {} / duplicated {} / stage dates rewritten {}",
        tally.lost, tally.partial, tally.once, tally.duplicated, tally.restamped
    );
    assert_eq!(tally.once, trials, "{tally:?}");
    assert_eq!(tally.restamped, 0, "{tally:?}");
    sim.shutdown().await;
}

/// The "done when": the server answers 503, a note is confirmed, tandem is killed
/// with `kill -9`, the server heals, tandem restarts on the same data dir: the note exists
/// exactly once, with its author, and one audit row says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_queued_during_an_outage_survives_kill_9_and_lands_once_with_its_author() {
    let sim = frozen_sim(12, 200).await;
    let (store, _) = tandem::sync::load_store(&mut client(&sim)).await.unwrap();
    let lead = store.leads()[0].id.to_string();
    let author = store.owners()[0].id.clone();
    let dir = scratch();
    let outbox = Outbox::open(&dir).unwrap();
    inject(&sim, json!({"status": 503, "count": 100000})).await;
    let kind = ActionKind::Feedback {
        campaign: "ROI calculator webinar".into(),
        verdict: Verdict::Works,
        text: "queued while HubSpot was down".into(),
    };
    let action = queue(&outbox, &sim, &store, &lead, kind);
    let child = send_child(&sim, &dir);
    // Wait until the running tandem has tried (and failed) to send it.
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let entry = outbox.get(action.id).unwrap().unwrap();
            if matches!(
                entry.status,
                tandem::domain::action::ActionStatus::Retrying { .. }
            ) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("tandem tried to send");
    kill_after(child, Duration::ZERO).await;
    clear_faults(&sim).await;
    assert!(notes(&sim, &action.key).await.is_empty(), "nothing landed");

    let status = wait(send_child(&sim, &dir)).await;
    assert!(status.success(), "{status}");
    let landed = notes(&sim, &action.key).await;
    assert_eq!(landed.len(), 1, "exactly once");
    assert_eq!(landed[0]["properties"]["hubspot_owner_id"], author.as_str());
    let audit = outbox.audit_since(chrono::DateTime::UNIX_EPOCH).unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(
        (audit[0].user.as_str(), audit[0].outcome.as_str()),
        ("ana", "done")
    );
    sim.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two processes sharing one data dir send the same outbox at once: the lease gives each
/// entry to one of them, so every note lands exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_data_dir_never_send_an_entry_twice() {
    let mut opts = tandem::sim::SimOptions::new(13, 300);
    opts.burst_limit = u32::MAX;
    let sim = common::frozen_sim_with(opts).await;
    let (store, _) = tandem::sync::load_store(&mut client(&sim)).await.unwrap();
    let dir = scratch();
    let outbox = Outbox::open(&dir).unwrap();
    let queued: Vec<Action> = store
        .leads()
        .iter()
        .take(12)
        .map(|l| {
            let kind = ActionKind::Feedback {
                campaign: "ROI calculator webinar".into(),
                verdict: Verdict::Works,
                text: "shared box".into(),
            };
            queue(&outbox, &sim, &store, &l.id, kind)
        })
        .collect();
    // Slow answers keep both senders busy at the same time.
    inject(
        &sim,
        json!({"kind": "mix", "seed": 3, "slow": 0.5, "slow_millis": 100}),
    )
    .await;
    let (one, two) = (send_child(&sim, &dir), send_child(&sim, &dir));
    let (a, b) = tokio::join!(wait(one), wait(two));
    assert!(a.success() && b.success(), "{a} {b}");
    clear_faults(&sim).await;
    for action in &queued {
        assert_eq!(notes(&sim, &action.key).await.len(), 1, "{}", action.key);
    }
    let audit = outbox.audit_since(chrono::DateTime::UNIX_EPOCH).unwrap();
    assert!(audit.iter().all(|r| r.outcome == "done"), "{audit:?}");
    sim.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
