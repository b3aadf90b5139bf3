//! A warm start's reconciliation ledger, handed to the source after the first frame: the
//! version of every cached record, a million hash-map entries at 1M leads, is nothing the
//! first frame needs.

use crate::store::id_key;
use crate::sync::SourceCommand;

impl super::App {
    /// Whether a warm start's ledger is still to be sent.
    pub fn ledger_owed(&self) -> bool {
        self.ledger_owed.is_some()
    }

    /// Send the source the version of every record the cache held, keyed as its ledger
    /// keys them. The leads' keys were worked out while they were decoded.
    pub fn send_ledger(&mut self) {
        let Some(keys) = self.ledger_owed.take() else {
            return;
        };
        let store = &self.model.store;
        let version = |at: chrono::DateTime<chrono::Utc>| at.timestamp_millis();
        // The store holds the cache's leads in the cache's order, each key at its lead's
        // place; anything else (none known) is keyed afresh.
        let leads: Vec<(u64, i64)> = if keys.len() == store.leads().len() {
            keys.into_iter()
                .zip(store.leads())
                .map(|(key, lead)| (key, version(lead.updated_at)))
                .collect()
        } else {
            store
                .leads()
                .iter()
                .map(|lead| (id_key(&lead.id), version(lead.updated_at)))
                .collect()
        };
        let deals = store
            .deals()
            .iter()
            .map(|deal| (id_key(&deal.id), version(deal.updated_at)))
            .collect();
        if let Some(source) = self.sources.first() {
            let _ = source.send(SourceCommand::Ledger { leads, deals });
        }
    }
}
