//! The simulated portal: every CRM object, stored generically.
//!
//! Contacts, deals and notes share one [`Record`] shape (id, string properties, timestamps,
//! archived flag, associations) so list, get, search, batch read and PATCH are written once.
//! The whole world sits behind one mutex in the server; nothing here is async.

pub mod assoc;
pub mod awkward;
mod deals;
mod evolve;
mod evolve_deals;
mod generate;
pub mod history;
mod journey;
pub mod modified;
pub mod names;
mod plan;
pub mod props;
pub mod schema;
mod seed_notes;
pub mod table;
pub mod time;
mod timeline;
pub mod write;

use chrono::{DateTime, Duration, Utc};

pub use generate::generate;
pub use timeline::advance;

/// The CRM object types the simulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjType {
    Contacts,
    Deals,
    Notes,
}

impl ObjType {
    pub const ALL: [ObjType; 3] = [ObjType::Contacts, ObjType::Deals, ObjType::Notes];

    /// Accepts what HubSpot accepts in a path: plural or singular name, or the objectTypeId.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "contacts" | "contact" | "0-1" => Some(ObjType::Contacts),
            "deals" | "deal" | "0-3" => Some(ObjType::Deals),
            "notes" | "note" | "0-46" => Some(ObjType::Notes),
            _ => None,
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            ObjType::Contacts => "contacts",
            ObjType::Deals => "deals",
            ObjType::Notes => "notes",
        }
    }

    pub fn singular(self) -> &'static str {
        match self {
            ObjType::Contacts => "contact",
            ObjType::Deals => "deal",
            ObjType::Notes => "note",
        }
    }

    fn idx(self) -> usize {
        self as usize
    }

    /// First id of each type: distinct ranges make mixed-up ids obvious in a client's logs.
    fn first_id(self) -> u64 {
        match self {
            ObjType::Contacts => 1001,
            ObjType::Deals => 9_000_001,
            ObjType::Notes => 40_000_001,
        }
    }
}

/// One CRM object. Property values are strings, as HubSpot stores them; an absent key is a
/// property with no value (rendered as `null` when requested).
#[derive(Debug, Clone)]
pub struct Record {
    pub id: u64,
    pub props: props::Props,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived: bool,
    pub assoc: assoc::Links,
    /// Every change written since the record was created, oldest first (see `history.rs`).
    pub history: Vec<history::Change>,
}

impl Record {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.props.get(name)
    }

    pub fn ts(&self, name: &str) -> Option<DateTime<Utc>> {
        self.get(name).and_then(time::parse_ts)
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.props.insert(name, value.into());
    }

    pub fn set_ts(&mut self, name: &str, t: DateTime<Utc>) {
        self.set(name, time::fmt_ts(t));
    }

    /// Every distinct instant the date-time property `name` took, oldest first: from its
    /// history, else its current value (a record generated with no history for it).
    pub fn times_of(&self, name: &str) -> Vec<DateTime<Utc>> {
        let mut times: Vec<DateTime<Utc>> = self
            .history
            .iter()
            .filter(|h| h.prop == name)
            .filter_map(|h| time::parse_ts(&h.value))
            .collect();
        if times.is_empty() {
            times.extend(self.ts(name));
        }
        times.sort();
        times.dedup();
        times
    }

    pub fn linked(&self, t: ObjType) -> impl Iterator<Item = u64> + '_ {
        self.assoc.of(t)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Team {
    Sales,
    Marketing,
}

impl Team {
    pub fn name(self) -> &'static str {
        match self {
            Team::Sales => "Sales",
            Team::Marketing => "Marketing",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Team::Sales => "4417023",
            Team::Marketing => "4417024",
        }
    }
}

/// A HubSpot user who can own records.
#[derive(Debug, Clone)]
pub struct Owner {
    pub id: u64,
    pub user_id: u64,
    pub first: String,
    pub last: String,
    pub email: String,
    pub team: Team,
    pub created_at: DateTime<Utc>,
}

/// Where "now" comes from. A frozen world answers every read identically; its writes still
/// need strictly increasing `lastmodifieddate`s, so each write advances a millisecond counter.
#[derive(Debug, Clone)]
pub(super) enum Clock {
    Frozen { base: DateTime<Utc>, ticks: i64 },
    Live { last: DateTime<Utc> },
}

pub struct World {
    tables: [table::Table; 3],
    /// Each table by modification time, for searches on it.
    modified: [modified::ModifiedIndex; 3],
    next_id: [u64; 3],
    pub owners: Vec<Owner>,
    pub(super) clock: Clock,
    /// What is still to happen in a live world (`None` when frozen).
    timeline: Option<timeline::Timeline>,
    /// When the portal was "set up": createdAt of pipelines and the like.
    pub portal_created: DateTime<Utc>,
    /// The awkward cases planted in it (`awkward.rs`): case name and contact id.
    pub awkward: Vec<(&'static str, u64)>,
}

impl World {
    pub(super) fn empty(now: DateTime<Utc>, frozen: bool) -> Self {
        let now = time::trunc_ms(now);
        World {
            tables: Default::default(),
            modified: Default::default(),
            next_id: ObjType::ALL.map(ObjType::first_id),
            owners: Vec::new(),
            clock: if frozen {
                Clock::Frozen {
                    base: now,
                    ticks: 0,
                }
            } else {
                Clock::Live { last: now }
            },
            timeline: None,
            portal_created: now - Duration::days(730),
            awkward: Vec::new(),
        }
    }

    /// Server time for reads (batch `startedAt`, etc.); does not advance a frozen clock.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.clock {
            Clock::Frozen { base, ticks } => *base + Duration::milliseconds(*ticks),
            Clock::Live { last } => time::trunc_ms(Utc::now()).max(*last),
        }
    }

    /// Time of a write: strictly later than every previous write, so incremental sync on
    /// `lastmodifieddate` never misses a change.
    pub fn stamp(&mut self) -> DateTime<Utc> {
        match &mut self.clock {
            Clock::Frozen { base, ticks } => {
                *ticks += 1;
                *base + Duration::milliseconds(*ticks)
            }
            Clock::Live { last } => {
                let t = time::trunc_ms(Utc::now()).max(*last + Duration::milliseconds(1));
                *last = t;
                t
            }
        }
    }

    /// Time of a simulated event planned for `at`: `at` itself, unless a write already went
    /// past it (then just after that write, so modified dates stay strictly increasing).
    pub fn stamp_at(&mut self, at: DateTime<Utc>) -> DateTime<Utc> {
        match &mut self.clock {
            Clock::Frozen { .. } => self.stamp(),
            Clock::Live { last } => {
                let t = time::trunc_ms(at).max(*last + Duration::milliseconds(1));
                *last = t;
                t
            }
        }
    }

    pub fn table(&self, t: ObjType) -> &table::Table {
        &self.tables[t.idx()]
    }

    /// The whole table, to change at will: its modification index is rebuilt before the
    /// next search.
    pub fn table_mut(&mut self, t: ObjType) -> &mut table::Table {
        self.modified[t.idx()].invalidate();
        &mut self.tables[t.idx()]
    }

    /// Bring table `t`'s modification index up to date (before [`Self::modified`]).
    pub fn refresh_modified(&mut self, t: ObjType) {
        self.modified[t.idx()].refresh(&self.tables[t.idx()]);
    }

    /// Table `t`'s records by modification time, as of the last refresh.
    pub fn modified(&self, t: ObjType) -> &modified::ModifiedIndex {
        &self.modified[t.idx()]
    }

    pub fn get(&self, t: ObjType, id: u64) -> Option<&Record> {
        self.table(t).get(&id)
    }

    pub fn get_mut(&mut self, t: ObjType, id: u64) -> Option<&mut Record> {
        self.modified[t.idx()].touched(id);
        self.tables[t.idx()].get_mut(&id)
    }

    /// A live (not archived) record.
    pub fn live(&self, t: ObjType, id: u64) -> Option<&Record> {
        self.get(t, id).filter(|r| !r.archived)
    }

    /// Create an empty record of type `t` created at `at`; returns its id.
    pub fn insert_new(&mut self, t: ObjType, at: DateTime<Utc>) -> u64 {
        let id = self.next_id[t.idx()];
        self.next_id[t.idx()] += 1;
        let mut rec = Record {
            id,
            props: props::Props::default(),
            created_at: at,
            updated_at: at,
            archived: false,
            assoc: assoc::Links::default(),
            history: Vec::new(),
        };
        rec.set("hs_object_id", id.to_string());
        rec.set_ts(schema::created_prop(t), at);
        rec.set_ts(schema::modified_prop(t), at);
        self.modified[t.idx()].touched(id);
        self.tables[t.idx()].push(rec);
        id
    }

    /// Link two records both ways (HubSpot associations are always bidirectional).
    pub fn associate(&mut self, a: ObjType, a_id: u64, b: ObjType, b_id: u64) {
        if let Some(r) = self.get_mut(a, a_id) {
            r.assoc.insert(b, b_id);
        }
        if let Some(r) = self.get_mut(b, b_id) {
            r.assoc.insert(a, a_id);
        }
    }

    /// Record a change at `ts`: bumps the type's modified-date property and `updatedAt`.
    pub fn touch(&mut self, t: ObjType, id: u64, ts: DateTime<Utc>) {
        if let Some(r) = self.get_mut(t, id) {
            r.set_ts(schema::modified_prop(t), ts);
            r.updated_at = ts;
        }
    }

    pub fn owner(&self, id: u64) -> Option<&Owner> {
        self.owners.iter().find(|o| o.id == id)
    }

    pub fn owners_in(&self, team: Team) -> Vec<u64> {
        self.owners
            .iter()
            .filter(|o| o.team == team)
            .map(|o| o.id)
            .collect()
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_funnel;
