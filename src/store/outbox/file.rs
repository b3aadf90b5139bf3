//! The outbox's own file, `outbox.db`, apart from the disposable cache: the outbox, the
//! audit log and the hand-off rotation cannot be rebuilt from the vendor, so damage to the
//! cache must never reach them.
//!
//! Every command opens it here and judges it the same way: SQLite must open it and
//! `PRAGMA quick_check` must pass, else it is [`DiskError::Damaged`] and nothing acts on it
//! until `tandem outbox salvage`. A damaged outbox is never moved aside silently.
//!
//! Older tandems kept these tables inside `cache.db`; the first open here moves them over
//! (idempotently), and refuses to start while that move cannot be made.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use rusqlite_migration::{M, Migrations};

use crate::store::disk::{DiskError, is_corrupt, plain, prepare_dir};

/// The outbox file in a data dir.
pub const FILE: &str = "outbox.db";
/// The cache file in a data dir (where older tandems kept the outbox).
pub const CACHE_FILE: &str = "cache.db";

/// Version 1 is the outbox, audit and rotation tables exactly as older tandems had them in
/// the cache (its schema 2), so rows copy over column for column; version 2 adds a note of
/// whether that copy was made.
const V2_META: &str = "
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
";

/// The precious tables, in the order they are copied.
pub const TABLES: [&str; 3] = ["outbox", "audit", "rotation"];

/// Version 3: which rotation turn each hand-off took, so an undo can give it back.
const V3_TURNS: &str = "
CREATE TABLE turn_taken (
    entry    INTEGER PRIMARY KEY,
    source   TEXT NOT NULL,
    rotation TEXT NOT NULL
);
";

/// Version 4: SLA transitions to notify (`[notify] command`), each recorded once, by its
/// key, before its command runs; see `notify.rs`.
const V4_NOTICES: &str = "
CREATE TABLE notice (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    clock      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    state      TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    next_ms    INTEGER NOT NULL,
    tries      INTEGER NOT NULL DEFAULT 0,
    holder     TEXT,
    run_dir    TEXT,
    last_error TEXT,
    done_ms    INTEGER
);
CREATE INDEX notice_due ON notice (state, next_ms);
CREATE INDEX notice_clock ON notice (clock, kind);
";

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(crate::store::disk::migrations::V2),
        M::up(V2_META),
        M::up(V3_TURNS),
        M::up(V4_NOTICES),
    ])
}

const LATEST: usize = 4;

/// The command that salvages `damaged` for the data dir `dir`.
pub fn salvage_command(dir: &Path, damaged: &Path) -> String {
    let mut cmd = format!("tandem outbox salvage --data-dir {}", dir.display());
    if damaged.file_name().is_some_and(|n| n != FILE) {
        cmd.push_str(&format!(" --from {}", damaged.display()));
    }
    cmd
}

fn damaged(dir: &Path, path: &Path, reason: String) -> DiskError {
    DiskError::Damaged {
        path: path.to_path_buf(),
        salvage: salvage_command(dir, path),
        reason,
    }
}

/// Open `dir/outbox.db`, checked and migrated, after moving an older tandem's outbox out of
/// `dir/cache.db` if one is there.
pub fn open(dir: &Path) -> Result<Connection, DiskError> {
    let path = dir.join(FILE);
    prepare_dir(&path)?;
    let mut conn = connect_checked(dir, &path)?;
    adopt_legacy(dir, &mut conn)?;
    Ok(conn)
}

/// Open, tune, check and migrate the outbox file at `path` (of data dir `dir`).
pub fn connect_checked(dir: &Path, path: &Path) -> Result<Connection, DiskError> {
    let corrupt = |e: &rusqlite::Error| damaged(dir, path, e.to_string());
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let wrap = |e: rusqlite::Error| {
        if is_corrupt(&e) {
            corrupt(&e)
        } else {
            plain(path, DiskError::Sql(e))
        }
    };
    let mut conn = Connection::open_with_flags(path, flags).map_err(wrap)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(wrap)?;
    // Every commit survives power loss too: an action the user confirmed is never lost.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(wrap)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(wrap)?;
    check(&conn).map_err(|reason| damaged(dir, path, reason))?;
    migrate(&mut conn, path).map_err(|e| match e {
        DiskError::Sql(e) => wrap(e),
        other => other,
    })?;
    Ok(conn)
}

/// Bring the schema to the latest this tandem knows; a newer file is refused, not rewritten.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<(), DiskError> {
    let found: usize = conn
        .pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))?
        .try_into()
        .unwrap_or(usize::MAX);
    if found > LATEST {
        return Err(DiskError::TooNew {
            path: path.to_path_buf(),
            found,
            known: LATEST,
        });
    }
    migrations()
        .to_latest(conn)
        .map_err(|e| DiskError::Unusable {
            path: path.to_path_buf(),
            reason: format!("cannot upgrade the outbox: {e}"),
        })
}

/// `PRAGMA quick_check`: every page readable, every record well formed. The outbox is
/// small (one row per action), so this costs little at every open.
fn check(conn: &Connection) -> Result<(), String> {
    let mut stmt = conn
        .prepare("PRAGMA quick_check(5)")
        .map_err(|e| e.to_string())?;
    let problems: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect())
        .map_err(|e| e.to_string())?;
    match problems.as_slice() {
        [ok] if ok == "ok" => Ok(()),
        _ => Err(problems.join("; ")),
    }
}

/// Whether the tables of an older tandem's cache have been moved here.
fn adopted(conn: &Connection) -> Result<bool, rusqlite::Error> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE name = 'legacy'", [], |r| {
            r.get::<_, String>(0)
        })
        .optional()?
        .is_some())
}

/// Record that nothing more is to be taken from the cache.
pub fn mark_adopted(conn: &Connection, how: &str) -> Result<(), rusqlite::Error> {
    conn.execute(
        "INSERT INTO meta (name, value) VALUES ('legacy', ?1)
         ON CONFLICT (name) DO UPDATE SET value = ?1",
        params![how],
    )?;
    Ok(())
}

/// Move the outbox, audit and rotation of an older tandem's `cache.db` here, once. The copy
/// keeps ids and ignores rows already here, so a crash half-way is simply done again. A
/// cache that cannot be read at that moment may hold unsent actions: refuse, and name the
/// salvage, rather than lose them.
fn adopt_legacy(dir: &Path, conn: &mut Connection) -> Result<(), DiskError> {
    if adopted(conn)? {
        return Ok(());
    }
    let cache = dir.join(CACHE_FILE);
    if !cache.exists() {
        mark_adopted(conn, "none")?;
        return Ok(());
    }
    match copy_legacy(conn, &cache) {
        Ok(rows) => {
            mark_adopted(conn, &format!("{rows} rows"))?;
            if rows > 0 {
                tracing::info!(rows, "moved the outbox out of the cache into its own file");
            }
            Ok(())
        }
        Err(e) => {
            let _ = conn.execute("DETACH DATABASE legacy", []);
            Err(damaged(
                dir,
                &cache,
                format!("an older tandem kept the outbox in it, and it cannot be read: {e}"),
            ))
        }
    }
}

fn copy_legacy(conn: &mut Connection, cache: &Path) -> Result<usize, rusqlite::Error> {
    conn.execute(
        "ATTACH DATABASE ?1 AS legacy",
        params![cache.to_string_lossy()],
    )?;
    let has_outbox: i64 = conn.query_row(
        "SELECT count(*) FROM legacy.sqlite_master WHERE type = 'table' AND name = 'outbox'",
        [],
        |r| r.get(0),
    )?;
    let mut rows = 0;
    if has_outbox > 0 {
        let tx = conn.transaction()?;
        for table in TABLES {
            rows += tx.execute(
                &format!("INSERT OR IGNORE INTO main.{table} SELECT * FROM legacy.{table}"),
                [],
            )?;
        }
        for table in TABLES {
            tx.execute(&format!("DROP TABLE legacy.{table}"), [])?;
        }
        tx.commit()?;
    }
    conn.execute("DETACH DATABASE legacy", [])?;
    Ok(rows)
}

/// The outbox path of a data dir.
pub fn path_in(dir: &Path) -> PathBuf {
    dir.join(FILE)
}
