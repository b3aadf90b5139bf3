//! Salesforce REST (API v60.0 or later): Leads, Opportunities, Tasks, Users, the org's
//! `LeadStatus` and `OpportunityStage` picklists, and `LeadHistory` /
//! `OpportunityFieldHistory` for timelines, all read by SOQL through `GET /query`; writes by
//! `PATCH /sobjects/Lead/{id}` and `POST /sobjects/Task`.
//!
//! One `Salesforce` value per source, owned by that source's sync task.

mod history;
mod load;
mod mapping;
mod plan;
mod read;
mod reconcile;
pub mod wire;
mod write;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode, header::HeaderMap};
use serde::de::DeserializeOwned;

use super::http::{Http, Wire};
use super::{RetryHook, RetryPolicy, Secret, SourceError};
use crate::domain::catalog::StageCatalog;
pub use load::LoadState;
pub use plan::{Step, plan, step_count, step_names};
pub use read::Cursor;
pub use write::{expected_after, inverse, seen};

/// The API version asked for unless the config says otherwise.
pub const DEFAULT_VERSION: &str = "60.0";

/// Where the token comes from unless the config says otherwise.
pub const TOKEN_ENV: &str = "SALESFORCE_TOKEN";

pub struct Salesforce {
    http: Http,
    /// `v60.0`.
    version: String,
    stages: Arc<StageCatalog>,
    /// Lead fields read besides tandem's own: what the stage rules and the config read.
    extra: Vec<String>,
    /// A converted Lead's Contact → the Lead, learnt from every Lead read: Opportunities and
    /// Tasks name the Contact, the shared pipeline knows the Lead.
    contact_lead: HashMap<String, String>,
}

impl std::fmt::Debug for Salesforce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Salesforce")
            .field("base", &self.http.base())
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

const WIRE: Wire = Wire {
    vendor: "Salesforce",
    rate_window: |_| None,
    quota,
    error: error_from,
};

impl Salesforce {
    /// A connection to the org at `base_url` (its instance URL). `stages` holds the
    /// Salesforce rules; `extra` names further Lead fields to read.
    pub fn new(
        base_url: &str,
        token: Secret,
        stages: Arc<StageCatalog>,
        extra: Vec<String>,
    ) -> Result<Self, SourceError> {
        let base = check_base_url(base_url).map_err(SourceError::Config)?;
        Ok(Self {
            http: Http::new(base, token, TOKEN_ENV, WIRE)?,
            version: format!("v{DEFAULT_VERSION}"),
            stages,
            extra,
            contact_lead: HashMap::new(),
        })
    }

    /// Ask for API version `version` (`60.0`); older than 60.0 is refused.
    pub fn with_version(mut self, version: &str) -> Result<Self, SourceError> {
        let v = version.trim().trim_start_matches('v');
        match v.parse::<f64>() {
            Ok(n) if (60.0..1000.0).contains(&n) && v.contains('.') => {
                self.version = format!("v{v}");
                Ok(self)
            }
            _ => Err(SourceError::Config(format!(
                "Salesforce api_version {version:?} is not supported: use 60.0 or later, \
                 written like \"60.0\""
            ))),
        }
    }

    pub fn base_url(&self) -> &str {
        self.http.base()
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.http.retry = retry;
        self
    }

    pub fn with_retry_hook(mut self, hook: RetryHook) -> Self {
        self.http.on_retry = Some(hook);
        self
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.http.retry
    }

    pub fn set_deadline(&mut self, deadline: Option<tokio::time::Instant>) {
        self.http.retry.deadline = deadline;
    }

    pub fn take_slowest(&mut self) -> Duration {
        self.http.take_slowest()
    }

    /// Requests sent so far, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.http.sent()
    }

    pub fn with_token_env(mut self, name: &str) -> Self {
        self.http.token_env = name.to_string();
        self
    }

    /// The org's daily API allowance as last reported: (used, limit).
    pub fn quota(&self) -> Option<(u64, u64)> {
        self.http.quota()
    }

    /// `/services/data/v60.0` + `rest`.
    fn path(&self, rest: &str) -> String {
        format!("/services/data/{}{rest}", self.version)
    }

    async fn get<T: DeserializeOwned>(&mut self, path: &str) -> Result<T, SourceError> {
        let path = path.to_string();
        self.http
            .call(|s| {
                s.request(Method::GET, &path)
                    .header("Sforce-Query-Options", "batchSize=2000")
            })
            .await
    }
}

/// Check an org's instance URL; see [`super::http::check_base_url`].
pub fn check_base_url(raw: &str) -> Result<String, String> {
    super::http::check_base_url("Salesforce", TOKEN_ENV, raw)
}

/// `Sforce-Limit-Info: api-usage=N/M`.
fn quota(headers: &HeaderMap) -> Option<(u64, u64)> {
    let raw = headers.get("sforce-limit-info")?.to_str().ok()?;
    let usage = raw
        .split(',')
        .find_map(|part| part.trim().strip_prefix("api-usage="))?;
    let (used, limit) = usage.split_once('/')?;
    Some((used.trim().parse().ok()?, limit.trim().parse().ok()?))
}

fn error_from(status: StatusCode, body: &[u8], token_env: &str) -> SourceError {
    let first = serde_json::from_slice::<Vec<wire::ApiError>>(body)
        .ok()
        .and_then(|v| v.into_iter().next());
    let clean = crate::domain::text::clean;
    let message = first
        .as_ref()
        .map(|e| clean(&e.message))
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
    let code = first.map(|e| clean(&e.error_code)).unwrap_or_default();
    match (status, code.as_str()) {
        (StatusCode::UNAUTHORIZED, _) => SourceError::Unauthorized {
            vendor: "Salesforce",
            token_env: token_env.to_string(),
            message,
        },
        (StatusCode::TOO_MANY_REQUESTS, _) => SourceError::RateLimited {
            vendor: "Salesforce",
            retry_after: Duration::ZERO,
        },
        // The org's daily allowance is spent: nothing goes through until it recovers.
        (_, "REQUEST_LIMIT_EXCEEDED") => SourceError::RateLimited {
            vendor: "Salesforce",
            retry_after: crate::sources::wait::MAX_VENDOR_WAIT,
        },
        _ => SourceError::Api {
            status: status.as_u16(),
            category: code,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn the_limit_header_reads_as_used_of_limit() {
        let mut h = HeaderMap::new();
        h.insert(
            "sforce-limit-info",
            HeaderValue::from_static("api-usage=1204/15000"),
        );
        assert_eq!(quota(&h), Some((1204, 15000)));
        h.insert(
            "sforce-limit-info",
            HeaderValue::from_static("api-usage=x/15000"),
        );
        assert_eq!(quota(&h), None);
    }

    #[test]
    fn an_expired_session_says_so_and_names_the_variable() {
        let body =
            br#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#;
        let e = error_from(StatusCode::UNAUTHORIZED, body, "SF_TOKEN");
        let said = e.to_string();
        assert!(
            said.contains("expired") && said.contains("SF_TOKEN"),
            "{said}"
        );
        let e = error_from(
            StatusCode::BAD_REQUEST,
            br#"[{"message":"No such column 'X\u001b[2J' on entity 'Lead'","errorCode":"INVALID_FIELD","fields":["X"]}]"#,
            "SF_TOKEN",
        );
        assert!(
            matches!(&e, SourceError::Api { status: 400, category, message }
            if category == "INVALID_FIELD" && !message.contains('\u{1b}'))
        );
    }

    #[test]
    fn versions_before_60_are_refused() {
        let sf = || {
            Salesforce::new(
                "http://127.0.0.1:1",
                Secret::new("t"),
                Arc::new(crate::config::Config::builtin().stages),
                vec![],
            )
            .expect("valid")
        };
        assert!(sf().with_version("59.0").is_err());
        assert!(sf().with_version("62").is_err());
        assert_eq!(sf().with_version("62.0").expect("ok").version, "v62.0");
    }
}
