//! The last good data from every source, in vendor-neutral records.
//!
//! Only the app loop writes here (applying sync events); panes read through the snapshot.

pub mod disk;
pub mod outbox;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::kpi::PeriodKind;
use crate::domain::snapshot::{Snapshot, SnapshotInput};
use crate::domain::{Deal, DealStage, Lead, Note, Owner};

/// A record kept in a [`Table`], found by its id.
/// A record's id hashed to 8 bytes: how the reconciliation ledger holds a million ids.
/// SipHash with fixed keys, so every thread and every pass gives one id the same key.
pub fn id_key(id: &str) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

pub trait Keyed {
    fn key(&self) -> &str;
}

impl Keyed for Lead {
    fn key(&self) -> &str {
        &self.id
    }
}

impl Keyed for Deal {
    fn key(&self) -> &str {
        &self.id
    }
}

impl Keyed for Note {
    fn key(&self) -> &str {
        &self.id
    }
}

/// Upsert-by-id storage that keeps a stable order for rendering. The index holds only each
/// row's place (4 bytes, found by hashing the row's own id), not a second copy of every id:
/// at a million leads that is ~6 MB instead of ~70.
struct Table<T> {
    rows: Vec<T>,
    index: hashbrown::HashTable<u32>,
    hasher: foldhash::fast::RandomState,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            index: hashbrown::HashTable::new(),
            hasher: foldhash::fast::RandomState::default(),
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Table<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.rows).finish()
    }
}

fn place(i: usize) -> u32 {
    u32::try_from(i).expect("fewer than four billion records of a kind")
}

impl<T: PartialEq + Keyed> Table<T> {
    fn hash(&self, id: &str) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one(id)
    }

    /// Where the row with `id` sits.
    fn place_of(&self, id: &str) -> Option<usize> {
        let rows = &self.rows;
        self.index
            .find(self.hash(id), |&i| rows[i as usize].key() == id)
            .map(|&i| i as usize)
    }

    /// Index row `i` under its id (not yet indexed).
    fn index_row(&mut self, i: usize) {
        let hash = self.hash(self.rows[i].key());
        let (rows, hasher) = (&self.rows, &self.hasher);
        self.index.insert_unique(hash, place(i), |&j| {
            use std::hash::BuildHasher;
            hasher.hash_one(rows[j as usize].key())
        });
    }

    /// Insert or replace; returns whether anything changed.
    fn upsert(&mut self, row: T) -> bool {
        self.upsert_at(row).is_some()
    }

    /// Insert or replace; if anything changed, the row's index and the row it replaced.
    fn upsert_at(&mut self, row: T) -> Option<(usize, Option<T>)> {
        match self.place_of(row.key()) {
            Some(i) if self.rows[i] == row => None,
            Some(i) => Some((i, Some(std::mem::replace(&mut self.rows[i], row)))),
            None => {
                let i = self.rows.len();
                self.rows.push(row);
                self.index_row(i);
                Some((i, None))
            }
        }
    }

    /// Fill an empty table with `rows` in place; a later row with an id already seen
    /// replaces the earlier one, as upserting them in turn would.
    fn adopt(&mut self, rows: Vec<T>) {
        debug_assert!(self.rows.is_empty());
        self.rows = rows;
        self.index = hashbrown::HashTable::with_capacity(self.rows.len());
        let mut repeated = false;
        let (rows, hasher) = (&self.rows, &self.hasher);
        for (i, row) in rows.iter().enumerate() {
            // One hash a row: the lookup and the insert share it.
            use std::hash::BuildHasher;
            let entry = self.index.entry(
                hasher.hash_one(row.key()),
                |&j| rows[j as usize].key() == row.key(),
                |&j| hasher.hash_one(rows[j as usize].key()),
            );
            match entry {
                hashbrown::hash_table::Entry::Occupied(_) => {
                    repeated = true;
                    break;
                }
                hashbrown::hash_table::Entry::Vacant(slot) => {
                    slot.insert(place(i));
                }
            }
        }
        if repeated {
            // Rare (ids are unique per source in the cache): fall back to one by one.
            let rows = std::mem::take(&mut self.rows);
            self.index.clear();
            for row in rows {
                self.upsert(row);
            }
        }
    }

    /// Room for `more` rows; on an empty table, exactly that many.
    fn reserve(&mut self, more: usize) {
        self.rows.reserve(more);
        let (rows, hasher) = (&self.rows, &self.hasher);
        self.index.reserve(more, |&j| {
            use std::hash::BuildHasher;
            hasher.hash_one(rows[j as usize].key())
        });
    }

    fn shrink_to_fit(&mut self) {
        self.rows.shrink_to_fit();
        let (rows, hasher) = (&self.rows, &self.hasher);
        self.index.shrink_to_fit(|&j| {
            use std::hash::BuildHasher;
            hasher.hash_one(rows[j as usize].key())
        });
    }

    fn get(&self, id: &str) -> Option<&T> {
        self.place_of(id).map(|i| &self.rows[i])
    }

    /// Remove a row; the last row takes its place, so only one index entry moves.
    fn remove(&mut self, id: &str) -> bool {
        let hash = self.hash(id);
        let rows = &self.rows;
        let Ok(entry) = self
            .index
            .find_entry(hash, |&i| rows[i as usize].key() == id)
        else {
            return false;
        };
        let (i, _) = entry.remove();
        let (i, last) = (i as usize, self.rows.len() - 1);
        self.rows.swap_remove(i);
        if i < last {
            // The row that was last now sits at `i`: its entry points there.
            let hash = self.hash(self.rows[i].key());
            if let Some(slot) = self.index.find_mut(hash, |&j| j as usize == last) {
                *slot = place(i);
            }
        }
        true
    }
}

impl crate::domain::snapshot::LeadPlaces for Table<Lead> {
    fn place_of(&self, id: &str) -> Option<usize> {
        Table::place_of(self, id)
    }
}

#[derive(Debug, Default)]
pub struct Store {
    leads: Table<Lead>,
    deals: Table<Deal>,
    notes: Table<Note>,
    owners: Vec<Owner>,
    deal_stages: Vec<DealStage>,
}

impl Store {
    pub fn leads(&self) -> &[Lead] {
        &self.leads.rows
    }

    pub fn lead(&self, id: &str) -> Option<&Lead> {
        self.leads.get(id)
    }

    /// Where the lead with `id` sits in [`leads`](Self::leads).
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.leads.place_of(id)
    }

    pub fn deals(&self) -> &[Deal] {
        &self.deals.rows
    }

    pub fn notes(&self) -> &[Note] {
        &self.notes.rows
    }

    pub fn owners(&self) -> &[Owner] {
        &self.owners
    }

    /// The part of the data a lens keeps: its leads, its deals, the notes on its leads, and
    /// all owners and deal stages. Every pane reads it as if it were the whole store.
    pub fn lensed(&self, kept: &crate::domain::lens::Kept) -> Store {
        let mut out = Store {
            owners: self.owners.clone(),
            deal_stages: self.deal_stages.clone(),
            ..Store::default()
        };
        out.upsert_leads(
            self.leads()
                .iter()
                .filter(|l| kept.leads.contains(l.id.as_str()))
                .cloned()
                .collect(),
        );
        out.upsert_deals(
            self.deals()
                .iter()
                .filter(|d| kept.deals.contains(&d.id))
                .cloned()
                .collect(),
        );
        out.upsert_notes(
            self.notes()
                .iter()
                .filter(|n| n.lead_ids.iter().any(|id| kept.leads.contains(id.as_str())))
                .cloned()
                .collect(),
        );
        out
    }

    /// How many times a lead was recycled, from the recycle notes on it.
    pub fn recycles_of(&self, lead_id: &str) -> usize {
        self.notes()
            .iter()
            .filter(|n| {
                matches!(n.kind, crate::domain::feedback::NoteKind::Recycle { .. })
                    && n.lead_ids.iter().any(|id| id == lead_id)
            })
            .count()
    }

    pub fn owner(&self, id: &str) -> Option<&Owner> {
        self.owners.iter().find(|o| o.id == id)
    }

    pub fn deal_stages(&self) -> &[DealStage] {
        &self.deal_stages
    }

    /// Give back the room a load's page-by-page growth left spare (up to half of each
    /// table), once the load is complete.
    pub fn shrink_to_fit(&mut self) {
        self.leads.shrink_to_fit();
        self.deals.shrink_to_fit();
        self.notes.shrink_to_fit();
    }

    /// Returns whether anything changed, so the loop can skip rebuilding and redrawing.
    /// A lead's history is one block at its exact size, so there is nothing to tidy.
    pub fn upsert_leads(&mut self, leads: Vec<Lead>) -> bool {
        if self.leads.rows.is_empty() {
            // A start from the cache: the vector becomes the table as it is, so a million
            // leads are never held twice.
            let any = !leads.is_empty();
            self.leads.adopt(leads);
            return any;
        }
        let mut changed = false;
        for lead in leads {
            changed |= self.leads.upsert(lead);
        }
        changed
    }

    /// Like [`upsert_leads`](Self::upsert_leads), returning each lead that changed or
    /// arrived: its index (the others keep theirs) and the version it replaced, for the
    /// snapshot to follow lead by lead.
    pub fn upsert_leads_at(&mut self, leads: Vec<Lead>) -> Vec<crate::domain::snapshot::Changed> {
        // A start from the cache brings every lead at once: room for exactly them.
        self.leads.reserve(leads.len());
        let mut changed = Vec::new();
        for lead in leads {
            changed.extend(self.leads.upsert_at(lead));
        }
        changed
    }

    pub fn upsert_deals(&mut self, deals: Vec<Deal>) -> bool {
        !self.upsert_deals_at(deals).is_empty()
    }

    /// Insert or replace deals: each changed one's index and the version it replaced.
    pub fn upsert_deals_at(
        &mut self,
        deals: Vec<Deal>,
    ) -> Vec<crate::domain::snapshot::ChangedDeal> {
        deals
            .into_iter()
            .filter_map(|d| self.deals.upsert_at(d))
            .collect()
    }

    pub fn upsert_notes(&mut self, notes: Vec<Note>) -> bool {
        !self.upsert_notes_at(notes).is_empty()
    }

    /// Insert or replace notes: each changed one's index and the version it replaced.
    pub fn upsert_notes_at(
        &mut self,
        notes: Vec<Note>,
    ) -> Vec<crate::domain::snapshot::ChangedNote> {
        notes
            .into_iter()
            .filter_map(|n| self.notes.upsert_at(n))
            .collect()
    }

    /// Forget records the vendor deleted (archived). Returns whether anything was removed.
    pub fn remove(
        &mut self,
        lead_ids: &[String],
        deal_ids: &[String],
        note_ids: &[String],
    ) -> bool {
        let mut changed = false;
        for id in note_ids {
            changed |= self.notes.remove(id);
        }
        for id in lead_ids {
            changed |= self.leads.remove(id);
        }
        for id in deal_ids {
            changed |= self.deals.remove(id);
        }
        changed
    }

    /// Everything the panes and reports show, derived under the teams' definitions.
    pub fn snapshot(&self, config: &Config, period: PeriodKind, now: DateTime<Utc>) -> Snapshot {
        self.snapshot_with(config, period, now, None)
    }

    /// Like [`snapshot`](Self::snapshot) for a person or team lens: this store holds the
    /// lens's current leads (lists, breaches), `by_owner` every lead and the lens's rule,
    /// which the cohorts are counted by (the owner at each entry).
    /// Bring `snapshot` up to date after `changes` (no record removed since it was built):
    /// what [`snapshot`](Self::snapshot) would give.
    pub fn update_snapshot(
        &self,
        snapshot: &mut Snapshot,
        changes: &crate::domain::snapshot::Changes<'_>,
        config: &Config,
        period: PeriodKind,
        now: DateTime<Utc>,
    ) {
        snapshot.update(&self.snapshot_input(config, period, None), changes, now);
    }

    pub fn snapshot_with(
        &self,
        config: &Config,
        period: PeriodKind,
        now: DateTime<Utc>,
        by_owner: Option<(&[Lead], &crate::domain::lens::ByOwner)>,
    ) -> Snapshot {
        Snapshot::build(&self.snapshot_input(config, period, by_owner), now)
    }

    fn snapshot_input<'a>(
        &'a self,
        config: &'a Config,
        period: PeriodKind,
        by_owner: Option<(&'a [Lead], &'a crate::domain::lens::ByOwner)>,
    ) -> SnapshotInput<'a> {
        SnapshotInput {
            leads: self.leads(),
            deals: self.deals(),
            deal_stages: self.deal_stages(),
            notes: self.notes(),
            owners: self.owners(),
            slas: &config.slas,
            calendar: &config.calendar,
            targets: &config.targets,
            period,
            half_life: config.attribution.half_life,
            stages: &config.stages,
            by_owner,
            lead_index: Some(&self.leads),
        }
    }

    /// Returns whether the owners changed, in any order: the cache gives them back by id,
    /// the vendor in its own order, and the same list must not cost a rebuild.
    pub fn set_owners(&mut self, owners: Vec<Owner>) -> bool {
        let changed = !same_by_id(&self.owners, &owners, |o| &o.id);
        self.owners = owners;
        changed
    }

    /// Like [`set_owners`](Self::set_owners): the pipeline's order is each stage's `order`.
    pub fn set_deal_stages(&mut self, stages: Vec<DealStage>) -> bool {
        let changed = !same_by_id(&self.deal_stages, &stages, |s| &s.id);
        self.deal_stages = stages;
        changed
    }
}

/// Whether `a` and `b` hold the same records, whatever their order.
fn same_by_id<T: PartialEq>(a: &[T], b: &[T], id: fn(&T) -> &String) -> bool {
    fn sorted<T>(v: &[T], id: fn(&T) -> &String) -> Vec<&T> {
        let mut refs: Vec<&T> = v.iter().collect();
        refs.sort_by(|x, y| id(x).cmp(id(y)));
        refs
    }
    a.len() == b.len() && sorted(a, id) == sorted(b, id)
}

#[cfg(test)]
mod tests;
