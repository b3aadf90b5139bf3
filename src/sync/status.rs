//! What the header and footer need to know about each source and each action.

use chrono::{DateTime, Utc};

pub use crate::domain::action::{ActionStatus, OutboxEntry};
pub use crate::sources::port::Part;

/// A request slower than this marks its source "slow" in the header (HubSpot usually
/// answers in well under a second).
pub const SLOW_REQUEST: std::time::Duration = std::time::Duration::from_secs(2);

/// Freshness and errors of one source, for the header badge.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceHealth {
    pub name: String,
    /// When the last poll completed successfully; the panes show data as of then.
    pub last_success: Option<DateTime<Utc>>,
    /// The most recent failure, cleared by the next success.
    pub last_error: Option<String>,
    /// When the current run of failures began ("failing since 11:02"). Cleared by a success.
    pub failing_since: Option<DateTime<Utc>>,
    /// The vendor answers, but its slowest request in the last good round took this long
    /// (only set past [`SLOW_REQUEST`]): the data is fresh, the next round will be late.
    pub slow: Option<std::time::Duration>,
    /// The vendor refused the token: polling has stopped until a manual refresh (`r`), and
    /// the panes show the last good data. Cleared by the next success.
    pub unauthorised: bool,
    /// Whether the first full load has finished.
    pub loaded: bool,
    /// Leads loaded so far during the first load (for a progress hint).
    pub loaded_leads: usize,
    /// How many leads the vendor says there are, once known ("loading 3,600 / 5,000").
    pub loading_total: Option<usize>,
    /// The vendor asked us to wait until then (a `Retry-After` longer than we sleep
    /// through); nothing is sent to it before. Cleared by the next success.
    pub rate_limited_until: Option<DateTime<Utc>>,
    /// After a failure: when the next attempt is due. Cleared by the next success.
    pub retry_at: Option<DateTime<Utc>>,
    /// A request is being retried right now, and what its last try met ("no answer for
    /// 20s"). Set by the app from [`super::SyncEvent::Trouble`]; the next report clears it.
    pub trouble: Option<String>,
    /// Each system behind the source (Salesforce and Marketo for a joined one): its daily
    /// API allowance (Salesforce's `Sforce-Limit-Info`, Marketo's usage) and whether it is
    /// the one failing.
    pub parts: Vec<Part>,
    /// Where the source writes a recycle's revisit day when that is not the configured
    /// property itself ("the #recycle Task's due date"), for the recycle dialog.
    pub revisit_target: Option<String>,
    /// Records of the CRM and the MAP the last join could not match, in words.
    pub join_conflicts: Vec<String>,
    /// The last check of the held records against the vendor's own counts.
    pub reconciled: Option<Reconciled>,
}

/// A reconciliation's result, for the header.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconciled {
    pub at: DateTime<Utc>,
    /// Records it found in a newer version than the polls had delivered.
    pub repaired: usize,
}

impl SourceHealth {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            last_success: None,
            last_error: None,
            failing_since: None,
            slow: None,
            unauthorised: false,
            loaded: false,
            loaded_leads: 0,
            loading_total: None,
            rate_limited_until: None,
            retry_at: None,
            trouble: None,
            parts: Vec::new(),
            revisit_target: None,
            join_conflicts: Vec::new(),
            reconciled: None,
        }
    }
}

/// A retried request's trouble in a few words, for the header.
pub fn trouble(err: &crate::sources::SourceError, waited: std::time::Duration) -> String {
    use crate::sources::SourceError;
    match err {
        SourceError::Timeout => format!("no answer for {}", crate::sources::wait::words(waited)),
        SourceError::RateLimited { .. } => "rate-limited, waiting".into(),
        SourceError::Api { status, .. } => format!("{status} answer, retrying"),
        SourceError::Connect { .. } => "cannot connect, retrying".into(),
        SourceError::Malformed(_) => "answer cut off, retrying".into(),
        _ => "retrying".into(),
    }
}
