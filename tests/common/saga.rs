//! Sending one action through the saga runner the cockpit uses (`sync::saga::send`), as a
//! claimed outbox entry, for connector tests of every vendor.

use std::collections::HashMap;

use tandem::domain::Stage;
use tandem::domain::action::{Action, ActionKind};
use tandem::sources::{Connector, Vendor};
use tandem::store::Store;
use tandem::sync::saga::Sent;
use tandem::sync::{ActionStatus, OutboxEntry};

/// An action on `lead_id` as a user looking at `store` would send it (a lead not in the
/// store was never seen: its `seen` is empty); its key is `{prefix}{id}`.
pub fn action(
    vendor: Vendor,
    store: &Store,
    id: u64,
    lead_id: &str,
    kind: ActionKind,
    prefix: &str,
) -> Action {
    let seen = store
        .lead(lead_id)
        .map(|l| vendor.seen(l))
        .unwrap_or_default();
    let mut a = Action::new(
        lead_id,
        "test lead",
        kind,
        seen,
        Default::default(),
        chrono::Utc::now(),
    );
    a.id = id;
    a.key = format!("{prefix}{id}");
    a
}

/// Send `action` from step `done`; `tried_before`: an earlier attempt may have applied some
/// of it unseen.
pub async fn try_send(c: &mut Connector, action: &Action, done: u8, tried_before: bool) -> Sent {
    let claimed = tandem::store::outbox::Claimed {
        entry: OutboxEntry {
            action: action.clone(),
            status: ActionStatus::Queued,
            updated_at: chrono::Utc::now(),
        },
        steps_done: done,
        steps_total: c.vendor().step_count(&action.kind),
        tried_before,
    };
    let outbox = super::outbox();
    tandem::sync::saga::send(c, &outbox, "connector-test", &claimed, &HashMap::new()).await
}

/// [`try_send`] from the start, which must end done.
pub async fn send(c: &mut Connector, action: &Action, tried_before: bool) {
    match try_send(c, action, 0, tried_before).await {
        Sent::Settled(ActionStatus::Done) => {}
        other => panic!("{:?} not done: {other:?}", action.kind),
    }
}

/// The first lead of `store` in `stage`.
pub fn first_in(store: &Store, stage: Stage) -> String {
    store
        .leads()
        .iter()
        .find(|l| l.stage == Some(stage))
        .unwrap_or_else(|| panic!("the seeded world has a lead in {stage}"))
        .id
        .to_string()
}
