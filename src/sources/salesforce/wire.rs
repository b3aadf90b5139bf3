//! Salesforce REST shapes: a query page and its records, read field by field so nulls,
//! missing fields and nested relationship fields (`ConvertedOpportunity.StageName`) are all
//! just "no value".

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::domain::text::clean_within;

/// One page of `GET /query`: `done: false` promises a `nextRecordsUrl`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryPage {
    #[serde(default)]
    pub total_size: Option<u64>,
    #[serde(default)]
    pub done: bool,
    #[serde(default)]
    pub next_records_url: Option<String>,
    #[serde(default, deserialize_with = "records")]
    pub records: Vec<Row>,
}

/// `records: null` reads as no records. Each record's `attributes` (its type and URL)
/// is dropped at the border: nothing reads it, and kept it doubled a held row's size.
fn records<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Row>, D::Error> {
    Ok(Option::<Vec<Map<String, Value>>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(|mut fields| {
            fields.remove("attributes");
            Row(fields)
        })
        .collect())
}

/// `POST /sobjects/{type}`'s answer.
#[derive(Debug, Deserialize)]
pub struct Created {
    pub id: String,
}

/// `GET /sobjects/{type}/deleted/`'s answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedPage {
    #[serde(default)]
    pub deleted_records: Vec<DeletedRecord>,
}

#[derive(Debug, Deserialize)]
pub struct DeletedRecord {
    pub id: String,
}

/// An error answer: `[{message, errorCode, fields}]`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub error_code: String,
}

/// One record of a query, as Salesforce sent it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Row(pub Map<String, Value>);

/// Longest one-line field kept; a longer one ends in "…".
const FIELD_MAX: usize = 200;

impl Row {
    /// The raw value at `field`, following `Parent.Field` into nested objects.
    pub fn value(&self, field: &str) -> Option<&Value> {
        let mut parts = field.split('.');
        let mut v = self.0.get(parts.next()?)?;
        for p in parts {
            v = v.as_object()?.get(p)?;
        }
        (!v.is_null()).then_some(v)
    }

    /// The field as text (numbers and booleans as written), cleaned; `None` when null,
    /// missing or empty.
    pub fn text(&self, field: &str) -> Option<String> {
        let raw = match self.value(field)? {
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            // Salesforce writes whole numbers as `50.0` in some shapes.
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
                _ => n.to_string(),
            },
            _ => return None,
        };
        Some(clean_within(&raw, FIELD_MAX)).filter(|s| !s.is_empty())
    }

    pub fn flag(&self, field: &str) -> bool {
        match self.value(field) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
            _ => false,
        }
    }

    pub fn number(&self, field: &str) -> Option<f64> {
        match self.value(field)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .filter(|n| n.is_finite())
    }

    pub fn time(&self, field: &str) -> Option<DateTime<Utc>> {
        parse_time(self.value(field)?.as_str()?)
    }

    /// The record id, when it looks like one (ids go back into URLs and queries).
    pub fn id(&self) -> Option<String> {
        self.value("Id")?.as_str().and_then(record_id)
    }

    /// An id-valued field (`OwnerId`, `WhoId`), when it looks like one.
    pub fn id_at(&self, field: &str) -> Option<String> {
        self.value(field)?.as_str().and_then(record_id)
    }
}

/// A Salesforce id (15 or 18 letters and digits), else `None`: an id is written back into
/// SOQL and URLs, so anything else is never trusted as one.
pub fn record_id(raw: &str) -> Option<String> {
    let ok = matches!(raw.len(), 15 | 18) && raw.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then(|| raw.to_string())
}

/// Salesforce date-times (`2026-11-20T15:02:00.000+0000`), RFC 3339, or dates; anything
/// outside 1970–2200 counts as missing.
pub fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    let t = DateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(raw))
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
            Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?))
        })?;
    (0..7_258_118_400_000)
        .contains(&t.timestamp_millis())
        .then_some(t)
}

/// A date-time as a SOQL literal (unquoted, UTC).
pub fn soql_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Ids as a SOQL `IN` list. Ids passed [`record_id`], so quoting cannot be escaped.
pub fn soql_ids(ids: &[String]) -> String {
    let quoted: Vec<String> = ids.iter().map(|i| format!("'{i}'")).collect();
    format!("({})", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(v: Value) -> Row {
        Row(v.as_object().cloned().unwrap_or_default())
    }

    #[test]
    fn nulls_missing_and_nested_fields_read_as_no_value() {
        let r = row(json!({
            "Id": "00Q000000000001001",
            "Status": null,
            "NumberOfEmployees": 50.0,
            "ConvertedOpportunity": { "attributes": {}, "StageName": "Closed Won" },
            "Empty": null,
            "Company": "Acme\u{1b}[31m",
        }));
        assert_eq!(r.text("Status"), None);
        assert_eq!(r.text("Missing"), None);
        assert_eq!(r.text("NumberOfEmployees").as_deref(), Some("50"));
        assert_eq!(
            r.text("ConvertedOpportunity.StageName").as_deref(),
            Some("Closed Won")
        );
        assert_eq!(r.text("Empty.StageName"), None);
        assert!(!r.text("Company").unwrap_or_default().contains('\u{1b}'));
        assert_eq!(r.id().as_deref(), Some("00Q000000000001001"));
    }

    #[test]
    fn ids_that_could_break_out_of_a_query_are_refused() {
        assert_eq!(record_id("00Q000000000001"), Some("00Q000000000001".into()));
        assert_eq!(record_id("00Q' OR Id != '"), None);
        assert_eq!(record_id("00Q00000000000100/"), None);
    }

    #[test]
    fn salesforce_times_parse_and_print_as_soql_literals() {
        let t = parse_time("2026-11-20T15:02:00.000+0000").expect("parses");
        assert_eq!(soql_time(t), "2026-11-20T15:02:00.000Z");
        assert_eq!(
            parse_time("2026-11-20").map(soql_time).as_deref(),
            Some("2026-11-20T00:00:00.000Z")
        );
        assert_eq!(parse_time("9999-01-01T00:00:00.000+0000"), None);
    }

    #[test]
    fn a_page_with_null_records_and_no_next_url_reads() {
        let p: QueryPage =
            serde_json::from_value(json!({"totalSize": 0, "done": false, "records": null}))
                .expect("reads");
        assert!(p.records.is_empty() && !p.done && p.next_records_url.is_none());
    }

    #[test]
    fn a_record_is_held_without_its_attributes() {
        let p: QueryPage = serde_json::from_value(json!({"done": true, "records": [
            {"attributes": {"type": "Task", "url": "/services/data/v60.0/sobjects/Task/00T1"},
             "Id": "00T000000000001AAA", "Subject": "Call"}
        ]}))
        .expect("reads");
        let fields: Vec<&str> = p.records[0].0.keys().map(String::as_str).collect();
        assert_eq!(fields, ["Id", "Subject"]);
    }
}
