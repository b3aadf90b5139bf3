//! HubSpot's JSON shapes, exactly as the CRM v3/v4 APIs send and accept them.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::wire_props::WireProps;

/// FNV-1a: a page of 100 objects builds 100 small maps of short property names, where
/// SipHash's resistance to chosen keys buys nothing and costs a tenth of a load's time.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A map keyed by property names, hashed with [`Fnv`].
pub type Names<V> = HashMap<String, V, BuildHasherDefault<Fnv>>;

/// A CRM object: contact, deal or note. Property values are strings or null.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Object {
    pub id: String,
    #[serde(default)]
    pub properties: WireProps,
    pub updated_at: Option<String>,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub associations: Names<AssociationList>,
    /// Only when asked for: each property's values, newest first (`ValueWithTimestamp`).
    #[serde(default)]
    pub properties_with_history: Names<Vec<ValueWithTimestamp>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ValueWithTimestamp {
    #[serde(default)]
    pub value: Option<String>,
    pub timestamp: String,
}

impl Object {
    /// A property's value, `None` when absent, null or empty.
    pub fn prop(&self, name: &str) -> Option<&str> {
        self.properties
            .get(name)
            .flatten()
            .filter(|v| !v.is_empty())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct AssociationList {
    #[serde(default)]
    pub results: Vec<AssociationRef>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AssociationRef {
    pub id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Page<T> {
    pub results: Vec<T>,
    #[serde(default)]
    pub paging: Option<Paging>,
    /// Search answers carry the total match count.
    #[serde(default)]
    pub total: Option<u64>,
}

impl<T> Page<T> {
    pub fn next_after(&self) -> Option<String> {
        self.paging.as_ref()?.next.as_ref().map(|n| n.after.clone())
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Paging {
    pub next: Option<NextPage>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NextPage {
    pub after: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    pub filter_groups: Vec<FilterGroup>,
    pub sorts: Vec<Sort>,
    pub properties: Vec<String>,
    pub limit: u32,
    /// The paging offset, `"0"` for the first page: HubSpot's OpenAPI file lists `after`
    /// among the search request's required fields.
    pub after: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FilterGroup {
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    pub property_name: String,
    pub operator: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sort {
    pub property_name: String,
    pub direction: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerWire {
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub teams: Vec<TeamWire>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TeamWire {
    pub name: String,
    #[serde(default)]
    pub primary: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PipelineWire {
    pub id: String,
    #[serde(default)]
    pub stages: Vec<PipelineStageWire>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineStageWire {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub display_order: i64,
    #[serde(default)]
    pub metadata: HashMap<String, Value>,
}

/// `POST /crm/v4/associations/{from}/{to}/batch/read` answer rows.
#[derive(Debug, Clone, Deserialize)]
pub struct AssociationBatch {
    #[serde(default)]
    pub results: Vec<AssociationRow>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AssociationRow {
    pub from: IdRef,
    #[serde(default)]
    pub to: Vec<AssociatedTo>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IdRef {
    pub id: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssociatedTo {
    /// HubSpot sends this as a number.
    pub to_object_id: Value,
}

/// HubSpot's error body.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub error_type: Option<String>,
}

/// A batch read's answer (200, or 207 when some ids no longer exist).
#[derive(Debug, Clone, Deserialize)]
pub struct ObjectBatch {
    #[serde(default)]
    pub results: Vec<Object>,
}
