//! Sending one claimed outbox entry: read the record fresh, skip the steps an earlier
//! attempt already applied, refuse to write over newer state, then run the rest, recording
//! each confirmed step so a crash resumes exactly there.

use std::collections::HashMap;

use chrono::Utc;

use crate::domain::action::{ActionStatus, Seen, conflict};
use crate::sources::Connector;
use crate::sources::SourceError;
use crate::store::outbox::{Claimed, Outbox};

/// How sending ended this time.
#[derive(Debug)]
pub enum Sent {
    /// A final status: done or failed.
    Settled(ActionStatus),
    /// The record moved since the user saw it (what, and the record as found): nothing sent.
    Conflict(String, Seen),
    /// Worth another attempt later (5xx, 429, timeout, refused token); `done` steps stand.
    Retry { error: SourceError, done: u8 },
}

pub async fn send(
    client: &mut Connector,
    outbox: &Outbox,
    source: &str,
    claimed: &Claimed,
    owners: &HashMap<String, String>,
) -> Sent {
    let action = &claimed.entry.action;
    let vendor = client.vendor();
    let total = claimed.steps_total;
    let mut done = claimed.steps_done;
    let settle = |error: SourceError, done: u8| {
        if error.is_transient() || matches!(error, SourceError::Unauthorized { .. }) {
            Sent::Retry { error, done }
        } else {
            // Name what stays applied: nothing is rolled back.
            let applied: Vec<&str> = vendor
                .step_names(&action.kind)
                .iter()
                .take(usize::from(done))
                .copied()
                .collect();
            let reason = match applied.is_empty() {
                true => error.to_string(),
                false => format!("{error} (already applied: {})", applied.join("; ")),
            };
            Sent::Settled(ActionStatus::Failed {
                done,
                total,
                reason,
            })
        }
    };
    let fresh = match client.fresh(&action.lead_id).await {
        Ok(f) => f,
        Err(e) => return settle(e, done),
    };
    // A crash (or a lost answer) may have applied steps we never recorded: read them back.
    while done < total {
        match client
            .step_applied(action, done, &fresh, claimed.tried_before)
            .await
        {
            Ok(true) => done += 1,
            Ok(false) => break,
            Err(e) => return settle(e, done),
        }
    }
    if done == 0 && action.changes_record() {
        let ours = outbox
            .our_last_write(source, &action.lead_id, action.id)
            .ok()
            .flatten();
        let name = |id: &str| owners.get(id).cloned().unwrap_or_else(|| id.to_string());
        if let Some(what) = conflict(&action.seen, &fresh, ours, &name) {
            return Sent::Conflict(what, fresh);
        }
    }
    while done < total {
        let step = done;
        record(outbox, action.id, ActionStatus::Sending { done, total });
        match client.run_step(action, step, &fresh).await {
            Ok(at) => {
                done += 1;
                if let Some(at) = at
                    && let Err(e) = outbox.wrote(action.id, at)
                {
                    tracing::warn!(error = %e, "could not record the write time");
                }
            }
            Err(e) => return settle(e, done),
        }
    }
    record(outbox, action.id, ActionStatus::Sending { done, total });
    Sent::Settled(ActionStatus::Done)
}

/// Record progress; a failure to write it only costs a re-check on the next attempt.
fn record(outbox: &Outbox, id: u64, status: ActionStatus) {
    if let Err(e) = outbox.update(id, &status, Utc::now()) {
        tracing::warn!(id, error = %e, "could not record the outbox step");
    }
}

/// How a headless run ended.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    pub done: usize,
    pub failed: usize,
    pub conflicts: usize,
    /// Still open when the deadline passed (they stay queued).
    pub unsent: usize,
    pub last_error: Option<String>,
}

/// Send every open entry of `source` until none is left or `deadline` passes, retrying
/// transient failures with backoff (`tandem outbox --send`).
pub async fn send_all(
    client: &mut Connector,
    outbox: &Outbox,
    source: &str,
    deadline: tokio::time::Instant,
) -> Result<Tally, crate::store::disk::DiskError> {
    let mut tally = Tally::default();
    let mut backoff = crate::sources::backoff::Backoff::new(
        std::time::Duration::from_millis(500),
        std::time::Duration::from_secs(30),
    );
    let owners = HashMap::new();
    while tokio::time::Instant::now() < deadline {
        let Some(claimed) = outbox.claim(source, Utc::now())? else {
            return Ok(tally);
        };
        let id = claimed.entry.id();
        match send(client, outbox, source, &claimed, &owners).await {
            Sent::Settled(status) => {
                backoff.reset();
                match &status {
                    ActionStatus::Done => tally.done += 1,
                    _ => tally.failed += 1,
                }
                outbox.update(id, &status, Utc::now())?;
            }
            Sent::Conflict(what, now_seen) => {
                tally.conflicts += 1;
                outbox.conflict(id, &what, &now_seen, Utc::now())?;
            }
            Sent::Retry { error, done } => {
                let status = ActionStatus::Retrying {
                    done,
                    total: claimed.steps_total,
                    error: error.to_string(),
                };
                outbox.update(id, &status, Utc::now())?;
                if matches!(error, SourceError::Unauthorized { .. }) {
                    tally.last_error = Some(error.to_string());
                    break;
                }
                let wait = match &error {
                    SourceError::RateLimited { retry_after, .. } => *retry_after,
                    _ => backoff.next_delay(),
                };
                tally.last_error = Some(error.to_string());
                let until = crate::sources::wait::instant_after(tokio::time::Instant::now(), wait);
                if until > deadline {
                    // Sleeping to the deadline would only hide the vendor's answer.
                    break;
                }
                tokio::time::sleep_until(until).await;
            }
        }
    }
    tally.unsent = outbox
        .recent(source, 0)?
        .iter()
        .filter(|e| e.status.is_open())
        .count();
    Ok(tally)
}
