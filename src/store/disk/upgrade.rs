//! Lead bodies written by an older tandem (JSON, or version 1 with interned values as
//! text) still read, at the old speed. The cache's writer re-encodes them a slice at a
//! time while it has nothing else to write, so the start after next decodes them at full
//! speed, and quitting never waits for more than one slice.

use rusqlite::params;
use rusqlite::types::{Value, ValueRef};

use super::records::Record;
use super::{Disk, DiskError};
use crate::domain::Lead;

impl Disk {
    /// Re-encode the older lead bodies among the next `n` of `source` after id `after`.
    /// Returns where to go on from, or `None` once the last lead was looked at.
    pub fn upgrade_leads(
        &mut self,
        source: &str,
        after: &str,
        n: usize,
    ) -> Result<Option<String>, DiskError> {
        let mut older: Vec<(String, Lead)> = Vec::new();
        let (mut seen, mut last) = (0, None);
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, body FROM record WHERE source = ?1 AND kind = 'lead' AND id > ?2
                 ORDER BY id LIMIT ?3",
            )?;
            let mut rows = stmt.query(params![source, after, n as i64])?;
            while let Some(row) = rows.next()? {
                let id: String = row.get(0)?;
                let body: ValueRef<'_> = row.get_ref(1)?;
                seen += 1;
                if !super::lead_codec::is_current(body)
                    && let Some(lead) = Lead::read(body, &self.syms)
                {
                    older.push((id.clone(), lead));
                }
                last = Some(id);
            }
        }
        if !older.is_empty() {
            self.bodies_tx(|tx, syms| {
                let mut stmt = tx.prepare_cached(
                    "UPDATE record SET body = ?3 WHERE source = ?1 AND kind = 'lead' AND id = ?2",
                )?;
                for (id, lead) in &older {
                    let body: Value = lead.body(syms)?;
                    stmt.execute(params![source, id, body])?;
                }
                Ok(())
            })?;
        }
        Ok(if seen < n { None } else { last })
    }
}
