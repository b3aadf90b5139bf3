//! The first full load of a source, page by page, shared by the poller and headless use.
//!
//! A load's progress is a small value ([`LoadProgress`]) its owner keeps between attempts:
//! a failed page is asked for again from where the load stood, never from page 1.

use crate::domain::{DealStage, Owner, Stage};
use crate::sources::SourceError;
use crate::sources::hubspot::{Cursor, Delta, HubSpot, Kind, ids_at, map_page};
use crate::store::Store;
use chrono::{DateTime, Utc};

/// Reference data that changes rarely and is loaded whole.
#[derive(Debug, Default)]
pub struct Reference {
    pub owners: Vec<Owner>,
    pub deal_stages: Vec<DealStage>,
}

/// Owners and the deal pipeline: small, read whole, and needed before records make sense.
pub async fn load_reference(client: &mut HubSpot) -> Result<Reference, SourceError> {
    Ok(Reference {
        owners: client.owners().await?,
        deal_stages: client.deal_stages().await?,
    })
}

/// Past this many records sharing one millisecond, the first poll just reads them again.
const EDGE_CAP: usize = 1000;

const KINDS: [Kind; 3] = [Kind::Contacts, Kind::Deals, Kind::Notes];

/// How far a first load has got.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadProgress {
    /// Index into the kinds loaded in order (contacts, deals, notes); 3 when done.
    step: usize,
    /// The high-water mark of the kind being listed, read before its first page.
    mark: Option<DateTime<Utc>>,
    /// The next page of the kind being listed (`None` with a mark: the first page).
    after: Option<String>,
    /// Where incremental polls start, filled in as each kind finishes.
    cursor: Cursor,
    /// Leads handed over so far, and how many the vendor says there are.
    pub leads: usize,
    pub total_leads: Option<usize>,
}

impl LoadProgress {
    pub fn is_done(&self) -> bool {
        self.step >= KINDS.len()
    }
}

/// Load every contact, deal and note from where `progress` stands, handing each page to
/// `on_page` as it arrives so the cockpit fills in while a large portal loads. On an error
/// `progress` keeps the last page handed over; calling again resumes after it.
///
/// Each kind's cursor is the newest modification time seen *before* listing it, so
/// anything that changes during the load is picked up by the first incremental poll.
pub async fn full_load(
    client: &mut HubSpot,
    progress: &mut LoadProgress,
    mut on_page: impl FnMut(Delta, &LoadProgress),
) -> Result<Cursor, SourceError> {
    while let Some(&kind) = KINDS.get(progress.step) {
        let mark = match progress.mark {
            Some(mark) => mark,
            None => {
                let (mark, total) = client.high_water_mark(kind).await?;
                if kind == Kind::Contacts {
                    progress.total_leads = total.map(|t| t as usize);
                }
                *progress.mark.insert(mark.unwrap_or(DateTime::UNIX_EPOCH))
            }
        };
        let page = client.list_page(kind, progress.after.as_deref()).await?;
        let mut delta = map_page(kind, &page, client.mapping());
        // Past inquiry a lead's history dates its stages and owners; a plain inquiry's
        // creation date says all there is. Fetched before the page counts as loaded, so a
        // failure asks for the same page again.
        client
            .fill_history(&mut delta.leads, |l| l.stage != Some(Stage::Inquiry))
            .await?;
        progress.leads += delta.leads.len();
        progress.after = page.next_after();
        // What the first poll need not fetch again (see `Cursor::edge`).
        let mut edge = progress.cursor.edge.of(kind).to_vec();
        if edge.len() < EDGE_CAP {
            edge.extend(ids_at(&page.results, kind, mark));
            progress.cursor.edge.set(kind, edge);
        }
        if progress.after.is_none() {
            match kind {
                Kind::Contacts => progress.cursor.contacts = Some(mark),
                Kind::Deals => progress.cursor.deals = Some(mark),
                Kind::Notes => progress.cursor.notes = Some(mark),
            }
            progress.step += 1;
            progress.mark = None;
        }
        on_page(delta, progress);
    }
    Ok(progress.cursor.clone())
}

/// Without a deadline, a headless load resumes this many times before giving up.
const MAX_RESUMES: u32 = 20;

/// Whether a headless load should try again after `err`, and after how long.
fn resume_after(
    client: &HubSpot,
    err: &SourceError,
    resumes: u32,
    backoff: &mut crate::sources::backoff::Backoff,
) -> Option<std::time::Duration> {
    let policy = client.retry_policy();
    let budget_left = policy.deadline.is_some() || resumes < MAX_RESUMES;
    if !err.is_transient() || !budget_left {
        return None;
    }
    let wait = match err {
        SourceError::RateLimited { retry_after } => (*retry_after).max(backoff.next_delay()),
        _ => backoff.next_delay(),
    };
    policy.can_wait(wait).then_some(wait)
}

/// Load everything into one delta (headless use: tests, reports). A failed request resumes
/// the load where it stood, until the client's deadline (or a fixed number of resumes).
pub async fn load_all(client: &mut HubSpot) -> Result<(Reference, Delta, Cursor), SourceError> {
    let mut backoff = client.retry_policy().backoff();
    let mut resumes = 0;
    let reference = loop {
        match load_reference(client).await {
            Ok(r) => break r,
            Err(e) => match resume_after(client, &e, resumes, &mut backoff) {
                Some(wait) => {
                    tracing::warn!(error = %e, ?wait, "reference load failed; resuming");
                    resumes += 1;
                    tokio::time::sleep(wait).await;
                }
                None => return Err(e),
            },
        }
    };
    let mut all = Delta::default();
    let mut progress = LoadProgress::default();
    let cursor = loop {
        let pages = full_load(client, &mut progress, |d, _| {
            all.leads.extend(d.leads);
            all.deals.extend(d.deals);
            all.notes.extend(d.notes);
        });
        match pages.await {
            Ok(cursor) => break cursor,
            Err(e) => match resume_after(client, &e, resumes, &mut backoff) {
                Some(wait) => {
                    tracing::warn!(error = %e, ?wait, leads = progress.leads, "load failed; resuming");
                    resumes += 1;
                    tokio::time::sleep(wait).await;
                }
                None => return Err(e),
            },
        }
    };
    Ok((reference, all, cursor))
}

/// Load everything into a fresh store (headless use: reports, benchmarks, tests).
pub async fn load_store(client: &mut HubSpot) -> Result<(Store, Cursor), SourceError> {
    let (reference, delta, cursor) = load_all(client).await?;
    let mut store = Store::default();
    store.set_owners(reference.owners);
    store.set_deal_stages(reference.deal_stages);
    store.upsert_leads(delta.leads);
    store.upsert_deals(delta.deals);
    store.upsert_notes(delta.notes);
    Ok((store, cursor))
}
