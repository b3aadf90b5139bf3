//! The cache on disk: round trips, reopening, a newer file refused, a corrupt file moved aside.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{NaiveDate, TimeZone, Utc};

use super::*;
use crate::domain::lead::tests_support::lead_in;
use crate::domain::{Lead, Owner, Stage, Team};

/// A fresh path in the system's temp folder, unique per test run and call.
fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "tandem-disk-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn leads() -> Vec<Lead> {
    let mut a = lead_in(Stage::Mql);
    a.id = "501".into();
    a.card = a.card.with_name("Priya Natarajan");
    let mut b = lead_in(Stage::Sal);
    b.id = "502".into();
    b.owner_id = Some("61".into());
    vec![a, b]
}

fn put_leads(disk: &mut Disk, source: &str, rows: &[Lead]) {
    disk.put(
        source,
        Kind::Lead,
        rows.iter().map(|l| (l.id.as_str(), l.updated_at, l)),
    )
    .unwrap();
}

#[test]
fn leads_are_stored_compact_and_a_json_lead_from_before_still_reads() {
    let mut disk = Disk::in_memory().unwrap();
    let rows = leads();
    put_leads(&mut disk, "hubspot", &rows[..1]);
    let (kind, bytes): (String, i64) = disk
        .conn
        .query_row(
            "SELECT typeof(body), length(body) FROM record WHERE id = '501'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let json = serde_json::to_string(&rows[1]).unwrap();
    assert_eq!(kind, "blob");
    assert!((bytes as usize) * 3 < json.len(), "{bytes} bytes");
    // A cache written before the binary form holds JSON text: it still loads.
    disk.conn
        .execute(
            "INSERT INTO record (source, kind, id, updated_ms, body)
             VALUES ('hubspot', 'lead', '502', 0, ?1)",
            [&json],
        )
        .unwrap();
    assert_eq!(disk.load("hubspot").unwrap().leads, rows);
}

/// Bodies an older tandem wrote (JSON, interned values as text) load, are counted, and
/// are re-encoded slice by slice into the current form, which loads the same leads.
#[test]
fn older_lead_bodies_are_counted_and_re_encoded_in_slices() {
    let mut disk = Disk::in_memory().unwrap();
    let mut rows = leads();
    let mut third = lead_in(Stage::Sql);
    third.id = "503".into();
    rows.push(third);
    put_leads(&mut disk, "hubspot", &rows);
    put_leads(&mut disk, "other", &rows[..1]);
    let older = [
        (
            "501",
            rusqlite::types::Value::Blob(super::lead_codec::encode_text(&rows[0])),
        ),
        (
            "503",
            rusqlite::types::Value::Text(serde_json::to_string(&rows[2]).unwrap()),
        ),
    ];
    for (id, body) in older {
        disk.conn
            .execute(
                "UPDATE record SET body = ?1 WHERE source = 'hubspot' AND id = ?2",
                rusqlite::params![body, id],
            )
            .unwrap();
    }
    let loaded = disk.load("hubspot").unwrap();
    assert_eq!(loaded.leads, rows);
    assert_eq!(loaded.older_lead_bodies, 2);
    assert_eq!(disk.load("other").unwrap().older_lead_bodies, 0);

    let mut after = String::new();
    let mut slices = 0;
    while let Some(next) = disk.upgrade_leads("hubspot", &after, 1).unwrap() {
        after = next;
        slices += 1;
        assert!(slices <= rows.len(), "the slices move on");
    }
    let loaded = disk.load("hubspot").unwrap();
    assert_eq!(loaded.leads, rows);
    assert_eq!(
        loaded.older_lead_bodies, 0,
        "every body in the current form"
    );
}

/// Two tandems on one file (two cockpits on a shared box) each number the values they
/// meet: the one that writes second finds its numbers taken, reads the table again and
/// writes under the next ones. Both leads then load with their own companies.
#[test]
fn two_writers_on_one_file_never_share_a_number() {
    let path = scratch("cache.db");
    let mut first = Disk::open(&path).unwrap().disk;
    let mut second = Disk::open(&path).unwrap().disk;
    let mut a = lead_in(Stage::Mql);
    a.id = "601".into();
    a.company = "Alpha Co".into();
    let mut b = lead_in(Stage::Sal);
    b.id = "602".into();
    b.company = "Beta Co".into();
    put_leads(&mut first, "hubspot", std::slice::from_ref(&a));
    put_leads(&mut second, "hubspot", std::slice::from_ref(&b));
    drop((first, second));
    let loaded = Disk::open(&path).unwrap().disk.load("hubspot").unwrap();
    assert_eq!(loaded.leads, vec![a, b]);
}

#[test]
fn records_round_trip_per_source_and_upsert_by_id() {
    let mut disk = Disk::in_memory().unwrap();
    let rows = leads();
    put_leads(&mut disk, "hubspot", &rows);
    // The same id from another source is another record.
    put_leads(&mut disk, "salesforce", &rows[..1]);
    let owner = Owner {
        id: "61".into(),
        name: "Dana Kim".into(),
        email: "dana@example.com".into(),
        team: Some(Team::Sales),
    };
    disk.replace("hubspot", Kind::Owner, [(owner.id.as_str(), &owner)])
        .unwrap();
    let cached = disk.load("hubspot").unwrap();
    assert_eq!(cached.leads, rows);
    assert_eq!(cached.owners, vec![owner]);
    assert_eq!(disk.load("salesforce").unwrap().leads, rows[..1]);

    let mut moved = rows[0].clone();
    moved.stage = Some(Stage::Sal);
    put_leads(&mut disk, "hubspot", std::slice::from_ref(&moved));
    disk.remove("hubspot", Kind::Lead, &["502".to_string()])
        .unwrap();
    assert_eq!(disk.load("hubspot").unwrap().leads, vec![moved]);
    assert_eq!(disk.load("salesforce").unwrap().leads.len(), 1);
}

#[test]
fn cursor_first_load_mark_and_history_survive_a_reopen() {
    let path = scratch("cache.db");
    let at = Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    {
        let mut disk = Disk::open(&path).unwrap().disk;
        put_leads(&mut disk, "hubspot", &leads());
        disk.set_cursor(
            "hubspot",
            &serde_json::json!({"contacts": 1764493200000_i64}),
        )
        .unwrap();
        disk.set_loaded("hubspot", at).unwrap();
        let row = DayRow {
            lead_id: "501".into(),
            stage: Some("mql".into()),
            owner_id: None,
            sla_state: Some("breached".into()),
            print: 0,
        };
        disk.record_day(day, "hubspot", std::slice::from_ref(&row))
            .unwrap();
        // Writing the same day again overwrites, it does not duplicate.
        disk.record_day(day, "hubspot", &[row]).unwrap();
    }
    let opened = Disk::open(&path).unwrap();
    assert!(opened.moved_aside.is_none());
    let disk = opened.disk;
    let cached = disk.load("hubspot").unwrap();
    assert_eq!(cached.leads, leads());
    assert_eq!(cached.loaded_at, Some(at));
    let cursor: serde_json::Value = disk.cursor("hubspot").unwrap().unwrap();
    assert_eq!(cursor["contacts"], 1764493200000_i64);
    assert_eq!(disk.day(day, "hubspot").unwrap().len(), 1);
    assert!(
        disk.cursor::<serde_json::Value>("marketo")
            .unwrap()
            .is_none()
    );
    assert_eq!(disk.load("marketo").unwrap(), Cached::default());
}

/// The day history holds changes: a lead's state on a day is its latest row up to that day,
/// and rows past the kept window go, except each lead's last one before it.
#[test]
fn day_history_is_read_as_of_a_day_and_pruned_to_the_kept_window() {
    let path = scratch("day_history");
    let mut disk = Disk::open(&path).unwrap().disk;
    let row = |id: &str, stage: &str| DayRow {
        lead_id: id.into(),
        stage: Some(stage.into()),
        owner_id: None,
        sla_state: None,
        print: 0,
    };
    let d = |n: u64| {
        NaiveDate::from_ymd_opt(2026, 9, 1)
            .unwrap()
            .checked_add_days(chrono::Days::new(n))
            .unwrap()
    };
    disk.record_day(d(0), "hubspot", &[row("1", "inquiry"), row("2", "mql")])
        .unwrap();
    // Day 3: only lead 1 moved.
    disk.record_day(d(3), "hubspot", &[row("1", "mql")])
        .unwrap();
    let stages = |rows: Vec<DayRow>| {
        rows.into_iter()
            .map(|r| (r.lead_id, r.stage.unwrap_or_default()))
            .collect::<Vec<_>>()
    };
    let on = |disk: &Disk, n| stages(disk.day(d(n), "hubspot").unwrap());
    assert_eq!(
        on(&disk, 2),
        [("1".into(), "inquiry".into()), ("2".into(), "mql".into())]
    );
    assert_eq!(
        on(&disk, 5),
        [("1".into(), "mql".into()), ("2".into(), "mql".into())]
    );
    assert_eq!(disk.day_rows_held("hubspot").unwrap(), 3);
    // Far later: lead 1's first row is superseded within the pruned past and goes; each
    // lead's state as of then stays answerable.
    let later = 3 + DAY_HISTORY_DAYS + 1;
    disk.record_day(d(later), "hubspot", &[row("2", "sal")])
        .unwrap();
    assert_eq!(disk.day_rows_held("hubspot").unwrap(), 3);
    assert_eq!(
        on(&disk, later),
        [("1".into(), "mql".into()), ("2".into(), "sal".into())]
    );
}

#[test]
fn a_cache_from_a_newer_tandem_is_refused_and_left_alone() {
    let path = scratch("newer.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = Disk::open(&path).unwrap_err();
    assert!(matches!(err, DiskError::TooNew { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("newer tandem"), "{err}");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, 99, "the file must not be rewritten");
}

#[test]
fn an_older_cache_is_upgraded_in_place() {
    let path = scratch("older.db");
    // Version 0: a file an earlier tandem created before any schema existed.
    rusqlite::Connection::open(&path).unwrap();
    let mut disk = Disk::open(&path).unwrap().disk;
    put_leads(&mut disk, "hubspot", &leads());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v as usize, migrations::latest());
}

#[test]
fn a_corrupt_file_is_moved_aside_and_the_cache_starts_empty() {
    let path = scratch("corrupt.db");
    let garbage = b"this is not a database, it is a shopping list: eggs, milk".repeat(100);
    std::fs::write(&path, &garbage).unwrap();
    let opened = Disk::open(&path).unwrap();
    let aside = opened.moved_aside.expect("moved aside");
    assert!(
        aside.to_string_lossy().contains("corrupt.db.corrupt-"),
        "{aside:?}"
    );
    assert_eq!(
        std::fs::read(&aside).unwrap(),
        garbage,
        "kept for inspection"
    );
    let mut disk = opened.disk;
    assert_eq!(disk.load("hubspot").unwrap(), Cached::default());
    put_leads(&mut disk, "hubspot", &leads());
    assert_eq!(disk.load("hubspot").unwrap().leads.len(), 2);
}

#[test]
fn sqlites_terse_words_become_plain_ones_and_a_file_is_no_data_dir() {
    let readonly = DiskError::Sql(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY),
        Some("attempt to write a readonly database".into()),
    ));
    let said = super::plain(std::path::Path::new("/srv/t/cache.db"), readonly).to_string();
    assert_eq!(
        said,
        "/srv/t/cache.db: cannot write here: the file or its directory is read-only for this user"
    );
    assert!(!said.contains("readonly database"));

    let file = std::env::temp_dir().join(format!("tandem-not-a-dir-{:x}", fastrand::u64(..)));
    std::fs::write(&file, "x").unwrap();
    for err in [
        Disk::open(&file.join("cache.db")).unwrap_err().to_string(),
        crate::store::outbox::Outbox::open(&file)
            .unwrap_err()
            .to_string(),
    ] {
        assert!(
            err.contains("the data directory is a file, not a directory"),
            "{err}"
        );
        assert!(!err.contains("does not exist"), "{err}");
    }
}
