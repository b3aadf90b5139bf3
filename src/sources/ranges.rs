//! The port's reconciliation reads: records counted and read by modification time, so a
//! source's cache can be checked against the vendor range by range (`sync::reconcile`).
//! A kind a vendor cannot count cheaply answers `None` and is skipped: HubSpot counts leads
//! and deals by search totals, Salesforce leads by `SELECT COUNT()`.

use super::port::{Connector, Cursor, Delta};
use super::{SourceError, hubspot};

/// The kinds of record reconciliation checks: the ones every figure is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Leads,
    Deals,
}

impl RecordKind {
    pub const ALL: [RecordKind; 2] = [RecordKind::Leads, RecordKind::Deals];

    fn hubspot(self) -> hubspot::Kind {
        match self {
            RecordKind::Leads => hubspot::Kind::Contacts,
            RecordKind::Deals => hubspot::Kind::Deals,
        }
    }
}

impl Connector {
    /// The instant (ms) before which every write of `kind` is surely visible to
    /// [`count_modified`](Self::count_modified): where the cursor's polls resume, less the
    /// vendor's index margin. `None`: this source cannot reconcile, or has not loaded yet.
    pub fn settled(&self, cursor: &Cursor, kind: RecordKind) -> Option<i64> {
        match (self, cursor) {
            (Connector::HubSpot(h), Cursor::HubSpot(c)) => {
                let since = c.since(kind.hubspot())?;
                Some((since - h.index_margin()).timestamp_millis())
            }
            // SOQL reads what is committed: no index to trail.
            (Connector::Salesforce(_), Cursor::Salesforce(c)) if kind == RecordKind::Leads => {
                c.leads_settled()
            }
            _ => None,
        }
    }

    /// How many records of `kind` the vendor holds modified in `[from, to)` (ms).
    pub async fn count_modified(
        &mut self,
        kind: RecordKind,
        from: i64,
        to: i64,
    ) -> Result<Option<u64>, SourceError> {
        match self {
            Connector::HubSpot(h) => Ok(Some(h.count_between(kind.hubspot(), from, to).await?)),
            Connector::Salesforce(s) if kind == RecordKind::Leads => {
                Ok(Some(s.count_leads_between(from, to).await?))
            }
            _ => Ok(None),
        }
    }

    /// Every record of `kind` modified in `[from, to)` (ms), as a poll delivers it.
    pub async fn read_modified(
        &mut self,
        kind: RecordKind,
        from: i64,
        to: i64,
    ) -> Result<Delta, SourceError> {
        match self {
            Connector::HubSpot(h) => h.read_between(kind.hubspot(), from, to).await,
            Connector::Salesforce(s) if kind == RecordKind::Leads => Ok(Delta {
                leads: s.leads_between(from, to).await?,
                ..Delta::default()
            }),
            _ => Ok(Delta::default()),
        }
    }
}
