//! The cache's schema, one migration per version. A migration is never edited once
//! released: a change is a new entry, so an older file always upgrades in order.

use rusqlite_migration::{M, Migrations};

/// Version 1: records keyed by (source, kind, id), each source's sync cursor and
/// first-load mark, and a daily history of every lead for the standup view.
const V1: &str = "
CREATE TABLE record (
    source     TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    updated_ms INTEGER NOT NULL,
    body       TEXT    NOT NULL,
    PRIMARY KEY (source, kind, id)
) WITHOUT ROWID;

CREATE TABLE sync_state (
    source       TEXT PRIMARY KEY,
    cursor       TEXT,
    loaded_at_ms INTEGER
) WITHOUT ROWID;

CREATE TABLE lead_day (
    day       TEXT NOT NULL,
    source    TEXT NOT NULL,
    lead_id   TEXT NOT NULL,
    stage     TEXT,
    owner_id  TEXT,
    sla_state TEXT,
    PRIMARY KEY (day, source, lead_id)
) WITHOUT ROWID;
";

pub fn all() -> Migrations<'static> {
    Migrations::new(vec![M::up(V1)])
}

/// The newest schema this binary knows.
pub fn latest() -> usize {
    1
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        assert!(super::all().validate().is_ok());
    }
}
