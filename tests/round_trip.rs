//! Every action's full round trip against the simulated HubSpot: a hand-off, then an
//! accept, a rejection or a recycle, then undo after undo. After each undo the record is as
//! if the undone step never ran: every property the actions touch, the stage dates and the
//! revisit day, by the server's own answer, with the actions' writes still in its history.

mod common;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::Value;

use common::actions::{outcome, queue, queue_undo, seen_store, worker};
use common::{frozen_sim_with, get_json};
use tandem::domain::Stage;
use tandem::domain::action::{Action, ActionKind, ActionStatus};
use tandem::sim::SimHandle;
use tandem::store::outbox::Outbox;
use tandem::sync::SourceCommand;

/// Every property an action or its undo writes, or HubSpot derives from those writes.
const WATCHED: &[&str] = &[
    "lifecyclestage",
    "hs_lead_status",
    "hubspot_owner_id",
    "hubspot_owner_assigneddate",
    "hs_lifecyclestage_subscriber_date",
    "hs_lifecyclestage_lead_date",
    "hs_lifecyclestage_marketingqualifiedlead_date",
    "hs_lifecyclestage_salesqualifiedlead_date",
    "hs_lifecyclestage_opportunity_date",
    "tandem_revisit_date",
];

/// The watched properties as the server has them now (absent and empty alike as `""`).
async fn record(sim: &SimHandle, id: &str) -> BTreeMap<&'static str, String> {
    let o = get_json(
        sim,
        &format!("/crm/v3/objects/contacts/{id}"),
        &[("properties", &WATCHED.join(","))],
    )
    .await;
    assert!(o["properties"].is_object(), "{o}");
    WATCHED
        .iter()
        .map(|p| (*p, o["properties"][p].as_str().unwrap_or("").to_string()))
        .collect()
}

/// How many values the server's history holds for the watched properties.
async fn history_len(sim: &SimHandle, id: &str) -> usize {
    let o = get_json(
        sim,
        &format!("/crm/v3/objects/contacts/{id}"),
        &[("propertiesWithHistory", &WATCHED.join(","))],
    )
    .await;
    o["propertiesWithHistory"]
        .as_object()
        .map(|h| h.values().map(|v| v.as_array().map_or(0, Vec::len)).sum())
        .unwrap_or(0)
}

/// Queue `kind` on `id` as the user sees the lead now (a fresh load), send it, wait.
async fn act(
    sim: &SimHandle,
    outbox: &Outbox,
    source: &tokio::sync::mpsc::UnboundedSender<SourceCommand>,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<tandem::sync::SyncEvent>,
    id: &str,
    kind: ActionKind,
) -> Action {
    let store = seen_store(sim).await;
    let action = queue(sim, outbox, &store, id, kind);
    source.send(SourceCommand::Send).unwrap();
    assert_eq!(
        outcome(rx, action.id).await,
        ActionStatus::Done,
        "{action:?}"
    );
    action
}

/// Undo `original` and wait for it.
async fn undo(
    sim: &SimHandle,
    outbox: &Outbox,
    source: &tokio::sync::mpsc::UnboundedSender<SourceCommand>,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<tandem::sync::SyncEvent>,
    original: &Action,
) {
    let undo = queue_undo(sim, outbox, original);
    source.send(SourceCommand::Send).unwrap();
    assert_eq!(
        outcome(rx, undo.id).await,
        ActionStatus::Done,
        "undo of {:?}",
        original.kind
    );
}

fn revisit() -> Option<(String, NaiveDate)> {
    Some((
        "tandem_revisit_date".into(),
        NaiveDate::from_ymd_opt(2027, 2, 1).unwrap(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hand_off_then_accept_reject_or_recycle_then_undo_leaves_the_record_as_before() {
    // Every step reloads the portal as the user would see it: more than the default burst.
    let mut opts = tandem::sim::SimOptions::new(300, 300);
    opts.burst_limit = 100_000;
    let sim = frozen_sim_with(opts).await;
    let store = seen_store(&sim).await;
    let rep = common::sales_owner(&store);
    let marketer = store
        .owners()
        .iter()
        .find(|o| o.team == Some(tandem::domain::Team::Marketing))
        .unwrap()
        .id
        .clone();
    let mqls: Vec<String> = store
        .leads()
        .iter()
        .filter(|l| l.stage == Some(Stage::Mql) && l.owner_id.is_none())
        .map(|l| l.id.to_string())
        .take(3)
        .collect();
    assert_eq!(mqls.len(), 3, "the seeded world has unowned MQLs");
    let outbox = common::outbox();
    let (source, mut rx) = worker(&sim, outbox.clone());
    let hand_off = || ActionKind::HandOff {
        owner_id: rep.clone(),
    };
    let recycle_to_nurture = ActionKind::Recycle {
        reason: "no_budget".into(),
        note: "next quarter".into(),
        owner_id: Some(marketer.clone()),
        revisit: revisit(),
    };
    let reject_to_nurture = ActionKind::Reject {
        reason: "bad_timing".into(),
        recycle: true,
        note: "not this year".into(),
        owner_id: Some(marketer.clone()),
        revisit: revisit(),
    };
    let reject_outright = ActionKind::Reject {
        reason: "not_a_fit".into(),
        recycle: false,
        note: "a student".into(),
        owner_id: None,
        revisit: None,
    };
    let accept = ActionKind::Accept {
        owner_id: rep.clone(),
    };
    // Lead 1: hand-off, accept, recycle; lead 2: hand-off, reject to nurture; lead 3:
    // hand-off, reject outright. Each undone step by step, newest first.
    let stories: [(&String, Vec<ActionKind>); 3] = [
        (&mqls[0], vec![hand_off(), accept, recycle_to_nurture]),
        (&mqls[1], vec![hand_off(), reject_to_nurture]),
        (&mqls[2], vec![hand_off(), reject_outright]),
    ];
    let mut keys = Vec::new();
    for (id, steps) in stories {
        let mut states = vec![record(&sim, id).await];
        let posted = |a: &Action| {
            matches!(
                a.kind,
                ActionKind::Recycle { .. } | ActionKind::Reject { .. }
            )
        };
        let mut done = Vec::new();
        for kind in steps {
            let action = act(&sim, &outbox, &source, &mut rx, id, kind).await;
            if posted(&action) {
                keys.push(action.key.clone());
            }
            done.push(action);
            states.push(record(&sim, id).await);
        }
        let written = history_len(&sim, id).await;
        while let Some(action) = done.pop() {
            undo(&sim, &outbox, &source, &mut rx, &action).await;
            states.pop();
            let expected = states.last().unwrap();
            assert_eq!(
                &record(&sim, id).await,
                expected,
                "{id} after undoing {:?}",
                action.kind
            );
        }
        // The writes and their undos are history, not erased.
        assert!(history_len(&sim, id).await > written);
    }
    // The notes the rejections and the recycle posted are withdrawn.
    assert_eq!(keys.len(), 3);
    let notes = common::list_all(&sim, "notes", "hs_note_body").await;
    for key in &keys {
        let marker = format!("ref={key}");
        let left: Vec<&Value> = notes
            .iter()
            .filter(|n| {
                n["properties"]["hs_note_body"]
                    .as_str()
                    .is_some_and(|b| b.contains(&marker))
            })
            .collect();
        assert!(left.is_empty(), "{key}: {left:?}");
    }
    sim.shutdown().await;
}
