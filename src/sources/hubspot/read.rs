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
const SEARCH_CAP: usize = 10_000;
const SEARCH_LIMIT: usize = 200;
pub(super) const LIST_LIMIT: usize = 100;
const BATCH_LIMIT: usize = 100;
/// Records per batch read when property history is asked for (HubSpot's limit with history).
pub(super) const HISTORY_BATCH: usize = 50;

/// Where incremental sync resumes, per object type: the newest modification time seen.
/// Kept in the local cache, so a warm start polls from here instead of loading again.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cursor {
    pub contacts: Option<DateTime<Utc>>,
    pub deals: Option<DateTime<Utc>>,
    pub notes: Option<DateTime<Utc>>,
    /// Ids already held at exactly each kind's time. The search window is `GTE`, so it
    /// overlaps the last poll by a millisecond; a record seen there with the same
    /// modification time is the same version and is neither mapped nor re-associated.
    #[serde(default)]
    pub edge: Edge,
}

/// Per kind, the ids held at the cursor's exact modification time.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Edge {
    #[serde(default)]
    pub contacts: Vec<String>,
    #[serde(default)]
    pub deals: Vec<String>,
    #[serde(default)]
    pub notes: Vec<String>,
}

impl Edge {
    pub fn of(&self, kind: Kind) -> &[String] {
        match kind {
            Kind::Contacts => &self.contacts,
            Kind::Deals => &self.deals,
            Kind::Notes => &self.notes,
        }
    }

    pub fn set(&mut self, kind: Kind, ids: Vec<String>) {
        match kind {
            Kind::Contacts => self.contacts = ids,
            Kind::Deals => self.deals = ids,
            Kind::Notes => self.notes = ids,
        }
    }
}

/// The ids among `objects` modified exactly at `at`.
pub fn ids_at(objects: &[Object], kind: Kind, at: DateTime<Utc>) -> Vec<String> {
    objects
        .iter()
        .filter(|o| modified(o, kind) == Some(at))
        .map(|o| o.id.clone())
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
}

/// The object types tandem syncs, with their modification-time property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Contacts,
    Deals,
    Notes,
}

impl Kind {
    fn path(self) -> &'static str {
        match self {
            Kind::Contacts => "contacts",
            Kind::Deals => "deals",
            Kind::Notes => "notes",
        }
    }

    fn modified_property(self) -> &'static str {
        match self {
            Kind::Contacts => "lastmodifieddate",
            Kind::Deals | Kind::Notes => "hs_lastmodifieddate",
        }
    }

    fn properties(self, mapping: &Mapping) -> Vec<String> {
        match self {
            Kind::Contacts => mapping.contact_properties(),
            Kind::Deals => DEAL_PROPERTIES.iter().map(|p| p.to_string()).collect(),
            Kind::Notes => NOTE_PROPERTIES.iter().map(|p| p.to_string()).collect(),
        }
    }
}

fn modified(o: &Object, kind: Kind) -> Option<DateTime<Utc>> {
    o.prop(kind.modified_property())
        .and_then(mapping::parse_time)
}

impl HubSpot {
    pub async fn owners(&mut self) -> Result<Vec<Owner>, SourceError> {
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

    pub async fn deal_stages(&mut self) -> Result<Vec<DealStage>, SourceError> {
        let page: Page<PipelineWire> = self
            .call(|s| s.request(Method::GET, "/crm/v3/pipelines/deals"))
            .await?;
        Ok(mapping::deal_stages(&page.results))
    }

    /// One page of the list endpoint, for the first load.
    pub async fn list_page(
        &mut self,
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
    pub async fn archived_ids(&mut self, kind: Kind) -> Result<Vec<String>, SourceError> {
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
        &mut self,
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

    async fn search(
        &mut self,
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
        &mut self,
        kind: Kind,
        since: DateTime<Utc>,
        held: &[String],
    ) -> Result<(Vec<Object>, DateTime<Utc>, Vec<String>), SourceError> {
        let mut out = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        // Every record newer than `since`, and those at `since` we do not hold yet.
        let mut at_edge: Vec<String> = Vec::new();
        let mut from = since;
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
            for o in page.results {
                if !seen.insert(o.id.clone()) {
                    continue;
                }
                if modified(&o, kind) == Some(since) && held.contains(&o.id) {
                    at_edge.push(o.id);
                } else {
                    out.push(o);
                }
            }
            if !more || count == 0 {
                let newest = page_newest.max(from);
                let mut edge = ids_at(&out, kind, newest);
                if newest == since {
                    edge.extend(at_edge);
                }
                return Ok((out, newest, edge));
            }
            if page_newest > from {
                from = page_newest;
                offset = 0;
            } else {
                // A whole page within one millisecond: step through it by offset.
                offset += count;
                if offset + SEARCH_LIMIT > SEARCH_CAP {
                    tracing::warn!(
                        kind = kind.path(),
                        "search cap reached within one timestamp"
                    );
                    let edge = ids_at(&out, kind, from);
                    return Ok((out, from, edge));
                }
            }
        }
    }

    /// Fill in the vendor's history of `leads` for which `wanted` holds: what the stage
    /// rules read and the owner, by batch read (`propertiesWithHistory`, 50 a request).
    /// Search cannot return history, and asking for it on the list endpoint halves its
    /// pages, so only the leads whose past matters pay for it.
    pub async fn fill_history(
        &mut self,
        leads: &mut [Lead],
        wanted: impl Fn(&Lead) -> bool,
    ) -> Result<usize, SourceError> {
        let ids: Vec<String> = leads
            .iter()
            .filter(|l| wanted(l))
            .map(|l| l.id.clone())
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
            if let Some(h) = found.remove(&lead.id) {
                lead.history = h;
            }
        }
        Ok(ids.len())
    }

    /// Fill in `deals`' stage history by batch read (`propertiesWithHistory`, 50 a request).
    pub async fn fill_deal_history(&mut self, deals: &mut [Deal]) -> Result<(), SourceError> {
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
        &mut self,
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
    pub async fn poll(&mut self, cursor: &mut Cursor) -> Result<Delta, SourceError> {
        let mut next = cursor.clone();
        let delta = self.poll_into(&mut next).await?;
        *cursor = next;
        Ok(delta)
    }

    async fn poll_into(&mut self, cursor: &mut Cursor) -> Result<Delta, SourceError> {
        let mut delta = Delta::default();
        if let Some(since) = cursor.contacts {
            let held = cursor.edge.contacts.clone();
            let (objects, newest, edge) = self.modified_since(Kind::Contacts, since, &held).await?;
            cursor.edge.contacts = edge;
            delta.leads = objects
                .iter()
                .map(|o| mapping::lead(o, &self.mapping))
                .collect();
            // A change may be a stage or owner move: its history is what dates it.
            self.fill_history(&mut delta.leads, |_| true).await?;
            cursor.contacts = Some(newest);
        }
        if let Some(since) = cursor.deals {
            let held = cursor.edge.deals.clone();
            let (objects, newest, edge) = self.modified_since(Kind::Deals, since, &held).await?;
            cursor.edge.deals = edge;
            let ids: Vec<String> = objects.iter().map(|o| o.id.clone()).collect();
            let links = self.associations(Kind::Deals, Kind::Contacts, &ids).await?;
            delta.deals = objects
                .iter()
                .map(|o| {
                    let mut d = mapping::deal(o);
                    d.contact_ids = links.get(&o.id).cloned().unwrap_or_default();
                    d
                })
                .collect();
            // Search returns no history: a changed deal's stage history is read in batches.
            self.fill_deal_history(&mut delta.deals).await?;
            cursor.deals = Some(newest);
        }
        if let Some(since) = cursor.notes {
            let held = cursor.edge.notes.clone();
            let (objects, newest, edge) = self.modified_since(Kind::Notes, since, &held).await?;
            cursor.edge.notes = edge;
            let ids: Vec<String> = objects.iter().map(|o| o.id.clone()).collect();
            let links = self.associations(Kind::Notes, Kind::Contacts, &ids).await?;
            delta.notes = objects
                .iter()
                .map(|o| mapping::note(o, links.get(&o.id).cloned().unwrap_or_default()))
                .collect();
            cursor.notes = Some(newest);
        }
        Ok(delta)
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
