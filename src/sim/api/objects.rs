//! `/crm/v3/objects/{type}`: list, get, PATCH, archive and batch read.
//!
//! List pages walk ids in ascending order with an opaque `after` cursor (the next id), which
//! stays stable while the world evolves: new records get higher ids and land on later pages.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::error::{ApiError, HsJson, Params};
use super::render::{self, ObjectOut};
use super::{Shared, object_type};
use crate::sim::world::time::fmt_ts;
use crate::sim::world::{ObjType, World, write};

/// Records a page (list) or a batch read holds when property history is asked for.
pub const HISTORY_PAGE: usize = 50;

/// Find a record by id, or by a unique property when the client passes `idProperty`.
pub fn resolve(w: &World, t: ObjType, raw: &str, id_property: Option<&str>) -> Option<u64> {
    match id_property {
        Some(p) if p != "hs_object_id" => w
            .table(t)
            .values()
            .find(|r| !r.archived && r.get(p).is_some_and(|v| v.eq_ignore_ascii_case(raw)))
            .map(|r| r.id),
        _ => raw.parse().ok().filter(|id| w.get(t, *id).is_some()),
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A list page; a struct (not a `Value`) so keys keep HubSpot's order on the wire.
#[derive(Serialize)]
pub struct Page {
    pub results: Vec<ObjectOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paging: Option<Value>,
}

/// A batch answer; `numErrors`/`errors` only when something was missing (HTTP 207).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchOut<T: Serialize> {
    pub status: &'static str,
    pub results: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_errors: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Value>,
    pub started_at: String,
    pub completed_at: String,
}

impl<T: Serialize> BatchOut<T> {
    /// 200 when complete, 207 (multi-status) when some inputs failed.
    pub fn respond(mut self) -> Response {
        if self.errors.is_empty() {
            return Json(self).into_response();
        }
        self.num_errors = Some(self.errors.len());
        (StatusCode::MULTI_STATUS, Json(self)).into_response()
    }
}

pub async fn list(
    State(st): State<Shared>,
    Path(kind): Path<String>,
    q: Params,
) -> Result<Json<Page>, ApiError> {
    let t = object_type(&kind)?;
    let history = render::history_selection(t, q.list("propertiesWithHistory"));
    // With history HubSpot returns at most 50 records a page.
    let max = if history.is_some() { HISTORY_PAGE } else { 100 };
    let limit = q.int("limit", 10, 1, 100)?.min(max);
    let after: u64 = match q.get("after") {
        None | Some("") => 0,
        Some(a) => a
            .parse()
            .map_err(|_| ApiError::validation(format!("Invalid paging cursor after={a}")))?,
    };
    let archived = q.flag("archived");
    let props = render::selection(t, q.list("properties"));
    let with = render::assoc_types(q.list("associations"));
    let w = st.world();
    let mut page = w
        .table(t)
        .starting_at(after)
        .filter(|r| r.archived == archived);
    let results: Vec<ObjectOut> = page
        .by_ref()
        .take(limit)
        .map(|r| {
            render::with_history(
                render::render(&w, t, r, &props, &with),
                r,
                history.as_deref(),
            )
        })
        .collect();
    let mut body = Page {
        results,
        paging: None,
    };
    if let Some(next) = page.next() {
        let mut query: Vec<String> =
            q.0.iter()
                .filter(|(k, _)| k != "after")
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
        query.push(format!("after={}", next.id));
        let link = format!(
            "{}/crm/v3/objects/{}?{}",
            st.base_url,
            t.plural(),
            query.join("&")
        );
        body.paging = Some(json!({"next": {"after": next.id.to_string(), "link": link}}));
    }
    Ok(Json(body))
}

pub async fn get_one(
    State(st): State<Shared>,
    Path((kind, raw)): Path<(String, String)>,
    q: Params,
) -> Result<Json<ObjectOut>, ApiError> {
    let t = object_type(&kind)?;
    let props = render::selection(t, q.list("properties"));
    let history = render::history_selection(t, q.list("propertiesWithHistory"));
    let with = render::assoc_types(q.list("associations"));
    let w = st.world();
    let rec = resolve(&w, t, &raw, q.get("idProperty"))
        .and_then(|id| w.get(t, id))
        .filter(|r| r.archived == q.flag("archived"))
        .ok_or_else(|| ApiError::object_not_found(&raw))?;
    let out = render::render(&w, t, rec, &props, &with);
    Ok(Json(render::with_history(out, rec, history.as_deref())))
}

#[derive(Deserialize)]
pub struct PropsBody {
    properties: Map<String, Value>,
}

pub async fn patch(
    State(st): State<Shared>,
    Path((kind, raw)): Path<(String, String)>,
    q: Params,
    HsJson(body): HsJson<PropsBody>,
) -> Result<Json<ObjectOut>, ApiError> {
    let t = object_type(&kind)?;
    let mut w = st.world_mut();
    let id = resolve(&w, t, &raw, q.get("idProperty"))
        .ok_or_else(|| ApiError::object_not_found(&raw))?;
    let changes = write::validate(&w, t, Some(id), &body.properties)
        .map_err(|e| ApiError::from_write(e, &raw))?;
    let before = w.get(t, id).map(|r| r.props.clone()).unwrap_or_default();
    let ts = w.stamp();
    write::commit(
        &mut w,
        t,
        id,
        changes,
        ts,
        crate::sim::world::history::Source::Integration,
    );
    st.count_write();
    let rec = w.get(t, id).expect("patched record exists");
    // Return what the write touched (including derived stamps) plus the always-on properties.
    let mut touched: BTreeSet<String> = body.properties.keys().cloned().collect();
    touched.extend(
        rec.props
            .iter()
            .filter(|(k, v)| before.get(k) != Some(*v))
            .map(|(k, _)| k.to_string()),
    );
    let props = render::selection(t, Some(touched.into_iter().collect()));
    tracing::debug!(object = t.singular(), id, "sim: patched");
    Ok(Json(render::render(&w, t, rec, &props, &[])))
}

pub async fn archive(
    State(st): State<Shared>,
    Path((kind, raw)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let t = object_type(&kind)?;
    let mut w = st.world_mut();
    let id = resolve(&w, t, &raw, None).ok_or_else(|| ApiError::object_not_found(&raw))?;
    let ts = w.stamp();
    if let Some(r) = w.get_mut(t, id).filter(|r| !r.archived) {
        r.archived = true;
        r.updated_at = ts;
        st.count_write();
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchReadBody {
    #[serde(default)]
    properties: Vec<String>,
    #[serde(default)]
    properties_with_history: Vec<String>,
    inputs: Vec<IdInput>,
    id_property: Option<String>,
}

#[derive(Deserialize)]
pub struct IdInput {
    id: Value,
}

pub async fn batch_read(
    State(st): State<Shared>,
    Path(kind): Path<String>,
    q: Params,
    HsJson(body): HsJson<BatchReadBody>,
) -> Result<Response, ApiError> {
    let t = object_type(&kind)?;
    if body.inputs.len() > 100 {
        return Err(ApiError::validation(format!(
            "Too many inputs: {}. The maximum batch size is 100.",
            body.inputs.len()
        )));
    }
    let history = (!body.properties_with_history.is_empty())
        .then(|| render::history_selection(t, Some(body.properties_with_history)))
        .flatten();
    if history.is_some() && body.inputs.len() > HISTORY_PAGE {
        return Err(ApiError::validation(format!(
            "Too many inputs: {}. With propertiesWithHistory the maximum batch size is {HISTORY_PAGE}.",
            body.inputs.len()
        )));
    }
    let props = render::selection(t, Some(body.properties));
    let archived = q.flag("archived");
    let w = st.world();
    let started = fmt_ts(w.now());
    let mut seen = BTreeSet::new();
    let mut results = Vec::new();
    let mut missing = Vec::new();
    for input in &body.inputs {
        let raw = match &input.id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let found = resolve(&w, t, &raw, body.id_property.as_deref())
            .and_then(|id| w.get(t, id))
            .filter(|r| r.archived == archived);
        match found {
            Some(r) if seen.insert(r.id) => results.push(render::with_history(
                render::render(&w, t, r, &props, &[]),
                r,
                history.as_deref(),
            )),
            Some(_) => {}
            None => missing.push(raw),
        }
    }
    let errors = if missing.is_empty() {
        Vec::new()
    } else {
        vec![json!({
            "status": "error",
            "category": "OBJECT_NOT_FOUND",
            "message": format!(
                "Could not get some {} objects, they may be deleted or not exist. Check that ids are valid.",
                t.singular().to_uppercase()
            ),
            "context": {"ids": missing},
        })]
    };
    let completed = fmt_ts(w.now());
    Ok(BatchOut {
        status: "COMPLETE",
        results,
        num_errors: None,
        errors,
        started_at: started,
        completed_at: completed,
    }
    .respond())
}
