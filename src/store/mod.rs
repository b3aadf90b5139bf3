//! The last good data from every source, in vendor-neutral records.
//!
//! Only the app loop writes here (applying sync events); panes read through the snapshot.

use std::collections::HashMap;

use crate::domain::{Deal, DealStage, Lead, Note, Owner};

/// Upsert-by-id storage that keeps a stable order for rendering.
#[derive(Debug)]
struct Table<T> {
    rows: Vec<T>,
    index: HashMap<String, usize>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<T: PartialEq> Table<T> {
    /// Insert or replace; returns whether anything changed.
    fn upsert(&mut self, id: &str, row: T) -> bool {
        match self.index.get(id) {
            Some(&i) if self.rows[i] == row => false,
            Some(&i) => {
                self.rows[i] = row;
                true
            }
            None => {
                self.index.insert(id.to_string(), self.rows.len());
                self.rows.push(row);
                true
            }
        }
    }

    fn get(&self, id: &str) -> Option<&T> {
        self.index.get(id).map(|&i| &self.rows[i])
    }
}

#[derive(Debug, Default)]
pub struct Store {
    leads: Table<Lead>,
    deals: Table<Deal>,
    notes: Table<Note>,
    owners: Vec<Owner>,
    deal_stages: Vec<DealStage>,
}

impl Store {
    pub fn leads(&self) -> &[Lead] {
        &self.leads.rows
    }

    pub fn lead(&self, id: &str) -> Option<&Lead> {
        self.leads.get(id)
    }

    pub fn deals(&self) -> &[Deal] {
        &self.deals.rows
    }

    pub fn notes(&self) -> &[Note] {
        &self.notes.rows
    }

    pub fn owners(&self) -> &[Owner] {
        &self.owners
    }

    pub fn owner(&self, id: &str) -> Option<&Owner> {
        self.owners.iter().find(|o| o.id == id)
    }

    pub fn deal_stages(&self) -> &[DealStage] {
        &self.deal_stages
    }

    /// Returns whether anything changed, so the loop can skip rebuilding and redrawing.
    pub fn upsert_leads(&mut self, leads: Vec<Lead>) -> bool {
        let mut changed = false;
        for lead in leads {
            let id = lead.id.clone();
            changed |= self.leads.upsert(&id, lead);
        }
        changed
    }

    pub fn upsert_deals(&mut self, deals: Vec<Deal>) -> bool {
        let mut changed = false;
        for deal in deals {
            let id = deal.id.clone();
            changed |= self.deals.upsert(&id, deal);
        }
        changed
    }

    pub fn upsert_notes(&mut self, notes: Vec<Note>) -> bool {
        let mut changed = false;
        for note in notes {
            let id = note.id.clone();
            changed |= self.notes.upsert(&id, note);
        }
        changed
    }

    pub fn set_owners(&mut self, owners: Vec<Owner>) -> bool {
        let changed = self.owners != owners;
        self.owners = owners;
        changed
    }

    pub fn set_deal_stages(&mut self, stages: Vec<DealStage>) -> bool {
        let changed = self.deal_stages != stages;
        self.deal_stages = stages;
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Stage;
    use crate::domain::lead::tests_support::lead_in;

    #[test]
    fn upsert_reports_only_real_changes() {
        let mut store = Store::default();
        let lead = lead_in(Stage::Mql);
        assert!(store.upsert_leads(vec![lead.clone()]));
        assert!(!store.upsert_leads(vec![lead.clone()]));
        let mut moved = lead.clone();
        moved.stage = Some(Stage::Sal);
        assert!(store.upsert_leads(vec![moved]));
        assert_eq!(store.leads().len(), 1);
        assert_eq!(store.lead("1").unwrap().stage, Some(Stage::Sal));
    }
}
