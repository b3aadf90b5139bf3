//! The simulated Salesforce REST API over the same world: the one funnel, expressed in
//! Salesforce's objects. It serves `GET /services/data/vXX.X/query?q=SOQL` and its
//! `nextRecordsUrl` pages for `Lead`, `User`, the org's `LeadStatus` picklist and
//! (`history.rs`) `Opportunity`, `Task`, `LeadHistory` and `OpportunityFieldHistory`, with
//! Salesforce's error array (`[{message, errorCode}]`) and `Sforce-Limit-Info`.
//!
//! A contact is a Lead; its HubSpot stage and status become the org's lead statuses
//! ([`STATUSES`]), and from `salesqualifiedlead` on it is converted (`IsConverted`, with its
//! deal as `ConvertedOpportunityId`).

pub mod cursor;
pub(in crate::sim::api) mod history;
mod rows;
mod soql;
pub mod write;

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::Shared;
use crate::sim::world::{ObjType, Record, Team, World};

/// Rows a query page holds (Salesforce's default batch size).
pub const BATCH: usize = 2000;

/// The org's daily API allowance, for `Sforce-Limit-Info`.
pub const DAILY_LIMIT: u64 = 15_000;

/// The org's lead statuses: (label, sort order, converted). The first is the default.
pub const STATUSES: [(&str, i64, bool); 6] = [
    ("Open - Not Contacted", 1, false),
    ("Marketing Qualified", 2, false),
    ("Working - Contacted", 3, false),
    ("Nurture", 4, false),
    ("Closed - Not Converted", 5, false),
    ("Closed - Converted", 6, true),
];

/// A Salesforce error answer: its status and `[{message, errorCode}]` body.
pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = json!([{ "message": message.into(), "errorCode": code }]);
    (status, Json(body)).into_response()
}

/// `Authorization` refused: Salesforce's answer for a missing or expired session.
pub fn invalid_session() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "INVALID_SESSION_ID",
        "Session expired or invalid",
    )
}

/// Salesforce's date-time as its REST API writes it: `2026-11-20T15:02:00.000+0000`.
fn sf_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// An 18-character record id with the object's key prefix.
pub(in crate::sim::api) fn sf_id(prefix: &str, id: u64) -> String {
    format!("{prefix}{id:015}")
}

/// The lead status a contact's HubSpot stage and status stand for.
pub(in crate::sim::api) fn status_of(c: &Record) -> &'static str {
    status_from(
        c.get("lifecyclestage").unwrap_or(""),
        c.get("hs_lead_status").unwrap_or(""),
    )
}

/// The lead status a HubSpot stage and status stand for.
fn status_from(lifecycle: &str, status: &str) -> &'static str {
    match (lifecycle, status) {
        (_, "UNQUALIFIED") => STATUSES[4].0,
        (_, "BAD_TIMING") => STATUSES[3].0,
        ("salesqualifiedlead" | "opportunity" | "customer" | "evangelist", _) => STATUSES[5].0,
        ("marketingqualifiedlead", "" | "NEW") => STATUSES[1].0,
        ("marketingqualifiedlead", _) => STATUSES[2].0,
        _ => STATUSES[0].0,
    }
}

/// One object's fields, by name (`None`: null).
type Row = BTreeMap<&'static str, Option<String>>;

fn lead_row(w: &World, c: &Record) -> Row {
    let text = |name: &str| c.get(name).filter(|v| !v.is_empty()).map(str::to_string);
    // Conversion is for good: a converted lead recycled later keeps its contact and
    // opportunity.
    let converted = status_of(c) == STATUSES[5].0
        || c.get("hs_lifecyclestage_salesqualifiedlead_date").is_some()
        || c.assoc.first(ObjType::Deals).is_some();
    let deal = c.assoc.first(ObjType::Deals);
    let first = text("firstname");
    let last = text("lastname");
    let name = [first.clone(), last.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let modified = sf_time(c.updated_at);
    Row::from([
        ("Id", Some(sf_id("00Q", c.id))),
        ("FirstName", first),
        ("LastName", last),
        ("Name", Some(name)),
        ("Company", text("company")),
        ("Email", text("email")),
        ("Title", text("jobtitle")),
        // A head count: the band's lower bound (HubSpot keeps bands).
        (
            "NumberOfEmployees",
            text("numemployees").and_then(|b| {
                let low = b.split(['-', '+']).next()?.trim().to_string();
                low.parse::<u64>().is_ok().then_some(low)
            }),
        ),
        ("Country", text("country")),
        ("LeadSource", text("hs_analytics_source")),
        ("Status", Some(status_of(c).to_string())),
        (
            "OwnerId",
            text("hubspot_owner_id")
                .and_then(|o| o.parse::<u64>().ok())
                .filter(|o| w.owner(*o).is_some())
                .map(|o| sf_id("005", o)),
        ),
        ("IsConverted", Some(converted.to_string())),
        (
            "ConvertedDate",
            c.ts("hs_lifecyclestage_salesqualifiedlead_date")
                .filter(|_| converted)
                .map(|t| t.format("%Y-%m-%d").to_string()),
        ),
        ("ConvertedContactId", converted.then(|| sf_id("003", c.id))),
        (
            "ConvertedOpportunityId",
            deal.filter(|_| converted).map(|d| sf_id("006", d)),
        ),
        // A relationship field, answered nested as Salesforce does.
        (
            "ConvertedOpportunity.StageName",
            deal.filter(|_| converted)
                .and_then(|d| w.live(ObjType::Deals, d))
                .map(|d| history::stage_name(d.get("dealstage").unwrap_or("")).to_string()),
        ),
        ("CreatedDate", Some(sf_time(c.created_at))),
        ("LastModifiedDate", Some(modified.clone())),
        ("SystemModstamp", Some(modified)),
    ])
}

fn user_rows(w: &World) -> Vec<Row> {
    w.owners
        .iter()
        .map(|o| {
            let team = match o.team {
                Team::Sales => "Sales",
                Team::Marketing => "Marketing",
            };
            Row::from([
                ("Id", Some(sf_id("005", o.id))),
                ("FirstName", Some(o.first.clone())),
                ("LastName", Some(o.last.clone())),
                ("Name", Some(format!("{} {}", o.first, o.last))),
                ("Email", Some(o.email.clone())),
                ("Department", Some(team.to_string())),
                ("IsActive", Some("true".to_string())),
                ("CreatedDate", Some(sf_time(o.created_at))),
                ("SystemModstamp", Some(sf_time(o.created_at))),
            ])
        })
        .collect()
}

fn status_rows(w: &World) -> Vec<Row> {
    STATUSES
        .iter()
        .enumerate()
        .map(|(i, (label, order, converted))| {
            Row::from([
                ("Id", Some(sf_id("01J", i as u64 + 1))),
                ("MasterLabel", Some(label.to_string())),
                ("ApiName", Some(label.to_string())),
                ("SortOrder", Some(order.to_string())),
                ("IsConverted", Some(converted.to_string())),
                ("IsDefault", Some((i == 0).to_string())),
                ("SystemModstamp", Some(sf_time(w.portal_created))),
            ])
        })
        .collect()
}

/// A field's value compared as SOQL does: dates in Salesforce's own format read as dates.
fn normalised(v: &str) -> String {
    match DateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.3f%z") {
        Ok(t) => crate::sim::world::time::fmt_ts(t.to_utc()),
        Err(_) => v.to_string(),
    }
}

/// `Sforce-Limit-Info: api-usage=N/15000` on every answer.
pub(super) fn with_usage(st: &Shared, mut resp: Response) -> Response {
    let used = st.stats.requests.load(std::sync::atomic::Ordering::Relaxed);
    if let Ok(v) = HeaderValue::from_str(&format!("api-usage={used}/{DAILY_LIMIT}")) {
        resp.headers_mut().insert("Sforce-Limit-Info", v);
    }
    resp
}

fn version_ok(version: &str) -> bool {
    version
        .strip_prefix('v')
        .and_then(|v| v.parse::<f64>().ok())
        .is_some_and(|v| (20.0..=99.0).contains(&v))
}

/// The page size a client asked for (`Sforce-Query-Options: batchSize=N`, 200 to 2,000),
/// else 2,000.
fn batch_size(headers: &axum::http::HeaderMap) -> usize {
    headers
        .get("sforce-query-options")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .find_map(|kv| kv.trim().strip_prefix("batchSize="))
                .and_then(|n| n.trim().parse::<usize>().ok())
        })
        .map_or(BATCH, |n| n.clamp(200, BATCH))
}

/// Run `q`: its first page of `batch` rows, with a locator for the rest.
fn answer(st: &Shared, version: &str, q: &str, batch: usize) -> Response {
    if !version_ok(version) {
        return not_found();
    }
    let query = match soql::parse(q) {
        Ok(query) => query,
        Err(why) => return error(StatusCode::BAD_REQUEST, "MALFORMED_QUERY", why),
    };
    let Some(kind) = rows::Kind::parse(&query.object) else {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_TYPE",
            format!("sObject type '{}' is not supported.", query.object),
        );
    };
    let object = kind.label();
    let w = st.world_indexed(&ObjType::ALL);
    let candidates = rows::candidates(&w, kind, query.filter.as_ref());
    // The object's fields, as its first row has them (an empty answer checks none).
    let first = candidates.first().and_then(|r| rows::build(&w, kind, *r));
    let known =
        |f: &str| first.as_ref().is_none_or(|r| r.contains_key(f)) || f.eq_ignore_ascii_case("Id");
    let named = query
        .fields
        .iter()
        .map(String::as_str)
        .chain(query.filter.iter().flat_map(|c| c.fields()))
        .chain(query.order.iter().map(|(f, _)| f.as_str()));
    for f in named {
        if !known(f) {
            return error(
                StatusCode::BAD_REQUEST,
                "INVALID_FIELD",
                format!("No such column '{f}' on entity '{object}'."),
            );
        }
    }
    // Each candidate is built, tested and dropped: only the matches' places are kept. With
    // nothing to test, a date-time order is read straight from the record.
    let mut hits: Vec<(Option<String>, rows::RowRef)> = Vec::new();
    let stamped = |r: rows::RowRef| {
        let (field, _) = query.order.as_ref()?;
        let at = rows::stamp(&w, kind, r, field)?;
        Some(at.map(crate::sim::world::time::fmt_ts))
    };
    for r in candidates {
        if query.filter.is_none()
            && let Some(key) = query.order.as_ref().map_or(Some(None), |_| stamped(r))
        {
            hits.push((key, r));
            continue;
        }
        let Some(row) = rows::build(&w, kind, r) else {
            continue;
        };
        let normal: BTreeMap<&str, String> = row
            .iter()
            .filter_map(|(k, v)| Some((*k, normalised(v.as_deref()?))))
            .collect();
        let keep = query
            .filter
            .as_ref()
            .is_none_or(|c| c.matches(&|f| normal.get(f).map(String::as_str)));
        if keep {
            let key = query
                .order
                .as_ref()
                .and_then(|(field, _)| normal.get(field.as_str()).cloned());
            hits.push((key, r));
        }
    }
    if let Some((_, asc)) = &query.order {
        hits.sort_by(|a, b| {
            let o = a.0.cmp(&b.0);
            if *asc { o } else { o.reverse() }
        });
    }
    if let Some(limit) = query.limit {
        hits.truncate(limit);
    }
    if query.count {
        // Salesforce answers `SELECT COUNT()` with the count alone.
        let body = json!({ "totalSize": hits.len(), "done": true, "records": [] });
        return with_usage(st, (StatusCode::OK, Json(body)).into_response());
    }
    let cursor = cursor::Cursor {
        kind,
        fields: query.fields,
        matches: hits.into_iter().map(|(_, r)| r).collect(),
        batch,
    };
    if cursor.matches.len() > batch {
        let (id, cursor) = st.soql_cursors.open(cursor);
        page(st, &w, version, &cursor, Some(id), 0)
    } else {
        page(st, &w, version, &cursor, None, 0)
    }
}

fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "The requested resource does not exist",
    )
}

/// The page of `cursor` starting at `offset`: its rows built now, and the next page's
/// locator (`id`: the cursor's, when it has more).
fn page(
    st: &Shared,
    w: &World,
    version: &str,
    cursor: &cursor::Cursor,
    id: Option<u64>,
    offset: usize,
) -> Response {
    let object = cursor.kind.label();
    let total = cursor.matches.len();
    let end = (offset + cursor.batch).min(total);
    let page: Vec<Value> = cursor.matches[offset.min(total)..end]
        .iter()
        .filter_map(|r| rows::build(w, cursor.kind, *r))
        .map(|r| {
            let mut o = Map::new();
            let id = r.get("Id").cloned().flatten().unwrap_or_default();
            o.insert(
                "attributes".into(),
                json!({ "type": object, "url": format!("/services/data/{version}/sobjects/{object}/{id}") }),
            );
            for f in &cursor.fields {
                let v = r.get(f.as_str()).cloned().flatten();
                let value = match (v, *f == "IsConverted" || f.starts_with("Is")) {
                    (Some(v), true) => json!(v == "true"),
                    (Some(v), false) if NUMBERS.contains(&f.as_str()) => {
                        v.parse::<f64>().map_or(Value::Null, |n| json!(n))
                    }
                    (Some(v), false) => json!(v),
                    (None, _) => Value::Null,
                };
                insert_field(&mut o, f, value);
            }
            Value::Object(o)
        })
        .collect();
    let done = end >= total;
    let mut body = json!({ "totalSize": total, "done": done, "records": page });
    if let (false, Some(id)) = (done, id) {
        body["nextRecordsUrl"] = json!(format!(
            "/services/data/{version}/query/{}",
            cursor::locator(id, end)
        ));
    }
    with_usage(st, (StatusCode::OK, Json(body)).into_response())
}

/// Fields answered as JSON numbers.
const NUMBERS: [&str; 3] = ["SortOrder", "Amount", "NumberOfEmployees"];

/// `Parent.Field` answers as `{"Parent": {"attributes": …, "Field": v}}`, and a null parent
/// as `"Parent": null`, as Salesforce nests relationship fields.
fn insert_field(o: &mut Map<String, Value>, field: &str, value: Value) {
    let Some((parent, child)) = field.split_once('.') else {
        o.insert(field.to_string(), value);
        return;
    };
    let slot = o.entry(parent.to_string()).or_insert(Value::Null);
    if value.is_null() {
        return;
    }
    if !slot.is_object() {
        *slot = json!({ "attributes": { "type": parent.trim_start_matches("Converted") } });
    }
    if let Some(m) = slot.as_object_mut() {
        m.insert(child.to_string(), value);
    }
}

/// `GET /services/data/{version}/query?q=SOQL`.
pub async fn query(
    State(st): State<Shared>,
    Path(version): Path<String>,
    headers: axum::http::HeaderMap,
    Query(params): Query<BTreeMap<String, String>>,
) -> Response {
    match params.get("q") {
        Some(q) => answer(&st, &version, q, batch_size(&headers)),
        None => error(
            StatusCode::BAD_REQUEST,
            "MALFORMED_QUERY",
            "A query string must be given as q",
        ),
    }
}

/// `GET /services/data/{version}/query/{locator}`: the next page of a query.
pub async fn query_more(
    State(st): State<Shared>,
    Path((version, locator)): Path<(String, String)>,
) -> Response {
    if !version_ok(&version) {
        return not_found();
    }
    match cursor::unlocate(&locator).and_then(|(id, at)| Some((id, st.soql_cursors.get(id)?, at))) {
        Some((id, cursor, offset)) => {
            let w = st.world();
            page(&st, &w, &version, &cursor, Some(id), offset)
        }
        None => error(
            StatusCode::BAD_REQUEST,
            "INVALID_QUERY_LOCATOR",
            "invalid query locator",
        ),
    }
}
