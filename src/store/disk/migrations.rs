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

/// Version 2: the outbox (every action, written before any HTTP call, with its saga step
/// and a lease so two processes never send one entry), one audit row per action, and the
/// hand-off rotation shared by everyone using this data dir.
///
/// These tables now live in `outbox.db` (`store::outbox::file`), whose schema starts from
/// this very text so an older cache's rows copy over column for column; in a cache they
/// stay empty.
pub(crate) const V2: &str = "
CREATE TABLE outbox (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    key            TEXT    NOT NULL UNIQUE,
    source         TEXT    NOT NULL,
    lead_id        TEXT    NOT NULL,
    lead_name      TEXT    NOT NULL,
    actor          TEXT    NOT NULL,
    actor_owner    TEXT,
    action         TEXT    NOT NULL,
    seen           TEXT    NOT NULL,
    created_ms     INTEGER NOT NULL,
    state          TEXT    NOT NULL,
    steps_done     INTEGER NOT NULL DEFAULT 0,
    steps_total    INTEGER NOT NULL,
    detail         TEXT,
    tries          INTEGER NOT NULL DEFAULT 0,
    lease          TEXT,
    lease_until_ms INTEGER,
    wrote_ms       INTEGER,
    conflict_seen  TEXT,
    updated_ms     INTEGER NOT NULL
);
CREATE INDEX outbox_state ON outbox (source, state, id);
CREATE INDEX outbox_lead ON outbox (source, lead_id, id);

CREATE TABLE audit (
    entry       INTEGER PRIMARY KEY,
    at_ms       INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    actor_owner TEXT,
    verb        TEXT    NOT NULL,
    lead_id     TEXT    NOT NULL,
    lead_name   TEXT    NOT NULL,
    what        TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    detail      TEXT,
    finished_ms INTEGER
);
CREATE INDEX audit_at ON audit (at_ms);

CREATE TABLE rotation (
    source   TEXT    NOT NULL,
    rotation TEXT    NOT NULL,
    turns    INTEGER NOT NULL,
    PRIMARY KEY (source, rotation)
) WITHOUT ROWID;
";

/// Version 3: a lead carries its raw vendor properties in one map (no vendor fields): the
/// cached leads and load marks are dropped, so the next start loads afresh. The cache is
/// disposable; the outbox lives apart.
const V3: &str = "
DELETE FROM record WHERE kind = 'lead';
UPDATE sync_state SET cursor = NULL, loaded_at_ms = NULL;
";

/// Version 4: `lead_day` holds a row only when a lead's stage, owner or SLA state changed
/// (its state on a day is its latest row up to that day), so it is read by lead.
const V4: &str = "
CREATE INDEX lead_day_by_lead ON lead_day (source, lead_id, day);
";

/// Version 5: each lead's record keeps the fingerprint of its last day-history row, so a
/// start knows what the history already holds instead of writing every lead again.
const V5: &str = "
ALTER TABLE record ADD COLUMN day_print INTEGER;
";

/// Version 6: the cache's numbers for interned values (company, country, properties…),
/// which a lead's body names by number instead of repeating the text (`sym_dict`).
const V6: &str = "
CREATE TABLE sym (
    n    INTEGER PRIMARY KEY,
    text TEXT    NOT NULL
);
";

pub fn all() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(V1),
        M::up(V2),
        M::up(V3),
        M::up(V4),
        M::up(V5),
        M::up(V6),
    ])
}

/// The newest schema this binary knows.
pub fn latest() -> usize {
    6
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        assert!(super::all().validate().is_ok());
    }
}
