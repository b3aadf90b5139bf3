//! HubSpot's first load, page by page: each object type in turn, its high-water mark read
//! before its first page, so anything that changes during the load is picked up by the
//! first incremental poll. A failed page is asked for again from where the load stood.

use chrono::{DateTime, Utc};

use super::wire::{Object, Page};
use super::{Cursor, Delta, HubSpot, Kind, map_page, versions};
use crate::domain::Stage;
use crate::sources::SourceError;

const KINDS: [Kind; 3] = [Kind::Contacts, Kind::Deals, Kind::Notes];

/// How far a first load has got.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadState {
    /// Index into the kinds loaded in order (contacts, deals, notes); 3 when done.
    step: usize,
    /// The high-water mark of the kind being listed, read before its first page.
    mark: Option<DateTime<Utc>>,
    /// The next page of the kind being listed (`None` with a mark: the first page).
    after: Option<String>,
    /// Where incremental polls start, filled in as each kind finishes.
    cursor: Cursor,
    /// Pages read but not handed over yet (the page `after` names, whose leads' history
    /// failed, and the one after it, read meanwhile): a resumed load does not ask again.
    current: Option<Held>,
    next: Option<Held>,
}

/// A page read ahead. Two are the same when they hold the same records and lead on to the
/// same page.
#[derive(Debug, Clone)]
struct Held(Box<Page<Object>>);

impl PartialEq for Held {
    fn eq(&self, other: &Self) -> bool {
        let ids = |p: &Page<Object>| p.results.iter().map(|o| o.id.clone()).collect::<Vec<_>>();
        ids(&self.0) == ids(&other.0) && self.0.next_after() == other.0.next_after()
    }
}

impl LoadState {
    pub fn is_done(&self) -> bool {
        self.step >= KINDS.len()
    }
}

/// Contacts, deals and notes deleted in the CRM (search never reports them).
#[derive(Debug, Default)]
pub struct Archived {
    pub leads: Vec<String>,
    pub deals: Vec<String>,
    pub notes: Vec<String>,
}

impl HubSpot {
    /// Load every contact, deal and note from where `state` stands, handing each page to
    /// `on_page` with the leads handed over so far and the total the vendor reports. On an
    /// error `state` keeps the last page handed over; calling again resumes after it.
    pub async fn load_pages(
        &self,
        state: &mut LoadState,
        counts: &mut (usize, Option<usize>),
        mut on_page: impl FnMut(Delta, (usize, Option<usize>)),
    ) -> Result<Cursor, SourceError> {
        while let Some(&kind) = KINDS.get(state.step) {
            let mark = match state.mark {
                Some(mark) => mark,
                None => {
                    let (mark, total) = self.high_water_mark(kind).await?;
                    if kind == Kind::Contacts {
                        counts.1 = total.map(|t| t as usize);
                    }
                    *state.mark.insert(mark.unwrap_or(DateTime::UNIX_EPOCH))
                }
            };
            let page = match state.current.take().or_else(|| state.next.take()) {
                Some(Held(page)) => *page,
                None => self.list_page(kind, state.after.as_deref()).await?,
            };
            let mut delta = map_page(kind, &page, self.mapping());
            // Past inquiry a lead's history dates its stages and owners; a plain inquiry's
            // creation date says all there is. Fetched before the page counts as loaded,
            // so a failure asks for the same page again. Meanwhile the next page is on its
            // way: two requests in flight, paced as one by the shared rate window.
            let next_after = page.next_after();
            let ahead = state.next.take();
            let (history, next) = tokio::join!(
                self.fill_history(&mut delta.leads, |l| l.stage != Some(Stage::Inquiry)),
                async {
                    match (ahead, next_after.as_deref()) {
                        (Some(held), _) => Some(Ok(*held.0)),
                        (None, Some(after)) => Some(self.list_page(kind, Some(after)).await),
                        (None, None) => None,
                    }
                }
            );
            if let Err(e) = history {
                // Keep both pages: the resumed load asks again only for what failed.
                state.current = Some(Held(Box::new(page)));
                state.next = next.and_then(Result::ok).map(|p| Held(Box::new(p)));
                return Err(e);
            }
            counts.0 += delta.leads.len();
            state.after = next_after;
            // What the first poll need not fetch again (see `Cursor::recent`).
            state
                .cursor
                .recent
                .keep(kind, versions(&page.results, kind), mark);
            if state.after.is_none() {
                match kind {
                    Kind::Contacts => state.cursor.contacts = Some(mark),
                    Kind::Deals => state.cursor.deals = Some(mark),
                    Kind::Notes => state.cursor.notes = Some(mark),
                }
                state.step += 1;
                state.mark = None;
            }
            on_page(delta, *counts);
            // A next page that failed is asked for again when the load resumes; the one
            // just handed over stays loaded.
            state.next = next.transpose()?.map(|p| Held(Box::new(p)));
        }
        Ok(state.cursor.clone())
    }

    /// Every archived contact, deal and note id.
    pub async fn archived(&self) -> Result<Archived, SourceError> {
        Ok(Archived {
            leads: self.archived_ids(Kind::Contacts).await?,
            deals: self.archived_ids(Kind::Deals).await?,
            notes: self.archived_ids(Kind::Notes).await?,
        })
    }
}
