//! `POST /crm/v3/objects/{type}`: create a record with associations (notes, mostly).
//!
//! tandem writes feedback and recycle notes through this endpoint, so it follows HubSpot's
//! create contract: properties validated like PATCH, `hs_timestamp` required on notes,
//! associations given by `associationTypeId` (202 note→contact, 214 note→deal, …) and
//! rejected when the target does not exist. A note on a contact also stamps the contact's
//! `notes_last_updated`, which bumps its `lastmodifieddate` so incremental sync notices.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::error::{ApiError, HsJson};
use super::render::{self, ObjectOut};
use super::{Shared, object_type};
use crate::sim::world::write::{self, PropError};
use crate::sim::world::{ObjType, assoc};

#[derive(Deserialize)]
pub struct CreateBody {
    #[serde(default)]
    properties: Map<String, Value>,
    #[serde(default)]
    associations: Vec<AssocIn>,
}

#[derive(Deserialize)]
pub struct AssocIn {
    to: ToRef,
    types: Vec<TypeIn>,
}

#[derive(Deserialize)]
pub struct ToRef {
    id: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypeIn {
    association_type_id: u32,
}

fn required(t: ObjType) -> &'static [&'static str] {
    match t {
        ObjType::Notes => &["hs_timestamp"],
        ObjType::Deals => &["dealname", "dealstage"],
        ObjType::Contacts => &[],
    }
}

pub async fn create(
    State(st): State<Shared>,
    Path(kind): Path<String>,
    HsJson(body): HsJson<CreateBody>,
) -> Result<(StatusCode, Json<ObjectOut>), ApiError> {
    let t = object_type(&kind)?;
    let missing: Vec<PropError> = required(t)
        .iter()
        .filter(|p| {
            body.properties
                .get(**p)
                .is_none_or(|v| v.is_null() || v == "")
        })
        .map(|p| PropError {
            name: p.to_string(),
            error: "REQUIRED_PROPERTY",
            message: format!("Property \"{p}\" is required"),
        })
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::props(&missing));
    }
    let mut w = st.world_mut();
    let mut changes =
        write::validate(&w, t, None, &body.properties).map_err(|e| ApiError::from_write(e, ""))?;
    if t == ObjType::Deals && !changes.iter().any(|(n, _)| n == "pipeline") {
        changes.push(("pipeline".into(), Some("default".into())));
    }
    let mut links = Vec::new();
    for a in &body.associations {
        let raw = match &a.to.id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        for ty in &a.types {
            let to = assoc::target_of(t, ty.association_type_id).ok_or_else(|| {
                ApiError::validation(format!(
                    "associationTypeId {} is not a valid association from {}",
                    ty.association_type_id,
                    t.singular()
                ))
            })?;
            let id = raw
                .parse::<u64>()
                .ok()
                .filter(|id| w.live(to, *id).is_some())
                .ok_or_else(|| {
                    ApiError::validation(format!(
                        "One or more associations are invalid: {} {raw} does not exist",
                        to.singular()
                    ))
                    .with("context", json!({"toObjectId": [raw]}))
                })?;
            links.push((to, id));
        }
    }
    let id = write::create(&mut w, t, changes);
    for (to, other) in links {
        w.associate(t, id, to, other);
        if t == ObjType::Notes && to == ObjType::Contacts {
            let when = w
                .get(t, id)
                .and_then(|r| r.get("hs_timestamp").map(str::to_string));
            let ts = w.stamp();
            if let Some(c) = w.get_mut(to, other) {
                let newer = when.filter(|n| {
                    c.ts("notes_last_updated")
                        .is_none_or(|old| Some(old) < crate::sim::world::time::parse_ts(n))
                });
                if let Some(n) = newer {
                    c.set("notes_last_updated", n);
                }
            }
            w.touch(to, other, ts);
        }
    }
    st.count_write();
    let rec = w.get(t, id).expect("just created");
    let props = render::all_set(rec);
    tracing::debug!(object = t.singular(), id, "sim: created");
    Ok((
        StatusCode::CREATED,
        Json(render::render(&w, t, rec, &props, &[])),
    ))
}
