//! One audit row per action: who did what to which lead, when, and how it ended. Rows stay
//! when old outbox entries are gone; `tandem audit` prints them.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};
use serde::Serialize;

use super::rows::state_of;
use crate::domain::action::{Action, ActionStatus};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRow {
    pub entry: u64,
    pub at: DateTime<Utc>,
    pub user: String,
    /// The CRM owner the user maps to, when one matched.
    pub owner_id: Option<String>,
    pub verb: String,
    pub lead_id: String,
    pub lead_name: String,
    /// The intended change in words ("to Sam Ortiz (101)", "reason no_budget, to Dana Kim (7)").
    pub what: String,
    /// `queued` until the entry ends: `done`, `failed`, `conflict`, `cancelled`.
    pub outcome: String,
    pub detail: Option<String>,
    pub finished_at: Option<DateTime<Utc>>,
}

pub fn insert(
    tx: &Transaction<'_>,
    entry: i64,
    action: &Action,
    what: &str,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO audit (entry, at_ms, actor, actor_owner, verb, lead_id, lead_name, what,
            outcome)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'queued')",
        params![
            entry,
            action.created_at.timestamp_millis(),
            action.actor.user,
            action.actor.owner_id,
            action.verb(),
            action.lead_id,
            action.lead_name,
            what,
        ],
    )?;
    Ok(())
}

/// The entry ended (or is waiting for the user, a conflict): record how.
pub fn finish(
    tx: &Transaction<'_>,
    entry: i64,
    status: &ActionStatus,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let (state, ..) = state_of(status);
    let detail = match status {
        ActionStatus::Failed { .. } | ActionStatus::Conflict(_) => Some(status.describe("")),
        _ => None,
    };
    let detail = detail.map(|d| d.trim().to_string());
    tx.execute(
        "UPDATE audit SET outcome = ?2, detail = ?3, finished_ms = ?4 WHERE entry = ?1",
        params![entry, state, detail, now.timestamp_millis()],
    )?;
    Ok(())
}

/// Sent again after a conflict or failure: open until it ends.
pub fn reopen(tx: &Transaction<'_>, entry: i64) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE audit SET outcome = 'queued', finished_ms = NULL WHERE entry = ?1",
        params![entry],
    )?;
    Ok(())
}

pub fn since(
    conn: &Connection,
    since: DateTime<Utc>,
) -> Result<Vec<AuditRow>, crate::store::disk::DiskError> {
    let mut stmt = conn.prepare(
        "SELECT entry, at_ms, actor, actor_owner, verb, lead_id, lead_name, what, outcome,
            detail, finished_ms
         FROM audit WHERE at_ms >= ?1 ORDER BY at_ms, entry",
    )?;
    let time = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or_default();
    let rows = stmt
        .query_map(params![since.timestamp_millis()], |r| {
            Ok(AuditRow {
                entry: r.get::<_, i64>(0)? as u64,
                at: time(r.get(1)?),
                user: r.get(2)?,
                owner_id: r.get(3)?,
                verb: r.get(4)?,
                lead_id: r.get(5)?,
                lead_name: r.get(6)?,
                what: r.get(7)?,
                outcome: r.get(8)?,
                detail: r.get(9)?,
                finished_at: r.get::<_, Option<i64>>(10)?.map(time),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
