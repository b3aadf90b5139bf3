//! The local SQLite cache: every source's records, its sync cursor, and a daily history of
//! each lead. A start draws from it before any network call, so the cockpit opens on the
//! last good pipeline even with the CRM down.
//!
//! One file (WAL mode, so readers never block the writer), opened by the app. A file written
//! by a newer tandem is refused, never rewritten; a file SQLite cannot read is moved aside
//! and the cache starts empty, to be refilled from the sources.

mod migrations;
mod records;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

pub use records::{Cached, DayRow, Kind};

/// The cache, open and migrated.
#[derive(Debug)]
pub struct Disk {
    conn: Connection,
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
    #[error("local cache: {0}")]
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
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| unusable(format!("cannot create {}: {e}", dir.display())))?;
        }
        match Self::open_file(path) {
            Ok(disk) => Ok(Opened {
                disk,
                moved_aside: None,
            }),
            Err(DiskError::Sql(e)) if is_corrupt(&e) => {
                let aside = move_aside(path).map_err(|e| unusable(e.to_string()))?;
                let disk = Self::open_file(path)?;
                Ok(Opened {
                    disk,
                    moved_aside: Some(aside),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// A private cache that lives as long as the value (tests, `--no-cache`).
    pub fn in_memory() -> Result<Disk, DiskError> {
        Ok(Disk {
            conn: connect_memory()?,
        })
    }

    fn open_file(path: &Path) -> Result<Disk, DiskError> {
        Ok(Disk {
            conn: connect(path)?,
        })
    }
}

/// A further connection to a cache file (the outbox's, in the same file): opened, tuned and
/// migrated the same way. Corrupt files are [`Disk::open`]'s business, which runs first.
pub fn connect(path: &Path) -> Result<Connection, DiskError> {
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
pub fn connect_memory() -> Result<Connection, DiskError> {
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

fn is_corrupt(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// Rename the file (and its WAL companions) to `<name>.corrupt-<unix seconds>`.
fn move_aside(path: &Path) -> std::io::Result<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".corrupt-{stamp}"));
    let aside = PathBuf::from(aside);
    std::fs::rename(path, &aside)?;
    for ext in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(ext);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    Ok(aside)
}

#[cfg(test)]
mod tests;
