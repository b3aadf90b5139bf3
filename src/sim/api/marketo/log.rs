//! Marketo's activity log, kept in time order as Marketo keeps it: a page of activities
//! after a paging token is a binary search and the page itself, not every contact's
//! activities built and sorted again. The log holds each activity's time and id (16
//! bytes) for one set of activity types; a page builds its activities' bodies from their
//! contacts. It follows the world through the contacts modification index: contacts
//! modified since the log last looked have their entries made again.

use std::collections::HashSet;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use super::activities::{Activity, CHANGE_DATA_VALUE, of_contact};
use crate::sim::world::{ObjType, World};

/// An activity's contact: ids are `contact * 1000 + n`.
fn contact_of(activity: u64) -> u64 {
    activity / 1000
}

struct Log {
    types: Vec<u32>,
    /// The latest contact modification the log has taken in.
    seen: Option<DateTime<Utc>>,
    /// (when, id), in order.
    entries: Vec<(DateTime<Utc>, u64)>,
}

impl Log {
    fn with_changes(&self) -> bool {
        self.types.contains(&CHANGE_DATA_VALUE)
    }

    /// Take in the contacts modified since the last look (every contact, the first time).
    /// Needs the contacts modification index fresh.
    fn catch_up(&mut self, w: &World) {
        let index = w.modified(ObjType::Contacts);
        // Writes are stamped strictly later than the one before: past `seen` is new.
        let from = self.seen.map(|t| t + Duration::milliseconds(1));
        let touched: Vec<u64> = index.between(from, None).collect();
        if touched.is_empty() {
            return;
        }
        if self.seen.is_some() {
            let gone: HashSet<u64> = touched.iter().copied().collect();
            self.entries
                .retain(|(_, id)| !gone.contains(&contact_of(*id)));
        }
        let with_changes = self.with_changes();
        for id in &touched {
            if let Some(c) = w.get(ObjType::Contacts, *id) {
                self.seen = self.seen.max(Some(c.updated_at));
                if c.archived {
                    continue;
                }
                let mine = of_contact(w, c, with_changes)
                    .into_iter()
                    .filter(|(_, _, kind, _)| self.types.contains(kind))
                    .map(|(at, id, _, _)| (at, id));
                self.entries.extend(mine);
            }
        }
        self.entries.sort_unstable();
    }
}

/// One log per set of activity types asked for (a client asks for one or two).
#[derive(Default)]
pub struct Logs(Mutex<Vec<Log>>);

impl Logs {
    /// The first `batch` activities of `types` after `from`, oldest first, and whether
    /// more follow. The contacts modification index must be fresh.
    pub fn page(
        &self,
        w: &World,
        types: &[u32],
        from: (DateTime<Utc>, u64),
        batch: usize,
    ) -> (Vec<Activity>, bool) {
        let mut types = types.to_vec();
        types.sort_unstable();
        types.dedup();
        let mut logs = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let at = match logs.iter().position(|l| l.types == types) {
            Some(i) => i,
            None => {
                logs.push(Log {
                    types,
                    seen: None,
                    entries: Vec::new(),
                });
                logs.len() - 1
            }
        };
        let log = &mut logs[at];
        log.catch_up(w);
        let start = log.entries.partition_point(|e| *e <= from);
        let wanted = &log.entries[start..(start + batch).min(log.entries.len())];
        let more = start + wanted.len() < log.entries.len();
        let with_changes = log.with_changes();
        let mut page = Vec::with_capacity(wanted.len());
        // Consecutive entries are often one contact's: build its activities once.
        let mut built: Option<(u64, Vec<Activity>)> = None;
        for (_, id) in wanted {
            let contact = contact_of(*id);
            if built.as_ref().is_none_or(|(c, _)| *c != contact) {
                let all = w
                    .live(ObjType::Contacts, contact)
                    .map(|c| of_contact(w, c, with_changes))
                    .unwrap_or_default();
                built = Some((contact, all));
            }
            if let Some((_, all)) = &mut built
                && let Some(i) = all.iter().position(|a| a.1 == *id)
            {
                page.push(all.swap_remove(i));
            }
        }
        (page, more)
    }
}
