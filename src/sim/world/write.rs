//! Validated writes: PATCH and create, with HubSpot's side effects.
//!
//! HubSpot rejects unknown properties, bad enum options and (in this portal's configuration)
//! backward lifecycle moves, and it derives some properties from others: entering a stage
//! stamps `hs_lifecyclestage_<stage>_date`, assigning an owner stamps
//! `hubspot_owner_assigneddate`, the first `notes_last_contacted` also becomes the read-only
//! `hs_sa_first_engagement_date`. Clients depend on those derived stamps for SLA clocks, so
//! they live here, next to the validation, and apply to every write path.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::history::{Change, Source};
use super::schema::{self, Kind};
use super::time::{fmt_ts, parse_ts};
use super::{ObjType, World};

/// One rejected property, in the shape HubSpot embeds in its validation message.
#[derive(Debug, Clone)]
pub struct PropError {
    pub name: String,
    pub error: &'static str,
    pub message: String,
}

#[derive(Debug)]
pub enum WriteError {
    NotFound,
    Invalid(Vec<PropError>),
}

/// A normalised change: `None` clears the property.
pub type Changes = Vec<(String, Option<String>)>;

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
    .filter(|s| !s.is_empty())
}

/// Check `input` against the schema and the record's current state.
pub fn validate(
    w: &World,
    t: ObjType,
    id: Option<u64>,
    input: &Map<String, Value>,
) -> Result<Changes, WriteError> {
    let current = match id {
        Some(id) => Some(w.live(t, id).ok_or(WriteError::NotFound)?),
        None => None,
    };
    let mut errors = Vec::new();
    let mut changes = Vec::new();
    for (name, raw) in input {
        let err = |error: &'static str, message: String| PropError {
            name: name.clone(),
            error,
            message,
        };
        let Some(def) = schema::lookup(t, name) else {
            errors.push(err(
                "PROPERTY_DOESNT_EXIST",
                format!("Property \"{name}\" does not exist"),
            ));
            continue;
        };
        if def.read_only {
            errors.push(err(
                "READ_ONLY_VALUE",
                format!("\"{name}\" is a read only property; its value cannot be set."),
            ));
            continue;
        }
        let Some(text) = value_text(raw) else {
            changes.push((name.clone(), None));
            continue;
        };
        let normalised = match def.kind {
            Kind::Text => Ok(text),
            Kind::Number => text
                .trim()
                .parse::<f64>()
                .map(|_| text.trim().to_string())
                .map_err(|_| err("INVALID_INTEGER", format!("{text} was not a valid number."))),
            Kind::DateTime => parse_ts(&text).map(fmt_ts).ok_or_else(|| {
                err(
                    "INVALID_DATE",
                    format!("{text} was not a valid datetime. Use epoch milliseconds or ISO-8601."),
                )
            }),
            Kind::Enum(options) => {
                if options.contains(&text.as_str()) {
                    Ok(text)
                } else {
                    Err(err(
                        "INVALID_OPTION",
                        format!(
                            "{text} was not one of the allowed options: [{}]",
                            options.join(", ")
                        ),
                    ))
                }
            }
            Kind::Owner => match text.parse::<u64>().ok().and_then(|o| w.owner(o)) {
                Some(_) => Ok(text),
                None => Err(err(
                    "INVALID_OWNER_ID",
                    format!("{text} is not a valid owner id"),
                )),
            },
        };
        match normalised {
            Ok(v) => changes.push((name.clone(), Some(v))),
            Err(e) => errors.push(e),
        }
    }
    if let (ObjType::Contacts, Some(cur)) = (t, current) {
        check_lifecycle(cur.get("lifecyclestage"), &changes, &mut errors);
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(WriteError::Invalid(errors))
    }
}

/// Lifecycle stages only move forward; clearing the stage first (PATCH `""`) resets that.
fn check_lifecycle(current: Option<&str>, changes: &Changes, errors: &mut Vec<PropError>) {
    let Some(cur) = current else { return };
    let Some((_, Some(next))) = changes.iter().find(|(n, _)| n == "lifecyclestage") else {
        return;
    };
    if schema::lifecycle_rank(next) < schema::lifecycle_rank(cur) {
        errors.push(PropError {
            name: "lifecyclestage".into(),
            error: "INVALID_OPTION",
            message: format!(
                "The lifecycle stage can't be moved backward from \"{cur}\" to \"{next}\". \
                 Clear lifecyclestage first (set it to \"\"), then set the earlier stage."
            ),
        });
    }
}

/// Read-only on contacts: set from the first `notes_last_contacted` ever written.
const FIRST_ENGAGEMENT: &str = "hs_sa_first_engagement_date";

/// Apply validated changes at `ts` with HubSpot's derived stamps, then bump modified dates.
/// Each value that changes is recorded in the record's history as set by `source`.
pub fn commit(
    w: &mut World,
    t: ObjType,
    id: u64,
    changes: Changes,
    ts: DateTime<Utc>,
    source: Source,
) {
    let Some(rec) = w.get_mut(t, id) else { return };
    let explicit = |n: &str| changes.iter().any(|(c, _)| c == n);
    let stamp_owner = !explicit("hubspot_owner_assigneddate");
    let mut derived = Vec::new();
    let mut derived_value = Vec::new();
    for (name, value) in &changes {
        let before = rec.get(name).map(str::to_string);
        remember_origin(rec, name);
        match value {
            Some(v) => rec.set(name, v.clone()),
            None => {
                rec.props.remove(name);
            }
        }
        let changed = before.as_deref() != value.as_deref();
        if changed {
            rec.history.push(Change {
                prop: super::props::intern(name),
                value: value.clone().unwrap_or_default().into(),
                at: ts,
                source,
            });
        }
        match (name.as_str(), value) {
            ("lifecyclestage", Some(stage)) if changed && t == ObjType::Contacts => {
                let prop = format!("hs_lifecyclestage_{stage}_date");
                if !explicit(&prop) {
                    derived.push(prop);
                }
            }
            ("hubspot_owner_id", Some(_)) if changed && t == ObjType::Contacts && stamp_owner => {
                derived.push("hubspot_owner_assigneddate".into());
            }
            // The first logged sales activity is also the first engagement; later ones
            // only move `notes_last_contacted`.
            ("notes_last_contacted", Some(at))
                if t == ObjType::Contacts && rec.get(FIRST_ENGAGEMENT).is_none() =>
            {
                derived_value.push((FIRST_ENGAGEMENT.to_string(), at.clone()));
            }
            ("dealstage", Some(stage))
                if t == ObjType::Deals
                    && stage.starts_with("closed")
                    && rec.get("closedate").is_none()
                    && !explicit("closedate") =>
            {
                derived.push("closedate".into());
            }
            _ => {}
        }
    }
    for (prop, value) in derived_value {
        remember_origin(rec, &prop);
        rec.set(&prop, value.clone());
        rec.history.push(Change {
            prop: super::props::intern(&prop),
            value: value.into(),
            at: ts,
            source: Source::Calculated,
        });
    }
    for prop in derived {
        remember_origin(rec, &prop);
        rec.set_ts(&prop, ts);
        rec.history.push(Change {
            value: super::time::fmt_ts(ts).into(),
            prop: super::props::intern(&prop),
            at: ts,
            source: Source::Calculated,
        });
    }
    w.touch(t, id, ts);
}

/// A value generation set without history (an import) becomes the property's first
/// history entry before its first change, so the history still holds every value it took.
fn remember_origin(rec: &mut super::Record, name: &str) {
    let Some(v) = rec.get(name) else { return };
    if rec.history.iter().any(|c| c.prop == name) {
        return;
    }
    let origin = Change {
        prop: super::props::intern(name),
        value: v.into(),
        at: rec.created_at,
        source: Source::Import,
    };
    rec.history.push(origin);
}

/// Create a record of type `t` from validated changes; returns the new id.
pub fn create(w: &mut World, t: ObjType, changes: Changes) -> u64 {
    let ts = w.stamp();
    let id = w.insert_new(t, ts);
    commit(w, t, id, changes, ts, Source::Integration);
    id
}
