//! Query locators, held as Salesforce holds them: a query's matches are found once, and its
//! `nextRecordsUrl` pages read them from the cursor instead of running the query again. A
//! cursor keeps where each match comes from, not the row (16 bytes a match), and each page
//! builds its own rows. A user has at most 10 open: opening an eleventh releases the
//! oldest, whose locator then answers `INVALID_QUERY_LOCATOR`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::rows::{Kind, RowRef};

/// Open cursors a user may hold (Salesforce's limit).
pub const OPEN_CURSORS: usize = 10;

/// One query's matches, in answer order.
pub struct Cursor {
    pub kind: Kind,
    pub fields: Vec<String>,
    pub matches: Vec<RowRef>,
    /// Rows a page holds.
    pub batch: usize,
}

#[derive(Default)]
pub struct Cursors {
    inner: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    next: u64,
    /// Oldest first.
    cursors: VecDeque<(u64, Arc<Cursor>)>,
}

impl Cursors {
    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hold `cursor` for its later pages; its number, and the cursor to answer from.
    pub fn open(&self, cursor: Cursor) -> (u64, Arc<Cursor>) {
        let mut open = self.lock();
        open.next += 1;
        let id = open.next;
        let cursor = Arc::new(cursor);
        open.cursors.push_back((id, cursor.clone()));
        while open.cursors.len() > OPEN_CURSORS {
            open.cursors.pop_front();
        }
        (id, cursor)
    }

    pub fn get(&self, id: u64) -> Option<Arc<Cursor>> {
        let open = self.lock();
        open.cursors
            .iter()
            .find(|(n, _)| *n == id)
            .map(|(_, c)| c.clone())
    }
}

/// The locator of cursor `id`'s page starting at `offset`: `01gSIM…-offset`, shaped as
/// Salesforce's (`01gD0000002HU6KIAW-2000`).
pub fn locator(id: u64, offset: usize) -> String {
    format!("01gSIM{id:012}-{offset}")
}

pub fn unlocate(raw: &str) -> Option<(u64, usize)> {
    let (id, offset) = raw.strip_prefix("01gSIM")?.split_once('-')?;
    Some((id.parse().ok()?, offset.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(n: usize) -> Cursor {
        Cursor {
            kind: Kind::Lead,
            fields: vec!["Id".into()],
            matches: (0..n as u64).map(RowRef::Contact).collect(),
            batch: 2,
        }
    }

    #[test]
    fn an_eleventh_cursor_releases_the_oldest() {
        let cursors = Cursors::default();
        let ids: Vec<u64> = (0..=OPEN_CURSORS)
            .map(|n| cursors.open(cursor(n)).0)
            .collect();
        assert!(cursors.get(ids[0]).is_none(), "the oldest is released");
        assert_eq!(cursors.get(ids[1]).map(|c| c.matches.len()), Some(1));
        assert_eq!(
            cursors.get(ids[OPEN_CURSORS]).map(|c| c.matches.len()),
            Some(OPEN_CURSORS)
        );
    }

    #[test]
    fn a_locator_reads_back_and_noise_does_not() {
        assert_eq!(unlocate(&locator(42, 2000)), Some((42, 2000)));
        assert_eq!(unlocate("01gSIM-"), None);
        assert_eq!(unlocate("01gD0000002HU6KIAW-2000"), None);
    }
}
