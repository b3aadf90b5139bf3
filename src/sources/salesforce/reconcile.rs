//! Reconciliation reads: how many leads Salesforce holds modified within a range of
//! `SystemModstamp`, and those leads (see `sync::reconcile`). Opportunities are not counted
//! here: their contacts come from the leads converted into them, which a read by range alone
//! would not bring.

use chrono::{DateTime, Utc};

use super::Salesforce;
use super::read::Cursor;
use super::wire::{QueryPage, soql_time};
use crate::domain::Lead;
use crate::sources::SourceError;

fn range(from_ms: i64, to_ms: i64) -> String {
    let at = |ms| DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    format!(
        "SystemModstamp >= {} AND SystemModstamp < {}",
        soql_time(at(from_ms)),
        soql_time(at(to_ms))
    )
}

impl Salesforce {
    /// Leads with a `SystemModstamp` in `[from, to)` (ms), by `SELECT COUNT()`.
    pub async fn count_leads_between(&mut self, from: i64, to: i64) -> Result<u64, SourceError> {
        let soql = format!("SELECT COUNT() FROM Lead WHERE {}", range(from, to));
        let path = self.path("/query");
        let page: QueryPage = self
            .http
            .call(|s| {
                s.request(reqwest::Method::GET, &path)
                    .query(&[("q", &soql)])
            })
            .await?;
        Ok(page.total_size.unwrap_or(0))
    }

    /// The leads modified in `[from, to)` (ms), each with its whole history, as a poll
    /// delivers them.
    pub async fn leads_between(&mut self, from: i64, to: i64) -> Result<Vec<Lead>, SourceError> {
        let fields = self.lead_fields();
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        let soql = format!(
            "SELECT {} FROM Lead WHERE {} ORDER BY SystemModstamp ASC",
            fields.join(", "),
            range(from, to)
        );
        let rows = self.query(&soql).await?;
        Ok(self.leads_with_history(&rows).await?.0)
    }
}

impl Cursor {
    /// Up to when (ms, exclusive) lead polls have read everything: through the newest
    /// `SystemModstamp` seen (the next poll reads that instant again for any lead it missed).
    pub fn leads_settled(&self) -> Option<i64> {
        self.leads.at.map(|t| t.timestamp_millis() + 1)
    }
}
