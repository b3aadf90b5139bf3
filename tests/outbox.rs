//! The sync worker's outbox against the simulated HubSpot: retries after failures, never
//! lost, never applied twice.

mod common;

use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;

use tandem::domain::action::{Action, ActionKind};
use tandem::domain::feedback::Verdict;
use tandem::sync::{self, ActionStatus, SourceCommand, SyncEvent};

use common::{client, frozen_sim, get_json, inject, list_all};

async fn notes_with(sim: &tandem::sim::SimHandle, marker: &str) -> usize {
    list_all(sim, "notes", "hs_note_body")
        .await
        .iter()
        .filter(|o| {
            o["properties"]["hs_note_body"]
                .as_str()
                .unwrap_or("")
                .contains(marker)
        })
        .count()
}

/// Wait for the action's final status (the timeout only turns a hang into a failure).
async fn outcome(rx: &mut mpsc::UnboundedReceiver<SyncEvent>, id: u64) -> ActionStatus {
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Some(SyncEvent::Action(got, status)) = rx.recv().await
                && got == id
                && status != ActionStatus::Pending
            {
                return status;
            }
        }
    })
    .await
    .expect("the action settles")
}

async fn first_contact(sim: &tandem::sim::SimHandle) -> String {
    let page = get_json(sim, "/crm/v3/objects/contacts", &[("limit", "1")]).await;
    page["results"][0]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_note_whose_answer_was_lost_is_written_exactly_once() {
    let sim = frozen_sim(7, 60).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let source = sync::spawn(0, "HubSpot", client(&sim), None, tx);
    // Let the first load finish so the faults hit the write, not the load.
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Some(SyncEvent::Health(_, h)) = rx.recv().await
                && h.loaded
            {
                return;
            }
        }
    })
    .await
    .expect("loaded");
    let lead_id = first_contact(&sim).await;
    // The note POST is applied, but its answer arrives cut off: the worker cannot know
    // whether it landed, retries, and must find the note instead of writing it again.
    inject(&sim, json!({ "kind": "malformed_json", "count": 1 })).await;
    let action = Action {
        id: 1,
        key: "tdmoutbox1".into(),
        lead_id,
        lead_name: "first contact".into(),
        kind: ActionKind::Feedback {
            campaign: "ROI calculator webinar".into(),
            verdict: Verdict::Works,
            text: "retry me".into(),
        },
    };
    source.send(SourceCommand::Apply(action)).unwrap();
    assert_eq!(outcome(&mut rx, 1).await, ActionStatus::Done);
    assert_eq!(notes_with(&sim, "ref=tdmoutbox1").await, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_refused_action_is_reported_once_and_not_retried() {
    let sim = frozen_sim(7, 60).await;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let source = sync::spawn(0, "HubSpot", client(&sim), None, tx);
    let action = Action {
        id: 2,
        key: "tdmoutbox2".into(),
        lead_id: "99999999".into(),
        lead_name: "nobody".into(),
        kind: ActionKind::HandOff {
            owner_id: "1".into(),
        },
    };
    source.send(SourceCommand::Apply(action)).unwrap();
    match outcome(&mut rx, 2).await {
        ActionStatus::Failed(msg) => assert!(msg.contains("404"), "{msg}"),
        other => panic!("{other:?}"),
    }
    sim.shutdown().await;
}
