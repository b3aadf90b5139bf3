//! The outbox: every action, written in one transaction before any HTTP call, so a crash,
//! `kill -9` or quit never loses one, and nothing is sent twice.
//!
//! It lives in `outbox.db` beside the cache (see [`file`]): everyone sharing a data dir
//! shares it, and damage to the disposable cache never reaches it. A worker *claims* an
//! entry with a lease (its process id and a deadline) before sending; another process only
//! takes it over once that process is gone or the lease has run out. Each saga step the
//! vendor confirms is recorded, so a restart resumes at the first step not confirmed.

mod audit;
pub mod file;
pub mod notify;
mod rows;
pub mod salvage;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

pub use audit::AuditRow;
use rows::{ENTRY_COLUMNS, entry_from_row, state_of};

use super::disk::DiskError;
use crate::domain::action::{Action, ActionId, ActionStatus, OutboxEntry, Seen};

/// How long a claim holds an entry without its holder renewing it (each step renews it).
const LEASE_MS: i64 = 60_000;

/// An entry a worker now holds, with what earlier attempts left behind.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub entry: OutboxEntry,
    /// Steps the vendor confirmed in earlier attempts.
    pub steps_done: u8,
    pub steps_total: u8,
    /// Whether an earlier attempt may have sent something without our knowing the answer
    /// (a crash, a timeout): then the record is read back before anything is re-sent.
    pub tried_before: bool,
}

/// The durable outbox, shared by the app (which writes) and the source worker (which sends).
pub struct Outbox {
    conn: Mutex<Connection>,
    /// This process's lease name: `host:pid:nonce`.
    holder: String,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("holder", &self.holder)
            .finish()
    }
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

impl Outbox {
    /// The outbox of the data dir `dir` (`outbox.db`), checked: a damaged file is refused
    /// with the command that salvages it.
    pub fn open(dir: &Path) -> Result<Self, DiskError> {
        Ok(Self::with(file::open(dir)?))
    }

    /// A private outbox (`--no-cache`, tests): it lives as long as the process.
    pub fn in_memory() -> Result<Self, DiskError> {
        let mut conn = Connection::open_in_memory()?;
        file::migrate(&mut conn, Path::new(":memory:"))?;
        Ok(Self::with(conn))
    }

    fn with(conn: Connection) -> Self {
        let holder = format!(
            "{}:{}:{:x}",
            hostname(),
            std::process::id(),
            fastrand::u64(..)
        );
        Self {
            conn: Mutex::new(conn),
            holder,
        }
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back), so the connection is still good.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Write a new action and its audit row in one transaction; returns it with its id.
    ///
    /// A hand-off takes its rotation's turn in the same transaction (`turn`: the rotation
    /// and the turn the dialog proposed from). If another cockpit took that turn first,
    /// nothing is written and `Ok(None)` asks the user to look again.
    pub fn enqueue(
        &self,
        source: &str,
        mut action: Action,
        steps_total: u8,
        what: &str,
        turn: Option<(&str, usize)>,
    ) -> Result<Option<Action>, DiskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some((rotation, seen)) = turn {
            let now: i64 = tx
                .query_row(
                    "SELECT turns FROM rotation WHERE source = ?1 AND rotation = ?2",
                    params![source, rotation],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(0);
            if now != seen as i64 {
                return Ok(None);
            }
            tx.execute(
                "INSERT INTO rotation (source, rotation, turns) VALUES (?1, ?2, ?3)
                 ON CONFLICT (source, rotation) DO UPDATE SET turns = ?3",
                params![source, rotation, now + 1],
            )?;
        }
        let kind = serde_json::to_string(&action.kind).map_err(json_err)?;
        let seen = serde_json::to_string(&action.seen).map_err(json_err)?;
        let at = ms(action.created_at);
        tx.execute(
            "INSERT INTO outbox (key, source, lead_id, lead_name, actor, actor_owner, action,
                seen, created_ms, state, steps_total, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'queued', ?10, ?9)",
            params![
                action.key,
                source,
                action.lead_id,
                action.lead_name,
                action.actor.user,
                action.actor.owner_id,
                kind,
                seen,
                at,
                steps_total,
            ],
        )?;
        let id = tx.last_insert_rowid();
        if let Some((rotation, _)) = turn {
            tx.execute(
                "INSERT INTO turn_taken (entry, source, rotation) VALUES (?1, ?2, ?3)",
                params![id, source, rotation],
            )?;
        }
        audit::insert(&tx, id, &action, what)?;
        tx.commit()?;
        action.id = id as ActionId;
        Ok(Some(action))
    }

    /// Take the oldest entry this process may send for `source`, leasing it. Entries of a
    /// lead stay in order: a lead whose earlier entry another live process holds is skipped.
    pub fn claim(&self, source: &str, now: DateTime<Utc>) -> Result<Option<Claimed>, DiskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let candidates: Vec<(i64, String, Option<String>, Option<i64>)> = {
            let mut stmt = tx.prepare(
                "SELECT id, lead_id, lease, lease_until_ms FROM outbox
                 WHERE source = ?1 AND state IN ('queued', 'sending', 'retrying')
                 ORDER BY id",
            )?;
            stmt.query_map(params![source], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?
        };
        let mut blocked = std::collections::HashSet::new();
        let mut chosen = None;
        for (id, lead, lease, until) in candidates {
            if blocked.contains(&lead) {
                continue;
            }
            let held_elsewhere = lease.as_deref().is_some_and(|l| {
                l != self.holder && until.is_some_and(|u| u > ms(now)) && holder_alive(l)
            });
            if held_elsewhere {
                blocked.insert(lead);
                continue;
            }
            chosen = Some(id);
            break;
        }
        let Some(id) = chosen else {
            return Ok(None);
        };
        let tried_before: i64 =
            tx.query_row("SELECT tries FROM outbox WHERE id = ?1", params![id], |r| {
                r.get(0)
            })?;
        tx.execute(
            "UPDATE outbox SET lease = ?2, lease_until_ms = ?3, tries = tries + 1,
                state = CASE state WHEN 'queued' THEN 'sending' ELSE state END
             WHERE id = ?1",
            params![id, self.holder, ms(now) + LEASE_MS],
        )?;
        let claimed = tx.query_row(
            &format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE id = ?1"),
            params![id],
            |r| {
                let (entry, done, total) = entry_from_row(r)?;
                Ok(Claimed {
                    entry,
                    steps_done: done,
                    steps_total: total,
                    tried_before: tried_before > 0,
                })
            },
        )?;
        tx.commit()?;
        Ok(Some(claimed))
    }

    /// Record where a held entry is. A final status releases the lease and closes the audit
    /// row; an open one renews the lease. Ignored if another process took the entry over.
    pub fn update(
        &self,
        id: ActionId,
        status: &ActionStatus,
        now: DateTime<Utc>,
    ) -> Result<(), DiskError> {
        let (state, done, total, detail) = state_of(status);
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let lease_until = status.is_open().then(|| ms(now) + LEASE_MS);
        let changed = tx.execute(
            "UPDATE outbox SET state = ?2, steps_done = COALESCE(?3, steps_done),
                steps_total = COALESCE(?4, steps_total), detail = ?5, updated_ms = ?6,
                lease = CASE WHEN ?7 IS NULL THEN NULL ELSE lease END, lease_until_ms = ?7
             WHERE id = ?1 AND (lease = ?8 OR lease IS NULL)",
            params![
                id as i64,
                state,
                done,
                total,
                detail,
                ms(now),
                lease_until,
                self.holder
            ],
        )?;
        if changed > 0 && !status.is_open() {
            audit::finish(&tx, id as i64, status, now)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The vendor's timestamp of our latest write to the entry's record, so a later entry on
    /// the same lead does not mistake our own write for someone else's.
    pub fn wrote(&self, id: ActionId, at: DateTime<Utc>) -> Result<(), DiskError> {
        self.conn().execute(
            "UPDATE outbox SET wrote_ms = MAX(COALESCE(wrote_ms, 0), ?2) WHERE id = ?1",
            params![id as i64, ms(at)],
        )?;
        Ok(())
    }

    /// The newest vendor timestamp of a write this outbox made to `lead_id` before entry `id`.
    pub fn our_last_write(
        &self,
        source: &str,
        lead_id: &str,
        before: ActionId,
    ) -> Result<Option<DateTime<Utc>>, DiskError> {
        let at: Option<i64> = self.conn().query_row(
            "SELECT MAX(wrote_ms) FROM outbox WHERE source = ?1 AND lead_id = ?2 AND id < ?3",
            params![source, lead_id, before as i64],
            |r| r.get(0),
        )?;
        Ok(at.and_then(DateTime::from_timestamp_millis))
    }

    /// Drop an entry nobody is sending: queued (not yet claimed) or in conflict. Returns
    /// whether it was dropped.
    pub fn cancel(&self, id: ActionId, now: DateTime<Utc>) -> Result<bool, DiskError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let changed = tx.execute(
            "UPDATE outbox SET state = 'cancelled', lease = NULL, lease_until_ms = NULL,
                updated_ms = ?2
             WHERE id = ?1 AND (state = 'conflict' OR (state = 'queued' AND lease IS NULL))",
            params![id as i64, ms(now)],
        )?;
        if changed > 0 {
            audit::finish(&tx, id as i64, &ActionStatus::Cancelled, now)?;
        }
        tx.commit()?;
        Ok(changed > 0)
    }

    /// The record moved since the user saw it: park the entry as a conflict, keeping the
    /// record as it was found (`now`) for the user's decision.
    pub fn conflict(
        &self,
        id: ActionId,
        what: &str,
        now_seen: &Seen,
        now: DateTime<Utc>,
    ) -> Result<(), DiskError> {
        self.update(id, &ActionStatus::Conflict(what.to_string()), now)?;
        self.conn().execute(
            "UPDATE outbox SET conflict_seen = ?2 WHERE id = ?1",
            params![
                id as i64,
                serde_json::to_string(now_seen).map_err(json_err)?
            ],
        )?;
        Ok(())
    }

    /// Send again: a failed entry resumes at its first unconfirmed step; a conflict is sent
    /// over the record as the conflict showed it, since the user confirmed it against that.
    pub fn requeue(&self, id: ActionId, now: DateTime<Utc>) -> Result<bool, DiskError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let changed = tx.execute(
            "UPDATE outbox SET state = 'queued', detail = NULL, updated_ms = ?2,
                seen = CASE WHEN state = 'conflict' THEN COALESCE(conflict_seen, seen)
                    ELSE seen END,
                conflict_seen = NULL, lease = NULL, lease_until_ms = NULL
             WHERE id = ?1 AND state IN ('conflict', 'failed')",
            params![id as i64, ms(now)],
        )?;
        if changed > 0 {
            audit::reopen(&tx, id as i64)?;
        }
        tx.commit()?;
        Ok(changed > 0)
    }

    /// Entries for the outbox view: everything still open or waiting for the user, and the
    /// most recent others, newest last.
    pub fn recent(&self, source: &str, limit: usize) -> Result<Vec<OutboxEntry>, DiskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox WHERE source = ?1 AND id IN (
                SELECT id FROM outbox WHERE source = ?1
                    AND state IN ('queued', 'sending', 'retrying', 'conflict', 'failed')
                UNION SELECT id FROM (SELECT id FROM outbox WHERE source = ?1
                    ORDER BY id DESC LIMIT ?2))
             ORDER BY id"
        ))?;
        let rows = stmt
            .query_map(params![source, limit as i64], |r| {
                entry_from_row(r).map(|(e, _, _)| e)
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// One entry as it is now.
    pub fn get(&self, id: ActionId) -> Result<Option<OutboxEntry>, DiskError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE id = ?1"),
                params![id as i64],
                |r| entry_from_row(r).map(|(e, _, _)| e),
            )
            .optional()?)
    }

    /// Give back the rotation turn entry `id` took (a hand-off undone): the next hand-off
    /// proposes that owner again. Once only, however often it is asked.
    pub fn give_back_turn(&self, id: ActionId) -> Result<(), DiskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let taken: Option<(String, String)> = tx
            .query_row(
                "SELECT source, rotation FROM turn_taken WHERE entry = ?1",
                params![id as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((source, rotation)) = taken {
            tx.execute(
                "UPDATE rotation SET turns = MAX(turns - 1, 0) WHERE source = ?1 AND rotation = ?2",
                params![source, rotation],
            )?;
            tx.execute(
                "DELETE FROM turn_taken WHERE entry = ?1",
                params![id as i64],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Hand-offs confirmed so far in each rotation of `source`, by everyone sharing this
    /// data dir: the dialog proposes the next owner from these.
    pub fn turns(&self, source: &str) -> Result<HashMap<String, usize>, DiskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT rotation, turns FROM rotation WHERE source = ?1")?;
        let rows = stmt
            .query_map(params![source], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize))
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Entries still to be sent (queued, sending, retrying: [`ActionStatus::is_open`]), of
    /// every source: what the start, the quit and the salvage report.
    pub fn unsent(&self) -> Result<Vec<OutboxEntry>, DiskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox
             WHERE state IN ('queued', 'sending', 'retrying') ORDER BY id"
        ))?;
        let rows = stmt
            .query_map([], |r| entry_from_row(r).map(|(e, _, _)| e))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The most recent entries of every source, newest last (the offline `tandem outbox`).
    pub fn recent_all(&self, limit: usize) -> Result<Vec<OutboxEntry>, DiskError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox WHERE id IN (
                SELECT id FROM outbox
                    WHERE state IN ('queued', 'sending', 'retrying', 'conflict', 'failed')
                UNION SELECT id FROM (SELECT id FROM outbox ORDER BY id DESC LIMIT ?1))
             ORDER BY id"
        ))?;
        let rows = stmt
            .query_map(params![limit as i64], |r| {
                entry_from_row(r).map(|(e, _, _)| e)
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Audit rows at or after `since`, oldest first.
    pub fn audit_since(&self, since: DateTime<Utc>) -> Result<Vec<AuditRow>, DiskError> {
        audit::since(&self.conn(), since)
    }
}

fn json_err(e: serde_json::Error) -> DiskError {
    DiskError::Sql(rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Whether the process named in a lease may still be sending. A lease from this host whose
/// process is gone (a crash, `kill -9`) is free at once; on other hosts, or where process
/// ids cannot be checked, the lease's deadline decides.
pub(crate) fn holder_alive(lease: &str) -> bool {
    let mut parts = lease.rsplitn(3, ':');
    let (_nonce, pid, host) = (parts.next(), parts.next(), parts.next());
    let (Some(pid), Some(host)) = (pid, host) else {
        return true;
    };
    if host != hostname() || !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new("/proc").join(pid).exists()
}

#[cfg(test)]
mod tests;
