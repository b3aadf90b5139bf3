//! The worker's checks of what it holds against the vendor: the reconciliation by range
//! counts, deletions, and a warm start's ledger taken in before either runs.

use tokio::time::Instant;

use chrono::Utc;

use super::{SyncEvent, Worker};
use crate::sources::SourceError;

impl Worker {
    /// Take in a warm start's ledger once it is built.
    pub(super) async fn settle_ledger(&mut self) {
        let Some(build) = self.ledger_build.take() else {
            return;
        };
        match build.await {
            Ok(older) => {
                self.ledger.seed(older);
                self.awaiting_ledger = false;
            }
            // Without it, reconciling would read the whole portal: it stays off.
            Err(e) => tracing::warn!(error = %e, "cannot build the reconciliation ledger"),
        }
    }

    /// Check the held records against the vendor's counts and deliver what drifted.
    pub(super) async fn reconcile(&mut self) -> Result<(), SourceError> {
        let Some(cursor) = self.cursor.as_ref() else {
            return Ok(());
        };
        let outcome =
            crate::sync::reconcile::reconcile(&mut self.client, &self.ledger, cursor).await?;
        self.reconciled_at = Some(Instant::now());
        let Some(outcome) = outcome else {
            return Ok(());
        };
        let repaired = outcome.repaired_count();
        tracing::info!(source = %self.health.name, ranges = outcome.ranges,
            requests = outcome.requests, repaired, "reconciled with the vendor");
        self.health.reconciled = Some(crate::sync::status::Reconciled {
            at: Utc::now(),
            repaired,
        });
        if repaired > 0 {
            self.ledger.hold(&outcome.repaired);
            self.send(SyncEvent::Data(self.index, outcome.repaired));
        }
        Ok(())
    }

    /// Deleted contacts, deals and notes (an undone recycle's) leave the panes (search
    /// never reports them).
    pub(super) async fn reconcile_deletions(&mut self) -> Result<(), SourceError> {
        let deleted = self.client.deleted().await?;
        self.deletions_at = Some(Instant::now());
        if !deleted.is_empty() {
            self.ledger.forget(&deleted.leads, &deleted.deals);
            self.send(SyncEvent::Removed {
                source: self.index,
                leads: deleted.leads,
                deals: deleted.deals,
                notes: deleted.notes,
            });
        }
        Ok(())
    }
}
