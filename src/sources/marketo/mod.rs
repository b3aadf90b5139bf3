//! Marketo REST (Adobe's Swagger in `../shared/apispecs/marketo`): an access token from the
//! identity service (sent as `Authorization: Bearer`, refreshed before it expires and on
//! 601/602), leads by `filterType`, activities by paging token (the marketing emails sent
//! and the program successes that are campaign touches), and the nurture list.
//!
//! Marketo answers errors with HTTP 200 and `success: false`: 606 (100 calls per 20 s) is
//! waited out, 615 (more than 10 calls at once) retried, 607 (the daily quota) stops the
//! source until the quota resets.

mod lists;
mod read;
pub mod wire;

pub use read::fold;

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::http::{Http, Wire};
use super::{RetryHook, RetryPolicy, Secret, SourceError};
use wire::{Envelope, Token, Usage};

/// Activity types tandem reads: Send Email, and Change Status in Progression (a program
/// success is a campaign touch).
pub const SEND_EMAIL: u32 = 6;
pub const PROGRAM_STATUS: u32 = 104;

/// Filter values and leads per call at most.
const BATCH: usize = 300;
/// Leads per `activities.json?leadIds=` call (Marketo: 30).
const LEAD_IDS: usize = 30;
/// Renew the access token this long before it expires.
const RENEW_EARLY: Duration = Duration::from_secs(60);
/// Marketo's rate window, and the calls it allows.
const WINDOW: Duration = Duration::from_secs(20);
const CALLS_PER_WINDOW: usize = 100;
/// Calls a subscription may make a day: Marketo's default allowance (Adobe raises it by
/// contract; the usage endpoint reports what was spent, not the limit).
pub const DAILY_QUOTA: u64 = 50_000;

/// What Marketo knows of one lead: its marketing emails and its campaign successes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub sends: Vec<DateTime<Utc>>,
    pub campaigns: Vec<(DateTime<Utc>, String)>,
    /// Data-value changes of the fields the stage rules read: when, which field, the value
    /// before and after (oldest first).
    pub changes: Vec<Change>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub at: DateTime<Utc>,
    pub field: String,
    pub old: String,
    pub new: String,
}

pub struct Marketo {
    http: Http,
    identity: String,
    client_id: String,
    secret: Secret,
    /// When the current access token must be renewed (`None`: there is none).
    renew_at: Option<Instant>,
    /// Where the secret came from, for messages.
    secret_env: String,
    /// Calls spent today: as the usage endpoint last said, plus tandem's own since (the
    /// UTC day they count for).
    spent: Option<(chrono::NaiveDate, u64)>,
    /// What Marketo's last call met, when it failed: the joined source's health says which
    /// system is failing.
    failing: Option<String>,
    /// The fields the `[[stage.marketo]]` rules read: asked for with each lead, and their
    /// changes read from `leadchanges.json`.
    fields: Vec<String>,
    /// When the calls of the current window went out: tandem paces itself to Marketo's
    /// 100 calls per 20 s instead of learning the limit from 606 answers.
    sent: std::collections::VecDeque<Instant>,
}

impl std::fmt::Debug for Marketo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Marketo")
            .field("base", &self.http.base())
            .finish_non_exhaustive()
    }
}

const WIRE: Wire = Wire {
    vendor: "Marketo",
    rate_window: |_| None,
    quota: |_| None,
    error: error_from,
};

fn error_from(status: StatusCode, body: &[u8], env: &str) -> SourceError {
    let detail: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let message = detail
        .as_ref()
        .and_then(|v| v.get("error_description").or(v.get("message")))
        .and_then(|v| v.as_str())
        .map(crate::domain::text::clean)
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
    match status {
        StatusCode::UNAUTHORIZED => SourceError::Unauthorized {
            vendor: "Marketo",
            token_env: env.to_string(),
            message,
        },
        _ => SourceError::Api {
            status: status.as_u16(),
            category: String::new(),
            message,
        },
    }
}

/// Check a Marketo REST or identity URL; see [`super::http::check_base_url`].
pub fn check_base_url(raw: &str) -> Result<String, String> {
    super::http::check_base_url("Marketo", "MARKETO_CLIENT_SECRET", raw)
}

impl Marketo {
    /// The REST API at `base_url`, its identity service at `identity_url` (else the same
    /// host), as client `client_id` with `secret` (read from `secret_env`).
    pub fn new(
        base_url: &str,
        identity_url: Option<&str>,
        client_id: &str,
        secret: Secret,
        secret_env: &str,
    ) -> Result<Self, SourceError> {
        let base = check_base_url(base_url).map_err(SourceError::Config)?;
        let identity = match identity_url {
            Some(u) => check_base_url(u).map_err(SourceError::Config)?,
            None => base.clone(),
        };
        Ok(Marketo {
            http: Http::new(base, Secret::new(""), secret_env, WIRE)?,
            identity,
            client_id: client_id.to_string(),
            secret,
            renew_at: None,
            secret_env: secret_env.to_string(),
            spent: None,
            failing: None,
            fields: Vec::new(),
            sent: std::collections::VecDeque::new(),
        })
    }

    /// Read `fields` with each lead, and their changes (the stage rules read them).
    pub fn with_fields(mut self, fields: Vec<String>) -> Self {
        self.fields = fields;
        self
    }

    /// The fields the stage rules read.
    pub fn fields(&self) -> &[String] {
        &self.fields
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

    pub fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.http.retry.deadline = deadline;
    }

    pub fn take_slowest(&mut self) -> Duration {
        self.http.take_slowest()
    }

    pub fn requests_sent(&self) -> u64 {
        self.http.sent()
    }

    /// A fresh access token from the identity service.
    async fn authenticate(&mut self) -> Result<(), SourceError> {
        let url = format!("{}/identity/oauth/token", self.identity);
        let (id, secret) = (self.client_id.clone(), self.secret.clone());
        let token: Token = self
            .http
            .call(|s| {
                s.plain(Method::GET, &url).query(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", id.as_str()),
                    ("client_secret", secret.expose()),
                ])
            })
            .await?;
        let life = Duration::from_secs(token.expires_in);
        self.http.set_token(Secret::new(token.access_token));
        self.renew_at = Some(Instant::now() + life.saturating_sub(RENEW_EARLY));
        Ok(())
    }

    /// Send through the envelope: renew the token when due or refused (601/602), wait out
    /// 606, retry 615, stop on 607; any other error is the caller's.
    async fn call<T: DeserializeOwned>(
        &mut self,
        build: impl Fn(&Http) -> RequestBuilder,
    ) -> Result<Envelope<T>, SourceError> {
        let result = self.send(build).await;
        self.failing = result.as_ref().err().map(ToString::to_string);
        result
    }

    /// Why the last call failed, if it did.
    pub fn failing(&self) -> Option<&str> {
        self.failing.as_deref()
    }

    async fn send<T: DeserializeOwned>(
        &mut self,
        build: impl Fn(&Http) -> RequestBuilder,
    ) -> Result<Envelope<T>, SourceError> {
        let mut refreshed = false;
        let mut busy = 0;
        let mut limited = 0;
        loop {
            if self.renew_at.is_none_or(|t| Instant::now() >= t) {
                self.authenticate().await?;
            }
            self.pace().await?;
            let env: Envelope<T> = self.http.call(&build).await?;
            self.count_call(Utc::now());
            if env.success {
                return Ok(env);
            }
            let e = env.errors.first().cloned().unwrap_or(wire::ApiError {
                code: String::new(),
                message: "success: false without an error".into(),
            });
            let message = crate::domain::text::clean(&e.message);
            match e.code.as_str() {
                "601" | "602" if !refreshed => {
                    refreshed = true;
                    self.renew_at = None;
                }
                "601" | "602" => {
                    return Err(SourceError::Unauthorized {
                        vendor: "Marketo",
                        token_env: self.secret_env.clone(),
                        message,
                    });
                }
                "606" if limited < 3 => {
                    limited += 1;
                    if !self.http.retry.can_wait(WINDOW) {
                        return Err(SourceError::RateLimited {
                            vendor: "Marketo",
                            retry_after: WINDOW,
                        });
                    }
                    tracing::warn!("Marketo rate limit (606); waiting out its 20 s window");
                    tokio::time::sleep(WINDOW).await;
                }
                "615" if busy < 5 => {
                    busy += 1;
                    tokio::time::sleep(Duration::from_millis(500 * busy)).await;
                }
                "606" | "615" => {
                    return Err(SourceError::RateLimited {
                        vendor: "Marketo",
                        retry_after: WINDOW,
                    });
                }
                "607" => {
                    return Err(SourceError::RateLimited {
                        vendor: "Marketo",
                        retry_after: until_quota_resets(Utc::now()),
                    });
                }
                code => {
                    return Err(SourceError::Api {
                        status: 200,
                        category: crate::domain::text::clean(code),
                        message,
                    });
                }
            }
        }
    }

    /// Wait for a free slot in Marketo's window (or say how long, if this run cannot wait).
    async fn pace(&mut self) -> Result<(), SourceError> {
        if let Some(until) = next_slot(&mut self.sent, Instant::now()) {
            let wait = until.saturating_duration_since(Instant::now());
            if !self.http.retry.can_wait(wait) {
                return Err(SourceError::RateLimited {
                    vendor: "Marketo",
                    retry_after: wait,
                });
            }
            tokio::time::sleep_until(until).await;
        }
        self.sent.push_back(Instant::now());
        Ok(())
    }

    fn count_call(&mut self, now: DateTime<Utc>) {
        let today = now.date_naive();
        match &mut self.spent {
            Some((day, n)) if *day == today => *n += 1,
            // A new day, or the usage not read yet: count from this call.
            spent => *spent = Some((today, 1)),
        }
    }

    /// Today's calls against the daily quota (used, limit), once known.
    pub fn quota(&self) -> Option<(u64, u64)> {
        self.spent.map(|(_, n)| (n, DAILY_QUOTA))
    }

    /// Read what the subscription has spent today (every integration's calls, not only
    /// tandem's), so the header's allowance is the vendor's own figure.
    pub async fn read_usage(&mut self) -> Result<(), SourceError> {
        let env: Envelope<Usage> = self
            .call(|s| s.request(Method::GET, "/rest/v1/stats/usage.json"))
            .await?;
        if let Some(total) = env.result.first().and_then(|u| u.total) {
            self.spent = Some((Utc::now().date_naive(), total));
        }
        Ok(())
    }
}

/// When the next call may go out under 100 calls per 20 s, given when the last ones went
/// (`None`: now); forgets calls older than the window.
fn next_slot(sent: &mut std::collections::VecDeque<Instant>, now: Instant) -> Option<Instant> {
    while sent
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
    {
        sent.pop_front();
    }
    if sent.len() < CALLS_PER_WINDOW {
        return None;
    }
    sent.get(sent.len() - CALLS_PER_WINDOW).map(|t| *t + WINDOW)
}

/// Marketo's daily quota resets at midnight US Central time (06:00 UTC).
fn until_quota_resets(now: DateTime<Utc>) -> Duration {
    let today = now.date_naive().and_hms_opt(6, 0, 0).map(|t| t.and_utc());
    let next = match today {
        Some(t) if t > now => t,
        Some(t) => t + chrono::Duration::days(1),
        None => now + chrono::Duration::days(1),
    };
    (next - now).to_std().unwrap_or(Duration::from_secs(86_400))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_paced_to_a_hundred_in_twenty_seconds() {
        let start = Instant::now();
        let mut sent: std::collections::VecDeque<Instant> = (0..100)
            .map(|i| start + Duration::from_millis(i * 10))
            .collect();
        // The window is full: the 101st waits for the first call to leave it.
        let at = start + Duration::from_secs(1);
        assert_eq!(next_slot(&mut sent, at), Some(start + WINDOW));
        // Once the first has left, there is room at once, and the old call is forgotten.
        let later = start + WINDOW + Duration::from_millis(5);
        assert_eq!(next_slot(&mut sent, later), None);
        assert_eq!(sent.len(), 99);
        // Fewer than a hundred: no wait.
        assert_eq!(next_slot(&mut std::collections::VecDeque::new(), at), None);
    }

    #[test]
    fn the_quota_resets_at_the_next_six_utc() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().expect("time");
        assert_eq!(
            until_quota_resets(at("2026-11-20T05:00:00Z")),
            Duration::from_secs(3600)
        );
        assert_eq!(
            until_quota_resets(at("2026-11-20T07:00:00Z")),
            Duration::from_secs(23 * 3600)
        );
    }
}
