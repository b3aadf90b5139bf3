//! Records by modification time, per type: what a poll's search (`lastmodifieddate GTE t`,
//! oldest first) and a load's high-water mark (newest first, one result) walk instead of
//! scanning and sorting the whole table. Kept up to date lazily: every mutable access to a
//! record notes its id, and the next search files the noted ones again.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

#[derive(Debug, Default)]
pub struct ModifiedIndex {
    by_time: BTreeSet<(DateTime<Utc>, u64)>,
    /// The time each record is filed under.
    filed: HashMap<u64, DateTime<Utc>>,
    /// Records handed out mutably since the last refresh.
    touched: Vec<u64>,
    /// The whole table may have changed: rebuild.
    stale: bool,
}

impl ModifiedIndex {
    pub fn touched(&mut self, id: u64) {
        // A world nobody searches would note ids for ever: past this, rebuild instead.
        const MAX_NOTED: usize = 200_000;
        if self.touched.len() >= MAX_NOTED {
            self.invalidate();
        }
        if !self.stale {
            self.touched.push(id);
        }
    }

    /// Nothing touched since the last refresh: searches may walk it as it is.
    pub fn is_fresh(&self) -> bool {
        !self.stale && self.touched.is_empty()
    }

    pub fn invalidate(&mut self) {
        self.stale = true;
        self.touched.clear();
    }

    /// File what changed since the last call (everything, after [`Self::invalidate`]).
    pub fn refresh(&mut self, table: &super::table::Table) {
        if self.stale {
            self.by_time = table.values().map(|r| (r.updated_at, r.id)).collect();
            self.filed = table.values().map(|r| (r.id, r.updated_at)).collect();
            self.stale = false;
            return;
        }
        for id in std::mem::take(&mut self.touched) {
            let now = table.get(&id).map(|r| r.updated_at);
            let was = self.filed.get(&id).copied();
            if now == was {
                continue;
            }
            if let Some(t) = was {
                self.by_time.remove(&(t, id));
                self.filed.remove(&id);
            }
            if let Some(t) = now {
                self.by_time.insert((t, id));
                self.filed.insert(id, t);
            }
        }
    }

    /// Ids modified in `[from, to]` (either end open when `None`): oldest first, or newest
    /// first with ties in id order (as a search sorted on the modified date has them).
    pub fn ordered(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        newest_first: bool,
    ) -> Box<dyn Iterator<Item = u64> + '_> {
        if !newest_first {
            return Box::new(self.between(from, to));
        }
        let mut rev = self.between_timed(from, to).rev().peekable();
        Box::new(
            std::iter::from_fn(move || {
                let (t, id) = rev.next()?;
                let mut run = vec![id];
                while let Some(&(u, next)) = rev.peek() {
                    if u != t {
                        break;
                    }
                    run.push(next);
                    rev.next();
                }
                run.reverse();
                Some(run)
            })
            .flatten(),
        )
    }

    fn between_timed(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> impl DoubleEndedIterator<Item = (DateTime<Utc>, u64)> + '_ {
        use std::ops::Bound::{Included, Unbounded};
        let lo = from.map_or(Unbounded, |t| Included((t, 0)));
        let hi = to.map_or(Unbounded, |t| Included((t, u64::MAX)));
        self.by_time.range((lo, hi)).copied()
    }

    /// Ids modified in `[from, to]` (either end open when `None`), oldest first.
    pub fn between(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> impl DoubleEndedIterator<Item = u64> + '_ {
        self.between_timed(from, to).map(|(_, id)| id)
    }
}
