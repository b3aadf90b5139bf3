//! `POST /crm/v3/objects/{type}/search` with HubSpot's limits.
//!
//! Filter groups are OR'd, filters within a group AND'd; at most 5 groups, 6 filters per group
//! and 18 filters overall. Paging is by offset (`after` is a stringified number) and stops at
//! 10,000 results, exactly where HubSpot stops, so a connector that relies on deep paging
//! fails here the same way it would in production. Sort ties break on id so pages never
//! overlap or skip.

use std::cmp::Ordering;

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::{ApiError, HsJson};
use super::filter::{self, FilterIn};
use super::render::{self, ObjectOut};
use super::{Shared, object_type};

const MAX_GROUPS: usize = 5;
const MAX_PER_GROUP: usize = 6;
const MAX_FILTERS: usize = 18;
const MAX_LIMIT: i64 = 200;
const MAX_RESULTS: u64 = 10_000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchBody {
    #[serde(default)]
    filter_groups: Vec<GroupIn>,
    #[serde(default)]
    sorts: Vec<SortIn>,
    #[serde(default)]
    properties: Vec<String>,
    limit: Option<i64>,
    after: Option<Value>,
    query: Option<String>,
}

/// Field order as HubSpot sends it: total, results, paging.
#[derive(Serialize)]
pub struct SearchOut {
    total: u64,
    results: Vec<ObjectOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paging: Option<Value>,
}

#[derive(Deserialize)]
pub struct GroupIn {
    #[serde(default)]
    filters: Vec<FilterIn>,
}

/// HubSpot documents `{"propertyName","direction"}` but accepts `"-createdate"` too.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum SortIn {
    Text(String),
    Obj {
        #[serde(rename = "propertyName")]
        property_name: String,
        direction: Option<String>,
    },
}

impl SortIn {
    fn spec(&self) -> (String, bool) {
        match self {
            SortIn::Text(s) => match s.strip_prefix('-') {
                Some(p) => (p.to_string(), true),
                None => (s.to_string(), false),
            },
            SortIn::Obj {
                property_name,
                direction,
            } => (
                property_name.clone(),
                direction
                    .as_deref()
                    .is_some_and(|d| d.eq_ignore_ascii_case("DESCENDING")),
            ),
        }
    }
}

fn offset(after: &Option<Value>) -> Result<u64, ApiError> {
    let raw = match after {
        None | Some(Value::Null) => return Ok(0),
        Some(Value::String(s)) if s.is_empty() => return Ok(0),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    raw.parse()
        .map_err(|_| ApiError::validation(format!("Invalid paging cursor after={raw}")))
}

/// Modified from, modified to (either open), newest first.
type Window = (
    Option<chrono::DateTime<chrono::Utc>>,
    Option<chrono::DateTime<chrono::Utc>>,
    bool,
);

/// The window and order of a search the modification index answers: at most one group of
/// bounds on the modified date, sorted on it alone, with no free-text query. `None`: scan.
fn by_modified(body: &SearchBody, t: crate::sim::world::ObjType) -> Option<Window> {
    let prop = crate::sim::world::schema::modified_prop(t);
    if body.query.as_deref().is_some_and(|q| !q.trim().is_empty()) {
        return None;
    }
    let [sort] = body.sorts.as_slice() else {
        return None;
    };
    let (sorted_on, newest_first) = sort.spec();
    if sorted_on != prop || body.filter_groups.len() > 1 {
        return None;
    }
    let (mut from, mut to): (Option<i64>, Option<i64>) = (None, None);
    for f in body.filter_groups.iter().flat_map(|g| g.filters.iter()) {
        let (lo, hi) = f.time_bounds(prop)?;
        from = from.max(lo);
        to = match (to, hi) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    let at = |ms: Option<i64>| ms.and_then(chrono::DateTime::from_timestamp_millis);
    Some((at(from), at(to), newest_first))
}

/// Whether the search index shows `r` yet: each write reaches it after its own delay of up
/// to `lag` (a record not indexed yet is left out, where HubSpot would show its previous
/// version; either way a poll must not lose it).
fn indexed(
    r: &crate::sim::world::Record,
    now: chrono::DateTime<chrono::Utc>,
    lag: std::time::Duration,
) -> bool {
    let max = i64::try_from(lag.as_millis()).unwrap_or(i64::MAX);
    if max == 0 {
        return true;
    }
    let spread = crate::sim::rng::mix(r.id ^ r.updated_at.timestamp_millis() as u64);
    let delay = (spread % (max as u64 + 1)) as i64;
    r.updated_at + chrono::Duration::milliseconds(delay) <= now
}

pub async fn search(
    State(st): State<Shared>,
    Path(kind): Path<String>,
    HsJson(body): HsJson<SearchBody>,
) -> Result<Json<SearchOut>, ApiError> {
    let t = object_type(&kind)?;
    let total_filters: usize = body.filter_groups.iter().map(|g| g.filters.len()).sum();
    if body.filter_groups.len() > MAX_GROUPS
        || body
            .filter_groups
            .iter()
            .any(|g| g.filters.len() > MAX_PER_GROUP)
        || total_filters > MAX_FILTERS
    {
        return Err(ApiError::validation(format!(
            "Too many filters: {} filter groups with {total_filters} filters in total. The maximum is \
             {MAX_GROUPS} filterGroups with up to {MAX_PER_GROUP} filters each and {MAX_FILTERS} filters in total.",
            body.filter_groups.len()
        )));
    }
    let limit = body.limit.unwrap_or(10);
    if !(0..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::validation(format!(
            "Invalid limit: {limit}. The limit must be between 0 and {MAX_LIMIT}."
        )));
    }
    let limit = limit as u64;
    let after = offset(&body.after)?;
    if after + limit > MAX_RESULTS {
        return Err(ApiError::validation(format!(
            "The search API can page through at most {MAX_RESULTS} results (after={after}, limit={limit}). \
             Narrow the search with filters, e.g. on hs_object_id or lastmodifieddate."
        )));
    }
    let groups = body
        .filter_groups
        .iter()
        .map(|g| {
            g.filters
                .iter()
                .map(|f| filter::compile(t, f))
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let sorts: Vec<(String, bool)> = body.sorts.iter().map(SortIn::spec).collect();
    let window = by_modified(&body, t);
    let props = render::selection(t, Some(body.properties));
    let query = body.query.clone().filter(|q| !q.trim().is_empty());

    let w = st.world_indexed(&[t]);
    let now = w.now();
    let keep = |r: &&crate::sim::world::Record| {
        !r.archived
            && indexed(r, now, st.index_lag)
            && (groups.is_empty() || groups.iter().any(|g| g.iter().all(|f| f.matches(r))))
            && query
                .as_deref()
                .is_none_or(|q| filter::query_matches(t, r, q))
    };
    if let Some((from, to, newest_first)) = window {
        // A poll's window or a load's high-water mark: walk the index, no scan, no sort.
        let table = w.table(t);
        let in_order = w
            .modified(t)
            .ordered(from, to, newest_first)
            .filter_map(|id| table.get(&id).filter(|r| keep(r)));
        let (total, page): (u64, Vec<_>) = if from.is_none() && to.is_none() {
            // A high-water mark: the page is the first few in order; the total, every live
            // record, is a plain walk of the table (no lookups by id).
            let page = in_order.skip(after as usize).take(limit as usize).collect();
            (table.values().filter(|r| keep(r)).count() as u64, page)
        } else {
            let mut total = 0u64;
            let mut page = Vec::new();
            for r in in_order {
                if total >= after && total < after + limit {
                    page.push(r);
                }
                total += 1;
            }
            (total, page)
        };
        let results = page
            .into_iter()
            .map(|r| render::render(&w, t, r, &props, &[]))
            .collect();
        let paging = (after + limit < total && limit > 0)
            .then(|| json!({"next": {"after": (after + limit).to_string()}}));
        return Ok(Json(SearchOut {
            total,
            results,
            paging,
        }));
    }
    let mut hits: Vec<_> = w.table(t).values().filter(keep).collect();
    if !sorts.is_empty() {
        let keyed: Vec<_> = hits
            .iter()
            .map(|r| {
                sorts
                    .iter()
                    .map(|(p, _)| filter::sort_key(t, r, p))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut order: Vec<usize> = (0..hits.len()).collect();
        order.sort_by(|&a, &b| {
            for (i, (_, desc)) in sorts.iter().enumerate() {
                let o = match (&keyed[a][i], &keyed[b][i]) {
                    (Some(x), Some(y)) => x.cmp(y),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                };
                let o = if *desc { o.reverse() } else { o };
                if o != Ordering::Equal {
                    return o;
                }
            }
            hits[a].id.cmp(&hits[b].id)
        });
        hits = order.into_iter().map(|i| hits[i]).collect();
    }
    let total = hits.len() as u64;
    let results: Vec<ObjectOut> = hits
        .iter()
        .skip(after as usize)
        .take(limit as usize)
        .map(|r| render::render(&w, t, r, &props, &[]))
        .collect();
    let paging = (after + limit < total && limit > 0)
        .then(|| json!({"next": {"after": (after + limit).to_string()}}));
    Ok(Json(SearchOut {
        total,
        results,
        paging,
    }))
}
