//! A long list of lead indices kept in order, cheap to change anywhere: held in chunks of
//! up to [`CHUNK`] × 2, so placing or taking out one lead moves one chunk's worth, never the
//! whole list (a stage can hold half a million leads). Each index is held in 4 bytes: the
//! stage lists name every lead, a million at 1M.

use std::cmp::Ordering;

/// Chunks split past twice this.
const CHUNK: usize = 1024;

/// A lead index as held: fewer than four billion leads.
type Item = u32;

fn held(item: usize) -> Item {
    Item::try_from(item).expect("fewer than four billion leads")
}

#[derive(Debug, Clone, Default)]
pub struct Ranked {
    /// Never an empty chunk.
    chunks: Vec<Vec<Item>>,
    len: usize,
}

/// Lists are equal when they hold the same items in the same order, however chunked.
impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Ranked {
    pub const fn new() -> Self {
        Ranked {
            chunks: Vec::new(),
            len: 0,
        }
    }

    /// The list of `items`, already in order.
    pub fn from_sorted(items: Vec<usize>) -> Self {
        Ranked {
            len: items.len(),
            chunks: items
                .chunks(CHUNK)
                .map(|chunk| chunk.iter().map(|&i| held(i)).collect())
                .collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, mut pos: usize) -> Option<usize> {
        for chunk in &self.chunks {
            if pos < chunk.len() {
                return Some(chunk[pos] as usize);
            }
            pos -= chunk.len();
        }
        None
    }

    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.chunks.iter().flatten().map(|&i| i as usize)
    }

    /// The items at positions `from..to` (clamped).
    pub fn range(&self, from: usize, to: usize) -> Vec<usize> {
        let mut out = Vec::with_capacity(to.saturating_sub(from).min(self.len));
        let mut start = 0;
        for chunk in &self.chunks {
            let end = start + chunk.len();
            if end > from && start < to {
                let a = from.saturating_sub(start);
                let b = (to - start).min(chunk.len());
                out.extend(chunk[a..b].iter().map(|&i| i as usize));
            }
            if end >= to {
                break;
            }
            start = end;
        }
        out
    }

    /// The chunk where an item ordered by `cmp` (an item's order relative to the one
    /// sought, as for `binary_search_by`) is or belongs, and where within it.
    fn locate(&self, cmp: &mut impl FnMut(usize) -> Ordering) -> (usize, Result<usize, usize>) {
        let c = self.chunks.partition_point(|ch| {
            cmp(*ch.last().expect("no empty chunk") as usize) == Ordering::Less
        });
        let c = c.min(self.chunks.len().saturating_sub(1));
        match self.chunks.get(c) {
            Some(chunk) => (c, chunk.binary_search_by(|&x| cmp(x as usize))),
            None => (0, Err(0)),
        }
    }

    /// Where the item `cmp` seeks is, if listed.
    pub fn position_by(&self, mut cmp: impl FnMut(usize) -> Ordering) -> Option<usize> {
        let (c, found) = self.locate(&mut cmp);
        let before: usize = self.chunks[..c].iter().map(Vec::len).sum();
        found.ok().map(|at| before + at)
    }

    /// Place `item` where `cmp` (relative to it) says it belongs.
    pub fn insert_by(&mut self, item: usize, mut cmp: impl FnMut(usize) -> Ordering) {
        let (c, found) = self.locate(&mut cmp);
        let at = found.unwrap_or_else(|at| at);
        match self.chunks.get_mut(c) {
            Some(chunk) => {
                chunk.insert(at, held(item));
                if chunk.len() > 2 * CHUNK {
                    let rest = chunk.split_off(CHUNK);
                    self.chunks.insert(c + 1, rest);
                }
            }
            None => self.chunks.push(vec![held(item)]),
        }
        self.len += 1;
    }

    /// Take out the item `cmp` seeks; whether it was listed.
    pub fn remove_by(&mut self, mut cmp: impl FnMut(usize) -> Ordering) -> bool {
        let (c, found) = self.locate(&mut cmp);
        let Ok(at) = found else {
            return false;
        };
        self.chunks[c].remove(at);
        if self.chunks[c].is_empty() {
            self.chunks.remove(c);
        }
        self.len -= 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Against a plain sorted vector: the same items, found at the same places.
        #[test]
        fn behaves_like_a_sorted_vector(
            start in prop::collection::btree_set(0usize..6000, 0..5000),
            ops in prop::collection::vec((any::<bool>(), 0usize..6000), 0..400),
        ) {
            let mut model: Vec<usize> = start.into_iter().collect();
            let mut list = Ranked::from_sorted(model.clone());
            for (insert, x) in ops {
                let cmp = |y: usize| y.cmp(&x);
                match (insert, model.binary_search(&x)) {
                    (true, Err(at)) => {
                        model.insert(at, x);
                        list.insert_by(x, cmp);
                    }
                    (false, Ok(at)) => {
                        model.remove(at);
                        prop_assert!(list.remove_by(cmp));
                    }
                    (false, Err(_)) => prop_assert!(!list.remove_by(cmp)),
                    (true, Ok(_)) => {}
                }
                prop_assert_eq!(list.position_by(cmp), model.binary_search(&x).ok());
            }
            prop_assert_eq!(list.len(), model.len());
            prop_assert!(list.iter().eq(model.iter().copied()));
            prop_assert_eq!(list.get(model.len() / 2), model.get(model.len() / 2).copied());
            let (a, b) = (model.len() / 3, model.len() / 3 + 45);
            prop_assert_eq!(list.range(a, b), model[a..b.min(model.len())].to_vec());
        }
    }

    #[test]
    fn chunks_split_and_equal_lists_compare_equal() {
        let mut list = Ranked::default();
        for x in 0..5000 {
            list.insert_by(x, |y| y.cmp(&x));
        }
        assert!(list.chunks.len() > 2, "split as it grew");
        assert!(list.chunks.iter().all(|c| c.len() <= 2 * CHUNK));
        assert_eq!(list, Ranked::from_sorted((0..5000).collect()));
        assert_eq!(list.range(4990, 6000), (4990..5000).collect::<Vec<_>>());
    }
}
