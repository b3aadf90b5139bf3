//! The first full load, page by page and resumable: the history objects first (so each lead
//! arrives with its timeline), then the leads page by page, then the deals and notes.

use super::Salesforce;
use super::history::Side;
use super::mapping::{self, HISTORY_FIELDS, OPPORTUNITY_FIELDS, TASK_FIELDS};
use super::read::{Cursor, Delta, pending_note};
use super::wire::{QueryPage, Row};
use crate::domain::Note;
use crate::sources::SourceError;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Phase {
    #[default]
    LeadHistory,
    OpportunityHistory,
    Opportunities,
    Tasks,
    Leads,
    Finish,
    Done,
}

/// How far a first load has got; kept between attempts so a failed page is asked for again.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadState {
    phase: Phase,
    /// The current phase's next page (`None`: its first).
    next: Option<String>,
    side: Side,
    /// The opportunities' ids in the order read; the rows are held once, in `side`.
    opportunities: Vec<String>,
    /// The notes among the tasks, on the record each names (the rest of a task is in
    /// `side` as a sales touch, or not needed).
    notes: Vec<Note>,
    cursor: Cursor,
}

impl LoadState {
    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }
}

impl Salesforce {
    /// The query each phase reads.
    fn phase_query(&self, phase: Phase) -> Option<String> {
        let fields = |base: &[&str], extra: &str| {
            let mut f = base.to_vec();
            if !extra.is_empty() {
                f.push(extra);
            }
            f.join(", ")
        };
        Some(match phase {
            Phase::LeadHistory => format!(
                "SELECT {} FROM LeadHistory ORDER BY CreatedDate ASC",
                fields(HISTORY_FIELDS, "LeadId")
            ),
            Phase::OpportunityHistory => format!(
                "SELECT {} FROM OpportunityFieldHistory ORDER BY CreatedDate ASC",
                fields(HISTORY_FIELDS, "OpportunityId")
            ),
            Phase::Opportunities => format!(
                "SELECT {} FROM Opportunity ORDER BY SystemModstamp ASC",
                fields(OPPORTUNITY_FIELDS, "")
            ),
            Phase::Tasks => format!(
                "SELECT {} FROM Task ORDER BY SystemModstamp ASC",
                fields(TASK_FIELDS, "")
            ),
            Phase::Leads => format!(
                "SELECT {} FROM Lead ORDER BY SystemModstamp ASC",
                self.lead_fields().join(", ")
            ),
            Phase::Finish | Phase::Done => return None,
        })
    }

    async fn first_page(&mut self, soql: &str) -> Result<QueryPage, SourceError> {
        let path = self.path("/query");
        self.http
            .call(|s| {
                s.request(reqwest::Method::GET, &path)
                    .query(&[("q", soql)])
                    .header("Sforce-Query-Options", "batchSize=2000")
            })
            .await
    }

    /// Load every record from where `state` stands, handing leads to `on_page` a page at a
    /// time and the deals and notes at the end. `counts` is (leads so far, leads in all).
    pub async fn load_pages(
        &mut self,
        state: &mut LoadState,
        counts: &mut (usize, Option<usize>),
        mut on_page: impl FnMut(Delta, (usize, Option<usize>)),
    ) -> Result<Cursor, SourceError> {
        loop {
            let phase = state.phase;
            if phase == Phase::Done {
                return Ok(state.cursor.clone());
            }
            if phase == Phase::Finish {
                let opps: Vec<&Row> = state
                    .opportunities
                    .iter()
                    .filter_map(|id| state.side.opps.get(id))
                    .collect();
                let deals = self.deals(&opps, &state.side).await?;
                let notes = self.notes_on_leads(state.notes.clone()).await?;
                state.opportunities = Vec::new();
                state.notes = Vec::new();
                state.side = Side::default();
                state.phase = Phase::Done;
                on_page(
                    Delta {
                        leads: Vec::new(),
                        deals,
                        notes,
                    },
                    *counts,
                );
                continue;
            }
            let mut page = match state.next.clone() {
                Some(url) => self.get::<QueryPage>(&url).await?,
                None => {
                    let soql = self.phase_query(phase).unwrap_or_default();
                    self.first_page(&soql).await?
                }
            };
            let rows = std::mem::take(&mut page.records);
            match phase {
                Phase::LeadHistory => {
                    let tracked = mapping::tracked_fields(&self.stages);
                    rows.iter()
                        .for_each(|r| state.side.add_lead_change(r, &tracked))
                }
                Phase::OpportunityHistory => {
                    let tracked = mapping::tracked_fields(&self.stages);
                    rows.iter()
                        .for_each(|r| state.side.add_opp_change(r, &tracked))
                }
                Phase::Opportunities => {
                    for r in state.cursor.opportunities.advance(rows) {
                        if let Some(id) = state.side.add_opp(r) {
                            state.opportunities.push(id);
                        }
                    }
                }
                Phase::Tasks => {
                    let rows = state.cursor.tasks.advance(rows);
                    for r in &rows {
                        // Calls and emails name a Lead; a Contact's wait for the leads.
                        let who = r.id_at("WhoId").filter(|w| w.starts_with("00Q"));
                        state.side.add_task(r, who);
                    }
                    state.notes.extend(rows.iter().filter_map(pending_note));
                }
                Phase::Leads => {
                    if counts.1.is_none() {
                        counts.1 = page.total_size.map(|n| n as usize);
                    }
                    let rows = state.cursor.leads.advance(rows);
                    if state.next.is_none() {
                        state.side.sort();
                    }
                    self.learn_contacts(&rows);
                    let leads: Vec<_> = rows
                        .iter()
                        .filter_map(|r| mapping::lead(r, &state.side, &self.stages, &self.extra))
                        .collect();
                    counts.0 += leads.len();
                    on_page(
                        Delta {
                            leads,
                            deals: Vec::new(),
                            notes: Vec::new(),
                        },
                        *counts,
                    );
                }
                Phase::Finish | Phase::Done => {}
            }
            let more = page
                .next_records_url
                .take()
                .filter(|u| !page.done && u.starts_with("/services/data/"));
            match more {
                Some(url) => state.next = Some(url),
                None => {
                    state.next = None;
                    state.phase = match phase {
                        Phase::LeadHistory => Phase::OpportunityHistory,
                        Phase::OpportunityHistory => Phase::Opportunities,
                        Phase::Opportunities => Phase::Tasks,
                        Phase::Tasks => Phase::Leads,
                        _ => Phase::Finish,
                    };
                }
            }
        }
    }
}
