//! Marketo REST shapes (Adobe's Swagger, `../shared/apispecs/marketo`): every answer is an
//! envelope with `success`, and errors arrive with HTTP 200 as `errors[{code, message}]`,
//! the code a quoted integer.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
pub struct Envelope<T> {
    #[serde(default)]
    pub success: bool,
    #[serde(default = "Vec::new", deserialize_with = "or_empty")]
    pub result: Vec<T>,
    #[serde(default)]
    pub errors: Vec<ApiError>,
    #[serde(default)]
    pub next_page_token: Option<String>,
    #[serde(default)]
    pub more_result: bool,
}

/// `result: null` (or missing) reads as no results.
fn or_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[derive(Debug, Clone, Deserialize)]
pub struct ApiError {
    /// A quoted integer (`"606"`); some answers send a bare number.
    #[serde(deserialize_with = "code")]
    pub code: String,
    #[serde(default)]
    pub message: String,
}

fn code<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    })
}

/// `/identity/oauth/token`'s answer.
#[derive(Debug, Deserialize)]
pub struct Token {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: u64,
}

/// A lead as `leads.json` returns it with `fields=id,email,sfdcLeadId`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeadRow {
    pub id: u64,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub sfdc_lead_id: Option<String>,
    /// Any other field asked for (those the `[[stage.marketo]]` rules read), as sent.
    #[serde(flatten)]
    pub other: std::collections::HashMap<String, Value>,
}

impl LeadRow {
    /// Field `name` as text (`None`: null or missing).
    pub fn text(&self, name: &str) -> Option<String> {
        match self.other.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            v => Some(v.to_string()),
        }
    }
}

/// One activity of `activities.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    pub lead_id: u64,
    pub activity_date: String,
    pub activity_type_id: u32,
    #[serde(default)]
    pub primary_attribute_value: Option<String>,
    #[serde(default)]
    pub primary_attribute_value_id: Option<u64>,
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    /// A `leadchanges.json` activity's changed fields.
    #[serde(default)]
    pub fields: Vec<FieldChange>,
}

/// One field a data-value change changed.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldChange {
    pub name: String,
    #[serde(default)]
    pub new_value: Option<String>,
    #[serde(default)]
    pub old_value: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Attribute {
    pub name: String,
    #[serde(default)]
    pub value: Value,
}

impl Activity {
    pub fn attribute(&self, name: &str) -> Option<&Value> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| &a.value)
    }
}

/// One day's calls (`/rest/v1/stats/usage.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct Usage {
    pub total: Option<u64>,
}

/// A program (`/rest/asset/v1/programs.json`): a campaign, by its own name.
#[derive(Debug, Clone, Deserialize)]
pub struct Program {
    pub id: u64,
    #[serde(default)]
    pub name: String,
}

/// One row of a list-membership answer (`added`, `skipped` with `reasons`, `memberof`…).
#[derive(Debug, Clone, Deserialize)]
pub struct Membership {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub reasons: Vec<ApiError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_envelope_and_more_result_without_results_read() {
        let e: Envelope<LeadRow> = serde_json::from_str(
            r#"{"requestId":"x#1","success":false,"errors":[{"code":"606","message":"Max rate limit"}]}"#,
        )
        .expect("reads");
        assert!(!e.success && e.result.is_empty());
        assert_eq!(e.errors[0].code, "606");
        let e: Envelope<Activity> = serde_json::from_str(
            r#"{"success":true,"moreResult":true,"nextPageToken":"ABC","result":null}"#,
        )
        .expect("reads");
        assert!(e.more_result && e.result.is_empty());
        let e: Envelope<LeadRow> =
            serde_json::from_str(r#"{"success":false,"errors":[{"code":601,"message":"x"}]}"#)
                .expect("a bare number code reads");
        assert_eq!(e.errors[0].code, "601");
    }
}
