//! One lead across two systems: Salesforce as the CRM, Marketo as the MAP. Each Salesforce
//! Lead is joined to its Marketo lead by Marketo's `sfdcLeadId`, else by case-insensitive
//! email; Marketo adds what only it knows (every marketing email, every campaign success).
//! Join conflicts (two leads sharing an email, a MAP lead with no CRM record) are kept and
//! reported, never dropped silently.
//!
//! Actions go to the system that owns the field: stage and owner to Salesforce, the nurture
//! enrolment to Marketo. A recycle is one plan across both, so one that half-succeeds is
//! retried from the step that failed and never reported as done.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use super::SourceError;
use super::marketo::{self, Facts, Marketo};
use super::port::{Deleted, Vendor};
use super::salesforce::{self, Salesforce};
use crate::domain::Lead;
use crate::domain::action::{Action, ActionKind, Seen};
use crate::domain::catalog::StageCatalog;
use crate::domain::lead::PropChange;

pub use super::hubspot::Delta;

/// Where a joined source resumes: the CRM's cursor and the MAP's activity paging token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    pub crm: salesforce::Cursor,
    pub map: Option<String>,
    /// Where the next read of the rule fields' changes starts (when rules read any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<String>,
}

/// How far a first load has got.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadState {
    crm: salesforce::LoadState,
    /// Marketo's facts by lead and the tokens after them (activities, field changes), once
    /// read.
    facts: Option<(HashMap<u64, Facts>, String, Option<String>)>,
    /// CRM pages read, waiting to be joined.
    pending: Vec<(
        Vec<Lead>,
        Vec<crate::domain::Deal>,
        Vec<crate::domain::Note>,
    )>,
    done: bool,
}

impl LoadState {
    pub fn is_done(&self) -> bool {
        self.done
    }
}

/// One step of a joined plan: a Salesforce step (its index in Salesforce's plan), or the
/// Marketo nurture enrolment put on or taken off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Crm(u8, salesforce::Step),
    Nurture,
    Unnurture,
}

pub fn plan(kind: &ActionKind) -> Vec<Step> {
    let mut out = Vec::new();
    for (i, s) in salesforce::plan(kind).into_iter().enumerate() {
        out.push(Step::Crm(u8::try_from(i).unwrap_or(u8::MAX), s));
        match s {
            salesforce::Step::Nurture => out.push(Step::Nurture),
            salesforce::Step::WithdrawTask => out.push(Step::Unnurture),
            _ => {}
        }
    }
    out
}

pub fn step_count(kind: &ActionKind) -> u8 {
    u8::try_from(plan(kind).len()).unwrap_or(u8::MAX)
}

pub fn step_names(kind: &ActionKind) -> Vec<&'static str> {
    plan(kind)
        .into_iter()
        .map(|s| match s {
            Step::Crm(_, s) => s.name(),
            Step::Nurture => "added to the Marketo nurture list",
            Step::Unnurture => "taken off the Marketo nurture list",
        })
        .collect()
}

pub struct Joined {
    pub(super) crm: Salesforce,
    pub(super) map: Marketo,
    /// The static list recycled leads join (`None`: enrolment is not configured).
    nurture_list: Option<u64>,
    /// CRM lead → MAP lead, and back.
    map_ids: HashMap<String, u64>,
    crm_ids: HashMap<u64, String>,
    /// What the last join could not match, in words.
    conflicts: Vec<String>,
    /// The CRM's rules and then the MAP's: a joined lead's stage.
    stages: Arc<StageCatalog>,
    /// The MAP fields the rules read, as each lead had them when it was read.
    map_values: HashMap<u64, Vec<(String, String)>>,
}

/// Where Marketo's history starts for tandem: before any real record.
fn origin() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(365 * 30)
}

impl Joined {
    /// `stages` holds every vendor's rules: the CRM's and the MAP's apply to a joined lead.
    pub fn new(
        crm: Salesforce,
        map: Marketo,
        nurture_list: Option<u64>,
        stages: &StageCatalog,
    ) -> Self {
        let (crm_id, map_id) = (Vendor::Salesforce.id(), Vendor::Marketo.id());
        Joined {
            crm,
            map: map.with_fields(stages.fields_of(map_id)),
            nurture_list,
            map_ids: HashMap::new(),
            crm_ids: HashMap::new(),
            conflicts: Vec::new(),
            stages: Arc::new(stages.for_vendors(&[crm_id, map_id])),
            map_values: HashMap::new(),
        }
    }

    pub fn base_url(&self) -> &str {
        self.crm.base_url()
    }

    pub fn retry_policy(&self) -> &super::RetryPolicy {
        self.crm.retry_policy()
    }

    pub fn with_retry(self, retry: super::RetryPolicy) -> Self {
        Joined {
            crm: self.crm.with_retry(retry.clone()),
            map: self.map.with_retry(retry),
            ..self
        }
    }

    pub fn with_retry_hook(self, hook: super::RetryHook) -> Self {
        Joined {
            crm: self.crm.with_retry_hook(hook.clone()),
            map: self.map.with_retry_hook(hook),
            ..self
        }
    }

    pub fn with_token_env(self, name: &str) -> Self {
        Joined {
            crm: self.crm.with_token_env(name),
            ..self
        }
    }

    pub fn set_deadline(&mut self, deadline: Option<tokio::time::Instant>) {
        self.crm.set_deadline(deadline);
        self.map.set_deadline(deadline);
    }

    pub fn take_slowest(&mut self) -> std::time::Duration {
        self.crm.take_slowest().max(self.map.take_slowest())
    }

    pub fn requests_sent(&self) -> u64 {
        self.crm.requests_sent() + self.map.requests_sent()
    }

    pub async fn reference(&mut self) -> Result<super::port::Reference, SourceError> {
        let reference = self.crm.reference().await?;
        // The allowance is a figure for the header: without it, tandem counts its own calls.
        if let Err(e) = self.map.read_usage().await {
            tracing::warn!(error = %e, "cannot read Marketo's daily usage");
        }
        Ok(reference)
    }

    /// Each system's own state: its daily allowance, and whether it is the one failing.
    pub fn parts(&self, failing: Option<&str>) -> Vec<super::port::Part> {
        let map_failing = self.map.failing().map(str::to_string);
        vec![
            super::port::Part {
                name: "Salesforce".into(),
                quota: self.crm.quota(),
                failing: failing
                    .filter(|_| map_failing.is_none())
                    .map(str::to_string),
            },
            super::port::Part {
                name: "Marketo".into(),
                quota: self.map.quota(),
                failing: map_failing,
            },
        ]
    }

    /// What the last join could not match.
    pub fn conflicts(&self) -> &[String] {
        &self.conflicts
    }

    /// Learn the MAP lead of each of `leads` not known yet: by `sfdcLeadId`, then by email.
    async fn match_leads(&mut self, leads: &[Lead]) -> Result<(), SourceError> {
        let unknown: Vec<&Lead> = leads
            .iter()
            .filter(|l| !self.map_ids.contains_key(l.id.as_str()))
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = unknown.iter().map(|l| l.id.to_string()).collect();
        for row in self.map.leads_by("sfdcLeadId", &ids).await? {
            self.remember(&row);
            if let Some(crm) = row.sfdc_lead_id.clone().filter(|s| ids.contains(s)) {
                self.link(crm, row.id);
            }
        }
        let by_email: Vec<&Lead> = unknown
            .into_iter()
            .filter(|l| !self.map_ids.contains_key(l.id.as_str()) && !l.email().is_empty())
            .collect();
        let emails: Vec<String> = by_email
            .iter()
            .map(|l| l.email().to_ascii_lowercase())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if emails.is_empty() {
            return Ok(());
        }
        let rows = self.map.leads_by("email", &emails).await?;
        for row in &rows {
            self.remember(row);
        }
        let mut reported = BTreeSet::new();
        for lead in by_email {
            let email = lead.email().to_ascii_lowercase();
            let crm_same: Vec<&str> = leads
                .iter()
                .filter(|l| l.email().eq_ignore_ascii_case(&email))
                .map(|l| l.id.as_str())
                .collect();
            let map_same: Vec<u64> = rows
                .iter()
                .filter(|r| {
                    r.email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(&email))
                })
                .map(|r| r.id)
                .collect();
            match (crm_same.len(), map_same.as_slice()) {
                (1, [one]) => self.link(lead.id.to_string(), *one),
                (_, []) => {}
                // One line per email, however many leads share it.
                _ if !reported.insert(email.clone()) => {}
                (n, many) => self.conflicts.push(format!(
                    "{email}: {n} Salesforce lead(s) and {} Marketo lead(s) share the email; \
                     not joined",
                    many.len()
                )),
            }
        }
        Ok(())
    }

    /// Keep the rule fields of a MAP lead as read (nothing when no rule reads any).
    fn remember(&mut self, row: &marketo::wire::LeadRow) {
        let values: Vec<(String, String)> = self
            .map
            .fields()
            .iter()
            .filter_map(|f| Some((f.clone(), row.text(f)?)))
            .collect();
        if !values.is_empty() {
            self.map_values.insert(row.id, values);
        }
    }

    fn link(&mut self, crm: String, map: u64) {
        self.crm_ids.insert(map, crm.clone());
        self.map_ids.insert(crm, map);
    }

    /// Put what Marketo knows into each lead it has.
    fn enrich(&self, leads: &mut [Lead], facts: &HashMap<u64, Facts>) {
        for lead in leads {
            let map_id = self.map_ids.get(lead.id.as_str()).copied();
            if !self.map.fields().is_empty() {
                self.classify(lead, map_id, map_id.and_then(|m| facts.get(&m)));
            }
            let Some(f) = map_id.and_then(|m| facts.get(&m)) else {
                continue;
            };
            lead.history.edit(|h| {
                h.marketing_touches = f.sends.clone();
                h.campaigns = f.campaigns.iter().map(|(at, c)| (*at, c.into())).collect();
            });
            lead.dates.set_last_marketing_touch(f.sends.last().copied());
            if let (Some(first), Some(last)) = (f.campaigns.first(), f.campaigns.last()) {
                lead.first_campaign = Some(first.1.as_str().into());
                lead.last_campaign = Some(last.1.as_str().into());
                lead.dates.set_first_conversion(Some(first.0));
                lead.dates.set_recent_conversion(Some(last.0));
                lead.recent_conversion = Some(last.1.as_str().into());
            }
        }
    }

    /// Give `lead` the MAP's rule fields, now and over time (tagged `marketo.`), and its
    /// stage and stage dates under the CRM's rules and then the MAP's.
    fn classify(&self, lead: &mut Lead, map_id: Option<u64>, facts: Option<&Facts>) {
        let tag = |field: &str| format!("{}.{field}", Vendor::Marketo.id());
        let created = lead.dates.created().unwrap_or(lead.updated_at);
        let mut history = lead.history.lists();
        history.props.retain(|p| !p.prop.starts_with(&tag("")));
        let read = map_id.and_then(|m| self.map_values.get(&m));
        for field in self.map.fields() {
            let changes: Vec<&marketo::Change> = facts
                .into_iter()
                .flat_map(|f| f.changes.iter())
                .filter(|c| &c.field == field)
                .collect();
            let now = changes.last().map(|c| c.new.clone()).or_else(|| {
                read.and_then(|r| r.iter().find(|(f, _)| f == field))
                    .map(|(_, v)| v.clone())
            });
            let mut push = |value: &str, at| {
                history.props.push(PropChange {
                    prop: tag(field).into(),
                    value: value.into(),
                    at,
                })
            };
            // The value before the first change held since the lead was created.
            match changes.first() {
                Some(first) => push(&first.old, created.min(first.at)),
                None => push(now.as_deref().unwrap_or(""), created),
            }
            for c in &changes {
                push(&c.new, c.at);
            }
            match now {
                Some(v) => lead.props.insert(tag(field).into(), v.into()),
                None => lead.props.remove(&tag(field)),
            };
        }
        history.props.sort_by_key(|p| p.at);
        lead.history = history.into();
        lead.stage = self.stages.classify(|f| {
            lead.props
                .get(f)
                .map(|v| v.as_str())
                .filter(|v| !v.is_empty())
        });
        crate::domain::timeline::date_stages(lead, &self.stages);
    }

    pub async fn load_pages(
        &mut self,
        state: &mut LoadState,
        counts: &mut (usize, Option<usize>),
        mut on_page: impl FnMut(Delta, (usize, Option<usize>)),
    ) -> Result<Cursor, SourceError> {
        if state.facts.is_none() {
            let token = self.map.paging_token(origin()).await?;
            let (mut acts, next) = self.map.activities(token.clone(), None).await?;
            let fields = self.map.fields().to_vec();
            let changes = match fields.is_empty() {
                true => None,
                false => {
                    let (more, after) = self.map.lead_changes(token, &fields, None).await?;
                    acts.extend(more);
                    Some(after)
                }
            };
            let programs = self.map.programs().await?;
            let mut facts = HashMap::new();
            marketo::fold(&mut facts, &acts, &programs);
            state.facts = Some((facts, next, changes));
        }
        let pending = &mut state.pending;
        let crm_cursor = self
            .crm
            .load_pages(&mut state.crm, counts, |d, _| {
                pending.push((d.leads, d.deals, d.notes));
            })
            .await?;
        let (facts, token, changes) = state.facts.clone().unwrap_or_default();
        self.conflicts.clear();
        let all: Vec<Lead> = state
            .pending
            .iter()
            .flat_map(|(l, _, _)| l.iter().cloned())
            .collect();
        self.match_leads(&all).await?;
        for (m, f) in &facts {
            if !self.crm_ids.contains_key(m) && !f.campaigns.is_empty() {
                self.conflicts
                    .push(format!("Marketo lead {m} has no Salesforce record"));
            }
        }
        if !self.conflicts.is_empty() {
            tracing::warn!(conflicts = self.conflicts.len(), first = %self.conflicts[0], "join conflicts");
        }
        for (mut leads, deals, notes) in std::mem::take(&mut state.pending) {
            self.enrich(&mut leads, &facts);
            on_page(
                Delta {
                    leads,
                    deals,
                    notes,
                },
                *counts,
            );
        }
        state.done = true;
        Ok(Cursor {
            crm: crm_cursor,
            map: Some(token),
            changes,
        })
    }

    pub async fn poll(&mut self, cursor: &mut Cursor) -> Result<Delta, SourceError> {
        let mut crm_cursor = cursor.crm.clone();
        let mut delta = self.crm.poll(&mut crm_cursor).await?;
        let token = match cursor.map.clone() {
            Some(t) => t,
            None => self.map.paging_token(origin()).await?,
        };
        let (acts, next) = self.map.activities(token, None).await?;
        // Leads Marketo touched since: re-read from Salesforce too, so they come whole.
        let mut touched: BTreeSet<u64> = acts.iter().map(|a| a.lead_id).collect();
        let fields = self.map.fields().to_vec();
        let mut changes = None;
        if !fields.is_empty() {
            let token = match cursor.changes.clone() {
                Some(t) => t,
                None => self.map.paging_token(origin()).await?,
            };
            let (changed, after) = self.map.lead_changes(token, &fields, None).await?;
            touched.extend(changed.iter().map(|a| a.lead_id));
            changes = Some(after);
        }
        let unknown: Vec<String> = touched
            .iter()
            .filter(|m| !self.crm_ids.contains_key(m))
            .map(u64::to_string)
            .collect();
        for row in self.map.leads_by("id", &unknown).await? {
            self.remember(&row);
            if let Some(crm) = row.sfdc_lead_id {
                self.link(crm, row.id);
            }
        }
        let held: BTreeSet<String> = delta.leads.iter().map(|l| l.id.to_string()).collect();
        let more: Vec<String> = touched
            .iter()
            .filter_map(|m| self.crm_ids.get(m))
            .filter(|c| !held.contains(*c))
            .cloned()
            .collect();
        delta.leads.extend(self.crm.leads_by_id(&more).await?);
        self.match_leads(&delta.leads).await?;
        let ids: Vec<u64> = delta
            .leads
            .iter()
            .filter_map(|l| self.map_ids.get(l.id.as_str()).copied())
            .collect();
        let facts = self.map.facts_of(&ids).await?;
        self.enrich(&mut delta.leads, &facts);
        *cursor = Cursor {
            crm: crm_cursor,
            map: Some(next),
            changes,
        };
        Ok(delta)
    }

    pub async fn deleted(&mut self) -> Result<Deleted, SourceError> {
        self.crm.deleted().await
    }

    pub async fn fresh(&mut self, lead: &str) -> Result<Seen, SourceError> {
        self.crm.fresh(lead).await
    }

    /// The MAP lead of CRM lead `lead`, or why there is none.
    async fn map_id(&mut self, lead: &str) -> Result<u64, SourceError> {
        if let Some(m) = self.map_ids.get(lead) {
            return Ok(*m);
        }
        let id = lead.to_string();
        for row in self
            .map
            .leads_by("sfdcLeadId", std::slice::from_ref(&id))
            .await?
        {
            if row.sfdc_lead_id.as_deref() == Some(lead) {
                self.link(id.clone(), row.id);
                return Ok(row.id);
            }
        }
        Err(SourceError::Api {
            status: 404,
            category: "NO_MAP_LEAD".into(),
            message: format!("Marketo has no lead with sfdcLeadId {lead}: nothing to enrol"),
        })
    }

    pub async fn step_applied(
        &mut self,
        action: &Action,
        step: u8,
        fresh: &Seen,
        maybe_sent: bool,
    ) -> Result<bool, SourceError> {
        let Some(&step) = plan(&action.kind).get(usize::from(step)) else {
            return Ok(true);
        };
        let Some(list) = self.nurture_list else {
            // Enrolment is not configured: the Marketo steps have nothing to do.
            return match step {
                Step::Crm(i, _) => self.crm.step_applied(action, i, fresh, maybe_sent).await,
                _ => Ok(true),
            };
        };
        match step {
            Step::Crm(i, _) => self.crm.step_applied(action, i, fresh, maybe_sent).await,
            Step::Nurture => {
                let m = self.map_id(&action.lead_id).await?;
                self.map.is_member(list, m).await
            }
            Step::Unnurture => {
                let m = self.map_id(&action.lead_id).await?;
                Ok(!self.map.is_member(list, m).await?)
            }
        }
    }

    pub async fn run_step(
        &mut self,
        action: &Action,
        step: u8,
        fresh: &Seen,
    ) -> Result<Option<DateTime<Utc>>, SourceError> {
        let Some(&step) = plan(&action.kind).get(usize::from(step)) else {
            return Ok(None);
        };
        match (step, self.nurture_list) {
            (Step::Crm(i, _), _) => self.crm.run_step(action, i, fresh).await,
            (_, None) => Ok(None),
            (Step::Nurture, Some(list)) => {
                let m = self.map_id(&action.lead_id).await?;
                self.map.add_to_list(list, m).await?;
                Ok(None)
            }
            (Step::Unnurture, Some(list)) => {
                let m = self.map_id(&action.lead_id).await?;
                self.map.remove_from_list(list, m).await?;
                Ok(None)
            }
        }
    }
}
