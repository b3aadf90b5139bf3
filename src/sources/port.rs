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
use super::joined::{self, Joined};
use super::marketo::Marketo;
use super::salesforce::{self, Salesforce};
use super::{RetryHook, RetryPolicy, SourceError};
use crate::domain::action::{Action, ActionKind, Seen};
use crate::domain::{DealStage, Owner};

pub use super::hubspot::Delta;

/// Which vendor a source speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    HubSpot,
    Salesforce,
    /// Marketo, as the MAP beside a Salesforce CRM (never a source by itself).
    Marketo,
    /// Salesforce as the CRM joined to Marketo as the MAP: one source of joined leads.
    SalesforceMarketo,
}

impl Vendor {
    /// The vendor's id in config files and local keys (`hubspot`).
    pub fn id(self) -> &'static str {
        match self {
            Vendor::HubSpot => "hubspot",
            Vendor::Salesforce => "salesforce",
            Vendor::Marketo => "marketo",
            Vendor::SalesforceMarketo => "salesforce+marketo",
        }
    }

    /// The vendor's name as people write it.
    pub fn name(self) -> &'static str {
        match self {
            Vendor::HubSpot => "HubSpot",
            Vendor::Salesforce => "Salesforce",
            Vendor::Marketo => "Marketo",
            Vendor::SalesforceMarketo => "Salesforce + Marketo",
        }
    }

    /// Whose `[[stage.<vendor>]]` rules classify this source's leads: a joined lead's by
    /// its CRM's rules and then its MAP's.
    pub fn rules(self) -> &'static [&'static str] {
        match self {
            Vendor::HubSpot => &["hubspot"],
            Vendor::Salesforce => &["salesforce"],
            Vendor::Marketo => &["marketo"],
            Vendor::SalesforceMarketo => &["salesforce", "marketo"],
        }
    }

    /// The vendor a local key ([`Vendor::source_key`]) was filed under.
    pub fn of_key(key: &str) -> Option<Vendor> {
        let id = key.split('@').next()?;
        [
            Vendor::HubSpot,
            Vendor::Salesforce,
            Vendor::Marketo,
            Vendor::SalesforceMarketo,
        ]
        .into_iter()
        .find(|v| v.id() == id)
    }

    /// The vendor from a config's `kind`.
    pub fn parse(kind: &str) -> Option<Vendor> {
        match kind {
            "hubspot" => Some(Vendor::HubSpot),
            "salesforce" => Some(Vendor::Salesforce),
            "marketo" => Some(Vendor::Marketo),
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
            Vendor::Salesforce | Vendor::SalesforceMarketo => salesforce::check_base_url(raw),
            Vendor::Marketo => super::marketo::check_base_url(raw),
        }
    }

    /// How many writes `kind` takes with this vendor.
    pub fn step_count(self, kind: &ActionKind) -> u8 {
        match self {
            Vendor::HubSpot => hubspot::step_count(kind),
            Vendor::Salesforce => salesforce::step_count(kind),
            Vendor::SalesforceMarketo => joined::step_count(kind),
            Vendor::Marketo => 0,
        }
    }

    /// What each of `kind`'s writes does, in words.
    pub fn step_names(self, kind: &ActionKind) -> Vec<&'static str> {
        match self {
            Vendor::HubSpot => hubspot::step_names(kind),
            Vendor::Salesforce => salesforce::step_names(kind),
            Vendor::SalesforceMarketo => joined::step_names(kind),
            Vendor::Marketo => Vec::new(),
        }
    }

    /// The lead as the user sees it, in the terms an action's conflict check compares.
    pub fn seen(self, lead: &crate::domain::Lead) -> Seen {
        match self {
            Vendor::HubSpot => hubspot::seen(lead),
            Vendor::Salesforce | Vendor::SalesforceMarketo | Vendor::Marketo => {
                salesforce::seen(lead)
            }
        }
    }

    /// The action that puts back what `action` changed, if it can be undone.
    pub fn inverse(self, action: &Action) -> Option<ActionKind> {
        match self {
            Vendor::HubSpot => hubspot::inverse(action),
            Vendor::Salesforce | Vendor::SalesforceMarketo => salesforce::inverse(action),
            Vendor::Marketo => None,
        }
    }

    /// The record as the sent `action` leaves it: what its undo expects to find.
    pub fn expected_after(self, action: &Action) -> Seen {
        match self {
            Vendor::HubSpot => hubspot::expected_after(action),
            Vendor::Salesforce | Vendor::SalesforceMarketo | Vendor::Marketo => {
                salesforce::expected_after(action)
            }
        }
    }
}

/// Where a source's incremental sync resumes. Opaque outside its vendor module; stored as
/// the vendor's own JSON (untagged, so caches written before the port still read; the
/// Salesforce cursor's fields are all required, so it is tried first and never mistaken).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cursor {
    Joined(joined::Cursor),
    Salesforce(salesforce::Cursor),
    HubSpot(hubspot::Cursor),
}

/// One system behind a source (a joined source has two), for its health line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    /// The system's daily API allowance as last reported (used, limit), where it has one.
    pub quota: Option<(u64, u64)>,
    /// Why it is failing, when the source's last error came from it.
    pub failing: Option<String>,
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
    Salesforce(Box<salesforce::LoadState>),
    Joined(Box<joined::LoadState>),
}

impl LoadProgress {
    pub fn is_done(&self) -> bool {
        match &self.state {
            LoadState::Start => false,
            LoadState::HubSpot(s) => s.is_done(),
            LoadState::Salesforce(s) => s.is_done(),
            LoadState::Joined(s) => s.is_done(),
        }
    }
}

/// One configured source's connection to its vendor.
pub enum Connector {
    HubSpot(HubSpot),
    Salesforce(Salesforce),
    Joined(Box<Joined>),
}

impl From<HubSpot> for Connector {
    fn from(h: HubSpot) -> Self {
        Connector::HubSpot(h)
    }
}

/// Run the same expression on whichever vendor's connection this is.
macro_rules! each {
    ($self:expr, $c:ident => $e:expr) => {
        match $self {
            Connector::HubSpot($c) => $e,
            Connector::Salesforce($c) => $e,
            Connector::Joined($c) => $e,
        }
    };
}

/// Wrap a builder call that returns the vendor's own type back into a `Connector`.
macro_rules! rebuild {
    ($self:expr, $c:ident => $e:expr) => {
        match $self {
            Connector::HubSpot($c) => Connector::HubSpot($e),
            Connector::Salesforce($c) => Connector::Salesforce($e),
            Connector::Joined($c) => Connector::Joined(Box::new($e)),
        }
    };
}

impl Connector {
    /// A connection to `vendor` at `base_url` with `token`; leads are classified by
    /// `stages` (the vendor's own rules are picked out), and `extra_properties` are read
    /// besides what tandem always reads.
    pub fn new(
        vendor: Vendor,
        base_url: &str,
        token: super::Secret,
        stages: std::sync::Arc<crate::domain::catalog::StageCatalog>,
        extra_properties: Vec<String>,
    ) -> Result<Self, SourceError> {
        // A source classifies by its own vendor's rules only, and reads only the extra
        // properties no other vendor's rules name (a coverage segment, say).
        let others = stages.properties();
        // A joined source's CRM reads its own fields; the MAP's rules apply once joined.
        let crm_rules = &vendor.rules()[..1];
        let own = std::sync::Arc::new(stages.for_vendors(crm_rules));
        match vendor {
            Vendor::HubSpot => {
                let mapping = hubspot::Mapping::new(own, extra_properties);
                Ok(Connector::HubSpot(HubSpot::new(base_url, token, mapping)?))
            }
            Vendor::Marketo => Err(SourceError::Config(
                "a marketo source is the MAP beside a salesforce source: add one with \
                 kind = \"salesforce\" and role = \"crm\""
                    .into(),
            )),
            Vendor::Salesforce | Vendor::SalesforceMarketo => {
                let extra = extra_properties
                    .into_iter()
                    .filter(|p| !others.contains(p))
                    .collect();
                Ok(Connector::Salesforce(Salesforce::new(
                    base_url, token, own, extra,
                )?))
            }
        }
    }

    /// Salesforce joined to Marketo: `crm` reads the leads, `map` adds what only Marketo
    /// knows, and recycled leads join the static list `nurture_list`. `stages` holds every
    /// vendor's rules (the `[[stage.marketo]]` ones apply to the joined lead).
    pub fn salesforce_marketo(
        crm: Connector,
        map: Marketo,
        nurture_list: Option<u64>,
        stages: &crate::domain::catalog::StageCatalog,
    ) -> Self {
        match crm {
            Connector::Salesforce(sf) => {
                Connector::Joined(Box::new(Joined::new(sf, map, nurture_list, stages)))
            }
            other => other,
        }
    }

    /// What the last join of CRM and MAP records could not match, in words.
    pub fn join_conflicts(&self) -> &[String] {
        match self {
            Connector::Joined(j) => j.conflicts(),
            _ => &[],
        }
    }

    /// Ask for a vendor API version (Salesforce's `60.0`); vendors without one ignore it.
    pub fn with_api_version(self, version: Option<&str>) -> Result<Self, SourceError> {
        match (self, version) {
            (Connector::Salesforce(s), Some(v)) => Ok(Connector::Salesforce(s.with_version(v)?)),
            (Connector::Joined(mut j), Some(v)) => {
                j.crm = j.crm.with_version(v)?;
                Ok(Connector::Joined(j))
            }
            (other, _) => Ok(other),
        }
    }

    /// Name the environment variable the token came from, for messages about it.
    pub fn with_token_env(self, name: &str) -> Self {
        rebuild!(self, c => c.with_token_env(name))
    }

    pub fn vendor(&self) -> Vendor {
        match self {
            Connector::HubSpot(_) => Vendor::HubSpot,
            Connector::Salesforce(_) => Vendor::Salesforce,
            Connector::Joined(_) => Vendor::SalesforceMarketo,
        }
    }

    pub fn base_url(&self) -> &str {
        each!(self, c => c.base_url())
    }

    /// The key this source's records, cursor and outbox entries are filed under.
    pub fn source_key(&self) -> String {
        self.vendor().source_key(self.base_url())
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        each!(self, c => c.retry_policy())
    }

    pub fn with_retry(self, retry: RetryPolicy) -> Self {
        rebuild!(self, c => c.with_retry(retry))
    }

    pub fn with_retry_hook(self, hook: RetryHook) -> Self {
        rebuild!(self, c => c.with_retry_hook(hook))
    }

    /// Give up retrying (and waiting) at `deadline`.
    pub fn set_deadline(&mut self, deadline: Option<tokio::time::Instant>) {
        each!(self, c => c.set_deadline(deadline))
    }

    /// Requests sent so far to every system this source speaks to, retries included.
    pub fn requests_sent(&self) -> u64 {
        each!(self, c => c.requests_sent())
    }

    /// The slowest request since the last call.
    pub fn take_slowest(&mut self) -> Duration {
        each!(self, c => c.take_slowest())
    }

    /// Where a recycle's revisit day goes when not to the configured property itself:
    /// Salesforce has no such field on the Lead, so it is the recycle Task's due date.
    pub fn revisit_target(&self) -> Option<&'static str> {
        match self {
            Connector::HubSpot(_) => None,
            Connector::Salesforce(_) | Connector::Joined(_) => Some("the recycle Task's due date"),
        }
    }

    /// Each system this source speaks to, with its daily allowance as last reported and,
    /// for a joined source, which one the last `failing` error came from.
    pub fn parts(&self, failing: Option<&str>) -> Vec<Part> {
        match self {
            Connector::HubSpot(_) => vec![Part {
                name: Vendor::HubSpot.name().into(),
                quota: None,
                failing: failing.map(str::to_string),
            }],
            Connector::Salesforce(s) => vec![Part {
                name: Vendor::Salesforce.name().into(),
                quota: s.quota(),
                failing: failing.map(str::to_string),
            }],
            Connector::Joined(j) => j.parts(failing),
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
            Connector::Salesforce(s) => s.reference().await,
            Connector::Joined(j) => j.reference().await,
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
        let mut counts = (progress.leads, progress.total_leads);
        let mut seen = progress.clone();
        let mut hand = |delta, (leads, total)| {
            (seen.leads, seen.total_leads) = (leads, total);
            on_page(delta, &seen)
        };
        let state = std::mem::take(&mut progress.state);
        let (state, result) = match self {
            Connector::HubSpot(h) => {
                let mut state = match state {
                    LoadState::HubSpot(s) => s,
                    _ => hubspot::LoadState::default(),
                };
                let r = h.load_pages(&mut state, &mut counts, &mut hand).await;
                (LoadState::HubSpot(state), r.map(Cursor::HubSpot))
            }
            Connector::Salesforce(sf) => {
                let mut state = match state {
                    LoadState::Salesforce(s) => s,
                    _ => Box::default(),
                };
                let r = sf.load_pages(&mut state, &mut counts, &mut hand).await;
                (LoadState::Salesforce(state), r.map(Cursor::Salesforce))
            }
            Connector::Joined(j) => {
                let mut state = match state {
                    LoadState::Joined(s) => s,
                    _ => Box::default(),
                };
                let r = j.load_pages(&mut state, &mut counts, &mut hand).await;
                (LoadState::Joined(state), r.map(Cursor::Joined))
            }
        };
        (progress.leads, progress.total_leads) = counts;
        progress.state = state;
        result
    }

    /// Everything changed since `cursor`; the cursor moves only when all of it was read.
    /// A cursor of another vendor (a config that changed kind) starts over from nothing.
    pub async fn poll(&mut self, cursor: &mut Cursor) -> Result<Delta, SourceError> {
        match self {
            Connector::HubSpot(h) => {
                if !matches!(cursor, Cursor::HubSpot(_)) {
                    *cursor = Cursor::HubSpot(hubspot::Cursor::default());
                }
                let Cursor::HubSpot(c) = cursor else {
                    unreachable!("set above")
                };
                h.poll(c).await
            }
            Connector::Salesforce(s) => {
                if !matches!(cursor, Cursor::Salesforce(_)) {
                    *cursor = Cursor::Salesforce(salesforce::Cursor::default());
                }
                let Cursor::Salesforce(c) = cursor else {
                    unreachable!("set above")
                };
                s.poll(c).await
            }
            Connector::Joined(j) => {
                if !matches!(cursor, Cursor::Joined(_)) {
                    *cursor = Cursor::Joined(joined::Cursor::default());
                }
                let Cursor::Joined(c) = cursor else {
                    unreachable!("set above")
                };
                j.poll(c).await
            }
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
            Connector::Salesforce(s) => s.deleted().await,
            Connector::Joined(j) => j.deleted().await,
        }
    }

    /// The lead as it is in the vendor now, in the terms the user saw it in.
    pub async fn fresh(&mut self, lead_id: &str) -> Result<Seen, SourceError> {
        each!(self, c => c.fresh(lead_id).await)
    }

    /// Whether step `step` of `action`'s plan is already applied to the record (`fresh`).
    pub async fn step_applied(
        &mut self,
        action: &Action,
        step: u8,
        fresh: &Seen,
        maybe_sent: bool,
    ) -> Result<bool, SourceError> {
        each!(self, c => c.step_applied(action, step, fresh, maybe_sent).await)
    }

    /// Send step `step` of `action`'s plan; returns the vendor's time of the write.
    pub async fn run_step(
        &mut self,
        action: &Action,
        step: u8,
        fresh: &Seen,
    ) -> Result<Option<DateTime<Utc>>, SourceError> {
        each!(self, c => c.run_step(action, step, fresh).await)
    }
}
