//! The first full load of a source, page by page, shared by the poller and headless use.

use chrono::DateTime;

use crate::domain::{DealStage, Owner};
use crate::sources::SourceError;
use crate::sources::hubspot::{Cursor, Delta, HubSpot, Kind, map_page};
use crate::store::Store;

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

/// Load every contact, deal and note, handing each page to `on_page` as it arrives so the
/// cockpit fills in while a large portal loads.
///
/// The returned cursor starts at the newest modification time seen *before* listing, so
/// anything that changes during the load is picked up by the first incremental poll.
pub async fn full_load(
    client: &mut HubSpot,
    mut on_page: impl FnMut(Delta),
) -> Result<Cursor, SourceError> {
    let mut cursor = Cursor::default();
    for kind in [Kind::Contacts, Kind::Deals, Kind::Notes] {
        let mark = client
            .high_water_mark(kind)
            .await?
            .unwrap_or(DateTime::UNIX_EPOCH);
        let mut after: Option<String> = None;
        loop {
            let page = client.list_page(kind, after.as_deref()).await?;
            on_page(map_page(kind, &page, client.mapping()));
            match page.next_after() {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        match kind {
            Kind::Contacts => cursor.contacts = Some(mark),
            Kind::Deals => cursor.deals = Some(mark),
            Kind::Notes => cursor.notes = Some(mark),
        }
    }
    Ok(cursor)
}

/// Load everything into one delta (headless use: tests, reports).
pub async fn load_all(client: &mut HubSpot) -> Result<(Reference, Delta, Cursor), SourceError> {
    let reference = load_reference(client).await?;
    let mut all = Delta::default();
    let cursor = full_load(client, |d| {
        all.leads.extend(d.leads);
        all.deals.extend(d.deals);
        all.notes.extend(d.notes);
    })
    .await?;
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
