//! The cache's own numbers for interned values. A lead's body names its company, country,
//! owner, campaigns and properties by these numbers, so a start turns each into a `Sym`
//! by its place in a list. Interning the text of fifteen values a lead, fifteen million
//! at 1M, was half of what decoding a lead cost.
//!
//! A value's number is given when a body first needs it and written to the `sym` table in
//! the same transaction as that body, so a body never names a number the file lacks.
//! Numbers are never reused or changed; the table grows with the distinct values seen.

use std::collections::HashMap;

use rusqlite::{Connection, Transaction, params};

use crate::domain::lead::Sym;

#[derive(Debug, Default)]
pub struct SymDict {
    /// Value by number less one; `None` for a number the file does not hold (never
    /// written by this code, but a body naming it must decode as unreadable, not panic).
    by_number: Vec<Option<Sym>>,
    /// The number of each value, by its process number ([`Sym::number`]).
    numbers: HashMap<u32, u64, foldhash::fast::RandomState>,
    /// `by_number[written..]` is not in the file yet.
    written: usize,
}

impl SymDict {
    /// The file's table, each value interned once.
    pub fn read(conn: &Connection) -> rusqlite::Result<SymDict> {
        let mut dict = SymDict::default();
        let mut stmt = conn.prepare("SELECT n, text FROM sym ORDER BY n")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (n, text): (i64, String) = (row.get(0)?, row.get(1)?);
            let Some(place) = usize::try_from(n).ok().and_then(|n| n.checked_sub(1)) else {
                continue;
            };
            if dict.by_number.len() <= place {
                dict.by_number.resize(place + 1, None);
            }
            let sym = Sym::new(&text);
            dict.by_number[place] = Some(sym);
            dict.numbers.insert(sym.number(), place as u64 + 1);
        }
        dict.written = dict.by_number.len();
        Ok(dict)
    }

    /// How many numbers are given, in the file or not.
    pub fn held(&self) -> usize {
        self.by_number.len()
    }

    /// `sym`'s code in a body: 0 for the empty text, else its number, given now if new.
    pub fn code(&mut self, sym: Sym) -> u64 {
        if sym == Sym::default() {
            return 0;
        }
        if let Some(&n) = self.numbers.get(&sym.number()) {
            return n;
        }
        self.by_number.push(Some(sym));
        let n = self.by_number.len() as u64;
        self.numbers.insert(sym.number(), n);
        n
    }

    /// The value a body's code names; `None` for a number the file does not hold.
    pub fn sym(&self, code: u64) -> Option<Sym> {
        if code == 0 {
            return Some(Sym::default());
        }
        let place = usize::try_from(code - 1).ok()?;
        self.by_number.get(place).copied().flatten()
    }

    /// Write the numbers given since the last commit, inside the bodies' transaction.
    pub fn write_new(&self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        let mut stmt = tx.prepare_cached("INSERT INTO sym (n, text) VALUES (?1, ?2)")?;
        for (place, sym) in self.by_number.iter().enumerate().skip(self.written) {
            if let Some(sym) = sym {
                stmt.execute(params![place as i64 + 1, sym.as_str()])?;
            }
        }
        Ok(())
    }

    /// The transaction committed: what it wrote is in the file.
    pub fn committed(&mut self) {
        self.written = self.by_number.len();
    }

    /// The transaction failed: the numbers it would have written are taken back, so a
    /// later body cannot name one the file lacks.
    pub fn rolled_back(&mut self) {
        for sym in self.by_number.drain(self.written..).flatten() {
            self.numbers.remove(&sym.number());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE sym (n INTEGER PRIMARY KEY, text TEXT NOT NULL)")
            .unwrap();
        conn
    }

    fn commit(dict: &mut SymDict, conn: &mut Connection) {
        let tx = conn.transaction().unwrap();
        dict.write_new(&tx).unwrap();
        tx.commit().unwrap();
        dict.committed();
    }

    /// Numbers given and committed are what the file gives back; the empty text needs none.
    #[test]
    fn committed_numbers_read_back_as_their_values() {
        let mut conn = file();
        let mut dict = SymDict::default();
        let (acme, de) = (Sym::new("Acme Robotics"), Sym::new("DE"));
        assert_eq!(dict.code(Sym::default()), 0);
        let codes = [dict.code(acme), dict.code(de), dict.code(acme)];
        assert_eq!(codes, [1, 2, 1]);
        commit(&mut dict, &mut conn);
        let read = SymDict::read(&conn).unwrap();
        assert_eq!(read.sym(1), Some(acme));
        assert_eq!(read.sym(2), Some(de));
        assert_eq!(read.sym(0), Some(Sym::default()));
        assert_eq!(read.sym(3), None);
        // A committed dictionary writes nothing twice.
        let mut read = read;
        assert_eq!(read.code(de), 2);
        commit(&mut read, &mut conn);
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM sym", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 2);
    }

    /// A failed transaction takes its numbers back: the next body gives them again and
    /// writes them, so no body names a number the file lacks.
    #[test]
    fn numbers_of_a_failed_write_are_taken_back() {
        let mut conn = file();
        let mut dict = SymDict::default();
        let kept = Sym::new("kept");
        dict.code(kept);
        commit(&mut dict, &mut conn);
        let lost = Sym::new("lost in a rollback");
        assert_eq!(dict.code(lost), 2);
        dict.rolled_back();
        assert_eq!(dict.sym(2), None);
        let other = Sym::new("written later");
        assert_eq!(dict.code(other), 2);
        assert_eq!(dict.code(lost), 3);
        commit(&mut dict, &mut conn);
        let read = SymDict::read(&conn).unwrap();
        assert_eq!(
            (read.sym(1), read.sym(2), read.sym(3)),
            (Some(kept), Some(other), Some(lost))
        );
    }
}
