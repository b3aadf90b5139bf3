//! The simulated Salesforce's writes and deletions, over the same world:
//! `PATCH /sobjects/Lead/{id}` (Status, OwnerId; 204 with no body), `POST /sobjects/Task`
//! (201 `{id, success, errors}`), `DELETE /sobjects/Task/{id}`, and
//! `GET /sobjects/{object}/deleted/?start=&end=`.
//!
//! A Lead's status goes back into the world as the HubSpot stage and status it stands for
//! (the inverse of [`super::status_from`]), so every profile sees the one funnel move.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{STATUSES, error, sf_id, sf_time, with_usage};
use crate::sim::api::Shared;
use crate::sim::world::history::Source;
use crate::sim::world::write::{self, Changes};
use crate::sim::world::{ObjType, World};

/// The record number behind an 18-character id with `prefix` (`00Q…` for a Lead).
fn number(raw: &str, prefix: &str) -> Option<u64> {
    let digits = raw.strip_prefix(prefix)?;
    (digits.len() == 15).then_some(())?;
    digits.parse().ok()
}

fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "The requested resource does not exist",
    )
}

fn bad(code: &str, message: String, field: &str) -> Response {
    let body = json!([{ "message": message, "errorCode": code, "fields": [field] }]);
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// A refusal, boxed: a response is large and refusals are rare.
type Refused = Box<Response>;

fn body_object(raw: &Bytes) -> Result<Map<String, Value>, Refused> {
    match serde_json::from_slice::<Value>(raw) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            "JSON_PARSER_ERROR",
            "The request body is not a JSON object",
        ))),
    }
}

/// The HubSpot stage and status a settable lead status stands for. The converted status
/// is set only by converting the lead, never by an update.
fn props_for_status(status: &str) -> Option<Changes> {
    let set = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Some(v.to_string())))
            .collect::<Changes>()
    };
    Some(match status {
        "Open - Not Contacted" => set(&[("lifecyclestage", "lead"), ("hs_lead_status", "NEW")]),
        "Marketing Qualified" => set(&[
            ("lifecyclestage", "marketingqualifiedlead"),
            ("hs_lead_status", "NEW"),
        ]),
        "Working - Contacted" => set(&[
            ("lifecyclestage", "marketingqualifiedlead"),
            ("hs_lead_status", "OPEN"),
        ]),
        "Nurture" => set(&[("lifecyclestage", "lead"), ("hs_lead_status", "BAD_TIMING")]),
        "Closed - Not Converted" => set(&[("hs_lead_status", "UNQUALIFIED")]),
        _ => return None,
    })
}

/// The changes a Lead PATCH asks for, or Salesforce's refusal.
fn lead_changes(w: &World, body: &Map<String, Value>) -> Result<Changes, Refused> {
    let mut changes = Changes::new();
    for (field, value) in body {
        match field.as_str() {
            "Status" => {
                let status = value.as_str().unwrap_or("");
                if status == STATUSES[5].0 {
                    return Err(Box::new(bad(
                        "FIELD_INTEGRITY_EXCEPTION",
                        "Status: a converted status is set only by converting the lead".into(),
                        "Status",
                    )));
                }
                let props = props_for_status(status).ok_or_else(|| {
                    Box::new(bad(
                        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                        format!("Status: bad value for restricted picklist field: {status}"),
                        "Status",
                    ))
                })?;
                changes.extend(props);
            }
            "OwnerId" => {
                let raw = value.as_str().unwrap_or("");
                let owner = number(raw, "005")
                    .filter(|o| w.owner(*o).is_some())
                    .ok_or_else(|| {
                        Box::new(bad(
                            "INVALID_CROSS_REFERENCE_KEY",
                            format!("Owner ID: owner cannot be blank or invalid: {raw}"),
                            "OwnerId",
                        ))
                    })?;
                changes.push(("hubspot_owner_id".into(), Some(owner.to_string())));
            }
            other => {
                return Err(Box::new(bad(
                    "INVALID_FIELD",
                    format!("No such column '{other}' on sobject of type Lead"),
                    other,
                )));
            }
        }
    }
    Ok(changes)
}

/// `PATCH /services/data/{version}/sobjects/Lead/{id}`.
pub async fn patch(
    State(st): State<Shared>,
    Path((_version, object, id)): Path<(String, String, String)>,
    raw: Bytes,
) -> Response {
    if !object.eq_ignore_ascii_case("lead") {
        return error(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("HTTP Method 'PATCH' not allowed for {object} here"),
        );
    }
    let body = match body_object(&raw) {
        Ok(b) => b,
        Err(e) => return *e,
    };
    let mut w = st.world_mut();
    let Some(contact) = number(&id, "00Q").filter(|c| w.live(ObjType::Contacts, *c).is_some())
    else {
        return not_found();
    };
    let changes = match lead_changes(&w, &body) {
        Ok(c) => c,
        Err(e) => return *e,
    };
    let ts = w.stamp();
    write::commit(
        &mut w,
        ObjType::Contacts,
        contact,
        changes,
        ts,
        Source::Integration,
    );
    st.count_write();
    drop(w);
    with_usage(&st, StatusCode::NO_CONTENT.into_response())
}

/// `POST /services/data/{version}/sobjects/Task`: a completed task on a lead, as a note.
pub async fn create(
    State(st): State<Shared>,
    Path((_version, object)): Path<(String, String)>,
    raw: Bytes,
) -> Response {
    if !object.eq_ignore_ascii_case("task") {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("creating {object} records is not simulated"),
        );
    }
    let body = match body_object(&raw) {
        Ok(b) => b,
        Err(e) => return *e,
    };
    let text = |f: &str| {
        body.get(f)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut w = st.world_mut();
    let who = text("WhoId");
    let Some(contact) = number(&who, "00Q").filter(|c| w.live(ObjType::Contacts, *c).is_some())
    else {
        return bad(
            "INVALID_CROSS_REFERENCE_KEY",
            format!("Name ID: id value of incorrect type: {who}"),
            "WhoId",
        );
    };
    let description = text("Description");
    let subject = text("Subject");
    if subject.is_empty() && description.is_empty() {
        return bad(
            "REQUIRED_FIELD_MISSING",
            "Required fields are missing: [Subject]".into(),
            "Subject",
        );
    }
    let owner = match text("OwnerId") {
        o if o.is_empty() => None,
        o => match number(&o, "005").filter(|n| w.owner(*n).is_some()) {
            Some(n) => Some(n.to_string()),
            None => {
                return bad(
                    "INVALID_CROSS_REFERENCE_KEY",
                    format!("Assigned To ID: owner cannot be blank or invalid: {o}"),
                    "OwnerId",
                );
            }
        },
    };
    let at = w.stamp();
    let note_body = if description.is_empty() {
        subject
    } else {
        description
    };
    let mut changes: Changes = vec![
        ("hs_note_body".into(), Some(note_body)),
        (
            "hs_timestamp".into(),
            Some(crate::sim::world::time::fmt_ts(at)),
        ),
    ];
    changes.extend(owner.map(|o| ("hubspot_owner_id".to_string(), Some(o))));
    let note = write::create(&mut w, ObjType::Notes, changes);
    w.associate(ObjType::Notes, note, ObjType::Contacts, contact);
    w.touch(ObjType::Contacts, contact, at);
    st.count_write();
    drop(w);
    let body = json!({ "id": sf_id("00T", note), "success": true, "errors": [] });
    with_usage(&st, (StatusCode::CREATED, Json(body)).into_response())
}

/// `DELETE /services/data/{version}/sobjects/Task/{id}`: to the recycle bin (204).
pub async fn delete(
    State(st): State<Shared>,
    Path((_version, object, id)): Path<(String, String, String)>,
) -> Response {
    let t = match object.to_ascii_lowercase().as_str() {
        "task" => ObjType::Notes,
        _ => {
            return error(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                format!("HTTP Method 'DELETE' not allowed for {object} here"),
            );
        }
    };
    let mut w = st.world_mut();
    let Some(n) = number(&id, "00T").filter(|n| w.live(t, *n).is_some()) else {
        return error(
            StatusCode::NOT_FOUND,
            "ENTITY_IS_DELETED",
            "entity is deleted",
        );
    };
    let ts = w.stamp();
    if let Some(r) = w.get_mut(t, n) {
        r.archived = true;
        r.updated_at = ts;
    }
    st.count_write();
    drop(w);
    with_usage(&st, StatusCode::NO_CONTENT.into_response())
}

/// `GET /services/data/{version}/sobjects/{object}/deleted/?start=&end=`: ids deleted in the
/// window, with when.
pub async fn deleted(
    State(st): State<Shared>,
    Path((_version, object)): Path<(String, String)>,
    Query(params): Query<BTreeMap<String, String>>,
) -> Response {
    let (t, prefix) = match object.to_ascii_lowercase().as_str() {
        "lead" => (ObjType::Contacts, "00Q"),
        "opportunity" => (ObjType::Deals, "006"),
        "task" => (ObjType::Notes, "00T"),
        _ => {
            return error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                format!("The requested resource does not exist: {object}"),
            );
        }
    };
    let when = |name: &str| {
        params
            .get(name)
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let (Some(start), Some(end)) = (when("start"), when("end")) else {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_REPLICATION_DATE",
            "start and end must be given as date-times (e.g. 2026-11-20T15:02:00Z)",
        );
    };
    let w = st.world();
    let gone: Vec<Value> = w
        .table(t)
        .values()
        .filter(|r| r.archived && r.updated_at >= start && r.updated_at <= end)
        .map(|r| json!({ "id": sf_id(prefix, r.id), "deletedDate": sf_time(r.updated_at) }))
        .collect();
    let body = json!({
        "deletedRecords": gone,
        "earliestDateAvailable": sf_time(w.portal_created),
        "latestDateCovered": sf_time(end),
    });
    drop(w);
    with_usage(&st, (StatusCode::OK, Json(body)).into_response())
}
