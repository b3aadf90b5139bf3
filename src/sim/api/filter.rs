//! The search filter engine: HubSpot's operators over typed property values.
//!
//! Filters arrive as strings (or JSON numbers) and are compared by the property's type:
//! datetimes as instants (epoch millis or ISO-8601 both accepted, as HubSpot does), numbers
//! numerically, everything else case-insensitively. Getting this right is what makes
//! `lastmodifieddate GT <epoch ms>` incremental sync work against the simulator.

use std::cmp::Ordering;

use serde::Deserialize;
use serde_json::Value;

use super::error::ApiError;
use crate::sim::world::schema::{self, Kind};
use crate::sim::world::time::parse_ts;
use crate::sim::world::{ObjType, Record};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterIn {
    property_name: String,
    operator: String,
    value: Option<Value>,
    high_value: Option<Value>,
    values: Option<Vec<Value>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
    Between,
    In,
    NotIn,
    Has,
    NotHas,
    Contains,
    NotContains,
}

/// A value comparable under its property's type.
#[derive(Debug, Clone, PartialEq)]
enum Typed {
    Num(f64),
    Str(String),
}

impl Typed {
    fn cmp(&self, other: &Typed) -> Option<Ordering> {
        match (self, other) {
            (Typed::Num(a), Typed::Num(b)) => a.partial_cmp(b),
            (Typed::Str(a), Typed::Str(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

fn typed(kind: Kind, raw: &str) -> Option<Typed> {
    match kind {
        Kind::DateTime => parse_ts(raw).map(|t| Typed::Num(t.timestamp_millis() as f64)),
        Kind::Number | Kind::Owner => raw.trim().parse().ok().map(Typed::Num),
        Kind::Text | Kind::Enum(_) => Some(Typed::Str(raw.to_lowercase())),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub struct Filter {
    prop: String,
    kind: Kind,
    op: Op,
    args: Vec<Typed>,
    needle: String,
}

pub fn compile(t: ObjType, f: &FilterIn) -> Result<Filter, ApiError> {
    let op = match f.operator.to_ascii_uppercase().as_str() {
        "EQ" => Op::Eq,
        "NEQ" => Op::Neq,
        "GT" => Op::Gt,
        "GTE" => Op::Gte,
        "LT" => Op::Lt,
        "LTE" => Op::Lte,
        "BETWEEN" => Op::Between,
        "IN" => Op::In,
        "NOT_IN" => Op::NotIn,
        "HAS_PROPERTY" => Op::Has,
        "NOT_HAS_PROPERTY" => Op::NotHas,
        "CONTAINS_TOKEN" => Op::Contains,
        "NOT_CONTAINS_TOKEN" => Op::NotContains,
        other => {
            return Err(ApiError::validation(format!(
                "Unknown filter operator: {other}"
            )));
        }
    };
    let def = schema::lookup(t, &f.property_name).ok_or_else(|| {
        ApiError::validation(format!(
            "Filter on property that does not exist: {}",
            f.property_name
        ))
    })?;
    let need = |v: &Option<Value>, field: &str| {
        v.as_ref().map(text).ok_or_else(|| {
            ApiError::validation(format!(
                "Operator {} on {} requires '{field}'",
                f.operator, f.property_name
            ))
        })
    };
    let as_typed = |raw: String| {
        typed(def.kind, &raw).ok_or_else(|| {
            ApiError::validation(format!(
                "Invalid value '{raw}' for property {} in filter",
                f.property_name
            ))
        })
    };
    let mut args = Vec::new();
    let mut needle = String::new();
    match op {
        Op::Has | Op::NotHas => {}
        Op::Contains | Op::NotContains => needle = need(&f.value, "value")?.to_lowercase(),
        Op::Between => {
            args.push(as_typed(need(&f.value, "value")?)?);
            args.push(as_typed(need(&f.high_value, "highValue")?)?);
        }
        Op::In | Op::NotIn => {
            let vals = f.values.as_ref().ok_or_else(|| {
                ApiError::validation(format!("Operator {} requires 'values'", f.operator))
            })?;
            for v in vals {
                args.push(as_typed(text(v))?);
            }
        }
        _ => args.push(as_typed(need(&f.value, "value")?)?),
    }
    Ok(Filter {
        prop: f.property_name.clone(),
        kind: def.kind,
        op,
        args,
        needle,
    })
}

impl FilterIn {
    /// The instants this filter bounds `prop` to, when it is a plain bound on it in
    /// milliseconds (`GTE`, `GT`, `LTE`, `LT`, `EQ`, `BETWEEN`): what a time index can
    /// narrow a search by. Bounds are inclusive; the filter itself still decides.
    pub fn time_bounds(&self, prop: &str) -> Option<(Option<i64>, Option<i64>)> {
        if self.property_name != prop {
            return None;
        }
        let ms = |v: &Option<Value>| v.as_ref().map(text)?.trim().parse::<i64>().ok();
        match self.operator.to_ascii_uppercase().as_str() {
            "GTE" | "GT" => Some((Some(ms(&self.value)?), None)),
            "LTE" | "LT" => Some((None, Some(ms(&self.value)?))),
            "EQ" => ms(&self.value).map(|v| (Some(v), Some(v))),
            "BETWEEN" => Some((Some(ms(&self.value)?), Some(ms(&self.high_value)?))),
            _ => None,
        }
    }
}

impl Filter {
    pub fn matches(&self, rec: &Record) -> bool {
        let raw = rec.get(&self.prop);
        let val = raw.and_then(|r| typed(self.kind, r));
        let ord = |i: usize| val.as_ref().and_then(|v| v.cmp(&self.args[i]));
        match self.op {
            Op::Has => raw.is_some(),
            Op::NotHas => raw.is_none(),
            Op::Eq => ord(0) == Some(Ordering::Equal),
            Op::Neq => ord(0) != Some(Ordering::Equal),
            Op::Gt => ord(0) == Some(Ordering::Greater),
            Op::Gte => matches!(ord(0), Some(Ordering::Greater | Ordering::Equal)),
            Op::Lt => ord(0) == Some(Ordering::Less),
            Op::Lte => matches!(ord(0), Some(Ordering::Less | Ordering::Equal)),
            Op::Between => {
                matches!(ord(0), Some(Ordering::Greater | Ordering::Equal))
                    && matches!(ord(1), Some(Ordering::Less | Ordering::Equal))
            }
            Op::In => (0..self.args.len()).any(|i| ord(i) == Some(Ordering::Equal)),
            Op::NotIn => !(0..self.args.len()).any(|i| ord(i) == Some(Ordering::Equal)),
            Op::Contains => raw.is_some_and(|r| contains_token(r, &self.needle)),
            Op::NotContains => !raw.is_some_and(|r| contains_token(r, &self.needle)),
        }
    }
}

fn alnum_tokens(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// HubSpot-style token match: whole words, a `*` wildcard, or a multi-word phrase.
pub fn contains_token(hay: &str, needle: &str) -> bool {
    let hay_l = hay.to_lowercase();
    if needle.contains('*') {
        return glob(needle, &hay_l) || hay_l.split_whitespace().any(|t| glob(needle, t));
    }
    let hs = alnum_tokens(&hay_l);
    let ns = alnum_tokens(needle);
    !ns.is_empty() && hs.windows(ns.len()).any(|w| w == ns.as_slice())
}

fn glob(pattern: &str, s: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = s;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(pos) = rest.find(part) else {
                return false;
            };
            rest = &rest[pos + part.len()..];
        }
    }
    rest.is_empty()
}

/// Sort key of a record for `prop`: typed value, missing values last in ascending order.
pub fn sort_key(t: ObjType, rec: &Record, prop: &str) -> Option<SortVal> {
    let kind = schema::lookup(t, prop)
        .map(|d| d.kind)
        .unwrap_or(Kind::Text);
    rec.get(prop).and_then(|r| typed(kind, r)).map(SortVal)
}

#[derive(Debug, Clone, PartialEq)]
pub struct SortVal(Typed);

impl SortVal {
    pub fn cmp(&self, other: &SortVal) -> Ordering {
        self.0.cmp(&other.0).unwrap_or(Ordering::Equal)
    }
}

/// Free-text `query`: every query word must prefix some word of a searchable property.
pub fn query_matches(t: ObjType, rec: &Record, query: &str) -> bool {
    let words = alnum_tokens(query);
    let fields: Vec<String> = schema::query_props(t)
        .iter()
        .filter_map(|p| rec.get(p))
        .flat_map(alnum_tokens)
        .collect();
    words
        .iter()
        .all(|q| fields.iter().any(|f| f.starts_with(q.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_wildcards() {
        assert!(contains_token(
            "#feedback campaign=\"ROI\" verdict=works",
            "#feedback"
        ));
        assert!(contains_token(
            "dana.whitfield@acme.example",
            "*@acme.example"
        ));
        assert!(contains_token("Northwind Logistics", "logistics"));
        assert!(!contains_token("Northwind Logistics", "logis"));
        assert!(glob("*@acme.example", "x@acme.example"));
    }
}
