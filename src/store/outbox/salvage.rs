//! `tandem outbox salvage`: recover every readable row of a damaged outbox into a fresh
//! one, keeping the damaged file aside untouched.
//!
//! Rows are read from a copy (the evidence is never altered) three ways: a forward scan, a
//! backward scan, and a lookup of each id the scans missed, since one bad page stops a scan
//! but not a lookup that never passes through it. Every recovered entry still open is marked
//! as tried, so the next send reads the record back before writing: a damaged file may have
//! lost its newest commits, and nothing may be applied twice.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, params_from_iter};

use super::file::{self, CACHE_FILE, FILE, mark_adopted};
use crate::store::disk::{DiskError, move_aside};

/// What a salvage found and did.
#[derive(Debug)]
pub struct Salvaged {
    /// The file read.
    pub from: PathBuf,
    /// Where the damaged file now is (it is never deleted).
    pub kept_as: Option<PathBuf>,
    /// The outbox written to.
    pub into: PathBuf,
    /// Actions recovered, and audit rows and rotation turns with them.
    pub actions: usize,
    pub audit_rows: usize,
    pub turns: usize,
    /// Actions the audit log names whose own row could not be read: id, verb, lead, user.
    pub lost: Vec<(i64, String, String, String)>,
}

/// A table's rows as read, keyed by rowid (or by position for a table without one).
type Rows = BTreeMap<i64, Vec<Value>>;

/// Salvage `from` (default: the data dir's `outbox.db`) into the data dir's outbox.
pub fn salvage(dir: &Path, from: Option<&Path>) -> Result<Salvaged, DiskError> {
    let own = dir.join(FILE);
    let from = from.map_or_else(|| own.clone(), Path::to_path_buf);
    if !from.exists() {
        return Err(DiskError::Unusable {
            path: from,
            reason: "no such file: nothing to salvage".into(),
        });
    }
    let tables = read_all(dir, &from)?;
    let same = from == own || same_file(&from, &own);
    let kept_as = if same {
        Some(move_aside(&from, "damaged").map_err(|e| io(&from, e))?)
    } else {
        None
    };
    let conn = file::connect_checked(dir, &own)?;
    let (actions, audit_rows, turns) = write_all(&conn, &tables)?;
    if from.file_name().is_some_and(|n| n == CACHE_FILE) {
        // The cache is disposable: its outbox is over here now, and the rest is rebuilt.
        mark_adopted(&conn, "salvaged")?;
        drop(conn);
        move_aside(&from, "corrupt").map_err(|e| io(&from, e))?;
    }
    let lost = lost_actions(&tables);
    Ok(Salvaged {
        from,
        kept_as,
        into: own,
        actions,
        audit_rows,
        turns,
        lost,
    })
}

fn io(path: &Path, e: std::io::Error) -> DiskError {
    DiskError::Unusable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

/// Every readable row of the precious tables (and `meta`), read from a scratch copy.
fn read_all(dir: &Path, from: &Path) -> Result<BTreeMap<&'static str, Rows>, DiskError> {
    let scratch = dir.join(format!(".salvage-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| io(&scratch, e))?;
    let copy = scratch.join("copy.db");
    let result = (|| {
        std::fs::copy(from, &copy).map_err(|e| io(from, e))?;
        let mut wal = from.as_os_str().to_owned();
        wal.push("-wal");
        if Path::new(&wal).exists() {
            std::fs::copy(&wal, scratch.join("copy.db-wal")).map_err(|e| io(from, e))?;
        }
        let mut out = BTreeMap::new();
        // A file SQLite cannot open at all yields nothing, and is still kept aside.
        let Ok(conn) = Connection::open_with_flags(&copy, OpenFlags::SQLITE_OPEN_READ_WRITE) else {
            return Ok(out);
        };
        for table in file::TABLES
            .into_iter()
            .chain(["meta", "turn_taken", "notice"])
        {
            out.insert(table, read_table(&conn, table));
        }
        Ok(out)
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

/// The columns of `table` as this tandem's schema has them.
fn columns(table: &str) -> Vec<String> {
    let Ok(mut conn) = Connection::open_in_memory() else {
        return Vec::new();
    };
    if file::migrate(&mut conn, Path::new(":memory:")).is_err() {
        return Vec::new();
    }
    let Ok(mut stmt) = conn.prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
    else {
        return Vec::new();
    };
    stmt.query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect())
        .unwrap_or_default()
}

fn read_table(conn: &Connection, table: &str) -> Rows {
    let cols = columns(table).join(", ");
    let has_rowid = matches!(table, "outbox" | "audit" | "turn_taken" | "notice");
    let mut rows = Rows::new();
    let key = if has_rowid { "rowid" } else { "NULL" };
    for order in ["ASC", "DESC"] {
        let sql = format!("SELECT {key}, {cols} FROM {table} ORDER BY {key} {order}");
        scan(conn, &sql, &[], &mut rows);
        if !has_rowid {
            break;
        }
    }
    if has_rowid {
        // Look up each id the scans missed: a lookup avoids the bad pages a scan stops at.
        let highest = rows.keys().next_back().copied().unwrap_or(0);
        let counted: i64 = conn
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = ?1",
                [table],
                |r| r.get(0),
            )
            .unwrap_or(0);
        let top = highest.max(counted).saturating_add(64).min(1_000_000);
        let sql = format!("SELECT rowid, {cols} FROM {table} WHERE rowid = ?1");
        for id in 1..=top {
            if !rows.contains_key(&id) {
                scan(conn, &sql, &[Value::Integer(id)], &mut rows);
            }
        }
    }
    rows
}

/// Rows of `sql` until the first error; a table without rowids is keyed by position.
fn scan(conn: &Connection, sql: &str, args: &[Value], rows: &mut Rows) {
    let Ok(mut stmt) = conn.prepare(sql) else {
        return;
    };
    let n = stmt.column_count();
    let Ok(mut found) = stmt.query(params_from_iter(args)) else {
        return;
    };
    while let Ok(Some(row)) = found.next() {
        let values: Option<Vec<Value>> = (1..n).map(|i| row.get::<_, Value>(i).ok()).collect();
        let Some(values) = values else { continue };
        let key = match row.get::<_, Value>(0) {
            Ok(Value::Integer(k)) => k,
            _ => rows.len() as i64,
        };
        rows.entry(key).or_insert(values);
    }
}

/// Insert what was read (rows already there stay); returns actions, audit rows, turns.
fn write_all(
    conn: &Connection,
    tables: &BTreeMap<&'static str, Rows>,
) -> Result<(usize, usize, usize), DiskError> {
    let mut counts = BTreeMap::new();
    for (table, rows) in tables {
        let cols = columns(table);
        let marks = vec!["?"; cols.len()].join(", ");
        let sql = format!(
            "INSERT OR IGNORE INTO {table} ({}) VALUES ({marks})",
            cols.join(", ")
        );
        let mut added = 0;
        for values in rows.values() {
            if values.len() == cols.len() && conn.execute(&sql, params_from_iter(values)).is_ok() {
                added += 1;
            }
        }
        counts.insert(*table, added);
    }
    // A row whose text no longer reads as an action would break every listing: drop it.
    let unreadable: Vec<i64> = {
        let mut stmt = conn.prepare(&format!("SELECT {} FROM outbox", super::ENTRY_COLUMNS))?;
        let mut rows = stmt.query([])?;
        let mut bad = Vec::new();
        while let Some(row) = rows.next()? {
            if super::rows::entry_from_row(row).is_err() {
                bad.push(row.get::<_, i64>(0)?);
            }
        }
        bad
    };
    for id in &unreadable {
        conn.execute("DELETE FROM outbox WHERE id = ?1", [id])?;
    }
    // Whatever the damaged file says, an open entry may have been sent: read back first.
    conn.execute(
        "UPDATE outbox SET tries = MAX(tries, 1), lease = NULL, lease_until_ms = NULL
         WHERE state IN ('queued', 'sending', 'retrying')",
        [],
    )?;
    let actions = counts.get("outbox").copied().unwrap_or(0) - unreadable.len();
    Ok((
        actions,
        counts.get("audit").copied().unwrap_or(0),
        counts.get("rotation").copied().unwrap_or(0),
    ))
}

/// Actions the audit log names whose outbox row was not recovered.
fn lost_actions(tables: &BTreeMap<&'static str, Rows>) -> Vec<(i64, String, String, String)> {
    let have: BTreeSet<i64> = tables
        .get("outbox")
        .map(|rows| rows.keys().copied().collect())
        .unwrap_or_default();
    let text = |v: &Value| match v {
        Value::Text(s) => crate::domain::text::clean(s),
        _ => String::new(),
    };
    // audit columns after entry: at_ms, actor, actor_owner, verb, lead_id, lead_name, what, outcome
    tables
        .get("audit")
        .into_iter()
        .flat_map(|rows| rows.iter())
        .filter(|(entry, _)| !have.contains(entry))
        // Only those still open when last written: a finished one has nothing left to do.
        .filter(|(_, v)| v.len() > 8 && text(&v[8]) == "queued")
        .map(|(entry, v)| (*entry, text(&v[4]), text(&v[6]), text(&v[2])))
        .collect()
}
