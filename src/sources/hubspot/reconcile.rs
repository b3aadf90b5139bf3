//! Reconciliation reads: how many records of a kind the portal shows as modified within a
//! range of time, and those records. Comparing counts range by range finds drift between
//! the cache and the portal for one cheap search per range; only a range that differs is
//! read again.

use super::HubSpot;
use super::read::{Delta, Kind, SEARCH_CAP, SEARCH_LIMIT, modified};
use super::wire::{Filter, FilterGroup, Object, SearchRequest, Sort};
use crate::sources::SourceError;

impl HubSpot {
    /// How many records of `kind` search shows as modified in `[from, to)` (ms).
    pub async fn count_between(&self, kind: Kind, from: i64, to: i64) -> Result<u64, SourceError> {
        let req = between(kind, from, to, vec![kind.modified_property().into()], 1, 0);
        let page = self.search(kind, &req).await?;
        Ok(page.total.unwrap_or(page.results.len() as u64))
    }

    /// Every record of `kind` modified in `[from, to)` (ms), mapped as a poll maps it.
    /// Callers ask only for ranges that hold a page or so; the search cap bounds the rest.
    pub async fn read_between(&self, kind: Kind, from: i64, to: i64) -> Result<Delta, SourceError> {
        let mut objects: Vec<Object> = Vec::new();
        let mut offset = 0usize;
        loop {
            let req = between(
                kind,
                from,
                to,
                kind.properties(&self.mapping),
                SEARCH_LIMIT as u32,
                offset,
            );
            let page = self.search(kind, &req).await?;
            let count = page.results.len();
            let more = page.next_after().is_some();
            objects.extend(page.results);
            offset += count;
            if !more || count == 0 || offset + SEARCH_LIMIT > SEARCH_CAP {
                break;
            }
        }
        // A record modified while we paged can show twice; keep its newest version.
        objects.sort_by(|a, b| {
            a.id.cmp(&b.id)
                .then_with(|| modified(b, kind).cmp(&modified(a, kind)))
        });
        objects.dedup_by(|a, b| a.id == b.id);
        self.delta_of(kind, &objects).await
    }
}

fn between(
    kind: Kind,
    from: i64,
    to: i64,
    properties: Vec<String>,
    limit: u32,
    offset: usize,
) -> SearchRequest {
    let bound = |operator: &str, ms: i64| Filter {
        property_name: kind.modified_property().into(),
        operator: operator.into(),
        value: ms.to_string(),
    };
    SearchRequest {
        filter_groups: vec![FilterGroup {
            filters: vec![bound("GTE", from), bound("LT", to)],
        }],
        sorts: vec![Sort {
            property_name: kind.modified_property().into(),
            direction: "ASCENDING".into(),
        }],
        properties,
        limit,
        after: offset.to_string(),
    }
}
