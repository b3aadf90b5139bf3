//! Turning a stored [`Record`] into HubSpot's object JSON.
//!
//! One renderer for every endpoint keeps the shape identical everywhere: `id` as a string,
//! string-valued `properties` (requested-but-empty ones as `null`), ISO timestamps with
//! milliseconds, and `associations` only when asked for and non-empty.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::sim::world::time::fmt_ts;
use crate::sim::world::{ObjType, Record, World, assoc, schema};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectOut {
    pub id: String,
    pub properties: BTreeMap<String, Option<String>>,
    /// Only when asked for (`propertiesWithHistory`): each property's values, newest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties_with_history: Option<BTreeMap<String, Vec<HistoryOut>>>,
    pub created_at: String,
    pub updated_at: String,
    pub archived: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub associations: BTreeMap<&'static str, AssocList>,
}

/// One value of a property's history, as HubSpot's `ValueWithTimestamp`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryOut {
    pub value: String,
    pub timestamp: String,
    pub source_type: &'static str,
}

#[derive(Serialize)]
pub struct AssocList {
    pub results: Vec<AssocRef>,
}

#[derive(Serialize)]
pub struct AssocRef {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// Which properties to return: the client's list, or HubSpot's defaults for the type.
pub fn selection(t: ObjType, requested: Option<Vec<String>>) -> Vec<String> {
    let mut names: Vec<String> = match requested {
        Some(list) if !list.is_empty() => list,
        _ => schema::default_props(t)
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    names.extend(schema::always_props(t).iter().map(|s| s.to_string()));
    // HubSpot silently drops properties that do not exist.
    names.retain(|n| schema::lookup(t, n).is_some());
    names.sort();
    names.dedup();
    names
}

/// Parse `associations=contacts,deals`; unknown types are ignored, as HubSpot does.
pub fn assoc_types(list: Option<Vec<String>>) -> Vec<ObjType> {
    list.unwrap_or_default()
        .iter()
        .filter_map(|s| ObjType::parse(s))
        .collect()
}

pub fn render(
    w: &World,
    t: ObjType,
    rec: &Record,
    props: &[String],
    with: &[ObjType],
) -> ObjectOut {
    let properties = if props.is_sorted_by(|a, b| a < b) {
        // Both in name order: one walk through the record's entries, not a search per name.
        let mut have = rec.props.iter().peekable();
        props
            .iter()
            .map(|n| {
                while have.next_if(|(k, _)| *k < n.as_str()).is_some() {}
                let value = have
                    .next_if(|(k, _)| *k == n.as_str())
                    .map(|(_, v)| v.to_string());
                (n.clone(), value)
            })
            .collect()
    } else {
        props
            .iter()
            .map(|n| (n.clone(), rec.get(n).map(str::to_string)))
            .collect()
    };
    let mut associations = BTreeMap::new();
    for &to in with {
        let Some((_, label)) = assoc::type_of(t, to) else {
            continue;
        };
        let results: Vec<AssocRef> = rec
            .linked(to)
            .filter(|id| w.live(to, *id).is_some())
            .map(|id| AssocRef {
                id: id.to_string(),
                kind: label,
            })
            .collect();
        if !results.is_empty() {
            associations.insert(to.plural(), AssocList { results });
        }
    }
    ObjectOut {
        id: rec.id.to_string(),
        properties,
        properties_with_history: None,
        created_at: fmt_ts(rec.created_at),
        updated_at: fmt_ts(rec.updated_at),
        archived: rec.archived,
        archived_at: rec.archived.then(|| fmt_ts(rec.updated_at)),
        associations,
    }
}

/// Every property that has a value (for create responses).
pub fn all_set(rec: &Record) -> Vec<String> {
    rec.props.keys().map(str::to_string).collect()
}

/// The properties whose history the client asked for, as [`selection`] filters names: ones
/// the type does not have are dropped silently, as HubSpot does. `None`: not asked.
pub fn history_selection(t: ObjType, requested: Option<Vec<String>>) -> Option<Vec<String>> {
    let mut names: Vec<String> = requested?
        .into_iter()
        .filter(|n| schema::lookup(t, n).is_some())
        .collect();
    names.sort();
    names.dedup();
    Some(names)
}

/// Add `names`' history to a rendered object: every recorded value, newest first. A value
/// the world never recorded a change of (set when a generated contact was imported) shows
/// as one entry at the record's creation.
pub fn with_history(mut out: ObjectOut, rec: &Record, names: Option<&[String]>) -> ObjectOut {
    let Some(names) = names else {
        return out;
    };
    let mut all = BTreeMap::new();
    for name in names {
        let mut entries: Vec<HistoryOut> = rec
            .history
            .iter()
            .rev()
            .filter(|c| *c.prop == **name)
            .map(|c| HistoryOut {
                value: c.value.to_string(),
                timestamp: fmt_ts(c.at),
                source_type: c.source.source_type(),
            })
            .collect();
        if entries.is_empty()
            && let Some(v) = rec.get(name)
        {
            entries.push(HistoryOut {
                value: v.to_string(),
                timestamp: fmt_ts(rec.created_at),
                source_type: "IMPORT",
            });
        }
        if !entries.is_empty() {
            all.insert(name.clone(), entries);
        }
    }
    out.properties_with_history = Some(all);
    out
}
