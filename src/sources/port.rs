//! The source port: everything `sync/` and `app/` ask of a vendor, and the only way they
//! reach one. Each vendor module implements it; nothing outside `sources/` names a vendor.
//!
//! - reference data (owners, the deal pipeline), a resumable paged first load, an
//!   incremental poll from a cursor that is opaque to everyone else, deleted ids;
//! - a fresh read of one record for conflict checks;
//! - an action's plan: its steps in order, each with a name, a check and a request, run by
//!   the one saga runner (`sync::saga`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::hubspot::{self, HubSpot};
use super::{RetryHook, RetryPolicy, SourceError};
use crate::domain::action::{Action, ActionKind, Seen};
use crate::domain::{DealStage, Owner};

pub use super::hubspot::Delta;

/// Which vendor a source speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    HubSpot,
}

impl Vendor {
    /// The vendor's id in config files and local keys (`hubspot`).
    pub fn id(self) -> &'static str {
        match self {
            Vendor::HubSpot => "hubspot",
        }
    }

    /// The vendor's name as people write it.
    pub fn name(self) -> &'static str {
        match self {
            Vendor::HubSpot => "HubSpot",
        }
    }

    /// The vendor from a config's `kind`.
    pub fn parse(kind: &str) -> Option<Vendor> {
        match kind {
            "hubspot" => Some(Vendor::HubSpot),
            _ => None,
        }
    }

    /// The key a source's records, cursor and outbox entries are filed under: its vendor and
    /// address, so two portals (or a portal and a simulation) never share records.
    pub fn source_key(self, base_url: &str) -> String {
        format!("{}@{}", self.id(), base_url.trim_end_matches('/'))
    }

    /// `raw` as an API base URL of this vendor, or why not.
    pub fn check_base_url(self, raw: &str) -> Result<String, String> {
        match self {
            Vendor::HubSpot => hubspot::check_base_url(raw),
        }
    }

    /// How many writes `kind` takes with this vendor.
    pub fn step_count(self, kind: &ActionKind) -> u8 {
        match self {
            Vendor::HubSpot => hubspot::step_count(kind),
        }
    }

    /// What each of `kind`'s writes does, in words.
    pub fn step_names(self, kind: &ActionKind) -> Vec<&'static str> {
        match self {
            Vendor::HubSpot => hubspot::step_names(kind),
        }
    }

    /// The lead as the user sees it, in the terms an action's conflict check compares.
    pub fn seen(self, lead: &crate::domain::Lead) -> Seen {
        match self {
            Vendor::HubSpot => hubspot::seen(lead),
        }
    }

    /// The action that puts back what `action` changed, if it can be undone.
    pub fn inverse(self, action: &Action) -> Option<ActionKind> {
        match self {
            Vendor::HubSpot => hubspot::inverse(action),
        }
    }

    /// The record as the sent `action` leaves it: what its undo expects to find.
    pub fn expected_after(self, action: &Action) -> Seen {
        match self {
            Vendor::HubSpot => hubspot::expected_after(action),
        }
    }
}

/// Where a source's incremental sync resumes. Opaque outside its vendor module; stored as
/// the vendor's own JSON (untagged, so caches written before the port still read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cursor {
    HubSpot(hubspot::Cursor),
}

/// Reference data that changes rarely and is loaded whole.
#[derive(Debug, Default)]
pub struct Reference {
    pub owners: Vec<Owner>,
    pub deal_stages: Vec<DealStage>,
}

/// Records deleted in the vendor since they were loaded.
#[derive(Debug, Default)]
pub struct Deleted {
    pub leads: Vec<String>,
    pub deals: Vec<String>,
    pub notes: Vec<String>,
}

impl Deleted {
    pub fn is_empty(&self) -> bool {
        self.leads.is_empty() && self.deals.is_empty() && self.notes.is_empty()
    }
}

/// How far a first load has got; its owner keeps it between attempts so a failed page is
/// asked for again, never page 1.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadProgress {
    /// Leads handed over so far, and how many the vendor says there are.
    pub leads: usize,
    pub total_leads: Option<usize>,
    state: LoadState,
}

#[derive(Debug, Clone, Default, PartialEq)]
enum LoadState {
    #[default]
    Start,
    HubSpot(hubspot::LoadState),
}

impl LoadProgress {
    pub fn is_done(&self) -> bool {
        match &self.state {
            LoadState::Start => false,
            LoadState::HubSpot(s) => s.is_done(),
        }
    }
}

/// One configured source's connection to its vendor.
pub enum Connector {
    HubSpot(HubSpot),
}

impl From<HubSpot> for Connector {
    fn from(h: HubSpot) -> Self {
        Connector::HubSpot(h)
    }
}

impl Connector {
    /// A connection to `vendor` at `base_url` with `token`; leads are classified by
    /// `stages`, and `extra_properties` are read besides what tandem always reads.
    pub fn new(
        vendor: Vendor,
        base_url: &str,
        token: super::Secret,
        stages: std::sync::Arc<crate::domain::catalog::StageCatalog>,
        extra_properties: Vec<String>,
    ) -> Result<Self, SourceError> {
        match vendor {
            Vendor::HubSpot => {
                // A source classifies by its own vendor's rules only.
                let stages = std::sync::Arc::new(stages.for_vendor(vendor.id()));
                let mapping = hubspot::Mapping::new(stages, extra_properties);
                Ok(Connector::HubSpot(HubSpot::new(base_url, token, mapping)?))
            }
        }
    }

    /// Name the environment variable the token came from, for messages about it.
    pub fn with_token_env(self, name: &str) -> Self {
        match self {
            Connector::HubSpot(h) => Connector::HubSpot(h.with_token_env(name)),
        }
    }

    pub fn vendor(&self) -> Vendor {
        match self {
            Connector::HubSpot(_) => Vendor::HubSpot,
        }
    }

    pub fn base_url(&self) -> &str {
        match self {
            Connector::HubSpot(h) => h.base_url(),
        }
    }

    /// The key this source's records, cursor and outbox entries are filed under.
    pub fn source_key(&self) -> String {
        self.vendor().source_key(self.base_url())
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        match self {
            Connector::HubSpot(h) => h.retry_policy(),
        }
    }

    pub fn with_retry(self, retry: RetryPolicy) -> Self {
        match self {
            Connector::HubSpot(h) => Connector::HubSpot(h.with_retry(retry)),
        }
    }

    pub fn with_retry_hook(self, hook: RetryHook) -> Self {
        match self {
            Connector::HubSpot(h) => Connector::HubSpot(h.with_retry_hook(hook)),
        }
    }

    /// Give up retrying (and waiting) at `deadline`.
    pub fn set_deadline(&mut self, deadline: Option<tokio::time::Instant>) {
        match self {
            Connector::HubSpot(h) => h.set_deadline(deadline),
        }
    }

    /// The slowest request since the last call.
    pub fn take_slowest(&mut self) -> Duration {
        match self {
            Connector::HubSpot(h) => h.take_slowest(),
        }
    }

    /// Owners and the deal pipeline: small, read whole, and needed before records make
    /// sense.
    pub async fn reference(&mut self) -> Result<Reference, SourceError> {
        match self {
            Connector::HubSpot(h) => Ok(Reference {
                owners: h.owners().await?,
                deal_stages: h.deal_stages().await?,
            }),
        }
    }

    /// Load every record from where `progress` stands, handing each page to `on_page` as
    /// it arrives. On an error `progress` keeps the last page handed over; calling again
    /// resumes after it. Returns where incremental polls start.
    pub async fn load_pages(
        &mut self,
        progress: &mut LoadProgress,
        mut on_page: impl FnMut(Delta, &LoadProgress),
    ) -> Result<Cursor, SourceError> {
        match self {
            Connector::HubSpot(h) => {
                let mut state = match std::mem::take(&mut progress.state) {
                    LoadState::HubSpot(s) => s,
                    LoadState::Start => hubspot::LoadState::default(),
                };
                let mut counts = (progress.leads, progress.total_leads);
                let mut seen = progress.clone();
                let result = h
                    .load_pages(&mut state, &mut counts, |delta, (leads, total)| {
                        (seen.leads, seen.total_leads) = (leads, total);
                        on_page(delta, &seen)
                    })
                    .await;
                (progress.leads, progress.total_leads) = counts;
                progress.state = LoadState::HubSpot(state);
                result.map(Cursor::HubSpot)
            }
        }
    }

    /// Everything changed since `cursor`; the cursor moves only when all of it was read.
    pub async fn poll(&mut self, cursor: &mut Cursor) -> Result<Delta, SourceError> {
        match (self, cursor) {
            (Connector::HubSpot(h), Cursor::HubSpot(c)) => h.poll(c).await,
        }
    }

    /// Records deleted in the vendor.
    pub async fn deleted(&mut self) -> Result<Deleted, SourceError> {
        match self {
            Connector::HubSpot(h) => {
                let a = h.archived().await?;
                Ok(Deleted {
                    leads: a.leads,
                    deals: a.deals,
                    notes: a.notes,
                })
            }
        }
    }

    /// The lead as it is in the vendor now, in the terms the user saw it in.
    pub async fn fresh(&mut self, lead_id: &str) -> Result<Seen, SourceError> {
        match self {
            Connector::HubSpot(h) => h.fresh(lead_id).await,
        }
    }

    /// Whether step `step` of `action`'s plan is already applied to the record (`fresh`).
    pub async fn step_applied(
        &mut self,
        action: &Action,
        step: u8,
        fresh: &Seen,
        maybe_sent: bool,
    ) -> Result<bool, SourceError> {
        match self {
            Connector::HubSpot(h) => h.step_applied(action, step, fresh, maybe_sent).await,
        }
    }

    /// Send step `step` of `action`'s plan; returns the vendor's time of the write.
    pub async fn run_step(
        &mut self,
        action: &Action,
        step: u8,
        fresh: &Seen,
    ) -> Result<Option<DateTime<Utc>>, SourceError> {
        match self {
            Connector::HubSpot(h) => h.run_step(action, step, fresh).await,
        }
    }
}
