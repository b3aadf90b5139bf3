//! `POST /crm/v4/associations/{fromType}/{toType}/batch/read`.
//!
//! This is how a client fetches the notes (or deals) of the contacts that changed since its
//! last sync: one call for up to 1,000 contacts. Ids with nothing associated come back as
//! per-input errors in a 207, as HubSpot does, not as empty results.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{ApiError, HsJson};
use super::objects::BatchOut;
use super::{Shared, object_type};
use crate::sim::world::assoc;
use crate::sim::world::time::fmt_ts;

#[derive(Deserialize)]
pub struct Body {
    inputs: Vec<Input>,
}

#[derive(Deserialize)]
pub struct Input {
    id: Value,
}

pub async fn batch_read(
    State(st): State<Shared>,
    Path((from, to)): Path<(String, String)>,
    HsJson(body): HsJson<Body>,
) -> Result<Response, ApiError> {
    let (from, to) = (object_type(&from)?, object_type(&to)?);
    let (type_id, _) = assoc::type_of(from, to).ok_or_else(|| {
        ApiError::validation(format!(
            "No association is defined from {} to {}",
            from.plural(),
            to.plural()
        ))
    })?;
    if body.inputs.len() > 1000 {
        return Err(ApiError::validation(
            "Too many inputs. The maximum batch size is 1000.",
        ));
    }
    let w = st.world();
    let started = fmt_ts(w.now());
    let mut results = Vec::new();
    let mut errors = Vec::new();
    for input in &body.inputs {
        let raw = match &input.id {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let linked: Vec<Value> = raw
            .parse::<u64>()
            .ok()
            .and_then(|id| w.live(from, id))
            .map(|r| {
                r.linked(to)
                    .filter(|id| w.live(to, *id).is_some())
                    .map(|id| {
                        json!({"toObjectId": id, "associationTypes": [
                            {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": null}
                        ]})
                    })
                    .collect()
            })
            .unwrap_or_default();
        if linked.is_empty() {
            errors.push(json!({
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                "context": {"fromObjectId": [raw]},
                "message": format!("No {} is associated with {} {raw}.", to.singular(), from.singular()),
            }));
        } else {
            results.push(json!({"from": {"id": raw}, "to": linked}));
        }
    }
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
