//! Actions against the simulated HubSpot as the cockpit sends them: queued in an outbox,
//! sent by a worker, undone by their inverse.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use tandem::domain::Stage;
use tandem::domain::action::{Action, ActionKind, ActionStatus, Actor};
use tandem::sim::SimHandle;
use tandem::store::Store;
use tandem::store::outbox::Outbox;
use tandem::sync::{self, SourceCommand, SyncEvent, load_store};

use super::client;

/// Wait for the entry's first settled status (the timeout only turns a hang into a failure).
pub async fn outcome(rx: &mut mpsc::UnboundedReceiver<SyncEvent>, id: u64) -> ActionStatus {
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Some(SyncEvent::Action(got, status)) = rx.recv().await
                && got == id
                && !status.is_open()
            {
                return status;
            }
        }
    })
    .await
    .expect("the action settles")
}

/// A loaded store, as the user sees the portal.
pub async fn seen_store(sim: &SimHandle) -> Store {
    load_store(&mut client(sim)).await.expect("load").0
}

pub fn first_in(store: &Store, stage: Stage) -> String {
    store
        .leads()
        .iter()
        .find(|l| l.stage == Some(stage))
        .expect("the seeded world has one")
        .id
        .to_string()
}

/// Queue `kind` on `lead_id` as the user looking at `store` confirms it; returns its id.
pub fn queue(
    sim: &SimHandle,
    outbox: &Outbox,
    store: &Store,
    lead_id: &str,
    kind: ActionKind,
) -> Action {
    let lead = store.lead(lead_id);
    let action = Action::new(
        lead_id,
        lead.map_or("someone", |l| l.name()),
        kind.clone(),
        lead.map(|l| tandem::sources::Vendor::HubSpot.seen(l))
            .unwrap_or_default(),
        Actor {
            user: "ana".into(),
            owner_id: None,
        },
        chrono::Utc::now(),
    );
    let key = tandem::sources::Vendor::HubSpot.source_key(&sim.base_url);
    let steps = tandem::sources::hubspot::step_count(&kind);
    outbox
        .enqueue(&key, action, steps, "", None)
        .expect("written")
        .expect("no rotation involved")
}

/// A worker with manual polling over `outbox`; returns its command channel and events.
pub fn worker(
    sim: &SimHandle,
    outbox: Arc<Outbox>,
) -> (
    mpsc::UnboundedSender<SourceCommand>,
    mpsc::UnboundedReceiver<SyncEvent>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let source = sync::spawn(0, "HubSpot", client(sim), None, tx, outbox);
    (source, rx)
}

/// Queue the undo of `original` as `u` does: its inverse, expecting the record as the
/// original left it.
pub fn queue_undo(sim: &SimHandle, outbox: &Outbox, original: &Action) -> Action {
    let kind = tandem::sources::hubspot::inverse(original).expect("undoable");
    let seen = tandem::sources::hubspot::expected_after(original);
    let steps = tandem::sources::hubspot::step_count(&kind);
    let undo = Action::new(
        &original.lead_id,
        &original.lead_name,
        kind,
        seen,
        original.actor.clone(),
        chrono::Utc::now(),
    );
    let key = tandem::sources::Vendor::HubSpot.source_key(&sim.base_url);
    outbox
        .enqueue(&key, undo, steps, "", None)
        .unwrap()
        .unwrap()
}
