//! Periodic reconciliation: find and repair drift between what a source's polls delivered
//! and what the vendor holds (an update the search index showed later than the poll's
//! overlap allowed for, a write lost to a crash between answer and cache).
//!
//! The worker keeps a [`Ledger`] of the version (modification time) of every record it
//! delivered. Reconciliation splits the settled past into ranges holding equal numbers of
//! records and asks the vendor to count each range — one cheap request apiece, about 64 for
//! any portal size. A range whose counts agree is done. One that differs is halved until it
//! holds a page, then read whole; records whose version the ledger does not hold are the
//! repair. A missed update shows in two ranges (the old version's, now short of one, and
//! the new one's, one over), so counts find it even though they never compare ids.
//!
//! Counts can cancel: a missed update landing in the range of a held record whose newer
//! version is still in flight (written after the last poll) reads as agreement. The next
//! run, an hour on, finds it once the in-flight record is polled and the ranges move.

use super::versions::Versions;

use crate::domain::{Deal, Lead};
use crate::sources::SourceError;
use crate::sources::port::{Connector, Cursor, Delta};
use crate::sources::ranges::RecordKind;

/// Ranges per kind at the start of a reconciliation.
pub const PARTS: usize = 32;
/// A differing range is read once it holds no more than this (one search page).
pub const PAGE: u64 = 200;

/// The version of each record a source delivered: id (hashed, to keep it to 16 bytes a
/// record) → modification time in ms, per kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    leads: Versions,
    deals: Versions,
}

use crate::store::id_key as key;

impl Ledger {
    /// The versions of records already held (a warm start's cache).
    pub fn of(leads: &[Lead], deals: &[Deal]) -> Self {
        let ms = |t: chrono::DateTime<chrono::Utc>| t.timestamp_millis();
        Ledger {
            leads: Versions::of(
                leads
                    .iter()
                    .map(|l| (key(&l.id), ms(l.updated_at)))
                    .collect(),
            ),
            deals: Versions::of(
                deals
                    .iter()
                    .map(|d| (key(&d.id), ms(d.updated_at)))
                    .collect(),
            ),
        }
    }

    /// The versions of a warm start's records, keyed already: (id key, version in ms).
    pub fn of_keyed(leads: Vec<(u64, i64)>, deals: Vec<(u64, i64)>) -> Self {
        Ledger {
            leads: Versions::of(leads),
            deals: Versions::of(deals),
        }
    }

    /// Take in the versions a warm start read from the cache, behind what polls delivered
    /// since (those are newer).
    pub fn seed(&mut self, older: Ledger) {
        let this = std::mem::take(self);
        *self = Ledger {
            leads: this.leads.over(older.leads),
            deals: this.deals.over(older.deals),
        };
    }

    pub fn hold(&mut self, delta: &Delta) {
        self.hold_records(&delta.leads, &delta.deals);
    }

    fn hold_records(&mut self, leads: &[Lead], deals: &[Deal]) {
        for l in leads {
            self.leads
                .insert(key(&l.id), l.updated_at.timestamp_millis());
        }
        for d in deals {
            self.deals
                .insert(key(&d.id), d.updated_at.timestamp_millis());
        }
    }

    pub fn forget(&mut self, leads: &[String], deals: &[String]) {
        for id in leads {
            self.leads.remove(key(id));
        }
        for id in deals {
            self.deals.remove(key(id));
        }
    }

    fn of_kind(&self, kind: RecordKind) -> &Versions {
        match kind {
            RecordKind::Leads => &self.leads,
            RecordKind::Deals => &self.deals,
        }
    }

    /// Whether this exact version of the record is held.
    fn holds(&self, kind: RecordKind, id: &str, at_ms: i64) -> bool {
        self.of_kind(kind).get(key(id)) == Some(at_ms)
    }

    /// Held modification times of `kind` before `upto`, sorted.
    fn times_before(&self, kind: RecordKind, upto: i64) -> Vec<i64> {
        let mut times: Vec<i64> = self.of_kind(kind).values().filter(|&t| t < upto).collect();
        times.sort_unstable();
        times
    }

    pub fn len(&self) -> usize {
        self.leads.len() + self.deals.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What one reconciliation did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Ranges whose counts were compared.
    pub ranges: usize,
    /// Requests it cost.
    pub requests: usize,
    /// Records the vendor holds in a version the source had not delivered.
    pub repaired: Delta,
}

impl Outcome {
    pub fn repaired_count(&self) -> usize {
        self.repaired.leads.len() + self.repaired.deals.len()
    }
}

/// `[0, upto)` cut into at most `parts` ranges holding about equal numbers of `times`
/// (sorted), oldest first.
pub fn ranges(times: &[i64], upto: i64, parts: usize) -> Vec<(i64, i64)> {
    let mut bounds = vec![0];
    for i in 1..parts.max(1) {
        let t = times.get(i * times.len() / parts).copied().unwrap_or(upto);
        if t > *bounds.last().expect("starts with 0") && t < upto {
            bounds.push(t);
        }
    }
    bounds.push(upto);
    bounds.windows(2).map(|w| (w[0], w[1])).collect()
}

fn count_in(times: &[i64], (from, to): (i64, i64)) -> u64 {
    (times.partition_point(|&t| t < to) - times.partition_point(|&t| t < from)) as u64
}

/// Compare `ledger` with the vendor over the settled past of each kind it can count, and
/// read back what differs. `Ok(None)`: this source can count no kind by time.
pub async fn reconcile(
    client: &mut Connector,
    ledger: &Ledger,
    cursor: &Cursor,
) -> Result<Option<Outcome>, SourceError> {
    let mut outcome = Outcome::default();
    let mut counted = false;
    for kind in RecordKind::ALL {
        let Some(upto) = client.settled(cursor, kind) else {
            continue;
        };
        let times = ledger.times_before(kind, upto);
        let mut todo = ranges(&times, upto, PARTS);
        todo.reverse();
        while let Some(range @ (from, to)) = todo.pop() {
            let Some(remote) = client.count_modified(kind, from, to).await? else {
                break;
            };
            counted = true;
            outcome.ranges += 1;
            outcome.requests += 1;
            if remote == count_in(&times, range) {
                continue;
            }
            if remote > PAGE && to - from > 1 {
                let mid = from + (to - from) / 2;
                todo.push((mid, to));
                todo.push((from, mid));
                continue;
            }
            let delta = client.read_modified(kind, from, to).await?;
            outcome.requests += 1;
            keep_new(&mut outcome.repaired, delta, ledger, kind);
        }
    }
    Ok(counted.then_some(outcome))
}

/// Add to `into` the records of `delta` whose version `ledger` does not hold.
fn keep_new(into: &mut Delta, delta: Delta, ledger: &Ledger, kind: RecordKind) {
    let ms = |t: chrono::DateTime<chrono::Utc>| t.timestamp_millis();
    into.leads.extend(
        delta
            .leads
            .into_iter()
            .filter(|l| !ledger.holds(kind, &l.id, ms(l.updated_at))),
    );
    into.deals.extend(
        delta
            .deals
            .into_iter()
            .filter(|d| !ledger.holds(kind, &d.id, ms(d.updated_at))),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_hold_about_equal_counts_and_cover_the_settled_past() {
        let times: Vec<i64> = (0..1000).map(|i| 1_000 + i * 10).collect();
        let r = ranges(&times, 50_000, 4);
        assert_eq!(r.first().unwrap().0, 0);
        assert_eq!(r.last().unwrap().1, 50_000);
        for w in r.windows(2) {
            assert_eq!(w[0].1, w[1].0, "ranges touch: {r:?}");
        }
        let counts: Vec<u64> = r.iter().map(|&x| count_in(&times, x)).collect();
        assert_eq!(counts.iter().sum::<u64>(), 1000);
        assert_eq!(counts, vec![250, 250, 250, 250]);
    }

    #[test]
    fn ranges_of_nothing_or_one_instant_are_one_range() {
        assert_eq!(ranges(&[], 500, 32), vec![(0, 500)]);
        assert_eq!(ranges(&[7; 100], 500, 32), vec![(0, 7), (7, 500)]);
    }

    /// A warm start's ledger, keyed while the cache was read, holds what one built from
    /// the records would; seeded behind a poll, the poll's newer version stands.
    #[test]
    fn a_seeded_ledger_keeps_what_polls_delivered_since() {
        let mut lead = crate::domain::lead::tests_support::lead_in(crate::domain::Stage::Mql);
        lead.id = "9".into();
        let mut other = lead.clone();
        other.id = "10".into();
        let at = lead.updated_at.timestamp_millis();
        let keyed = |l: &Lead| (key(&l.id), l.updated_at.timestamp_millis());
        let cached = Ledger::of_keyed(vec![keyed(&lead), keyed(&other)], vec![]);
        assert_eq!(cached, Ledger::of(&[lead.clone(), other.clone()], &[]));

        let mut live = Ledger::default();
        lead.updated_at += chrono::Duration::milliseconds(5);
        live.hold(&Delta {
            leads: vec![lead],
            ..Delta::default()
        });
        live.seed(cached);
        assert!(
            live.holds(RecordKind::Leads, "9", at + 5),
            "the poll's version"
        );
        assert!(live.holds(RecordKind::Leads, "10", at), "the cache's");
        assert_eq!(live.len(), 2);
    }

    #[test]
    fn the_ledger_holds_the_latest_version_and_forgets_deletions() {
        let mut lead = crate::domain::lead::tests_support::lead_in(crate::domain::Stage::Mql);
        lead.id = "9".into();
        let mut ledger = Ledger::of(std::slice::from_ref(&lead), &[]);
        let at = lead.updated_at.timestamp_millis();
        assert!(ledger.holds(RecordKind::Leads, "9", at));
        assert!(!ledger.holds(RecordKind::Leads, "9", at + 1));
        assert!(!ledger.holds(RecordKind::Deals, "9", at));
        lead.updated_at += chrono::Duration::milliseconds(5);
        ledger.hold(&Delta {
            leads: vec![lead],
            ..Delta::default()
        });
        assert!(ledger.holds(RecordKind::Leads, "9", at + 5));
        ledger.forget(&["9".into()], &[]);
        assert!(ledger.is_empty());
    }
}
