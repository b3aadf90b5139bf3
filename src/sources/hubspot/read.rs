//! Reading: the first full load page by page, then incremental deltas by modification time.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::json;

use super::HubSpot;
use super::mapping::{self, DEAL_PROPERTIES, Mapping, NOTE_PROPERTIES};
use super::wire::{
    AssociationBatch, Filter, FilterGroup, Object, ObjectBatch, OwnerWire, Page, PipelineWire,
    SearchRequest, Sort,
};
use crate::domain::{Deal, DealStage, Lead, Note, Owner};
use crate::sources::SourceError;

/// HubSpot's search refuses to page past 10,000 results.
pub(super) const SEARCH_CAP: usize = 10_000;
pub(super) const SEARCH_LIMIT: usize = 200;
pub(super) const LIST_LIMIT: usize = 100;
const BATCH_LIMIT: usize = 100;
/// Records per batch read when property history is asked for (HubSpot's limit with history).
pub(super) const HISTORY_BATCH: usize = 50;

/// How far each poll reaches back before its cursor. HubSpot's search index trails writes,
/// and not evenly: a record can surface in search seconds after another one modified later
/// than it. A window that starts at the cursor would skip it for good; one that overlaps the
/// last poll by this margin finds it, and drops the versions it already holds.
pub const INDEX_MARGIN: chrono::Duration = chrono::Duration::minutes(2);
/// Versions kept per kind for that: far more than change within the margin on any portal.
const RECENT_CAP: usize = 20_000;

/// Where incremental sync resumes, per object type: the newest modification time seen.
/// Kept in the local cache, so a warm start polls from here instead of loading again.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cursor {
    pub contacts: Option<DateTime<Utc>>,
    pub deals: Option<DateTime<Utc>>,
    pub notes: Option<DateTime<Utc>>,
    /// The versions already held from within [`INDEX_MARGIN`] of each kind's time: the
    /// overlapping window finds them again and drops them, unmapped.
    #[serde(default)]
    pub recent: Recent,
}

/// Per kind, the versions held near the cursor: (id, modified in ms).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Recent {
    #[serde(default)]
    pub contacts: Vec<(String, i64)>,
    #[serde(default)]
    pub deals: Vec<(String, i64)>,
    #[serde(default)]
    pub notes: Vec<(String, i64)>,
}

impl Recent {
    pub fn of(&self, kind: Kind) -> &[(String, i64)] {
        match kind {
            Kind::Contacts => &self.contacts,
            Kind::Deals => &self.deals,
            Kind::Notes => &self.notes,
        }
    }

    /// Keep `more` beside what is held, forgetting versions older than the margin before
    /// `newest`.
    pub fn keep(&mut self, kind: Kind, more: Vec<(String, i64)>, newest: DateTime<Utc>) {
        let floor = (newest - INDEX_MARGIN).timestamp_millis();
        let mut all: Vec<(String, i64)> = self.of(kind).to_vec();
        all.extend(more);
        all.retain(|(_, at)| *at >= floor);
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        all.dedup();
        all.truncate(RECENT_CAP);
        self.set(kind, all);
    }

    fn set(&mut self, kind: Kind, versions: Vec<(String, i64)>) {
        match kind {
            Kind::Contacts => self.contacts = versions,
            Kind::Deals => self.deals = versions,
            Kind::Notes => self.notes = versions,
        }
    }
}

/// Each of `objects` as a version: its id and modification time in ms.
pub fn versions(objects: &[Object], kind: Kind) -> Vec<(String, i64)> {
    objects
        .iter()
        .filter_map(|o| Some((o.id.clone(), modified(o, kind)?.timestamp_millis())))
        .collect()
}

/// What one incremental poll brought back.
#[derive(Debug, Default)]
pub struct Delta {
    pub leads: Vec<Lead>,
    pub deals: Vec<Deal>,
    pub notes: Vec<Note>,
}

impl Delta {
    pub fn is_empty(&self) -> bool {
        self.leads.is_empty() && self.deals.is_empty() && self.notes.is_empty()
    }

    /// Add `other`'s records to these.
    pub fn absorb(&mut self, other: Delta) {
        self.leads.extend(other.leads);
        self.deals.extend(other.deals);
        self.notes.extend(other.notes);
    }
}

/// The object types tandem syncs, with their modification-time property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Contacts,
    Deals,
    Notes,
}

impl Kind {
    pub(super) fn path(self) -> &'static str {
        match self {
            Kind::Contacts => "contacts",
            Kind::Deals => "deals",
            Kind::Notes => "notes",
        }
    }

    pub(super) fn modified_property(self) -> &'static str {
        match self {
            Kind::Contacts => "lastmodifieddate",
            Kind::Deals | Kind::Notes => "hs_lastmodifieddate",
        }
    }

    pub(super) fn properties(self, mapping: &Mapping) -> Vec<String> {
        match self {
            Kind::Contacts => mapping.contact_properties(),
            Kind::Deals => DEAL_PROPERTIES.iter().map(|p| p.to_string()).collect(),
            Kind::Notes => NOTE_PROPERTIES.iter().map(|p| p.to_string()).collect(),
        }
    }
}

pub(super) fn modified(o: &Object, kind: Kind) -> Option<DateTime<Utc>> {
    o.prop(kind.modified_property())
        .and_then(mapping::parse_time)
}

impl HubSpot {
    pub async fn owners(&self) -> Result<Vec<Owner>, SourceError> {
        let mut owners = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page: Page<OwnerWire> = self
                .call(|s| {
                    let mut q = vec![("limit", LIST_LIMIT.to_string())];
                    if let Some(a) = &after {
                        q.push(("after", a.clone()));
                    }
                    s.request(Method::GET, "/crm/v3/owners").query(&q)
                })
                .await?;
            owners.extend(page.results.iter().map(mapping::owner));
            match page.next_after() {
                Some(a) => after = Some(a),
                None => break,
            }
        }
        Ok(owners)
    }

    pub async fn deal_stages(&self) -> Result<Vec<DealStage>, SourceError> {
        let page: Page<PipelineWire> = self
            .call(|s| s.request(Method::GET, "/crm/v3/pipelines/deals"))
            .await?;
        Ok(mapping::deal_stages(&page.results))
    }

    /// One page of the list endpoint, for the first load.
    pub async fn list_page(
        &self,
        kind: Kind,
        after: Option<&str>,
    ) -> Result<Page<Object>, SourceError> {
        let path = format!("/crm/v3/objects/{}", kind.path());
        // A deal's stage history dates its wins and losses; HubSpot pages it 50 at most.
        let limit = match kind {
            Kind::Deals => self.page_size.min(HISTORY_BATCH),
            _ => self.page_size,
        };
        let mut q = vec![
            ("limit", limit.to_string()),
            ("properties", kind.properties(&self.mapping).join(",")),
        ];
        if kind == Kind::Deals {
            q.push(("propertiesWithHistory", mapping::DEAL_STAGE.to_string()));
        }
        if kind != Kind::Contacts {
            q.push(("associations", "contacts".to_string()));
        }
        if let Some(a) = after {
            q.push(("after", a.to_string()));
        }
        self.call(|s| s.request(Method::GET, &path).query(&q)).await
    }

    /// Ids of archived (deleted) records of `kind`: HubSpot's search never returns them, so
    /// this is how a deletion in the CRM reaches the cockpit.
    pub async fn archived_ids(&self, kind: Kind) -> Result<Vec<String>, SourceError> {
        let path = format!("/crm/v3/objects/{}", kind.path());
        let mut ids = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page: Page<Object> = self
                .call(|s| {
                    let mut q = vec![
                        ("limit", LIST_LIMIT.to_string()),
                        ("archived", "true".to_string()),
                        ("properties", kind.modified_property().to_string()),
                    ];
                    if let Some(a) = &after {
                        q.push(("after", a.clone()));
                    }
                    s.request(Method::GET, &path).query(&q)
                })
                .await?;
            ids.extend(page.results.iter().map(|o| o.id.clone()));
            match page.next_after() {
                Some(a) => after = Some(a),
                None => return Ok(ids),
            }
        }
    }

    /// The newest modification time now, so changes made during the first load are not
    /// missed, and how many records there are (list pages carry no total; search does).
    pub async fn high_water_mark(
        &self,
        kind: Kind,
    ) -> Result<(Option<DateTime<Utc>>, Option<u64>), SourceError> {
        let req = SearchRequest {
            filter_groups: vec![],
            sorts: vec![Sort {
                property_name: kind.modified_property().into(),
                direction: "DESCENDING".into(),
            }],
            properties: vec![kind.modified_property().into()],
            limit: 1,
            after: "0".into(),
        };
        let page = self.search(kind, &req).await?;
        let mark = page.results.first().and_then(|o| modified(o, kind));
        Ok((mark, page.total))
    }

    pub(super) async fn search(
        &self,
        kind: Kind,
        req: &SearchRequest,
    ) -> Result<Page<Object>, SourceError> {
        let path = format!("/crm/v3/objects/{}/search", kind.path());
        self.call(|s| s.request(Method::POST, &path).json(req))
            .await
    }

    /// Everything of `kind` modified at or after `since`, oldest first, and the newest
    /// modification time seen.
    ///
    /// Pages are keyed by time, not by offset: after each page the search starts again from
    /// the newest timestamp it returned (`GTE`, so records sharing that millisecond are read
    /// again and de-duplicated by id). A record modified while we page moves to the end of
    /// the results, where a fresh search still finds it — with offsets it would shift an
    /// unread record into a page already read. This also keeps every search far below
    /// HubSpot's 10,000-result paging cap; offsets are only used inside one millisecond.
    pub async fn modified_since(
        &self,
        kind: Kind,
        since: DateTime<Utc>,
        recent: &mut Recent,
    ) -> Result<(Vec<Object>, DateTime<Utc>), SourceError> {
        let mut out = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let held: HashSet<(String, i64)> = recent.of(kind).iter().cloned().collect();
        // Back by the margin: records the index showed late are found now.
        let mut from = since - self.index_margin;
        let mut newest = since;
        let mut offset = 0usize;
        loop {
            let req = SearchRequest {
                filter_groups: vec![FilterGroup {
                    filters: vec![Filter {
                        property_name: kind.modified_property().into(),
                        operator: "GTE".into(),
                        value: from.timestamp_millis().to_string(),
                    }],
                }],
                sorts: vec![Sort {
                    property_name: kind.modified_property().into(),
                    direction: "ASCENDING".into(),
                }],
                properties: kind.properties(&self.mapping),
                limit: SEARCH_LIMIT as u32,
                after: offset.to_string(),
            };
            let page = self.search(kind, &req).await?;
            let more = page.next_after().is_some();
            let count = page.results.len();
            let page_newest = page
                .results
                .iter()
                .filter_map(|o| modified(o, kind))
                .max()
                .unwrap_or(from);
            newest = newest.max(page_newest);
            for o in page.results {
                if !seen.insert(o.id.clone()) {
                    continue;
                }
                // The same version as one already held: nothing to map again.
                let version = modified(&o, kind).map(|m| (o.id.clone(), m.timestamp_millis()));
                if version.is_some_and(|v| held.contains(&v)) {
                    continue;
                }
                out.push(o);
            }
            let capped = offset + count + SEARCH_LIMIT > SEARCH_CAP && page_newest <= from;
            if !more || count == 0 || capped {
                if capped {
                    tracing::warn!(
                        kind = kind.path(),
                        "search cap reached within one timestamp"
                    );
                }
                recent.keep(kind, versions(&out, kind), newest);
                return Ok((out, newest));
            }
            if page_newest > from {
                from = page_newest;
                offset = 0;
            } else {
                // A whole page within one millisecond: step through it by offset.
                offset += count;
            }
        }
    }

    /// Fill in the vendor's history of `leads` for which `wanted` holds: what the stage
    /// rules read and the owner, by batch read (`propertiesWithHistory`, 50 a request).
    /// Search cannot return history, and asking for it on the list endpoint halves its
    /// pages, so only the leads whose past matters pay for it.
    pub async fn fill_history(
        &self,
        leads: &mut [Lead],
        wanted: impl Fn(&Lead) -> bool,
    ) -> Result<usize, SourceError> {
        let ids: Vec<String> = leads
            .iter()
            .filter(|l| wanted(l))
            .map(|l| l.id.to_string())
            .collect();
        let mut found: HashMap<String, crate::domain::lead::History> = HashMap::new();
        for chunk in ids.chunks(HISTORY_BATCH) {
            let body = json!({
                "inputs": chunk.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>(),
                "properties": [Kind::Contacts.modified_property()],
                "propertiesWithHistory": self.mapping.history_properties(),
            });
            let batch: ObjectBatch = self
                .call(|s| {
                    s.request(Method::POST, "/crm/v3/objects/contacts/batch/read")
                        .json(&body)
                })
                .await?;
            for o in &batch.results {
                found.insert(mapping::record_id(&o.id), mapping::history(o));
            }
        }
        for lead in leads.iter_mut() {
            if let Some(h) = found.remove(lead.id.as_str()) {
                lead.history = h;
            }
        }
        Ok(ids.len())
    }

    /// Fill in `deals`' stage history by batch read (`propertiesWithHistory`, 50 a request).
    pub async fn fill_deal_history(&self, deals: &mut [Deal]) -> Result<(), SourceError> {
        let mut found: HashMap<String, Vec<(DateTime<Utc>, String)>> = HashMap::new();
        for chunk in deals.chunks(HISTORY_BATCH) {
            let body = json!({
                "inputs": chunk.iter().map(|d| json!({ "id": d.id })).collect::<Vec<_>>(),
                "properties": [Kind::Deals.modified_property()],
                "propertiesWithHistory": [mapping::DEAL_STAGE],
            });
            let batch: ObjectBatch = self
                .call(|s| {
                    s.request(Method::POST, "/crm/v3/objects/deals/batch/read")
                        .json(&body)
                })
                .await?;
            for o in &batch.results {
                found.insert(mapping::record_id(&o.id), mapping::deal_stage_history(o));
            }
        }
        for deal in deals.iter_mut() {
            if let Some(h) = found.remove(&deal.id) {
                deal.stage_history = h;
            }
        }
        Ok(())
    }

    /// `from` → `to` associations for `ids`, via the v4 batch endpoint.
    pub async fn associations(
        &self,
        from: Kind,
        to: Kind,
        ids: &[String],
    ) -> Result<HashMap<String, Vec<String>>, SourceError> {
        let path = format!(
            "/crm/v4/associations/{}/{}/batch/read",
            from.path(),
            to.path()
        );
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for chunk in ids.chunks(BATCH_LIMIT) {
            let body =
                json!({ "inputs": chunk.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>() });
            let batch: AssociationBatch = self
                .call(|s| s.request(Method::POST, &path).json(&body))
                .await?;
            for row in batch.results {
                let targets = row.to.iter().map(|t| match &t.to_object_id {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
                out.entry(row.from.id).or_default().extend(targets);
            }
        }
        Ok(out)
    }

    /// One incremental poll: every contact, deal and note modified since the cursor.
    /// The cursor moves only when every kind was read: a failure halfway leaves it where it
    /// was, so the next poll reads those changes again instead of skipping them.
    pub async fn poll(&self, cursor: &mut Cursor) -> Result<Delta, SourceError> {
        let mut next = cursor.clone();
        let delta = self.poll_into(&mut next).await?;
        *cursor = next;
        Ok(delta)
    }

    async fn poll_into(&self, cursor: &mut Cursor) -> Result<Delta, SourceError> {
        let mut delta = Delta::default();
        for kind in [Kind::Contacts, Kind::Deals, Kind::Notes] {
            let Some(since) = cursor.since(kind) else {
                continue;
            };
            let (objects, newest) = self.modified_since(kind, since, &mut cursor.recent).await?;
            delta.absorb(self.delta_of(kind, &objects).await?);
            cursor.set_since(kind, newest);
        }
        Ok(delta)
    }

    /// Searched `objects` of `kind` as the panes need them: a contact with its history (a
    /// change may be a stage or owner move, and its history is what dates it), a deal with
    /// its contacts and stage history, a note with its contacts. Search returns neither
    /// history nor associations, so both are read in batches.
    pub(super) async fn delta_of(
        &self,
        kind: Kind,
        objects: &[Object],
    ) -> Result<Delta, SourceError> {
        let mut delta = Delta::default();
        let ids = || objects.iter().map(|o| o.id.clone()).collect::<Vec<_>>();
        match kind {
            Kind::Contacts => {
                delta.leads = objects
                    .iter()
                    .map(|o| mapping::lead(o, &self.mapping))
                    .collect();
                self.fill_history(&mut delta.leads, |_| true).await?;
            }
            Kind::Deals => {
                let links = self
                    .associations(Kind::Deals, Kind::Contacts, &ids())
                    .await?;
                delta.deals = objects
                    .iter()
                    .map(|o| {
                        let mut d = mapping::deal(o);
                        d.contact_ids = links.get(&o.id).cloned().unwrap_or_default();
                        d
                    })
                    .collect();
                self.fill_deal_history(&mut delta.deals).await?;
            }
            Kind::Notes => {
                let links = self
                    .associations(Kind::Notes, Kind::Contacts, &ids())
                    .await?;
                delta.notes = objects
                    .iter()
                    .map(|o| mapping::note(o, links.get(&o.id).cloned().unwrap_or_default()))
                    .collect();
            }
        }
        Ok(delta)
    }
}

impl Cursor {
    /// Where `kind`'s polls resume; `None` until the first load set it.
    pub fn since(&self, kind: Kind) -> Option<DateTime<Utc>> {
        match kind {
            Kind::Contacts => self.contacts,
            Kind::Deals => self.deals,
            Kind::Notes => self.notes,
        }
    }

    fn set_since(&mut self, kind: Kind, at: DateTime<Utc>) {
        match kind {
            Kind::Contacts => self.contacts = Some(at),
            Kind::Deals => self.deals = Some(at),
            Kind::Notes => self.notes = Some(at),
        }
    }
}

/// Map one page of the first load.
pub fn map_page(kind: Kind, page: &Page<Object>, mapping: &Mapping) -> Delta {
    let mut delta = Delta::default();
    match kind {
        Kind::Contacts => {
            delta.leads = page
                .results
                .iter()
                .map(|o| mapping::lead(o, mapping))
                .collect()
        }
        Kind::Deals => delta.deals = page.results.iter().map(mapping::deal).collect(),
        Kind::Notes => {
            delta.notes = page
                .results
                .iter()
                .map(|o| mapping::note(o, mapping::associated(o, "contacts")))
                .collect()
        }
    }
    delta
}
