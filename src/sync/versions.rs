//! The versions a reconciliation ledger holds for one kind of record, a million of them at
//! 1M leads. Nearly all come in at once (a start's cache, a first load) and then sit: they
//! are kept in one list sorted by key, 16 bytes each. What polls deliver later goes in a
//! small map on top, folded into the list once it grows. A hash map of every version took
//! 37 MB at 1M leads; this takes 16.

use std::collections::HashMap;

/// Entries on top before they are folded into the sorted list.
const FOLD_AT: usize = 1 << 16;

#[derive(Debug, Clone, Default)]
pub struct Versions {
    /// (hashed id, version in ms), sorted by key, each key once.
    settled: Vec<(u64, i64)>,
    /// Newer than `settled`: a version, or `None` for a record forgotten.
    recent: HashMap<u64, Option<i64>, foldhash::fast::RandomState>,
}

impl Versions {
    /// `pairs` held; where a key repeats, its last pair wins, as inserting in turn would.
    pub fn of(mut pairs: Vec<(u64, i64)>) -> Versions {
        pairs.reverse();
        // Stable: among equal keys the last given (now first) stays first, and is kept.
        pairs.sort_by_key(|&(key, _)| key);
        pairs.dedup_by_key(|&mut (key, _)| key);
        Versions {
            settled: pairs,
            recent: HashMap::default(),
        }
    }

    pub fn insert(&mut self, key: u64, version: i64) {
        self.recent.insert(key, Some(version));
        self.fold_if_full();
    }

    pub fn remove(&mut self, key: u64) {
        self.recent.insert(key, None);
        self.fold_if_full();
    }

    pub fn get(&self, key: u64) -> Option<i64> {
        match self.recent.get(&key) {
            Some(version) => *version,
            None => self
                .settled
                .binary_search_by_key(&key, |&(k, _)| k)
                .ok()
                .map(|i| self.settled[i].1),
        }
    }

    /// Every version held, in no order.
    pub fn values(&self) -> impl Iterator<Item = i64> + '_ {
        (self.settled.iter())
            .filter(|(key, _)| !self.recent.contains_key(key))
            .map(|&(_, version)| version)
            .chain(self.recent.values().flatten().copied())
    }

    pub fn len(&self) -> usize {
        self.values().count()
    }

    /// These versions over `older` ones (a warm start's cache, taken in after polls
    /// delivered these).
    pub fn over(self, mut older: Versions) -> Versions {
        older.fold();
        let newer = (self.settled.into_iter())
            .map(|(key, version)| (key, Some(version)))
            .chain(self.recent);
        older.recent.extend(newer);
        older.fold();
        older
    }

    fn fold_if_full(&mut self) {
        if self.recent.len() >= FOLD_AT {
            self.fold();
        }
    }

    /// Merge the map on top into the sorted list.
    fn fold(&mut self) {
        if self.recent.is_empty() {
            return;
        }
        let mut recent: Vec<(u64, Option<i64>)> = self.recent.drain().collect();
        recent.sort_unstable_by_key(|&(key, _)| key);
        let settled = std::mem::take(&mut self.settled);
        let mut out = Vec::with_capacity(settled.len() + recent.len());
        let (mut i, mut j) = (0, 0);
        while i < settled.len() || j < recent.len() {
            let newer = match (settled.get(i), recent.get(j)) {
                (Some(&(held, _)), Some(&(key, _))) => key <= held,
                (_, got) => got.is_some(),
            };
            if newer {
                let (key, version) = recent[j];
                j += 1;
                // It replaces what the list held under its key, or removes it.
                if settled.get(i).is_some_and(|&(held, _)| held == key) {
                    i += 1;
                }
                out.extend(version.map(|v| (key, v)));
            } else {
                out.push(settled[i]);
                i += 1;
            }
        }
        self.settled = out;
    }
}

/// Equal when they hold the same versions, however they are split.
impl PartialEq for Versions {
    fn eq(&self, other: &Self) -> bool {
        let all = |v: &Versions| {
            let mut v = v.clone();
            v.fold();
            v.settled
        };
        all(self) == all(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    proptest::proptest! {
        /// Any sequence of holds and removals, folded at any points, gives what a plain
        /// map given the same sequence holds.
        #[test]
        fn versions_hold_what_a_plain_map_would(
            start in proptest::collection::vec((0u64..40, 0i64..5), 0..30),
            ops in proptest::collection::vec((0u64..40, proptest::option::of(0i64..5), proptest::bool::ANY), 0..60),
        ) {
            let mut plain: BTreeMap<u64, i64> = start.iter().copied().collect();
            let mut v = Versions::of(start);
            for (key, version, fold) in ops {
                match version {
                    Some(x) => {
                        v.insert(key, x);
                        plain.insert(key, x);
                    }
                    None => {
                        v.remove(key);
                        plain.remove(&key);
                    }
                }
                if fold {
                    v.fold();
                }
                for key in 0..40 {
                    proptest::prop_assert_eq!(v.get(key), plain.get(&key).copied());
                }
                let mut values: Vec<i64> = v.values().collect();
                values.sort_unstable();
                let mut want: Vec<i64> = plain.values().copied().collect();
                want.sort_unstable();
                proptest::prop_assert_eq!(values, want);
            }
        }
    }

    /// Taken in under newer versions, the older ones fill only what the newer lack; a
    /// record removed since stays removed once its newer word is a removal.
    #[test]
    fn newer_versions_stand_over_older_ones() {
        let mut newer = Versions::default();
        newer.insert(1, 10);
        newer.remove(3);
        let older = Versions::of(vec![(1, 5), (2, 6), (3, 7)]);
        let merged = newer.over(older);
        assert_eq!(
            (merged.get(1), merged.get(2), merged.get(3)),
            (Some(10), Some(6), None)
        );
        assert_eq!(merged.len(), 2);
    }
}
