//! The local cache as the app uses it: read once at start so the cockpit opens on the last
//! good pipeline, then fed every change the sources send, on a thread of its own so a large
//! page never stalls a frame.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};

use crate::domain::{Deal, DealStage, Lead, Note, Owner};
use crate::store::disk::{Cached, DayRow, Disk, DiskError, Kind};

/// One change to write.
#[derive(Debug)]
pub enum Write {
    Records {
        leads: Vec<Lead>,
        deals: Vec<Deal>,
        notes: Vec<Note>,
    },
    Reference {
        owners: Vec<Owner>,
        deal_stages: Vec<DealStage>,
    },
    Removed {
        leads: Vec<String>,
        deals: Vec<String>,
        notes: Vec<String>,
    },
    /// The source's first complete load finished: the cache now holds the whole pipeline.
    Loaded(DateTime<Utc>),
    /// Where incremental sync resumes.
    Cursor(crate::sources::Cursor),
    /// Each lead's state today (the standup's "since yesterday" reads these back).
    Day(chrono::NaiveDate, Vec<DayRow>),
}

/// The writer thread and the key the source's records are filed under.
pub struct Cache {
    tx: Option<mpsc::Sender<Write>>,
    writer: Option<JoinHandle<()>>,
}

/// What opening the cache found.
pub struct Opened {
    pub cache: Cache,
    pub cached: Cached,
    /// Where polling can resume, when the cache holds a complete load: a warm start costs
    /// one incremental request per object type instead of a full load.
    pub cursor: Option<crate::sources::Cursor>,
    /// Where an unreadable file was moved before starting afresh; worth telling the user.
    pub moved_aside: Option<PathBuf>,
}

/// `$XDG_DATA_HOME/tandem/cache.db` (or the platform's equivalent), unless `data_dir` says
/// otherwise.
pub fn cache_path(data_dir: Option<&Path>) -> Option<PathBuf> {
    let dir = match data_dir {
        Some(d) => d.to_path_buf(),
        None => directories::ProjectDirs::from("", "", "tandem")?
            .data_dir()
            .to_path_buf(),
    };
    Some(dir.join("cache.db"))
}

impl Cache {
    /// Open the file, read what it holds for `key`, and start the writer.
    pub fn open(path: &Path, key: &str) -> Result<Opened, DiskError> {
        let (disk, cached, cursor, moved_aside) = match read(path, key) {
            // Damage SQLite only meets past the header (a truncated file, bytes in a row that
            // no longer decode): the same remedy.
            Err(DiskError::Sql(e)) if crate::store::disk::is_damaged_content(&e) => {
                let aside = crate::store::disk::move_aside(path, "corrupt").map_err(|e| {
                    DiskError::Unusable {
                        path: path.to_path_buf(),
                        reason: e.to_string(),
                    }
                })?;
                let (disk, cached, cursor, _) = read(path, key)?;
                (disk, cached, cursor, Some(aside))
            }
            other => other?,
        };
        let (tx, rx) = mpsc::channel();
        let key = key.to_string();
        let older = cached.older_lead_bodies;
        let writer = std::thread::Builder::new()
            .name("tandem-cache".into())
            .spawn(move || write_on(disk, &key, &rx, older))
            .map_err(|e| DiskError::Unusable {
                path: path.to_path_buf(),
                reason: format!("cannot start the cache writer: {e}"),
            })?;
        Ok(Opened {
            cache: Cache {
                tx: Some(tx),
                writer: Some(writer),
            },
            cached,
            cursor,
            moved_aside,
        })
    }

    pub fn send(&self, write: Write) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(write);
        }
    }
}

/// Lead bodies re-encoded per slice, between writes.
const UPGRADE_SLICE: usize = 2_000;

/// The writer: every change sent, in order; while none waits and the cache holds `older`
/// lead bodies in a former form, those are re-encoded a slice at a time.
fn write_on(mut disk: Disk, key: &str, rx: &mpsc::Receiver<Write>, older: usize) {
    let mut upgrade = (older > 0).then(String::new);
    loop {
        let write = match upgrade {
            Some(_) => match rx.try_recv() {
                Ok(write) => write,
                Err(mpsc::TryRecvError::Disconnected) => return,
                Err(mpsc::TryRecvError::Empty) => {
                    let after = upgrade.take().unwrap_or_default();
                    match disk.upgrade_leads(key, &after, UPGRADE_SLICE) {
                        Ok(Some(next)) => upgrade = Some(next),
                        Ok(None) => tracing::info!(older, "older lead bodies re-encoded"),
                        Err(e) => tracing::warn!(error = %e, "cannot re-encode the cache"),
                    }
                    continue;
                }
            },
            None => match rx.recv() {
                Ok(write) => write,
                Err(_) => return,
            },
        };
        if let Err(e) = apply(&mut disk, key, write) {
            // The cache is a convenience: the cockpit runs on without it.
            tracing::warn!(error = %e, "cannot write the local cache");
        }
    }
}

/// Open the cache and read what it holds for `key`, with where an unreadable file went.
fn read(
    path: &Path,
    key: &str,
) -> Result<
    (
        Disk,
        Cached,
        Option<crate::sources::Cursor>,
        Option<PathBuf>,
    ),
    DiskError,
> {
    let opened = Disk::open(path)?;
    let cached = opened.disk.load(key)?;
    let cursor = match cached.loaded_at {
        Some(_) => opened.disk.cursor(key)?,
        None => None,
    };
    Ok((opened.disk, cached, cursor, opened.moved_aside))
}

impl Drop for Cache {
    /// Everything sent is on disk before the process goes on (or exits).
    fn drop(&mut self) {
        self.tx.take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

fn apply(disk: &mut Disk, key: &str, write: Write) -> Result<(), DiskError> {
    match write {
        Write::Records {
            leads,
            deals,
            notes,
        } => {
            disk.put(
                key,
                Kind::Lead,
                leads.iter().map(|l| (l.id.as_str(), l.updated_at, l)),
            )?;
            disk.put(
                key,
                Kind::Deal,
                deals.iter().map(|d| (d.id.as_str(), d.updated_at, d)),
            )?;
            disk.put(
                key,
                Kind::Note,
                notes.iter().map(|n| (n.id.as_str(), n.at, n)),
            )?;
        }
        Write::Reference {
            owners,
            deal_stages,
        } => {
            disk.replace(key, Kind::Owner, owners.iter().map(|o| (o.id.as_str(), o)))?;
            disk.replace(
                key,
                Kind::DealStage,
                deal_stages.iter().map(|s| (s.id.as_str(), s)),
            )?;
        }
        Write::Removed {
            leads,
            deals,
            notes,
        } => {
            disk.remove(key, Kind::Lead, &leads)?;
            disk.remove(key, Kind::Deal, &deals)?;
            disk.remove(key, Kind::Note, &notes)?;
        }
        Write::Loaded(at) => disk.set_loaded(key, at)?,
        Write::Day(day, rows) => disk.record_day(day, key, &rows)?,
        Write::Cursor(cursor) => disk.set_cursor(key, &cursor)?,
    }
    Ok(())
}

/// Cached leads classified by today's stage rules: a rule edited since they were written
/// applies at once, not after the next load.
/// A million of them at a start: the halves go to two threads.
pub fn reclassify(leads: &mut [Lead], stages: &crate::domain::catalog::StageCatalog) {
    fn each(leads: &mut [Lead], stages: &crate::domain::catalog::StageCatalog) {
        for lead in leads {
            lead.stage = stages.classify_interned(|name| lead.props.value_of(name));
        }
    }
    const ALONE: usize = 50_000;
    if leads.len() < ALONE {
        return each(leads, stages);
    }
    let (first, second) = leads.split_at_mut(leads.len() / 2);
    std::thread::scope(|s| {
        s.spawn(|| each(first, stages));
        each(second, stages);
    });
}

/// The leads whose stage, owner or SLA state changed since the last rows written, as one
/// day's history rows. `written` holds a fingerprint of each lead's last written row, by
/// its place in the store (a lead that moved place is written again, which changes nothing).
pub fn day_rows(
    store: &crate::store::Store,
    snapshot: &crate::domain::snapshot::Snapshot,
    now: DateTime<Utc>,
    written: &mut Vec<u64>,
) -> Vec<DayRow> {
    use crate::domain::sla::SlaState;
    use std::hash::{Hash, Hasher};
    let leads = store.leads();
    written.resize(leads.len(), 0);
    let mut out = Vec::new();
    for (i, lead) in leads.iter().enumerate() {
        let sla = snapshot
            .board
            .timer_of(i, lead)
            .map(|t| match t.state(now) {
                SlaState::Running => "running",
                SlaState::Warning => "warning",
                SlaState::Breached => "breached",
                SlaState::Escalated => "escalated",
            });
        let stage = lead.stage.map(|s| s.id());
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (&lead.id, stage, &lead.owner_id, sla).hash(&mut h);
        // Never 0, so a fresh slot always differs.
        let print = h.finish() | 1;
        if written[i] == print {
            continue;
        }
        written[i] = print;
        out.push(DayRow {
            lead_id: lead.id.to_string(),
            stage: stage.map(str::to_string),
            owner_id: lead.owner_id.map(String::from),
            sla_state: sla.map(str::to_string),
            print,
        });
    }
    out
}

/// A store holding what the cache had, classified by today's stage rules of the vendor
/// the records came from (`key`, as filed): props are that vendor's own, so another
/// vendor's rules never read them.
pub fn store_from(
    cached: Cached,
    stages: &crate::domain::catalog::StageCatalog,
    key: &str,
) -> crate::store::Store {
    let own = crate::sources::Vendor::of_key(key).map(|v| stages.for_vendors(v.rules()));
    let stages = own.as_ref().unwrap_or(stages);
    let mut leads = cached.leads;
    reclassify(&mut leads, stages);
    let mut store = crate::store::Store::default();
    store.set_owners(cached.owners);
    store.set_deal_stages(cached.deal_stages);
    store.upsert_leads(leads);
    store.upsert_deals(cached.deals);
    store.upsert_notes(cached.notes);
    store
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cached lead holding one vendor's status and, by some accident, another's.
    fn cached(props: &[(&str, &str)]) -> Cached {
        let mut lead = crate::domain::lead::tests_support::lead_in(crate::domain::Stage::Inquiry);
        for (k, v) in props {
            lead.props.insert((*k).into(), (*v).into());
        }
        Cached {
            leads: vec![lead],
            day_prints: vec![0],
            lead_keys: vec![0],
            older_lead_bodies: 0,
            deals: Vec::new(),
            notes: Vec::new(),
            owners: Vec::new(),
            deal_stages: Vec::new(),
            loaded_at: None,
        }
    }

    #[test]
    fn cached_leads_are_classified_by_their_own_vendors_rules_only() {
        use crate::domain::Stage;
        let stages = crate::config::Config::builtin().stages;
        let props = [
            ("Status", "Working - Contacted"),
            ("lifecyclestage", "lead"),
        ];
        let stage = |key: &str| store_from(cached(&props), &stages, key).leads()[0].stage;
        // A Salesforce lead's stage is its Status; HubSpot's rules never read its props.
        assert_eq!(stage("salesforce@http://sf"), Some(Stage::Sal));
        assert_eq!(stage("salesforce+marketo@http://sf"), Some(Stage::Sal));
        assert_eq!(stage("hubspot@http://hs"), Some(Stage::Inquiry));
    }

    #[test]
    fn day_history_gets_only_the_leads_that_changed() {
        use crate::domain::Stage;
        use crate::domain::lead::tests_support::lead_in;
        let lead = |id: &str, stage| {
            let mut l = lead_in(stage);
            l.id = id.into();
            l
        };
        let mut store = crate::store::Store::default();
        store.upsert_leads(vec![lead("1", Stage::Inquiry), lead("2", Stage::Mql)]);
        let snapshot = crate::domain::snapshot::Snapshot::default();
        let now = chrono::Utc::now();
        let mut written = Vec::new();
        let ids = |rows: Vec<DayRow>| rows.into_iter().map(|r| r.lead_id).collect::<Vec<_>>();
        assert_eq!(
            ids(day_rows(&store, &snapshot, now, &mut written)),
            ["1", "2"]
        );
        // Nothing moved: nothing to write.
        assert!(day_rows(&store, &snapshot, now, &mut written).is_empty());
        store.upsert_leads(vec![lead("2", Stage::Sal)]);
        let rows = day_rows(&store, &snapshot, now, &mut written);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].lead_id.as_str(), rows[0].stage.as_deref()),
            ("2", Some("sal"))
        );
    }

    /// A restart does not write every lead's day row again: each record keeps what its last
    /// row was, and the new session starts from that.
    #[test]
    fn a_restart_writes_day_rows_only_for_leads_that_changed_since() {
        use crate::domain::Stage;
        use crate::domain::lead::tests_support::lead_in;
        let lead = |id: &str, stage| {
            let mut l = lead_in(stage);
            l.id = id.into();
            l
        };
        let leads = vec![
            lead("3", Stage::Customer),
            lead("1", Stage::Inquiry),
            lead("2", Stage::Mql),
        ];
        let mut disk = Disk::in_memory().unwrap();
        let key = "hubspot@http://hs";
        let records = |leads: Vec<crate::domain::Lead>| Write::Records {
            leads,
            deals: Vec::new(),
            notes: Vec::new(),
        };
        apply(&mut disk, key, records(leads)).unwrap();
        let stages = crate::config::Config::builtin().stages;
        let store = store_from(disk.load(key).unwrap(), &stages, key);
        let snapshot = crate::domain::snapshot::Snapshot::default();
        let now = chrono::Utc::now();
        let day = now.date_naive();
        let rows = day_rows(&store, &snapshot, now, &mut Vec::new());
        assert_eq!(rows.len(), 3);
        apply(&mut disk, key, Write::Day(day, rows)).unwrap();

        // The next start, a day later: the cache's order, with each lead's fingerprint.
        let mut cached = disk.load(key).unwrap();
        let mut written = std::mem::take(&mut cached.day_prints);
        let store = store_from(cached, &stages, key);
        let later = now + chrono::Duration::days(1);
        assert!(day_rows(&store, &snapshot, later, &mut written).is_empty());
        // Without them, every lead would be written again.
        assert_eq!(day_rows(&store, &snapshot, later, &mut Vec::new()).len(), 3);

        // A lead that passed to an owner while tandem was closed is written, alone.
        let mut owned = lead("2", Stage::Mql);
        owned.owner_id = Some("61".into());
        apply(&mut disk, key, records(vec![owned])).unwrap();
        let mut cached = disk.load(key).unwrap();
        let mut written = std::mem::take(&mut cached.day_prints);
        let store = store_from(cached, &stages, key);
        let rows = day_rows(&store, &snapshot, later, &mut written);
        let ids: Vec<&str> = rows.iter().map(|r| r.lead_id.as_str()).collect();
        assert_eq!(ids, ["2"]);
    }
}
