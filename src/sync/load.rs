//! The first full load of a source, page by page, shared by the poller and headless use.
//!
//! A load's progress is a small value ([`LoadProgress`]) its owner keeps between attempts:
//! a failed page is asked for again from where the load stood, never from page 1.

use crate::sources::port::Delta;
use crate::sources::{Connector, Cursor, SourceError};
pub use crate::sources::{LoadProgress, Reference};
use crate::store::Store;

/// Owners and the deal pipeline: small, read whole, and needed before records make sense.
pub async fn load_reference(client: &mut Connector) -> Result<Reference, SourceError> {
    client.reference().await
}

/// Load every record from where `progress` stands, handing each page to `on_page` as it
/// arrives so the cockpit fills in while a large portal loads. On an error `progress` keeps
/// the last page handed over; calling again resumes after it. The returned cursor is where
/// incremental polls start: anything that changed during the load is picked up by the
/// first poll.
pub async fn full_load(
    client: &mut Connector,
    progress: &mut LoadProgress,
    on_page: impl FnMut(Delta, &LoadProgress),
) -> Result<Cursor, SourceError> {
    client.load_pages(progress, on_page).await
}

/// Without a deadline, a headless load resumes this many times before giving up.
const MAX_RESUMES: u32 = 20;

/// Whether a headless load should try again after `err`, and after how long.
fn resume_after(
    client: &Connector,
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
        SourceError::RateLimited { retry_after, .. } => (*retry_after).max(backoff.next_delay()),
        _ => backoff.next_delay(),
    };
    policy.can_wait(wait).then_some(wait)
}

/// Load everything, handing each page to `sink` as it arrives (headless use: tests,
/// reports). A failed request resumes the load where it stood, until the client's deadline
/// (or a fixed number of resumes).
pub async fn load_each(
    client: &mut Connector,
    mut sink: impl FnMut(Delta),
) -> Result<(Reference, Cursor), SourceError> {
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
    let mut progress = LoadProgress::default();
    let cursor = loop {
        let pages = full_load(client, &mut progress, |d, _| sink(d));
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
    Ok((reference, cursor))
}

/// Load everything into one delta (headless use: tests).
pub async fn load_all(client: &mut Connector) -> Result<(Reference, Delta, Cursor), SourceError> {
    let mut all = Delta::default();
    let (reference, cursor) = load_each(client, |d| {
        all.leads.extend(d.leads);
        all.deals.extend(d.deals);
        all.notes.extend(d.notes);
    })
    .await?;
    Ok((reference, all, cursor))
}

/// Load everything into a fresh store (headless use: reports, benchmarks, tests). Each page
/// goes into the store as it arrives, so the load is never held twice.
pub async fn load_store(client: &mut Connector) -> Result<(Store, Cursor), SourceError> {
    let mut store = Store::default();
    let (reference, cursor) = load_each(client, |d| {
        store.upsert_leads(d.leads);
        store.upsert_deals(d.deals);
        store.upsert_notes(d.notes);
    })
    .await?;
    store.set_owners(reference.owners);
    store.set_deal_stages(reference.deal_stages);
    store.shrink_to_fit();
    Ok((store, cursor))
}
