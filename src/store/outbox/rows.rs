//! Reading outbox rows back into actions, and statuses into columns.

use chrono::DateTime;
use rusqlite::Row;

use crate::domain::action::{Action, ActionStatus, Actor, OutboxEntry};

/// The columns [`entry_from_row`] reads, in order.
pub const ENTRY_COLUMNS: &str = "id, key, lead_id, lead_name, actor, actor_owner, action, seen, \
     created_ms, state, steps_done, steps_total, detail, updated_ms";

fn bad_json(i: usize, e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
}

fn time(ms: i64) -> chrono::DateTime<chrono::Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// An entry, with its confirmed and total steps.
pub fn entry_from_row(r: &Row<'_>) -> rusqlite::Result<(OutboxEntry, u8, u8)> {
    let id: i64 = r.get(0)?;
    let kind: String = r.get(6)?;
    let seen: String = r.get(7)?;
    let action = Action {
        id: id as u64,
        key: r.get(1)?,
        lead_id: r.get(2)?,
        lead_name: r.get(3)?,
        actor: Actor {
            user: r.get(4)?,
            owner_id: r.get(5)?,
        },
        kind: serde_json::from_str(&kind).map_err(|e| bad_json(6, e))?,
        seen: serde_json::from_str(&seen).map_err(|e| bad_json(7, e))?,
        created_at: time(r.get(8)?),
    };
    let state: String = r.get(9)?;
    let done: u8 = r.get(10)?;
    let total: u8 = r.get(11)?;
    let detail: Option<String> = r.get(12)?;
    let detail = detail.unwrap_or_default();
    let status = match state.as_str() {
        "queued" => ActionStatus::Queued,
        "sending" => ActionStatus::Sending { done, total },
        "retrying" => ActionStatus::Retrying {
            done,
            total,
            error: detail,
        },
        "done" => ActionStatus::Done,
        "failed" => ActionStatus::Failed {
            done,
            total,
            reason: detail,
        },
        "conflict" => ActionStatus::Conflict(detail),
        _ => ActionStatus::Cancelled,
    };
    let entry = OutboxEntry {
        action,
        status,
        updated_at: time(r.get(13)?),
    };
    Ok((entry, done, total))
}

/// `(state, steps done, steps total, detail)`; `None` steps leave the columns as they are.
pub fn state_of(status: &ActionStatus) -> (&'static str, Option<u8>, Option<u8>, Option<String>) {
    match status {
        ActionStatus::Queued => ("queued", None, None, None),
        ActionStatus::Sending { done, total } => ("sending", Some(*done), Some(*total), None),
        ActionStatus::Retrying { done, total, error } => {
            ("retrying", Some(*done), Some(*total), Some(error.clone()))
        }
        ActionStatus::Done => ("done", None, None, None),
        ActionStatus::Failed {
            done,
            total,
            reason,
        } => ("failed", Some(*done), Some(*total), Some(reason.clone())),
        ActionStatus::Conflict(what) => ("conflict", None, None, Some(what.clone())),
        ActionStatus::Cancelled => ("cancelled", None, None, None),
    }
}
