//! Reading by SOQL: reference data, incremental polls by `SystemModstamp`, the leads a
//! change touches with everything their timelines need, deletions, and one lead fresh.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Salesforce;
use super::history::{SALES_ACTIVITY, Side};
use super::mapping::{self, HISTORY_FIELDS, OPPORTUNITY_FIELDS, TASK_FIELDS};
use super::wire::{DeletedPage, QueryPage, Row, soql_ids, soql_time};
use crate::domain::action::Seen;
use crate::domain::{Deal, Lead, Note, Owner};
use crate::sources::SourceError;
use crate::sources::port::{Deleted, Reference};

pub use crate::sources::hubspot::Delta;

/// Ids per `IN (…)` list: keeps a query's URL well under Salesforce's 16,000 characters.
const IN_CHUNK: usize = 200;

/// Pages followed at most for one query: a server that keeps saying `done: false` with a
/// new locator cannot keep a poll going for ever (2,000 rows a page: 20 million rows).
const MAX_PAGES: usize = 10_000;

/// Where one object's incremental sync resumes: the newest `SystemModstamp` seen, and the
/// ids held at exactly that instant (the query is `>=`, so they come back and are dropped).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    pub at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub edge: Vec<String>,
}

impl Mark {
    /// Take `rows` (ordered by `SystemModstamp`): returns those not already held.
    pub fn advance(&mut self, rows: Vec<Row>) -> Vec<Row> {
        let fresh: Vec<Row> = rows
            .into_iter()
            .filter(|r| {
                let same = r.time("SystemModstamp") == self.at && self.at.is_some();
                !(same && r.id().is_some_and(|id| self.edge.contains(&id)))
            })
            .collect();
        for r in &fresh {
            let (Some(at), Some(id)) = (r.time("SystemModstamp"), r.id()) else {
                continue;
            };
            if self.at.is_none_or(|m| at > m) {
                self.at = Some(at);
                self.edge.clear();
            }
            if Some(at) == self.at && !self.edge.contains(&id) {
                self.edge.push(id);
            }
        }
        fresh
    }

    fn filter(&self) -> String {
        match self.at {
            Some(t) => format!(" WHERE SystemModstamp >= {}", soql_time(t)),
            None => String::new(),
        }
    }
}

/// Where a Salesforce source's polls resume, per object. Every field is required, so a
/// cursor of another vendor never reads as this one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    pub leads: Mark,
    pub opportunities: Mark,
    pub tasks: Mark,
}

impl Salesforce {
    /// Every row `soql` selects, following `nextRecordsUrl` until `done`.
    pub(super) async fn query(&mut self, soql: &str) -> Result<Vec<Row>, SourceError> {
        let path = self.path("/query");
        let first: QueryPage = self
            .http
            .call(|s| {
                s.request(reqwest::Method::GET, &path)
                    .query(&[("q", soql)])
                    .header("Sforce-Query-Options", "batchSize=2000")
            })
            .await?;
        let mut rows = Vec::new();
        let mut page = first;
        let mut pages = 1;
        loop {
            rows.extend(std::mem::take(&mut page.records));
            // `done: false` without a next URL has nothing further to give.
            let Some(url) = page.next_records_url.take().filter(|_| !page.done) else {
                break;
            };
            if pages >= MAX_PAGES || !url.starts_with("/services/data/") {
                break;
            }
            page = self.get(&url).await?;
            pages += 1;
        }
        Ok(rows)
    }

    /// Rows of `object` whose `field` is one of `ids`, a chunk of ids per query.
    async fn query_in(
        &mut self,
        fields: &[&str],
        object: &str,
        field: &str,
        ids: &[String],
        and: &str,
    ) -> Result<Vec<Row>, SourceError> {
        let mut rows = Vec::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let soql = format!(
                "SELECT {} FROM {object} WHERE {field} IN {}{and}",
                fields.join(", "),
                soql_ids(chunk)
            );
            rows.extend(self.query(&soql).await?);
        }
        Ok(rows)
    }

    pub(super) fn lead_fields(&self) -> Vec<String> {
        mapping::lead_fields(&self.stages, &self.extra)
    }

    /// Users, the opportunity stages, and a check of the stage rules against the org's own
    /// lead statuses.
    pub async fn reference(&mut self) -> Result<Reference, SourceError> {
        let users = self
            .query("SELECT Id, Name, Email, Department, IsActive FROM User")
            .await?;
        let owners: Vec<Owner> = users.iter().filter_map(mapping::owner).collect();
        let stages = self
            .query(
                "SELECT Id, ApiName, MasterLabel, SortOrder, IsClosed, IsWon FROM \
                 OpportunityStage ORDER BY SortOrder ASC",
            )
            .await?;
        let statuses = self
            .query("SELECT Id, ApiName, MasterLabel, SortOrder, IsConverted FROM LeadStatus")
            .await?;
        self.check_statuses(&statuses);
        Ok(Reference {
            owners,
            deal_stages: mapping::deal_stages(&stages),
        })
    }

    /// A stage rule naming a status the org does not have can never match: say so.
    fn check_statuses(&self, rows: &[Row]) {
        let known: BTreeSet<String> = rows
            .iter()
            .flat_map(|r| [r.text("ApiName"), r.text("MasterLabel")])
            .flatten()
            .map(|s| s.to_ascii_lowercase())
            .collect();
        for rule in self.stages.rules() {
            for (field, values) in &rule.when {
                if field != "Status" {
                    continue;
                }
                for v in values.iter().filter(|v| !v.is_empty()) {
                    if !known.contains(&v.to_ascii_lowercase()) {
                        tracing::warn!(
                            stage = rule.stage.id(),
                            status = %v,
                            "a [[stage.salesforce]] rule names a lead status the org does not have"
                        );
                    }
                }
            }
        }
    }

    /// Every object changed since `cursor`, each changed lead with its whole history. The
    /// cursor moves only when all of it was read.
    pub async fn poll(&mut self, cursor: &mut Cursor) -> Result<Delta, SourceError> {
        let mut next = cursor.clone();
        let opp_rows = self
            .changed(OPPORTUNITY_FIELDS, "Opportunity", &next.opportunities)
            .await?;
        let opp_rows = next.opportunities.advance(opp_rows);
        let task_rows = self.changed(TASK_FIELDS, "Task", &next.tasks).await?;
        let task_rows = next.tasks.advance(task_rows);
        let lead_fields = self.lead_fields();
        let fields: Vec<&str> = lead_fields.iter().map(String::as_str).collect();
        let lead_rows = self.changed(&fields, "Lead", &next.leads).await?;
        let mut lead_rows = next.leads.advance(lead_rows);
        // Leads whose opportunity moved or who got a call: their timelines changed too.
        let held: BTreeSet<String> = lead_rows.iter().filter_map(Row::id).collect();
        let opp_ids: Vec<String> = opp_rows.iter().filter_map(Row::id).collect();
        for r in self
            .query_in(&fields, "Lead", "ConvertedOpportunityId", &opp_ids, "")
            .await?
        {
            if r.id().is_some_and(|id| !held.contains(&id)) {
                lead_rows.push(r);
            }
        }
        let held: BTreeSet<String> = lead_rows.iter().filter_map(Row::id).collect();
        let called: Vec<String> = task_rows
            .iter()
            .filter(|t| {
                t.text("TaskSubtype")
                    .is_some_and(|s| SALES_ACTIVITY.contains(&s.as_str()))
            })
            .filter_map(|t| t.id_at("WhoId"))
            .filter(|w| w.starts_with("00Q") && !held.contains(w))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        lead_rows.extend(self.query_in(&fields, "Lead", "Id", &called, "").await?);
        let (leads, side) = self.leads_with_history(&lead_rows).await?;
        let deals = self
            .deals(&opp_rows.iter().collect::<Vec<_>>(), &side)
            .await?;
        let notes = self.notes(&task_rows).await?;
        *cursor = next;
        Ok(Delta {
            leads,
            deals,
            notes,
        })
    }

    async fn changed(
        &mut self,
        fields: &[&str],
        object: &str,
        mark: &Mark,
    ) -> Result<Vec<Row>, SourceError> {
        let soql = format!(
            "SELECT {} FROM {object}{} ORDER BY SystemModstamp ASC",
            fields.join(", "),
            mark.filter()
        );
        self.query(&soql).await
    }

    /// The leads `ids`, each with its whole history.
    pub async fn leads_by_id(&mut self, ids: &[String]) -> Result<Vec<Lead>, SourceError> {
        let fields = self.lead_fields();
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        let rows = self.query_in(&fields, "Lead", "Id", ids, "").await?;
        Ok(self.leads_with_history(&rows).await?.0)
    }

    /// `rows` as leads, with the history, converted opportunities and activities read for
    /// them.
    pub(super) async fn leads_with_history(
        &mut self,
        rows: &[Row],
    ) -> Result<(Vec<Lead>, Side), SourceError> {
        let mut side = Side::default();
        let ids: Vec<String> = rows.iter().filter_map(Row::id).collect();
        let tracked = mapping::tracked_fields(&self.stages);
        let mut fields = HISTORY_FIELDS.to_vec();
        fields.push("LeadId");
        for r in self
            .query_in(&fields, "LeadHistory", "LeadId", &ids, "")
            .await?
        {
            side.add_lead_change(&r, &tracked);
        }
        let activity = format!(
            " AND TaskSubtype IN ({})",
            SALES_ACTIVITY.map(|s| format!("'{s}'")).join(", ")
        );
        for r in self
            .query_in(TASK_FIELDS, "Task", "WhoId", &ids, &activity)
            .await?
        {
            let who = r.id_at("WhoId");
            side.add_task(&r, who);
        }
        let opps: Vec<String> = rows
            .iter()
            .filter_map(|r| r.id_at("ConvertedOpportunityId"))
            .collect();
        self.opportunities_into(&opps, &mut side).await?;
        side.sort();
        self.learn_contacts(rows);
        let leads = rows
            .iter()
            .filter_map(|r| mapping::lead(r, &side, &self.stages, &self.extra))
            .collect();
        Ok((leads, side))
    }

    /// The opportunities `ids` and their stage history, into `side`.
    async fn opportunities_into(
        &mut self,
        ids: &[String],
        side: &mut Side,
    ) -> Result<(), SourceError> {
        for r in self
            .query_in(OPPORTUNITY_FIELDS, "Opportunity", "Id", ids, "")
            .await?
        {
            side.add_opp(r);
        }
        let tracked = mapping::tracked_fields(&self.stages);
        let mut fields = HISTORY_FIELDS.to_vec();
        fields.push("OpportunityId");
        for r in self
            .query_in(&fields, "OpportunityFieldHistory", "OpportunityId", ids, "")
            .await?
        {
            side.add_opp_change(&r, &tracked);
        }
        Ok(())
    }

    /// Remember which Contact each converted Lead became.
    pub(super) fn learn_contacts(&mut self, rows: &[Row]) {
        for r in rows {
            if let (Some(contact), Some(lead)) = (r.id_at("ConvertedContactId"), r.id()) {
                self.contact_lead.insert(contact, lead);
            }
        }
    }

    /// The lead a record naming `who` (a Lead or a converted Lead's Contact) belongs to.
    async fn leads_of(&mut self, whos: &[String]) -> Result<HashMap<String, String>, SourceError> {
        let unknown: Vec<String> = whos
            .iter()
            .filter(|w| !w.starts_with("00Q") && !self.contact_lead.contains_key(*w))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let rows = self
            .query_in(
                &["Id", "ConvertedContactId"],
                "Lead",
                "ConvertedContactId",
                &unknown,
                "",
            )
            .await?;
        self.learn_contacts(&rows);
        Ok(whos
            .iter()
            .filter_map(|w| {
                let lead = match w.starts_with("00Q") {
                    true => Some(w.clone()),
                    false => self.contact_lead.get(w).cloned(),
                };
                Some((w.clone(), lead?))
            })
            .collect())
    }

    /// Opportunities as deals of the leads that converted into them.
    pub(super) async fn deals(
        &mut self,
        rows: &[&Row],
        known: &Side,
    ) -> Result<Vec<Deal>, SourceError> {
        let ids: Vec<String> = rows.iter().filter_map(|r| r.id()).collect();
        let mut side = Side::default();
        let missing: Vec<String> = ids
            .iter()
            .filter(|i| !known.opp_changes.contains_key(*i))
            .cloned()
            .collect();
        let tracked = mapping::tracked_fields(&self.stages);
        let mut fields = HISTORY_FIELDS.to_vec();
        fields.push("OpportunityId");
        for r in self
            .query_in(
                &fields,
                "OpportunityFieldHistory",
                "OpportunityId",
                &missing,
                "",
            )
            .await?
        {
            side.add_opp_change(&r, &tracked);
        }
        side.sort();
        let contacts: Vec<String> = rows.iter().filter_map(|r| r.id_at("ContactId")).collect();
        let lead_of = self.leads_of(&contacts).await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let id = r.id()?;
                let side = if known.opp_changes.contains_key(&id) {
                    known
                } else {
                    &side
                };
                let lead = r.id_at("ContactId").and_then(|c| lead_of.get(&c).cloned());
                mapping::deal(r, side, lead)
            })
            .collect())
    }

    /// Tasks that are notes (not calls or emails) on leads.
    pub(super) async fn notes(&mut self, rows: &[Row]) -> Result<Vec<Note>, SourceError> {
        let pending = rows.iter().filter_map(pending_note).collect();
        self.notes_on_leads(pending).await
    }

    /// Notes read by [`pending_note`] (on the record they name), each moved to the lead
    /// that record is or became; a note on anything else is dropped.
    pub(super) async fn notes_on_leads(
        &mut self,
        pending: Vec<Note>,
    ) -> Result<Vec<Note>, SourceError> {
        let whos: Vec<String> = (pending.iter())
            .flat_map(|n| n.lead_ids.iter().map(|id| id.to_string()))
            .collect();
        let lead_of = self.leads_of(&whos).await?;
        Ok(pending
            .into_iter()
            .filter_map(|mut n| {
                let lead = lead_of.get(n.lead_ids.first()?.as_str())?;
                n.lead_ids = thin_vec::thin_vec![lead.into()];
                Some(n)
            })
            .collect())
    }

    /// Leads, opportunities and tasks deleted in the last 29 days (Salesforce keeps a
    /// 30-day window of deletions).
    pub async fn deleted(&mut self) -> Result<Deleted, SourceError> {
        let end = Utc::now();
        let start = end - chrono::Duration::days(29);
        let ids = |page: DeletedPage| -> Vec<String> {
            page.deleted_records
                .into_iter()
                .filter_map(|d| super::wire::record_id(&d.id))
                .collect()
        };
        let mut out = Deleted::default();
        for (object, into) in [("Lead", 0), ("Opportunity", 1), ("Task", 2)] {
            let path = self.path(&format!(
                "/sobjects/{object}/deleted/?start={}&end={}",
                start.format("%Y-%m-%dT%H:%M:%SZ"),
                end.format("%Y-%m-%dT%H:%M:%SZ")
            ));
            let page: DeletedPage = self.get(&path).await?;
            let found = ids(page);
            match into {
                0 => out.leads = found,
                1 => out.deals = found,
                _ => out.notes = found,
            }
        }
        Ok(out)
    }

    /// The lead as it is now, in the terms the user saw it in.
    pub async fn fresh(&mut self, lead_id: &str) -> Result<Seen, SourceError> {
        let id = super::wire::record_id(lead_id).ok_or_else(|| SourceError::Api {
            status: 404,
            category: "NOT_FOUND".into(),
            message: format!("{lead_id:?} is not a Salesforce id"),
        })?;
        let soql =
            format!("SELECT Id, Status, OwnerId, SystemModstamp FROM Lead WHERE Id = '{id}'");
        let row = self
            .query(&soql)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| SourceError::Api {
                status: 404,
                category: "NOT_FOUND".into(),
                message: format!("Lead {id} does not exist (deleted or merged?)"),
            })?;
        Ok(Seen {
            stage: row.text("Status").unwrap_or_default(),
            status: String::new(),
            owner_id: row.id_at("OwnerId"),
            updated_at: row.time("SystemModstamp").unwrap_or_default(),
            owner_assigned_at: None,
        })
    }
}

/// A Task that is a note (not a call or an email), on the record it names (`WhoId`): a
/// Lead, or the Contact a Lead became, which [`Salesforce::notes_on_leads`] resolves.
pub(super) fn pending_note(task: &Row) -> Option<Note> {
    let activity = task
        .text("TaskSubtype")
        .is_some_and(|s| SALES_ACTIVITY.contains(&s.as_str()));
    if activity {
        return None;
    }
    mapping::note(task, task.id_at("WhoId")?)
}
