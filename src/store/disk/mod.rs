//! The local SQLite cache: every source's records, its sync cursor, and a daily history of
//! each lead. A start draws from it before any network call, so the cockpit opens on the
//! last good pipeline even with the CRM down.
//!
//! One file (WAL mode, so readers never block the writer), opened by the app. A file written
//! by a newer tandem is refused, never rewritten; a file SQLite cannot read is moved aside
//! and the cache starts empty, to be refilled from the sources. Nothing precious lives here:
//! the outbox, the audit log and the rotation have a file of their own (`store::outbox`).

mod lead_batches;
mod lead_codec;
pub(crate) mod migrations;
mod records;
mod sym_dict;
mod upgrade;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

pub use records::{Cached, DAY_HISTORY_DAYS, DayRow, Kind, Record};

/// The cache, open and migrated.
#[derive(Debug)]
pub struct Disk {
    conn: Connection,
    /// The numbers lead bodies give interned values (`sym_dict`), read at open.
    syms: sym_dict::SymDict,
}

/// Why the cache cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DiskError {
    #[error(
        "{path}: written by a newer tandem (schema {found}, this one knows up to {known}); \
         upgrade tandem or point --data-dir elsewhere"
    )]
    TooNew {
        path: PathBuf,
        found: usize,
        known: usize,
    },
    #[error("{path}: {reason}")]
    Unusable { path: PathBuf, reason: String },
    /// A file that holds what the vendor cannot give back (the outbox) is damaged: nothing
    /// acts on it until it is salvaged. `salvage` is the command that does it.
    #[error(
        "{path} is damaged ({reason}); tandem will not act on a damaged outbox. \
         Run `{salvage}` to keep the file aside and recover every readable action"
    )]
    Damaged {
        path: PathBuf,
        reason: String,
        salvage: String,
    },
    #[error("{0}")]
    Sql(#[from] rusqlite::Error),
}

/// What opening found.
#[derive(Debug)]
pub struct Opened {
    pub disk: Disk,
    /// Where an unreadable file was moved before starting afresh.
    pub moved_aside: Option<PathBuf>,
}

impl Disk {
    /// Open (creating folders and file as needed) and migrate the cache at `path`.
    pub fn open(path: &Path) -> Result<Opened, DiskError> {
        let unusable = |reason: String| DiskError::Unusable {
            path: path.to_path_buf(),
            reason,
        };
        prepare_dir(path)?;
        match Self::open_file(path) {
            Ok(disk) => Ok(Opened {
                disk,
                moved_aside: None,
            }),
            Err(DiskError::Sql(e)) if is_corrupt(&e) => {
                let aside = move_aside(path, "corrupt").map_err(|e| unusable(e.to_string()))?;
                let disk = Self::open_file(path)?;
                Ok(Opened {
                    disk,
                    moved_aside: Some(aside),
                })
            }
            Err(e) => Err(plain(path, e)),
        }
    }

    /// A private cache that lives as long as the value (tests, `--no-cache`).
    pub fn in_memory() -> Result<Disk, DiskError> {
        let conn = connect_memory()?;
        Ok(Disk {
            syms: sym_dict::SymDict::read(&conn)?,
            conn,
        })
    }

    fn open_file(path: &Path) -> Result<Disk, DiskError> {
        let conn = connect(path)?;
        Ok(Disk {
            syms: sym_dict::SymDict::read(&conn)?,
            conn,
        })
    }
}

/// A connection to a cache file: opened, tuned and migrated. Corrupt files are
/// [`Disk::open`]'s business.
fn connect(path: &Path) -> Result<Connection, DiskError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags)?;
    // Reading the header is what exposes a file that is not a database.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // A commit survives the process being killed (WAL); only power loss could lose one.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    migrate(&mut conn, path)?;
    Ok(conn)
}

/// A private, migrated database in memory (tests, `--no-cache`).
fn connect_memory() -> Result<Connection, DiskError> {
    let mut conn = Connection::open_in_memory()?;
    migrate(&mut conn, Path::new(":memory:"))?;
    Ok(conn)
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), DiskError> {
    let found: usize = conn
        .pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))?
        .try_into()
        .unwrap_or(usize::MAX);
    if found > migrations::latest() {
        return Err(DiskError::TooNew {
            path: path.to_path_buf(),
            found,
            known: migrations::latest(),
        });
    }
    migrations::all()
        .to_latest(conn)
        .map_err(|e| DiskError::Unusable {
            path: path.to_path_buf(),
            reason: format!("cannot upgrade the cache: {e}"),
        })
}

pub(crate) fn is_corrupt(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// Whether reading rows failed on what they hold: damage the header and the page checks
/// did not catch (random bytes in a text column), for which a disposable cache is rebuilt.
pub(crate) fn is_damaged_content(e: &rusqlite::Error) -> bool {
    use rusqlite::Error as E;
    is_corrupt(e)
        || matches!(
            e,
            E::Utf8Error(..)
                | E::FromSqlConversionFailure(..)
                | E::InvalidColumnType(..)
                | E::IntegralValueOutOfRange(..)
        )
}

/// Create the file's folder; a data dir that is a file (or cannot be made) is said plainly.
pub(crate) fn prepare_dir(path: &Path) -> Result<(), DiskError> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    let unusable = |reason: String| DiskError::Unusable {
        path: dir.to_path_buf(),
        reason,
    };
    if dir.exists() && !dir.is_dir() {
        return Err(unusable(
            "the data directory is a file, not a directory; point --data-dir at a directory".into(),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| unusable(format!("cannot create it: {e}")))
}

/// SQLite's terse words for a file it cannot open or write, in plain ones.
pub(crate) fn plain(path: &Path, e: DiskError) -> DiskError {
    use rusqlite::ErrorCode::{CannotOpen, PermissionDenied, ReadOnly};
    let DiskError::Sql(sql) = &e else {
        return e;
    };
    let reason = match sql.sqlite_error_code() {
        Some(ReadOnly | PermissionDenied) => {
            "cannot write here: the file or its directory is read-only for this user"
        }
        Some(CannotOpen) => "cannot open or create the file: check the directory's permissions",
        _ => return e,
    };
    DiskError::Unusable {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Rename the file and its WAL companions to `<name>.<why>-<unix seconds>` (and `-wal`,
/// `-shm` after that): the write-ahead log may hold the newest commits, so it goes along.
pub(crate) fn move_aside(path: &Path, why: &str) -> std::io::Result<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let with = |p: &Path, tail: &str| {
        let mut s = p.as_os_str().to_owned();
        s.push(tail);
        PathBuf::from(s)
    };
    let aside = with(path, &format!(".{why}-{stamp}"));
    std::fs::rename(path, &aside)?;
    for ext in ["-wal", "-shm"] {
        let side = with(path, ext);
        if side.exists() {
            std::fs::rename(&side, with(&aside, ext))?;
        }
    }
    Ok(aside)
}

#[cfg(test)]
mod tests;
