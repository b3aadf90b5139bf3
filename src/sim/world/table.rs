//! One object type's records, dense: ids are handed out one after another and records are
//! archived, never removed, so a record's place is its id less the first id. A million
//! contacts cost their records and nothing more; a B-tree of them cost about as much again
//! in half-full nodes.

use super::Record;

#[derive(Debug, Default)]
pub struct Table {
    /// The id of `rows[0]`.
    base: u64,
    rows: Vec<Record>,
}

impl Table {
    fn place(&self, id: u64) -> Option<usize> {
        id.checked_sub(self.base)
            .map(|i| i as usize)
            .filter(|&i| i < self.rows.len())
    }

    pub fn get(&self, id: &u64) -> Option<&Record> {
        self.place(*id).map(|i| &self.rows[i])
    }

    pub fn get_mut(&mut self, id: &u64) -> Option<&mut Record> {
        self.place(*id).map(|i| &mut self.rows[i])
    }

    /// Add the record with the next id (the first id, when empty).
    pub fn push(&mut self, rec: Record) {
        if self.rows.is_empty() {
            self.base = rec.id;
        }
        assert_eq!(
            rec.id,
            self.base + self.rows.len() as u64,
            "records are added in id order, one after another"
        );
        self.rows.push(rec);
    }

    /// Every record, in id order.
    pub fn values(&self) -> std::slice::Iter<'_, Record> {
        self.rows.iter()
    }

    pub fn values_mut(&mut self) -> std::slice::IterMut<'_, Record> {
        self.rows.iter_mut()
    }

    /// The records from id `from` on, in id order.
    pub fn starting_at(&self, from: u64) -> std::slice::Iter<'_, Record> {
        let skip = (from.saturating_sub(self.base) as usize).min(self.rows.len());
        self.rows[skip..].iter()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn clear(&mut self) {
        self.rows.clear();
    }

    pub fn shrink_to_fit(&mut self) {
        self.rows.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn rec(id: u64) -> Record {
        Record {
            id,
            props: Default::default(),
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            archived: false,
            assoc: Default::default(),
            history: Vec::new(),
        }
    }

    #[test]
    fn records_are_found_by_id_and_walked_in_order() {
        let mut t = Table::default();
        for id in 1001..1006 {
            t.push(rec(id));
        }
        assert_eq!(t.get(&1003).map(|r| r.id), Some(1003));
        assert!(t.get(&1000).is_none() && t.get(&1006).is_none());
        assert_eq!(
            t.starting_at(1004).map(|r| r.id).collect::<Vec<_>>(),
            [1004, 1005]
        );
        assert_eq!(t.starting_at(0).count(), 5);
        assert_eq!(t.starting_at(9_999).count(), 0);
        // A cleared table starts again from whatever id comes next.
        t.clear();
        t.push(rec(2000));
        assert_eq!(t.get(&2000).map(|r| r.id), Some(2000));
    }
}
