//! `GET /crm/v3/owners` and `/crm/v3/owners/{id}`.
//!
//! tandem tells sales from marketing by the owner's team, so each owner carries HubSpot's
//! `teams` array with exactly one primary team.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::Shared;
use super::error::{ApiError, Params};
use crate::sim::world::Owner;
use crate::sim::world::time::fmt_ts;

fn owner_json(o: &Owner) -> Value {
    json!({
        "id": o.id.to_string(),
        "email": o.email,
        "firstName": o.first,
        "lastName": o.last,
        "userId": o.user_id,
        "userIdIncludingInactive": o.user_id,
        "type": "PERSON",
        "createdAt": fmt_ts(o.created_at),
        "updatedAt": fmt_ts(o.created_at),
        "archived": false,
        "teams": [{"id": o.team.id(), "name": o.team.name(), "primary": true}],
    })
}

pub async fn list(State(st): State<Shared>, q: Params) -> Result<Json<Value>, ApiError> {
    let limit = q.int("limit", 100, 1, 500)?;
    let after: usize = match q.get("after") {
        None | Some("") => 0,
        Some(a) => a
            .parse()
            .map_err(|_| ApiError::validation(format!("Invalid paging cursor after={a}")))?,
    };
    let w = st.world();
    if q.flag("archived") {
        return Ok(Json(json!({"results": []})));
    }
    let matching: Vec<&Owner> = w
        .owners
        .iter()
        .filter(|o| {
            q.get("email")
                .is_none_or(|e| o.email.eq_ignore_ascii_case(e))
        })
        .collect();
    let results: Vec<Value> = matching
        .iter()
        .skip(after)
        .take(limit)
        .map(|o| owner_json(o))
        .collect();
    let mut out = json!({"results": results});
    if after + limit < matching.len() {
        let next = (after + limit).to_string();
        out["paging"] = json!({"next": {"after": next, "link": format!("{}/crm/v3/owners/?after={next}&limit={limit}", st.base_url)}});
    }
    Ok(Json(out))
}

pub async fn get_one(
    State(st): State<Shared>,
    Path(raw): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let w = st.world();
    raw.parse::<u64>()
        .ok()
        .and_then(|id| w.owner(id))
        .map(|o| Json(owner_json(o)))
        .ok_or_else(|| ApiError::not_found(format!("Owner {raw} not found")))
}
