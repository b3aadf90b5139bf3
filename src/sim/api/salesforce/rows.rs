//! Which rows a query reads, and each row built only when it is needed: a query first lists
//! where its candidate rows come from (a record, or the k-th change or call of one), keeps
//! those that match, and a page builds the rows of its own slice. A condition on the
//! modification stamp (`SystemModstamp >= t`, a poll's window) walks the world's
//! modification index, and one naming ids (`Id IN (…)`, `LeadId = …`, `WhoId = …`) reads
//! just those records, so neither costs the whole org.

use chrono::{DateTime, Utc};

use super::soql::Cond;
use super::{Row, history};
use crate::sim::world::{ObjType, Record, World};

/// The objects the simulated org answers queries on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Lead,
    User,
    LeadStatus,
    Opportunity,
    OpportunityStage,
    Task,
    LeadHistory,
    OpportunityFieldHistory,
}

impl Kind {
    pub fn parse(object: &str) -> Option<Kind> {
        Some(match object.to_ascii_lowercase().as_str() {
            "lead" => Kind::Lead,
            "user" => Kind::User,
            "leadstatus" => Kind::LeadStatus,
            "opportunity" => Kind::Opportunity,
            "opportunitystage" => Kind::OpportunityStage,
            "task" => Kind::Task,
            "leadhistory" => Kind::LeadHistory,
            "opportunityfieldhistory" => Kind::OpportunityFieldHistory,
            _ => return None,
        })
    }

    /// The object's API name, as answers spell it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Lead => "Lead",
            Kind::User => "User",
            Kind::LeadStatus => "LeadStatus",
            Kind::Opportunity => "Opportunity",
            Kind::OpportunityStage => "OpportunityStage",
            Kind::Task => "Task",
            Kind::LeadHistory => "LeadHistory",
            Kind::OpportunityFieldHistory => "OpportunityFieldHistory",
        }
    }

    /// The world's record type behind each row, and the field that names it by id.
    fn base(self) -> Option<(ObjType, &'static str, &'static str)> {
        match self {
            Kind::Lead => Some((ObjType::Contacts, "Id", "00Q")),
            Kind::Opportunity => Some((ObjType::Deals, "Id", "006")),
            Kind::Task => Some((ObjType::Contacts, "WhoId", "00Q")),
            Kind::LeadHistory => Some((ObjType::Contacts, "LeadId", "00Q")),
            Kind::OpportunityFieldHistory => Some((ObjType::Deals, "OpportunityId", "006")),
            Kind::User | Kind::LeadStatus | Kind::OpportunityStage => None,
        }
    }
}

/// Where one row comes from, to build it again for the page it lands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowRef {
    Contact(u64),
    Deal(u64),
    Note(u64),
    /// A contact's k-th logged call.
    Call(u64, u32),
    /// A contact's k-th status or owner change.
    LeadChange(u64, u32),
    /// A deal's k-th stage change.
    StageChange(u64, u32),
    /// The i-th row of a small fixed table (users, statuses, stages).
    Fixed(u32),
}

/// Which records a query can match, at most.
enum Narrow {
    All,
    /// Modified within `[from, to]` (`to` only where a row's stamp is its record's own):
    /// every row's stamp is at or before its record's.
    Since(DateTime<Utc>, Option<DateTime<Utc>>),
    /// These records (by the world's id), in id order.
    Ids(Vec<u64>),
}

/// The record number behind an 18-character id with `prefix` (`00Q…` for a Lead).
fn number(raw: &str, prefix: &str) -> Option<u64> {
    let digits = raw.strip_prefix(prefix)?;
    (digits.len() == 15).then_some(())?;
    digits.parse().ok()
}

fn narrow(kind: Kind, filter: Option<&Cond>) -> Narrow {
    let (Some(filter), Some((_, field, prefix))) = (filter, kind.base()) else {
        return Narrow::All;
    };
    if let Some(named) = filter.one_of(field) {
        // An id of another object's shape matches nothing here.
        let mut ids: Vec<u64> = named.iter().filter_map(|v| number(v, prefix)).collect();
        ids.sort_unstable();
        ids.dedup();
        return Narrow::Ids(ids);
    }
    // Only the stamps every row carries no later than its record's modification.
    let stamps: &[&str] = match kind {
        Kind::Lead => &["SystemModstamp", "LastModifiedDate"],
        Kind::Opportunity | Kind::Task => &["SystemModstamp"],
        _ => &[],
    };
    let to = match kind {
        Kind::Lead | Kind::Opportunity => filter.upper_bound(stamps),
        _ => None,
    };
    filter
        .lower_bound(stamps)
        .map_or(Narrow::All, |from| Narrow::Since(from, to))
}

/// The live records of type `t` a narrowed query can read, in id order.
fn records<'w>(w: &'w World, t: ObjType, narrow: &Narrow) -> Vec<&'w Record> {
    match narrow {
        Narrow::All => w.table(t).values().filter(|r| !r.archived).collect(),
        Narrow::Since(from, to) => {
            let mut ids: Vec<u64> = w.modified(t).between(Some(*from), *to).collect();
            ids.sort_unstable();
            ids.into_iter().filter_map(|id| w.live(t, id)).collect()
        }
        Narrow::Ids(ids) => ids.iter().filter_map(|id| w.live(t, *id)).collect(),
    }
}

/// Every row a query on `kind` may match, in the order the org lists them. The world's
/// modification indexes must be fresh (`AppState::world_indexed`).
pub fn candidates(w: &World, kind: Kind, filter: Option<&Cond>) -> Vec<RowRef> {
    let narrow = narrow(kind, filter);
    let fixed = |n: usize| (0..n as u32).map(RowRef::Fixed).collect();
    match kind {
        Kind::User => fixed(w.owners.len()),
        Kind::LeadStatus => fixed(super::STATUSES.len()),
        Kind::OpportunityStage => fixed(history::stage_rows(w).len()),
        Kind::Lead => records(w, ObjType::Contacts, &narrow)
            .into_iter()
            .map(|c| RowRef::Contact(c.id))
            .collect(),
        Kind::Opportunity => records(w, ObjType::Deals, &narrow)
            .into_iter()
            .map(|d| RowRef::Deal(d.id))
            .collect(),
        Kind::Task => {
            let contacts = records(w, ObjType::Contacts, &narrow);
            let notes: Vec<&Record> = match &narrow {
                // Named leads: the notes linked to them.
                Narrow::Ids(_) => {
                    let mut ids: Vec<u64> = contacts
                        .iter()
                        .flat_map(|c| c.linked(ObjType::Notes))
                        .collect();
                    ids.sort_unstable();
                    ids.dedup();
                    records(w, ObjType::Notes, &Narrow::Ids(ids))
                }
                other => records(w, ObjType::Notes, other),
            };
            let calls = contacts.iter().flat_map(|c| {
                let n = history::call_times(c).len() as u32;
                (0..n).map(|k| RowRef::Call(c.id, k))
            });
            notes
                .iter()
                .map(|n| RowRef::Note(n.id))
                .chain(calls)
                .collect()
        }
        Kind::LeadHistory => records(w, ObjType::Contacts, &narrow)
            .into_iter()
            .flat_map(|c| {
                let n = history::lead_changes(w, c).len() as u32;
                (0..n).map(|k| RowRef::LeadChange(c.id, k))
            })
            .collect(),
        Kind::OpportunityFieldHistory => records(w, ObjType::Deals, &narrow)
            .into_iter()
            .flat_map(|d| {
                let n = history::stage_changes(d).len() as u32;
                (0..n).map(|k| RowRef::StageChange(d.id, k))
            })
            .collect(),
    }
}

/// The row `r` of a query on `kind`, as the world stands (`None`: its record is gone).
pub fn build(w: &World, kind: Kind, r: RowRef) -> Option<Row> {
    let nth = |rows: Vec<Row>, k: u32| rows.into_iter().nth(k as usize);
    match r {
        RowRef::Fixed(i) => match kind {
            Kind::User => nth(super::user_rows(w), i),
            Kind::LeadStatus => nth(super::status_rows(w), i),
            Kind::OpportunityStage => nth(history::stage_rows(w), i),
            _ => None,
        },
        RowRef::Contact(id) => Some(super::lead_row(w, w.live(ObjType::Contacts, id)?)),
        RowRef::Deal(id) => Some(history::opportunity_row(w, w.live(ObjType::Deals, id)?)),
        RowRef::Note(id) => Some(history::task_row(w, w.live(ObjType::Notes, id)?)),
        RowRef::Call(id, k) => nth(history::activity_rows(w, w.live(ObjType::Contacts, id)?), k),
        RowRef::LeadChange(id, k) => {
            let c = w.live(ObjType::Contacts, id)?;
            let change = history::lead_changes(w, c).into_iter().nth(k as usize)?;
            let parent = super::sf_id("00Q", id);
            Some(history::history_row(
                "017",
                (id, k),
                "LeadId",
                parent,
                change,
            ))
        }
        RowRef::StageChange(id, k) => {
            let d = w.live(ObjType::Deals, id)?;
            let change = history::stage_changes(d).into_iter().nth(k as usize)?;
            let parent = super::sf_id("006", id);
            Some(history::history_row(
                "00L",
                (id, k),
                "OpportunityId",
                parent,
                change,
            ))
        }
    }
}

/// Row `r`'s value of the date-time `field`, without building the row: `None` when this
/// is not one of the stamps known here (build the row), `Some(None)` when the row has none.
pub fn stamp(w: &World, kind: Kind, r: RowRef, field: &str) -> Option<Option<DateTime<Utc>>> {
    let is = |name: &str| field.eq_ignore_ascii_case(name);
    let record = |t: ObjType, id: u64| w.live(t, id);
    Some(match r {
        RowRef::Contact(id) | RowRef::Deal(id) => {
            let t = if matches!(r, RowRef::Contact(_)) {
                ObjType::Contacts
            } else {
                ObjType::Deals
            };
            let rec = record(t, id);
            if is("SystemModstamp") || (kind == Kind::Lead && is("LastModifiedDate")) {
                rec.map(|c| c.updated_at)
            } else if is("CreatedDate") {
                rec.map(|c| c.created_at)
            } else {
                return None;
            }
        }
        RowRef::Note(id) => {
            let n = record(ObjType::Notes, id);
            if is("SystemModstamp") {
                n.map(|n| n.updated_at)
            } else if is("CreatedDate") || is("CompletedDateTime") {
                n.map(|n| n.ts("hs_timestamp").unwrap_or(n.created_at))
            } else {
                return None;
            }
        }
        RowRef::Call(id, k)
            if is("SystemModstamp") || is("CreatedDate") || is("CompletedDateTime") =>
        {
            record(ObjType::Contacts, id)
                .and_then(|c| history::call_times(c).get(k as usize).copied())
        }
        RowRef::LeadChange(id, k) if is("CreatedDate") => record(ObjType::Contacts, id)
            .and_then(|c| history::lead_changes(w, c).get(k as usize).map(|ch| ch.at)),
        RowRef::StageChange(id, k) if is("CreatedDate") => record(ObjType::Deals, id)
            .and_then(|d| history::stage_changes(d).get(k as usize).map(|ch| ch.at)),
        _ => return None,
    })
}
