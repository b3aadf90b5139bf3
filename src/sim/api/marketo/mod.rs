//! The simulated Marketo REST API over the same world, in Adobe's shapes
//! (`../shared/apispecs/marketo`): leads by `filterType`, activities and lead changes with
//! paging tokens, programs (the campaigns), and static-list membership for nurture. Every
//! answer is Marketo's envelope: HTTP 200 with `success`, `result`, `nextPageToken`,
//! `moreResult` or `errors[{code, message}]`.
//!
//! A contact is a Marketo lead with the same number; `sfdcLeadId` names its Salesforce Lead.

pub mod activities;
pub mod gate;
mod log;

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::Shared;
use super::salesforce::{sf_id, status_of};
use crate::sim::world::names::CAMPAIGNS;
use crate::sim::world::{ObjType, Record, World};
use gate::{admit, envelope, failure};

/// Leads a page holds at most (Marketo's limit for leads and activities).
pub const BATCH: usize = 300;
/// The static list recycled leads are added to.
pub const NURTURE_LIST: u64 = 1001;
/// The engagement program that nurtures them.
pub const NURTURE_PROGRAM: u64 = 2000;

/// The query string as pairs: Adobe's Swagger sends arrays as repeated parameters
/// (`collectionFormat: multi`), Marketo's docs as comma lists; both read the same.
type Params = Query<Vec<(String, String)>>;

fn params(Query(pairs): Params) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = HashMap::new();
    for (k, v) in pairs {
        out.entry(k)
            .and_modify(|all| {
                all.push(',');
                all.push_str(&v);
            })
            .or_insert(v);
    }
    out
}

fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A contact as a Marketo lead: every field it has (`None`: null).
fn lead_fields(c: &Record) -> Vec<(&'static str, Value)> {
    let text = |name: &str| {
        c.get(name)
            .filter(|v| !v.is_empty())
            .map_or(Value::Null, |v| json!(v))
    };
    vec![
        ("id", json!(c.id)),
        ("email", text("email")),
        ("firstName", text("firstname")),
        ("lastName", text("lastname")),
        ("company", text("company")),
        ("title", text("jobtitle")),
        ("country", text("country")),
        ("leadSource", text("hs_analytics_source")),
        ("leadStatus", json!(status_of(c))),
        ("sfdcLeadId", json!(sf_id("00Q", c.id))),
        ("sfdcType", json!("Lead")),
        ("createdAt", json!(ts(c.created_at))),
        ("updatedAt", json!(ts(c.updated_at))),
    ]
}

/// Every lead field served, as [`lead_fields`] names them.
const FIELDS: [&str; 13] = [
    "id",
    "email",
    "firstName",
    "lastName",
    "company",
    "title",
    "country",
    "leadSource",
    "leadStatus",
    "sfdcLeadId",
    "sfdcType",
    "createdAt",
    "updatedAt",
];

const DEFAULT_FIELDS: [&str; 6] = [
    "id",
    "email",
    "updatedAt",
    "createdAt",
    "firstName",
    "lastName",
];

fn batch_size(q: &HashMap<String, String>) -> Result<usize, Box<Response>> {
    match q.get("batchSize") {
        None => Ok(BATCH),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=BATCH).contains(&n) => Ok(n),
            _ => Err(Box::new(failure(1003, "Invalid batchSize: 1 to 300"))),
        },
    }
}

/// `GET /rest/v1/leads.json?filterType=&filterValues=&fields=&batchSize=&nextPageToken=`.
pub async fn leads(State(st): State<Shared>, headers: HeaderMap, raw: Params) -> Response {
    leads_answer(&st, &headers, params(raw))
}

/// `POST /rest/v1/leads.json` with a form body and `_method=GET`: the same read, for filter
/// values too long for a URL (as Marketo's docs advise, and client libraries do).
pub async fn leads_post(
    State(st): State<Shared>,
    headers: HeaderMap,
    raw: Params,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Response {
    let Query(mut pairs) = raw;
    pairs.extend(form);
    let q = params(Query(pairs));
    if q.get("_method").map(String::as_str) != Some("GET") {
        return failure(
            1003,
            "Creating or updating leads is not simulated; send _method=GET to read",
        );
    }
    leads_answer(&st, &headers, q)
}

fn leads_answer(st: &Shared, headers: &HeaderMap, q: HashMap<String, String>) -> Response {
    let _admitted = match admit(st, headers) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let Some(kind) = q.get("filterType").map(String::as_str) else {
        return failure(1003, "filterType not specified");
    };
    let values: Vec<&str> = q
        .get("filterValues")
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if values.is_empty() {
        return failure(1003, "filterValues not specified");
    }
    if values.len() > BATCH {
        return failure(1003, "Too many filterValues: 300 at most");
    }
    let batch = match batch_size(&q) {
        Ok(b) => b,
        Err(e) => return *e,
    };
    let fields: Vec<String> = match q.get("fields") {
        Some(f) => f.split(',').map(|f| f.trim().to_string()).collect(),
        None => DEFAULT_FIELDS.iter().map(|f| f.to_string()).collect(),
    };
    if let Some(bad) = fields.iter().find(|f| !FIELDS.contains(&f.as_str())) {
        return failure(1006, &format!("Field '{bad}' not found"));
    }
    let offset = match q.get("nextPageToken") {
        Some(t) => match activities::untoken(t) {
            Some((_, n)) => n as usize,
            None => return failure(1003, "Invalid nextPageToken"),
        },
        None => 0,
    };
    let w = st.world();
    let hits: Vec<&Record> = match kind {
        "id" => values
            .iter()
            .filter_map(|v| v.parse::<u64>().ok())
            .filter_map(|id| w.live(ObjType::Contacts, id))
            .collect(),
        "sfdcLeadId" => values
            .iter()
            .filter_map(|v| v.strip_prefix("00Q")?.parse::<u64>().ok())
            .filter_map(|id| w.live(ObjType::Contacts, id))
            .collect(),
        "email" => {
            let wanted: Vec<String> = values.iter().map(|v| v.to_ascii_lowercase()).collect();
            w.table(ObjType::Contacts)
                .values()
                .filter(|c| !c.archived)
                .filter(|c| {
                    c.get("email")
                        .is_some_and(|e| wanted.contains(&e.to_ascii_lowercase()))
                })
                .collect()
        }
        other => return failure(1003, &format!("Invalid filterType '{other}'")),
    };
    let page: Vec<Value> = hits
        .iter()
        .skip(offset)
        .take(batch)
        .map(|c| {
            let all = lead_fields(c);
            let mut o = Map::new();
            for f in &fields {
                if let Some((_, v)) = all.iter().find(|(n, _)| n == f) {
                    o.insert(f.clone(), v.clone());
                }
            }
            Value::Object(o)
        })
        .collect();
    let end = offset + page.len();
    let mut body = json!({ "success": true, "result": page });
    if end < hits.len() {
        body["nextPageToken"] = json!(activities::token(DateTime::UNIX_EPOCH, end as u64));
        body["moreResult"] = json!(true);
    }
    drop(w);
    envelope(body)
}

/// `GET /rest/v1/activities/pagingtoken.json?sinceDatetime=`.
pub async fn paging_token(State(st): State<Shared>, headers: HeaderMap, raw: Params) -> Response {
    let q = params(raw);
    let _admitted = match admit(&st, &headers) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let since = q.get("sinceDatetime").and_then(|s| {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.to_utc())
            .ok()
            .or_else(|| {
                let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
                Some(d.and_hms_opt(0, 0, 0)?.and_utc())
            })
    });
    match since {
        // Everything at or after the instant: the position just before it.
        Some(t) => envelope(json!({
            "success": true,
            "nextPageToken": activities::token(t - chrono::Duration::milliseconds(1), u64::MAX),
        })),
        None => failure(
            1003,
            "sinceDatetime must be a date-time like 2026-11-20T15:02:00Z",
        ),
    }
}

/// The activity types asked for (1–10 of them), or the refusal.
fn type_ids(q: &HashMap<String, String>, name: &str) -> Result<Vec<u32>, Box<Response>> {
    let ids: Option<Vec<u32>> = q
        .get(name)
        .map(|v| v.split(',').map(|t| t.trim().parse().ok()).collect())
        .unwrap_or(Some(Vec::new()));
    match ids {
        Some(ids) if (1..=10).contains(&ids.len()) => Ok(ids),
        Some(ids) if ids.is_empty() => {
            Err(Box::new(failure(1003, "activityTypeIds not specified")))
        }
        _ => Err(Box::new(failure(
            1003,
            "Invalid activityTypeIds: 1 to 10 numeric ids",
        ))),
    }
}

/// One page of activities after the token's position, with the next token.
fn activity_page(
    st: &Shared,
    w: &World,
    q: &HashMap<String, String>,
    types: &[u32],
) -> Result<Value, Box<Response>> {
    let Some(from) = q.get("nextPageToken").and_then(|t| activities::untoken(t)) else {
        return Err(Box::new(failure(
            1003,
            "nextPageToken not specified or invalid",
        )));
    };
    let batch = batch_size(q)?;
    let leads: Option<Vec<u64>> = q
        .get("leadIds")
        .map(|v| v.split(',').filter_map(|i| i.trim().parse().ok()).collect());
    let (page, more) = match leads {
        // A few named leads: their activities, built and sorted here.
        Some(leads) => {
            let mut all = activities::after(w, from, types, Some(&leads));
            let more = all.len() > batch;
            all.truncate(batch);
            (all, more)
        }
        // The whole log: a binary search in the kept one.
        None => st.marketo.log.page(w, types, from, batch),
    };
    let last = page.last().map_or(from, |(at, id, _, _)| (*at, *id));
    let mut body = json!({
        "success": true,
        "nextPageToken": activities::token(last.0, last.1),
        "moreResult": more,
    });
    // Marketo leaves `result` out of a page with nothing in it.
    if !page.is_empty() {
        body["result"] = Value::Array(page.into_iter().map(|a| (a.3)()).collect());
    }
    Ok(body)
}

/// `GET /rest/v1/activities.json?nextPageToken=&activityTypeIds=&leadIds=&batchSize=`.
pub async fn activities(State(st): State<Shared>, headers: HeaderMap, raw: Params) -> Response {
    let q = params(raw);
    let _admitted = match admit(&st, &headers) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let types = match type_ids(&q, "activityTypeIds") {
        Ok(t) => t,
        Err(e) => return *e,
    };
    let w = st.world_indexed(&[ObjType::Contacts]);
    match activity_page(&st, &w, &q, &types) {
        Ok(body) => envelope(body),
        Err(e) => *e,
    }
}

/// `GET /rest/v1/activities/leadchanges.json?nextPageToken=&fields=`: data value changes.
pub async fn lead_changes(State(st): State<Shared>, headers: HeaderMap, raw: Params) -> Response {
    let q = params(raw);
    let _admitted = match admit(&st, &headers) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    if q.get("fields").is_none_or(|f| f.trim().is_empty()) {
        return failure(1003, "fields not specified");
    }
    // Only the lead status changes over time in this world; other fields have no changes.
    let status = q
        .get("fields")
        .is_some_and(|f| f.split(',').any(|f| f.trim() == "leadStatus"));
    let types: &[u32] = if status {
        &[activities::CHANGE_DATA_VALUE]
    } else {
        &[]
    };
    let w = st.world_indexed(&[ObjType::Contacts]);
    match activity_page(&st, &w, &q, types) {
        Ok(body) => envelope(body),
        Err(e) => *e,
    }
}

/// `GET /rest/v1/activities/types.json`.
pub async fn activity_types(State(st): State<Shared>, headers: HeaderMap) -> Response {
    let _admitted = match admit(&st, &headers) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let result: Vec<Value> = activities::TYPES
        .iter()
        .map(|(id, name, primary)| {
            json!({ "id": id, "name": name, "description": name,
                    "primaryAttribute": { "name": primary, "dataType": "string" } })
        })
        .collect();
    envelope(json!({ "success": true, "result": result }))
}

/// `GET /rest/v1/stats/usage.json`: the calls spent today against the daily quota (this
/// call included, as Marketo counts it).
pub async fn usage(State(st): State<Shared>, headers: HeaderMap) -> Response {
    let _admitted = match admit(&st, &headers) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let total = st.marketo.daily.load(std::sync::atomic::Ordering::Relaxed);
    let day = st.world().now().date_naive();
    envelope(json!({ "success": true, "result": [{
        "date": format!("{day}T00:00:00Z"), "total": total,
        "users": [{ "userId": "tandem-sim@api", "count": total }] }] }))
}

/// `GET /rest/asset/v1/programs.json?maxReturn=&offset=`: the campaigns and the nurture.
pub async fn programs(State(st): State<Shared>, headers: HeaderMap, raw: Params) -> Response {
    let q = params(raw);
    let _admitted = match admit(&st, &headers) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let created = ts(st.world().portal_created);
    let mut all: Vec<Value> = CAMPAIGNS
        .iter()
        .map(|(name, _)| {
            json!({ "id": activities::program_id(name), "name": name, "type": "Default",
                    "channel": "Content", "status": "", "workspace": "Default",
                    "createdAt": created, "updatedAt": created })
        })
        .collect();
    all.push(
        json!({ "id": NURTURE_PROGRAM, "name": "Nurture - recycled leads",
                     "type": "Engagement", "channel": "Nurture", "status": "on",
                     "workspace": "Default", "createdAt": created, "updatedAt": created }),
    );
    let offset: usize = q.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    let max: usize = q
        .get("maxReturn")
        .and_then(|o| o.parse().ok())
        .unwrap_or(20)
        .clamp(1, 200);
    let page: Vec<Value> = all.into_iter().skip(offset).take(max).collect();
    if page.is_empty() {
        // Marketo's way of saying "no more": a warning, not an error.
        return envelope(
            json!({ "success": true, "warnings": ["No assets found for the given search criteria."] }),
        );
    }
    envelope(json!({ "success": true, "result": page }))
}

/// `POST /rest/v1/lists/{listId}/leads.json` with `{"input": [{"id": n}]}`.
pub async fn add_to_list(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(list): Path<String>,
    raw: Bytes,
) -> Response {
    let _admitted = match admit(&st, &headers) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    if list.parse::<u64>().ok() != Some(NURTURE_LIST) {
        return failure(1013, &format!("List '{list}' not found"));
    }
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let Some(input) = body.get("input").and_then(Value::as_array) else {
        return failure(
            609,
            "Invalid JSON: an input array of {\"id\": n} is required",
        );
    };
    if input.len() > BATCH {
        return failure(1003, "Too many leads: 300 at most");
    }
    let w = st.world();
    let mut lists = st.marketo.lists.lock().unwrap_or_else(|e| e.into_inner());
    let members = lists.entry(NURTURE_LIST).or_default();
    let result: Vec<Value> = input
        .iter()
        .map(|i| {
            let id = i.get("id").and_then(Value::as_u64);
            match id.filter(|id| w.live(ObjType::Contacts, *id).is_some()) {
                Some(id) => {
                    members.insert(id);
                    json!({ "id": id, "status": "added" })
                }
                None => json!({ "id": i.get("id"), "status": "skipped",
                                "reasons": [{ "code": "1004", "message": "Lead not found" }] }),
            }
        })
        .collect();
    drop(lists);
    drop(w);
    st.count_write();
    envelope(json!({ "success": true, "result": result }))
}

/// `DELETE /rest/v1/lists/{listId}/leads.json?id=1,2`.
pub async fn remove_from_list(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(list): Path<String>,
    raw: Params,
) -> Response {
    let q = params(raw);
    let _admitted = match admit(&st, &headers) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let Some(list) = list.parse::<u64>().ok().filter(|l| *l == NURTURE_LIST) else {
        return failure(1013, &format!("List '{list}' not found"));
    };
    let mut lists = st.marketo.lists.lock().unwrap_or_else(|e| e.into_inner());
    let members = lists.entry(list).or_default();
    let result: Vec<Value> = q
        .get("id")
        .map(|v| {
            v.split(',')
                .filter_map(|i| i.trim().parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .map(|id| match members.remove(&id) {
            true => json!({ "id": id, "status": "removed" }),
            false => json!({ "id": id, "status": "skipped",
                             "reasons": [{ "code": "1015", "message": "Lead not in list" }] }),
        })
        .collect();
    drop(lists);
    st.count_write();
    envelope(json!({ "success": true, "result": result }))
}

/// `GET /rest/v1/lists/{listId}/leads/ismember.json?id=1,2`.
pub async fn is_member(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(list): Path<String>,
    raw: Params,
) -> Response {
    let q = params(raw);
    let _admitted = match admit(&st, &headers) {
        Ok(a) => a,
        Err(e) => return *e,
    };
    let Some(list) = list.parse::<u64>().ok().filter(|l| *l == NURTURE_LIST) else {
        return failure(1013, &format!("List '{list}' not found"));
    };
    let lists = st.marketo.lists.lock().unwrap_or_else(|e| e.into_inner());
    let members = lists.get(&list);
    let result: Vec<Value> = q
        .get("id")
        .map(|v| {
            v.split(',')
                .filter_map(|i| i.trim().parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .map(|id| {
            let status = match members.is_some_and(|m| m.contains(&id)) {
                true => "memberof",
                false => "notmemberof",
            };
            json!({ "id": id, "status": status })
        })
        .collect();
    envelope(json!({ "success": true, "result": result }))
}
