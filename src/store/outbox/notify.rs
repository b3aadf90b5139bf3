//! SLA transitions to notify, kept in the outbox file so that everyone sharing a data dir
//! notifies each one once: a transition is recorded under its key (`INSERT OR IGNORE`) before
//! any command runs, and a run is claimed in a transaction, as an action is.
//!
//! A run's fate survives a `kill -9` of the process that claimed it: the command runs
//! detached, in its own directory, and writes its exit status there (see
//! `app/notify.rs`). Whoever finds a claim whose holder is gone settles it from that
//! directory instead of running the command again.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::{Outbox, holder_alive, ms};
use crate::store::disk::DiskError;

/// One transition as detected: what to record.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// `<kind>:<clock>`: the transition's identity across processes and restarts.
    pub key: String,
    /// The clock it is about: `<source>:<lead>:<sla>:<started ms>`.
    pub clock: String,
    /// `breached`, `escalated` or `cleared`.
    pub kind: &'static str,
    /// The JSON object the command reads on stdin.
    pub payload: String,
}

/// A run this process now holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub id: i64,
    pub key: String,
    pub payload: String,
    /// This run's attempt number, from 1.
    pub attempt: i64,
}

/// A claim whose holder is gone, to settle from its run directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Orphan {
    pub id: i64,
    pub key: String,
    pub run_dir: String,
    pub attempt: i64,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled {
    Delivered,
    /// The command failed: tried again from `retry_at`.
    Failed {
        error: String,
        retry_at: DateTime<Utc>,
    },
    /// The command never started (its claimer died first): free to run at once.
    NotRun,
}

/// What the header shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeStatus {
    /// Recorded, not yet delivered.
    pub waiting: usize,
    /// Of those, the ones whose command has failed at least once.
    pub failing: usize,
    pub last_error: Option<String>,
    pub delivered: usize,
}

/// The breach's payload as its clear: the same lead and SLA, `kind` and `at` updated.
fn cleared(breach: &str, now: DateTime<Utc>) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(breach).unwrap_or_else(|_| serde_json::json!({}));
    if let Some(o) = v.as_object_mut() {
        o.insert("kind".into(), "cleared".into());
        o.insert("at".into(), now.to_rfc3339().into());
    }
    v.to_string()
}

impl Outbox {
    /// Record `notices` (the clocks breached or escalated now, and those cleared) and, with
    /// `open` (a complete view of the clocks breached now), clear every recorded breach not
    /// among them. The first record on an empty table is the baseline: breaches open at the
    /// first start are not news, only what happens after is. A clear of a breach nobody was
    /// told of is not news either. Returns how many were new.
    pub fn record_notices(
        &self,
        notices: &[Notice],
        open: Option<&[String]>,
        now: DateTime<Utc>,
    ) -> Result<usize, DiskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let first: bool =
            tx.query_row("SELECT NOT EXISTS (SELECT 1 FROM notice)", [], |r| r.get(0))?;
        let mut fresh = 0;
        let mut all: Vec<Notice> = notices.to_vec();
        if let Some(open) = open {
            let open: std::collections::HashSet<&str> = open.iter().map(String::as_str).collect();
            let mut stmt = tx.prepare(
                "SELECT b.clock, b.payload FROM notice b WHERE b.kind = 'breached' AND NOT EXISTS
                 (SELECT 1 FROM notice c WHERE c.clock = b.clock AND c.kind = 'cleared')",
            )?;
            let recorded: Vec<(String, String)> = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            drop(stmt);
            for (clock, told) in recorded {
                if open.contains(clock.as_str()) {
                    continue;
                }
                all.push(Notice {
                    key: format!("cleared:{clock}"),
                    clock,
                    kind: "cleared",
                    payload: cleared(&told, now),
                });
            }
        }
        for n in &all {
            let told_of_breach: bool = n.kind != "cleared"
                || tx
                    .query_row(
                        "SELECT state != 'baseline' FROM notice
                         WHERE clock = ?1 AND kind = 'breached'",
                        params![n.clock],
                        |r| r.get(0),
                    )
                    .optional()?
                    .unwrap_or(false);
            let state = if first || !told_of_breach {
                "baseline"
            } else {
                "pending"
            };
            fresh += tx.execute(
                "INSERT OR IGNORE INTO notice (key, clock, kind, payload, state, created_ms, next_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                params![n.key, n.clock, n.kind, n.payload, state, ms(now)],
            )?;
        }
        tx.commit()?;
        Ok(fresh)
    }

    /// The oldest notice due by `now` that nobody holds, unclaimed: a caller prepares its
    /// run and then [`claim_notice`](Self::claim_notice)s it.
    pub fn next_notice(&self, now: DateTime<Utc>) -> Result<Option<Run>, DiskError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, key, payload, tries + 1 FROM notice
                 WHERE state = 'pending' AND next_ms <= ?1 ORDER BY created_ms, id LIMIT 1",
                params![ms(now)],
                |r| {
                    Ok(Run {
                        id: r.get(0)?,
                        key: r.get(1)?,
                        payload: r.get(2)?,
                        attempt: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Take `run` for this process, its command to run in `run_dir`; `false` if another
    /// process took it (or it changed) since it was read.
    pub fn claim_notice(&self, run: &Run, run_dir: &str) -> Result<bool, DiskError> {
        let changed = self.conn().execute(
            "UPDATE notice SET state = 'running', holder = ?2, run_dir = ?3, tries = ?4
             WHERE id = ?1 AND state = 'pending' AND tries = ?4 - 1",
            params![run.id, self.holder, run_dir, run.attempt],
        )?;
        Ok(changed == 1)
    }

    /// Claims whose holder is gone (a crash, `kill -9`), each taken over by this process
    /// so that one settles it.
    pub fn orphan_notices(&self) -> Result<Vec<Orphan>, DiskError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let running: Vec<(Orphan, Option<String>)> = {
            let mut stmt = tx.prepare(
                "SELECT id, key, COALESCE(run_dir, ''), tries, holder FROM notice
                 WHERE state = 'running'",
            )?;
            stmt.query_map([], |r| {
                Ok((
                    Orphan {
                        id: r.get(0)?,
                        key: r.get(1)?,
                        run_dir: r.get(2)?,
                        attempt: r.get(3)?,
                    },
                    r.get(4)?,
                ))
            })?
            .collect::<Result<_, _>>()?
        };
        let mut out = Vec::new();
        for (orphan, holder) in running {
            let gone = holder
                .as_deref()
                .is_none_or(|h| h != self.holder && !holder_alive(h));
            if gone {
                tx.execute(
                    "UPDATE notice SET holder = ?2 WHERE id = ?1",
                    params![orphan.id, self.holder],
                )?;
                out.push(orphan);
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// Record how this process's run `id` ended.
    pub fn settle_notice(
        &self,
        id: i64,
        settled: &Settled,
        now: DateTime<Utc>,
    ) -> Result<(), DiskError> {
        let conn = self.conn();
        let sql = match settled {
            Settled::Delivered => {
                "UPDATE notice SET state = 'delivered', done_ms = ?3, holder = NULL, last_error = NULL
                 WHERE id = ?1 AND holder = ?2"
            }
            Settled::Failed { .. } => {
                "UPDATE notice SET state = 'pending', next_ms = ?3, holder = NULL, last_error = ?4
                 WHERE id = ?1 AND holder = ?2"
            }
            Settled::NotRun => {
                "UPDATE notice SET state = 'pending', tries = tries - 1, holder = NULL
                 WHERE id = ?1 AND holder = ?2"
            }
        };
        match settled {
            Settled::Delivered => conn.execute(sql, params![id, self.holder, ms(now)])?,
            Settled::Failed { error, retry_at } => {
                conn.execute(sql, params![id, self.holder, ms(*retry_at), error])?
            }
            Settled::NotRun => conn.execute(sql, params![id, self.holder])?,
        };
        Ok(())
    }

    /// When the next pending notice falls due (`None`: nothing pending).
    pub fn next_notice_due(&self) -> Result<Option<DateTime<Utc>>, DiskError> {
        let at: Option<i64> = self.conn().query_row(
            "SELECT MIN(next_ms) FROM notice WHERE state = 'pending'",
            [],
            |r| r.get(0),
        )?;
        Ok(at.and_then(DateTime::from_timestamp_millis))
    }

    pub fn notice_status(&self) -> Result<NoticeStatus, DiskError> {
        let conn = self.conn();
        let (waiting, failing, delivered): (i64, i64, i64) = conn.query_row(
            "SELECT COALESCE(SUM(state IN ('pending', 'running')), 0),
                    COALESCE(SUM(state IN ('pending', 'running') AND last_error IS NOT NULL), 0),
                    COALESCE(SUM(state = 'delivered'), 0)
             FROM notice",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let last_error = conn
            .query_row(
                "SELECT last_error FROM notice WHERE state IN ('pending', 'running')
                 AND last_error IS NOT NULL ORDER BY next_ms DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(NoticeStatus {
            waiting: waiting as usize,
            failing: failing as usize,
            last_error,
            delivered: delivered as usize,
        })
    }
}
