//! The durable outbox against the simulated HubSpot: never lost, never applied twice,
//! never written over newer CRM state, and a recycle resumed rather than compensated.

mod common;

use std::sync::Arc;

use serde_json::{Value, json};

use tandem::domain::Stage;
use tandem::domain::action::{Action, ActionKind, ActionStatus, Actor};
use tandem::domain::feedback::Verdict;
use tandem::sim::SimHandle;
use tandem::store::Store;
use tandem::store::outbox::Outbox;
use tandem::sync::SourceCommand;

use common::actions::{first_in, outcome, queue, queue_undo, seen_store, worker};
use common::{frozen_sim, get_json, inject, list_all, patch_contact};

async fn notes_with(sim: &SimHandle, marker: &str) -> usize {
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

const STAGE_DATES: &str = "lifecyclestage,hs_lead_status,hubspot_owner_id,hubspot_owner_assigneddate,\
    hs_lifecyclestage_lead_date,hs_lifecyclestage_marketingqualifiedlead_date,\
    hs_lifecyclestage_salesqualifiedlead_date,hs_lifecyclestage_opportunity_date";

async fn contact(sim: &SimHandle, id: &str) -> Value {
    let path = format!("/crm/v3/objects/contacts/{id}");
    get_json(sim, &path, &[("properties", STAGE_DATES)]).await["properties"].clone()
}

#[tokio::test]
async fn a_note_whose_answer_was_lost_is_written_exactly_once() {
    let sim = frozen_sim(7, 60).await;
    let store = seen_store(&sim).await;
    let lead_id = first_in(&store, Stage::Mql);
    let outbox = common::outbox();
    // The note POST is applied, but its answer arrives cut off: the worker cannot know
    // whether it landed, retries, and must find the note instead of writing it again.
    inject(&sim, json!({ "kind": "malformed_json", "count": 1 })).await;
    let kind = ActionKind::Feedback {
        campaign: "ROI calculator webinar".into(),
        verdict: Verdict::Works,
        text: "retry me".into(),
    };
    let action = queue(&sim, &outbox, &store, &lead_id, kind);
    let (_source, mut rx) = worker(&sim, outbox.clone());
    assert_eq!(outcome(&mut rx, action.id).await, ActionStatus::Done);
    assert_eq!(notes_with(&sim, &format!("ref={}", action.key)).await, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_refused_action_is_reported_once_with_the_vendors_reason() {
    let sim = frozen_sim(7, 60).await;
    let outbox = common::outbox();
    let kind = ActionKind::HandOff {
        owner_id: "1".into(),
    };
    let action = queue(&sim, &outbox, &Store::default(), "99999999", kind);
    let (_source, mut rx) = worker(&sim, outbox.clone());
    match outcome(&mut rx, action.id).await {
        ActionStatus::Failed {
            reason, done: 0, ..
        } => assert!(reason.contains("404"), "{reason}"),
        other => panic!("{other:?}"),
    }
    let audit = outbox.audit_since(chrono::DateTime::UNIX_EPOCH).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].outcome, "failed");
    sim.shutdown().await;
}

/// The reproduction from the issue: an SQL moved to opportunity in the CRM within the poll
/// window; the user recycles it as the SQL they saw. It must end as a conflict, untouched.
#[tokio::test]
async fn a_stale_recycle_ends_as_a_conflict_and_the_crm_record_is_untouched() {
    let sim = frozen_sim(300, 300).await;
    let store = seen_store(&sim).await;
    let id = first_in(&store, Stage::Sql);
    patch_contact(&sim, &id, json!({ "lifecyclestage": "opportunity" })).await;
    let before = contact(&sim, &id).await;

    let outbox = common::outbox();
    let kind = ActionKind::Recycle {
        reason: "no_budget".into(),
        note: "try in Q2".into(),
        owner_id: None,
        revisit: None,
    };
    let action = queue(&sim, &outbox, &store, &id, kind);
    let (_source, mut rx) = worker(&sim, outbox.clone());
    match outcome(&mut rx, action.id).await {
        ActionStatus::Conflict(what) => {
            assert!(
                what.contains("stage salesqualifiedlead → opportunity"),
                "{what}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(contact(&sim, &id).await, before, "nothing was written");
    assert_eq!(notes_with(&sim, &format!("ref={}", action.key)).await, 0);
    sim.shutdown().await;
}

/// The second reproduction: a hand-off of a lead that just became SQL with another owner.
#[tokio::test]
async fn a_hand_off_of_a_lead_that_moved_on_is_a_conflict() {
    let sim = frozen_sim(300, 300).await;
    let store = seen_store(&sim).await;
    let id = first_in(&store, Stage::Mql);
    let owners: Vec<String> = store.owners().iter().map(|o| o.id.clone()).collect();
    patch_contact(
        &sim,
        &id,
        json!({ "lifecyclestage": "salesqualifiedlead", "hubspot_owner_id": owners[0] }),
    )
    .await;
    let before = contact(&sim, &id).await;
    let outbox = common::outbox();
    let kind = ActionKind::HandOff {
        owner_id: owners[1].clone(),
    };
    let action = queue(&sim, &outbox, &store, &id, kind);
    let (_source, mut rx) = worker(&sim, outbox.clone());
    match outcome(&mut rx, action.id).await {
        ActionStatus::Conflict(what) => assert!(
            what.contains("stage marketingqualifiedlead → salesqualifiedlead"),
            "{what}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(contact(&sim, &id).await, before);

    // Confirmed again over the record as the conflict showed it, it goes through.
    assert!(outbox.requeue(action.id, chrono::Utc::now()).unwrap());
    let (_source2, mut rx2) = worker(&sim, outbox.clone());
    assert_eq!(outcome(&mut rx2, action.id).await, ActionStatus::Done);
    assert_eq!(
        contact(&sim, &id).await["hubspot_owner_id"],
        owners[1].as_str()
    );
    sim.shutdown().await;
}

/// A recycle interrupted after its first step (a crash) resumes at the second on the next
/// start: no conflict with its own write, no compensation, the SQL date never re-stamped.
#[tokio::test]
async fn an_interrupted_recycle_resumes_and_never_restamps_a_stage_date() {
    let sim = frozen_sim(300, 300).await;
    let store = seen_store(&sim).await;
    let id = first_in(&store, Stage::Sql);
    let before = contact(&sim, &id).await;
    let outbox = common::outbox();
    let kind = ActionKind::Recycle {
        reason: "no_budget".into(),
        note: "try in Q2".into(),
        owner_id: None,
        revisit: None,
    };
    let action = queue(&sim, &outbox, &store, &id, kind);
    // The first attempt claimed it, wrote step 1, and died before recording it.
    let key = tandem::sources::Vendor::HubSpot.source_key(&sim.base_url);
    outbox.claim(&key, chrono::Utc::now()).unwrap().unwrap();
    patch_contact(
        &sim,
        &id,
        json!({ "hs_lead_status": "BAD_TIMING", "lifecyclestage": "" }),
    )
    .await;
    // A new worker (the restart) takes the entry over: this process holds the lease, so
    // the same outbox stands in for the restarted one.
    let (_source, mut rx) = worker(&sim, outbox.clone());
    assert_eq!(outcome(&mut rx, action.id).await, ActionStatus::Done);
    let after = contact(&sim, &id).await;
    assert_eq!(after["lifecyclestage"], "lead");
    assert_eq!(after["hs_lead_status"], "BAD_TIMING");
    for stage in ["marketingqualifiedlead", "salesqualifiedlead"] {
        let prop = format!("hs_lifecyclestage_{stage}_date");
        assert_eq!(after[&prop], before[&prop], "{prop} untouched");
    }
    assert_eq!(notes_with(&sim, &format!("ref={}", action.key)).await, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_conflict_is_not_raised_by_our_own_earlier_note_on_the_lead() {
    let sim = frozen_sim(300, 300).await;
    let store = seen_store(&sim).await;
    let id = first_in(&store, Stage::Sql);
    let outbox = common::outbox();
    // A note, then a recycle, both confirmed while looking at the same (pre-note) record.
    let note = ActionKind::Feedback {
        campaign: "ROI calculator webinar".into(),
        verdict: Verdict::Works,
        text: "they liked it".into(),
    };
    let first = queue(&sim, &outbox, &store, &id, note);
    let recycle = ActionKind::Recycle {
        reason: "no_budget".into(),
        note: "later".into(),
        owner_id: None,
        revisit: None,
    };
    let second = queue(&sim, &outbox, &store, &id, recycle);
    let (_source, mut rx) = worker(&sim, outbox.clone());
    assert_eq!(outcome(&mut rx, first.id).await, ActionStatus::Done);
    assert_eq!(outcome(&mut rx, second.id).await, ActionStatus::Done);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_queued_action_waits_in_the_file_for_the_next_worker() {
    let sim = frozen_sim(7, 60).await;
    let store = seen_store(&sim).await;
    let id = first_in(&store, Stage::Mql);
    let dir = std::env::temp_dir().join(format!("tandem-outbox-it-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let kind = ActionKind::Feedback {
        campaign: "ROI calculator webinar".into(),
        verdict: Verdict::Works,
        text: "queued before a quit".into(),
    };
    let action = {
        let outbox = Outbox::open(&dir).unwrap();
        queue(&sim, &outbox, &store, &id, kind)
    };
    let outbox = Arc::new(Outbox::open(&dir).unwrap());
    let (source, mut rx) = worker(&sim, outbox.clone());
    source.send(SourceCommand::Refresh).unwrap();
    assert_eq!(outcome(&mut rx, action.id).await, ActionStatus::Done);
    assert_eq!(notes_with(&sim, &format!("ref={}", action.key)).await, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn undoing_a_sent_recycle_puts_the_lead_back_with_its_dates_and_withdraws_the_note() {
    let sim = frozen_sim(300, 300).await;
    let store = seen_store(&sim).await;
    let id = first_in(&store, Stage::Sql);
    let before = contact(&sim, &id).await;
    let outbox = common::outbox();
    let kind = ActionKind::Recycle {
        reason: "no_budget".into(),
        note: "oops, wrong lead".into(),
        owner_id: None,
        revisit: None,
    };
    let recycle = queue(&sim, &outbox, &store, &id, kind);
    let (source, mut rx) = worker(&sim, outbox.clone());
    assert_eq!(outcome(&mut rx, recycle.id).await, ActionStatus::Done);
    assert_eq!(notes_with(&sim, &format!("ref={}", recycle.key)).await, 1);

    let undo = queue_undo(&sim, &outbox, &recycle);
    source.send(SourceCommand::Send).unwrap();
    assert_eq!(outcome(&mut rx, undo.id).await, ActionStatus::Done);
    let after = contact(&sim, &id).await;
    for prop in [
        "lifecyclestage",
        "hs_lead_status",
        "hubspot_owner_id",
        "hs_lifecyclestage_salesqualifiedlead_date",
        "hs_lifecyclestage_marketingqualifiedlead_date",
    ] {
        assert_eq!(after[prop], before[prop], "{prop} is as it was");
    }
    assert_eq!(
        notes_with(&sim, &format!("ref={}", recycle.key)).await,
        0,
        "the recycle note no longer counts"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_undo_over_someone_elses_newer_change_is_a_conflict() {
    let sim = frozen_sim(300, 300).await;
    let store = seen_store(&sim).await;
    let id = first_in(&store, Stage::Mql);
    let sales: Vec<String> = store.owners().iter().map(|o| o.id.clone()).collect();
    let outbox = common::outbox();
    let hand_off = queue(
        &sim,
        &outbox,
        &store,
        &id,
        ActionKind::HandOff {
            owner_id: sales[0].clone(),
        },
    );
    let (source, mut rx) = worker(&sim, outbox.clone());
    assert_eq!(outcome(&mut rx, hand_off.id).await, ActionStatus::Done);
    // The rep moves it on before the undo is sent.
    patch_contact(&sim, &id, json!({ "lifecyclestage": "salesqualifiedlead" })).await;
    let undo = queue_undo(&sim, &outbox, &hand_off);
    source.send(SourceCommand::Send).unwrap();
    match outcome(&mut rx, undo.id).await {
        ActionStatus::Conflict(what) => assert!(what.contains("salesqualifiedlead"), "{what}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        contact(&sim, &id).await["hubspot_owner_id"],
        sales[0].as_str()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_step_refused_midway_names_the_steps_already_applied_and_undoes_nothing() {
    let sim = frozen_sim(300, 300).await;
    let store = seen_store(&sim).await;
    let id = first_in(&store, Stage::Sql);
    let outbox = common::outbox();
    let lead = store.lead(&id).unwrap();
    // The note's author is no owner HubSpot knows: the third step is refused.
    let action = Action::new(
        &id,
        lead.name(),
        ActionKind::Recycle {
            reason: "no_budget".into(),
            note: "later".into(),
            owner_id: None,
            revisit: None,
        },
        tandem::sources::Vendor::HubSpot.seen(lead),
        Actor {
            user: "ghost".into(),
            owner_id: Some("999999".into()),
        },
        chrono::Utc::now(),
    );
    let key = tandem::sources::Vendor::HubSpot.source_key(&sim.base_url);
    let action = outbox.enqueue(&key, action, 3, "", None).unwrap().unwrap();
    let (_source, mut rx) = worker(&sim, outbox.clone());
    match outcome(&mut rx, action.id).await {
        ActionStatus::Failed {
            done,
            total,
            reason,
        } => {
            assert_eq!((done, total), (2, 3));
            assert!(reason.contains("400"), "{reason}");
            assert!(
                reason.contains(
                    "already applied: status BAD_TIMING set and stage cleared; stage set to lead"
                ),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    // What was applied stays applied: no compensation re-stamps the SQL date.
    assert_eq!(contact(&sim, &id).await["lifecyclestage"], "lead");
    sim.shutdown().await;
}

#[tokio::test]
async fn undoing_a_sent_hand_off_takes_back_the_owner_and_its_assignment_date() {
    let sim = frozen_sim(300, 300).await;
    let store = seen_store(&sim).await;
    let lead = store
        .leads()
        .iter()
        .find(|l| l.stage == Some(Stage::Mql) && l.owner_id.is_none())
        .expect("an unowned MQL");
    let id = lead.id.to_string();
    let before = contact(&sim, &id).await;
    let owner = store.owners()[0].id.clone();
    let outbox = common::outbox();
    let hand_off = queue(
        &sim,
        &outbox,
        &store,
        &id,
        ActionKind::HandOff { owner_id: owner },
    );
    let (source, mut rx) = worker(&sim, outbox.clone());
    assert_eq!(outcome(&mut rx, hand_off.id).await, ActionStatus::Done);
    assert!(contact(&sim, &id).await["hubspot_owner_assigneddate"].is_string());
    let undo = queue_undo(&sim, &outbox, &hand_off);
    source.send(SourceCommand::Send).unwrap();
    assert_eq!(outcome(&mut rx, undo.id).await, ActionStatus::Done);
    let after = contact(&sim, &id).await;
    for prop in [
        "lifecyclestage",
        "hs_lead_status",
        "hubspot_owner_id",
        "hubspot_owner_assigneddate",
        "hs_lifecyclestage_marketingqualifiedlead_date",
    ] {
        assert_eq!(after[prop], before[prop], "{prop} is as it was");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn accepting_an_mql_makes_it_the_reps_in_sal() {
    let sim = frozen_sim(300, 300).await;
    let store = seen_store(&sim).await;
    let id = first_in(&store, Stage::Mql);
    let rep = common::sales_owner(&store);
    let outbox = common::outbox();
    let accept = queue(
        &sim,
        &outbox,
        &store,
        &id,
        ActionKind::Accept {
            owner_id: rep.clone(),
        },
    );
    let (_source, mut rx) = worker(&sim, outbox.clone());
    assert_eq!(outcome(&mut rx, accept.id).await, ActionStatus::Done);
    let after = contact(&sim, &id).await;
    assert_eq!(after["lifecyclestage"], "marketingqualifiedlead");
    assert_eq!(after["hs_lead_status"], "OPEN");
    assert_eq!(after["hubspot_owner_id"], rep.as_str());
    let lead = seen_store(&sim).await.lead(&id).unwrap().clone();
    assert_eq!(lead.stage, Some(Stage::Sal), "accepted: in SAL");
    sim.shutdown().await;
}

#[tokio::test]
async fn rejecting_an_mql_disqualifies_or_recycles_it_with_the_reason_noted() {
    let sim = frozen_sim(300, 300).await;
    let store = seen_store(&sim).await;
    let mqls: Vec<String> = store
        .leads()
        .iter()
        .filter(|l| l.stage == Some(Stage::Mql))
        .map(|l| l.id.to_string())
        .take(2)
        .collect();
    let outbox = common::outbox();
    let out = queue(
        &sim,
        &outbox,
        &store,
        &mqls[0],
        ActionKind::Reject {
            reason: "not_a_fit".into(),
            recycle: false,
            note: String::new(),
            owner_id: None,
            revisit: None,
        },
    );
    let back = queue(
        &sim,
        &outbox,
        &store,
        &mqls[1],
        ActionKind::Reject {
            reason: "no_budget".into(),
            recycle: true,
            note: String::new(),
            owner_id: None,
            revisit: None,
        },
    );
    let (_source, mut rx) = worker(&sim, outbox.clone());
    assert_eq!(outcome(&mut rx, out.id).await, ActionStatus::Done);
    assert_eq!(outcome(&mut rx, back.id).await, ActionStatus::Done);
    assert_eq!(
        contact(&sim, &mqls[0]).await["hs_lead_status"],
        "UNQUALIFIED"
    );
    let recycled = contact(&sim, &mqls[1]).await;
    assert_eq!(
        (
            recycled["lifecyclestage"].as_str(),
            recycled["hs_lead_status"].as_str()
        ),
        (Some("lead"), Some("BAD_TIMING"))
    );
    let after = seen_store(&sim).await;
    assert_eq!(
        after.lead(&mqls[0]).unwrap().stage,
        Some(Stage::Disqualified)
    );
    assert_eq!(after.lead(&mqls[1]).unwrap().stage, Some(Stage::Nurture));
    for (action, reason) in [(&out, "not_a_fit"), (&back, "no_budget")] {
        let marker = format!("#reject reason={reason} ref={}", action.key);
        assert_eq!(notes_with(&sim, &marker).await, 1, "{marker}");
    }
    sim.shutdown().await;
}
