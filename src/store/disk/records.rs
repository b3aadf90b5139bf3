//! Records in and out of the cache, under (source, kind, id), so a second vendor pair sits
//! beside the first, and a page of changes is one transaction. Leads, a million of them at
//! a start, are stored in a compact binary form (`lead_codec`); the rest as JSON.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::{Deal, DealStage, Lead, Note, Owner};

use super::sym_dict::SymDict;
use super::{Disk, DiskError};

/// The kinds of record a source keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Lead,
    Deal,
    Note,
    Owner,
    DealStage,
}

impl Kind {
    fn id(self) -> &'static str {
        match self {
            Kind::Lead => "lead",
            Kind::Deal => "deal",
            Kind::Note => "note",
            Kind::Owner => "owner",
            Kind::DealStage => "deal_stage",
        }
    }
}

/// Everything cached for one source.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Cached {
    pub leads: Vec<Lead>,
    /// Each lead's last day-history fingerprint (see [`DayRow::print`]), 0 for none.
    pub day_prints: Vec<u64>,
    /// Each lead's id hashed ([`crate::store::id_key`]), worked out while it was decoded:
    /// the reconciliation ledger's keys without another pass over a million ids.
    pub lead_keys: Vec<u64>,
    /// Lead bodies in an older form, for the writer to re-encode ([`Disk::upgrade_leads`]).
    pub older_lead_bodies: usize,
    pub deals: Vec<Deal>,
    pub notes: Vec<Note>,
    pub owners: Vec<Owner>,
    pub deal_stages: Vec<DealStage>,
    /// When the source's first complete load finished; `None` means what is cached is partial.
    pub loaded_at: Option<DateTime<Utc>>,
}

/// One lead on one day, for the standup view's "since yesterday".
#[derive(Debug, Clone, PartialEq)]
pub struct DayRow {
    pub lead_id: String,
    pub stage: Option<String>,
    pub owner_id: Option<String>,
    pub sla_state: Option<String>,
    /// The cockpit's fingerprint of this row, kept on the lead's record so the next start
    /// writes only leads whose row would differ; 0 when read back from the history.
    pub print: u64,
}

/// How a kind of record is written to and read from the `body` column; `syms` is the
/// cache's numbering of interned values, for the kinds whose bodies use it.
pub trait Record: Sized {
    fn body(&self, syms: &mut SymDict) -> Result<Value, DiskError>;
    /// `None` for a body this binary cannot read (an older shape): the row is skipped and
    /// the next poll or load brings it back from the source.
    fn read(body: ValueRef<'_>, syms: &SymDict) -> Option<Self>;
}

impl Record for Lead {
    fn body(&self, syms: &mut SymDict) -> Result<Value, DiskError> {
        Ok(Value::Blob(super::lead_codec::encode(self, syms)))
    }

    fn read(body: ValueRef<'_>, syms: &SymDict) -> Option<Self> {
        match body {
            ValueRef::Blob(b) => super::lead_codec::decode(b, syms),
            // Written as JSON before the binary form: still readable.
            ValueRef::Text(t) => serde_json::from_slice(t).ok(),
            _ => None,
        }
    }
}

macro_rules! json_record {
    ($($t:ty),*) => {$(
        impl Record for $t {
            fn body(&self, _: &mut SymDict) -> Result<Value, DiskError> {
                Ok(Value::Text(encode(self)?))
            }

            fn read(body: ValueRef<'_>, _: &SymDict) -> Option<Self> {
                match body {
                    ValueRef::Text(t) => serde_json::from_slice(t).ok(),
                    _ => None,
                }
            }
        }
    )*};
}

json_record!(Deal, Note, Owner, DealStage);

fn encode<T: Serialize>(row: &T) -> Result<String, DiskError> {
    serde_json::to_string(row).map_err(|e| DiskError::Unusable {
        path: "cache".into(),
        reason: format!("cannot encode a record: {e}"),
    })
}

impl Disk {
    /// Upsert records of one kind in one transaction.
    pub fn put<'a, T: Record + 'a>(
        &mut self,
        source: &str,
        kind: Kind,
        rows: impl IntoIterator<Item = (&'a str, DateTime<Utc>, &'a T)>,
    ) -> Result<usize, DiskError> {
        // Held, not streamed: a write another tandem's numbering refused is tried again.
        let rows: Vec<_> = rows.into_iter().collect();
        self.bodies_tx(|tx, syms| {
            let mut n = 0;
            let mut stmt = tx.prepare_cached(
                "INSERT INTO record (source, kind, id, updated_ms, body) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (source, kind, id) DO UPDATE
                 SET updated_ms = excluded.updated_ms, body = excluded.body",
            )?;
            for &(id, updated, row) in &rows {
                stmt.execute(params![
                    source,
                    kind.id(),
                    id,
                    updated.timestamp_millis(),
                    row.body(syms)?
                ])?;
                n += 1;
            }
            Ok(n)
        })
    }

    /// Run `write` in one transaction with the numbers its bodies give interned values:
    /// they are written with the bodies that name them, or taken back with them. Another
    /// tandem on the same file (a second cockpit) may have given a number since this one
    /// read the table: then the table is read again and `write` runs once more.
    pub(super) fn bodies_tx<T>(
        &mut self,
        mut write: impl FnMut(&rusqlite::Transaction<'_>, &mut SymDict) -> Result<T, DiskError>,
    ) -> Result<T, DiskError> {
        fn attempt<T>(
            conn: &mut rusqlite::Connection,
            syms: &mut SymDict,
            write: &mut impl FnMut(&rusqlite::Transaction<'_>, &mut SymDict) -> Result<T, DiskError>,
        ) -> Result<T, DiskError> {
            let written = (|| {
                let tx = conn.transaction()?;
                let out = write(&tx, syms)?;
                syms.write_new(&tx)?;
                tx.commit()?;
                Ok(out)
            })();
            match written {
                Ok(_) => syms.committed(),
                Err(_) => syms.rolled_back(),
            }
            written
        }
        let Disk { conn, syms } = self;
        match attempt(conn, syms, &mut write) {
            Err(e) => {
                let known = syms.held();
                match SymDict::read(conn) {
                    Ok(fresh) if fresh.held() > known => *syms = fresh,
                    _ => return Err(e),
                }
                attempt(conn, syms, &mut write)
            }
            done => done,
        }
    }

    /// Replace every record of one kind (reference data read whole: owners, deal stages).
    pub fn replace<'a, T: Record + 'a>(
        &mut self,
        source: &str,
        kind: Kind,
        rows: impl IntoIterator<Item = (&'a str, &'a T)>,
    ) -> Result<(), DiskError> {
        let rows: Vec<_> = rows.into_iter().collect();
        self.bodies_tx(|tx, syms| {
            tx.execute(
                "DELETE FROM record WHERE source = ?1 AND kind = ?2",
                params![source, kind.id()],
            )?;
            let mut stmt = tx.prepare_cached(
                "INSERT INTO record (source, kind, id, updated_ms, body) VALUES (?1, ?2, ?3, 0, ?4)",
            )?;
            for &(id, row) in &rows {
                stmt.execute(params![source, kind.id(), id, row.body(syms)?])?;
            }
            Ok(())
        })
    }

    /// Forget records the vendor deleted.
    pub fn remove(&mut self, source: &str, kind: Kind, ids: &[String]) -> Result<(), DiskError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx
                .prepare_cached("DELETE FROM record WHERE source = ?1 AND kind = ?2 AND id = ?3")?;
            for id in ids {
                stmt.execute(params![source, kind.id(), id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The bodies of every record of `kind`, copied out to be decoded elsewhere.
    fn bodies(&self, source: &str, kind: Kind) -> Result<Bodies, DiskError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT body FROM record WHERE source = ?1 AND kind = ?2 ORDER BY id",
        )?;
        let mut out = Bodies::default();
        let mut rows = stmt.query(params![source, kind.id()])?;
        while let Some(row) = rows.next()? {
            let (bytes, text) = match row.get_ref(0)? {
                ValueRef::Text(t) => (t, true),
                ValueRef::Blob(b) => (b, false),
                // Unreadable: skipped when decoded.
                _ => (&[][..], false),
            };
            out.bytes.extend_from_slice(bytes);
            out.rows.push((out.bytes.len(), text));
        }
        Ok(out)
    }

    fn all<T: Record>(&self, source: &str, kind: Kind) -> Result<Vec<T>, DiskError> {
        Ok(self.bodies(source, kind)?.decode(&self.syms))
    }

    /// The cached leads, with each one's last day-history fingerprint beside it.
    fn leads(&self, source: &str) -> Result<super::lead_batches::ReadLeads, DiskError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT body, day_print FROM record WHERE source = ?1 AND kind = 'lead' ORDER BY id",
        )?;
        let mut rows = stmt.query(params![source])?;
        super::lead_batches::read_all(&self.syms, |push| match rows.next()? {
            Some(row) => {
                push(
                    row.get_ref(0)?,
                    row.get::<_, Option<i64>>(1)?.unwrap_or(0) as u64,
                );
                Ok::<_, DiskError>(true)
            }
            None => Ok(false),
        })
    }

    /// Everything cached for `source`.
    pub fn load(&self, source: &str) -> Result<Cached, DiskError> {
        // Deals and notes are JSON (a quarter of a million notes at 1M leads): decoded on a
        // helper while the leads are read, not after them.
        let (deal_bodies, note_bodies) = (
            self.bodies(source, Kind::Deal)?,
            self.bodies(source, Kind::Note)?,
        );
        let (read, (deals, notes)) = std::thread::scope(|s| {
            let syms = &self.syms;
            let others = s.spawn(move || {
                (
                    deal_bodies.decode::<Deal>(syms),
                    note_bodies.decode::<Note>(syms),
                )
            });
            let leads = self.leads(source);
            let others = others
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            leads.map(|leads| (leads, others))
        })?;
        Ok(Cached {
            leads: read.leads,
            day_prints: read.prints,
            lead_keys: read.keys,
            older_lead_bodies: read.older,
            deals,
            notes,
            owners: self.all(source, Kind::Owner)?,
            deal_stages: self.all(source, Kind::DealStage)?,
            loaded_at: self.loaded_at(source)?,
        })
    }

    /// The source's incremental-sync cursor, as the connector wrote it.
    pub fn cursor<T: DeserializeOwned>(&self, source: &str) -> Result<Option<T>, DiskError> {
        let raw: Option<Option<String>> = self
            .conn
            .query_row(
                "SELECT cursor FROM sync_state WHERE source = ?1",
                params![source],
                |r| r.get(0),
            )
            .optional()?;
        Ok(raw.flatten().and_then(|s| serde_json::from_str(&s).ok()))
    }

    pub fn set_cursor<T: Serialize>(&mut self, source: &str, cursor: &T) -> Result<(), DiskError> {
        self.conn.execute(
            "INSERT INTO sync_state (source, cursor) VALUES (?1, ?2)
             ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor",
            params![source, encode(cursor)?],
        )?;
        Ok(())
    }

    /// Record that the source's first complete load finished at `at`.
    pub fn set_loaded(&mut self, source: &str, at: DateTime<Utc>) -> Result<(), DiskError> {
        self.conn.execute(
            "INSERT INTO sync_state (source, loaded_at_ms) VALUES (?1, ?2)
             ON CONFLICT (source) DO UPDATE SET loaded_at_ms = excluded.loaded_at_ms",
            params![source, at.timestamp_millis()],
        )?;
        Ok(())
    }

    pub fn loaded_at(&self, source: &str) -> Result<Option<DateTime<Utc>>, DiskError> {
        let ms: Option<Option<i64>> = self
            .conn
            .query_row(
                "SELECT loaded_at_ms FROM sync_state WHERE source = ?1",
                params![source],
                |r| r.get(0),
            )
            .optional()?;
        Ok(ms.flatten().and_then(DateTime::from_timestamp_millis))
    }

    /// Write (or overwrite) one day's rows for a source: the leads whose state changed. Rows
    /// older than [`DAY_HISTORY_DAYS`] are pruned, except each lead's latest one before then
    /// (it is still the lead's state on the days after it).
    pub fn record_day(
        &mut self,
        day: NaiveDate,
        source: &str,
        rows: &[DayRow],
    ) -> Result<(), DiskError> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO lead_day (day, source, lead_id, stage, owner_id, sla_state)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (day, source, lead_id) DO UPDATE SET
                   stage = excluded.stage, owner_id = excluded.owner_id,
                   sla_state = excluded.sla_state",
            )?;
            let mut printed = tx.prepare_cached(
                "UPDATE record SET day_print = ?3 WHERE source = ?1 AND kind = 'lead' AND id = ?2",
            )?;
            let day = day.to_string();
            for r in rows {
                stmt.execute(params![
                    day,
                    source,
                    r.lead_id,
                    r.stage,
                    r.owner_id,
                    r.sla_state
                ])?;
                printed.execute(params![source, r.lead_id, r.print as i64])?;
            }
            let cutoff = (day_before(&day, DAY_HISTORY_DAYS)).to_string();
            tx.execute(
                "DELETE FROM lead_day WHERE source = ?1 AND day < ?2 AND EXISTS (
                   SELECT 1 FROM lead_day n WHERE n.source = lead_day.source
                     AND n.lead_id = lead_day.lead_id
                     AND n.day > lead_day.day AND n.day <= ?2)",
                params![source, cutoff],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Each lead's state on `day` for a source (its latest row up to that day), by lead id.
    pub fn day(&self, day: NaiveDate, source: &str) -> Result<Vec<DayRow>, DiskError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT lead_id, stage, owner_id, sla_state FROM lead_day d
             WHERE source = ?2 AND day = (
               SELECT MAX(day) FROM lead_day l
               WHERE l.source = ?2 AND l.lead_id = d.lead_id AND l.day <= ?1)
             ORDER BY lead_id",
        )?;
        let rows = stmt.query_map(params![day.to_string(), source], |r| {
            Ok(DayRow {
                lead_id: r.get(0)?,
                stage: r.get(1)?,
                owner_id: r.get(2)?,
                sla_state: r.get(3)?,
                print: 0,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many rows the day history holds for a source (what pruning keeps small).
    pub fn day_rows_held(&self, source: &str) -> Result<usize, DiskError> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM lead_day WHERE source = ?1",
            params![source],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }
}

/// Days of day history kept in full: the standup looks back a working day, a monthly review
/// five weeks.
pub const DAY_HISTORY_DAYS: u64 = 35;

fn day_before(day: &str, days: u64) -> NaiveDate {
    day.parse::<NaiveDate>()
        .ok()
        .and_then(|d| d.checked_sub_days(chrono::Days::new(days)))
        .unwrap_or(NaiveDate::MIN)
}

/// Record bodies back to back, with each one's end and whether it is text.
#[derive(Default)]
struct Bodies {
    bytes: Vec<u8>,
    rows: Vec<(usize, bool)>,
}

/// A body copied out of SQLite, as SQLite gave it: text (JSON) or a blob.
pub(super) fn body_ref(body: &[u8], text: bool) -> ValueRef<'_> {
    if text {
        ValueRef::Text(body)
    } else {
        ValueRef::Blob(body)
    }
}

impl Bodies {
    fn decode<T: Record>(&self, syms: &SymDict) -> Vec<T> {
        let mut start = 0;
        (self.rows.iter())
            .filter_map(|&(end, text)| {
                let body = &self.bytes[start..end];
                start = end;
                T::read(body_ref(body, text), syms)
            })
            .collect()
    }
}
