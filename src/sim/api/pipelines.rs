//! `GET /crm/v3/pipelines/deals`: the portal's one default deal pipeline.
//!
//! Stage metadata values are strings (`"isClosed": "false"`, `"probability": "0.2"`) because
//! that is how HubSpot sends them; a client that expects JSON booleans must break here too.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Shared;
use super::error::ApiError;
use crate::sim::world::time::fmt_ts;

/// `(id, label, probability, closed)`
const STAGES: &[(&str, &str, &str, bool)] = &[
    (
        "appointmentscheduled",
        "Appointment Scheduled",
        "0.2",
        false,
    ),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", false),
    (
        "presentationscheduled",
        "Presentation Scheduled",
        "0.6",
        false,
    ),
    (
        "decisionmakerboughtin",
        "Decision Maker Bought-In",
        "0.8",
        false,
    ),
    ("contractsent", "Contract Sent", "0.9", false),
    ("closedwon", "Closed Won", "1.0", true),
    ("closedlost", "Closed Lost", "0.0", true),
];

fn pipeline(created: DateTime<Utc>) -> Value {
    let at = fmt_ts(created);
    let stages: Vec<Value> = STAGES
        .iter()
        .enumerate()
        .map(|(i, (id, label, prob, closed))| {
            json!({
                "label": label,
                "displayOrder": i,
                "metadata": {"isClosed": closed.to_string(), "probability": prob},
                "id": id,
                "createdAt": at,
                "updatedAt": at,
                "archived": false,
                "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
            })
        })
        .collect();
    json!({
        "label": "Sales Pipeline",
        "displayOrder": 0,
        "id": "default",
        "stages": stages,
        "createdAt": at,
        "updatedAt": at,
        "archived": false,
    })
}

pub async fn list(State(st): State<Shared>) -> Json<Value> {
    let created = st.world().portal_created;
    Json(json!({"results": [pipeline(created)]}))
}

pub async fn get_one(
    State(st): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    if id != "default" {
        return Err(ApiError::not_found(format!("Unable to find pipeline {id}")));
    }
    let created = st.world().portal_created;
    Ok(Json(pipeline(created)))
}
