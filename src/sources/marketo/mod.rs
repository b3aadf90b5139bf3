//! Marketo REST (Adobe's Swagger in `../shared/apispecs/marketo`): an access token from the
//! identity service (sent as `Authorization: Bearer`, refreshed before it expires and on
//! 601/602), leads by `filterType`, activities by paging token (the marketing emails sent
//! and the program successes that are campaign touches), and the nurture list.
//!
//! Marketo answers errors with HTTP 200 and `success: false`: 606 (100 calls per 20 s) is
//! waited out, 615 (more than 10 calls at once) retried, 607 (the daily quota) stops the
//! source until the quota resets.

pub mod wire;

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::json;
use tokio::time::Instant;

use super::http::{Http, Wire};
use super::{RetryHook, RetryPolicy, Secret, SourceError};
use wire::{Activity, Envelope, LeadRow, Membership, Program, Token, Usage};

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

    /// Marketo leads whose `field` (`sfdcLeadId`, `email`) is one of `values`.
    pub async fn leads_by(
        &mut self,
        field: &str,
        values: &[String],
    ) -> Result<Vec<LeadRow>, SourceError> {
        let mut out = Vec::new();
        let self_fields = self.fields.clone();
        for chunk in values.chunks(BATCH) {
            let mut token: Option<String> = None;
            loop {
                let t = token.clone();
                let env: Envelope<LeadRow> = self
                    .call(|s| {
                        // Arrays go as repeated parameters (the Swagger's `multi`).
                        let mut q = vec![("filterType", field.to_string())];
                        q.extend(chunk.iter().map(|v| ("filterValues", v.clone())));
                        q.extend(["id", "email", "sfdcLeadId"].map(|f| ("fields", f.to_string())));
                        q.extend(self_fields.iter().map(|f| ("fields", f.clone())));
                        q.push(("batchSize", BATCH.to_string()));
                        q.extend(t.clone().map(|t| ("nextPageToken", t)));
                        s.request(Method::GET, "/rest/v1/leads.json").query(&q)
                    })
                    .await?;
                out.extend(env.result);
                match env.next_page_token.filter(|_| env.more_result) {
                    Some(n) => token = Some(n),
                    None => break,
                }
            }
        }
        Ok(out)
    }

    /// A paging token for everything since `since`.
    pub async fn paging_token(&mut self, since: DateTime<Utc>) -> Result<String, SourceError> {
        let since = since.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let env: Envelope<serde_json::Value> = self
            .call(|s| {
                s.request(Method::GET, "/rest/v1/activities/pagingtoken.json")
                    .query(&[("sinceDatetime", since.as_str())])
            })
            .await?;
        env.next_page_token
            .ok_or_else(|| SourceError::Malformed("Marketo gave no paging token".into()))
    }

    /// Every activity of tandem's types from `token` on (of `leads`, if given); returns
    /// them and the token to resume from.
    pub async fn activities(
        &mut self,
        token: String,
        leads: Option<&[u64]>,
    ) -> Result<(Vec<Activity>, String), SourceError> {
        let types = [SEND_EMAIL, PROGRAM_STATUS].map(|k| ("activityTypeIds", k.to_string()));
        self.pages("/rest/v1/activities.json", token, &types, leads)
            .await
    }

    /// Every change of `fields` (Marketo's REST names) from `token` on (of `leads`, if
    /// given); returns them and the token to resume from.
    pub async fn lead_changes(
        &mut self,
        token: String,
        fields: &[String],
        leads: Option<&[u64]>,
    ) -> Result<(Vec<Activity>, String), SourceError> {
        let fields: Vec<(&str, String)> = fields.iter().map(|f| ("fields", f.clone())).collect();
        self.pages(
            "/rest/v1/activities/leadchanges.json",
            token,
            &fields,
            leads,
        )
        .await
    }

    /// Follow `nextPageToken` on an activity endpoint while `moreResult` says so.
    async fn pages(
        &mut self,
        path: &str,
        mut token: String,
        params: &[(&str, String)],
        leads: Option<&[u64]>,
    ) -> Result<(Vec<Activity>, String), SourceError> {
        let ids: Vec<String> = leads
            .unwrap_or_default()
            .iter()
            .map(u64::to_string)
            .collect();
        let mut out = Vec::new();
        // A server that keeps saying `moreResult` cannot keep this going for ever.
        for _ in 0..100_000 {
            let t = token.clone();
            let env: Envelope<Activity> = self
                .call(|s| {
                    // Arrays go as repeated parameters (the Swagger's `multi`).
                    let mut q = vec![("nextPageToken", t.clone())];
                    q.extend(params.iter().cloned());
                    q.push(("batchSize", BATCH.to_string()));
                    q.extend(ids.iter().map(|i| ("leadIds", i.clone())));
                    s.request(Method::GET, path).query(&q)
                })
                .await?;
            let more = env.more_result;
            out.extend(env.result);
            match env.next_page_token {
                Some(next) if more && next != token => token = next,
                Some(next) => return Ok((out, next)),
                None => return Ok((out, token)),
            }
        }
        Ok((out, token))
    }

    /// The full facts of `leads`, read from their whole activity history (and the changes
    /// of the rule fields, when any).
    pub async fn facts_of(&mut self, leads: &[u64]) -> Result<HashMap<u64, Facts>, SourceError> {
        let fields = self.fields.clone();
        let mut out = HashMap::new();
        let origin = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(365 * 30);
        let programs = match leads.is_empty() {
            true => HashMap::new(),
            false => self.programs().await?,
        };
        for chunk in leads.chunks(LEAD_IDS) {
            let token = self.paging_token(origin).await?;
            let (mut acts, _) = self.activities(token.clone(), Some(chunk)).await?;
            if !fields.is_empty() {
                acts.extend(self.lead_changes(token, &fields, Some(chunk)).await?.0);
            }
            fold(&mut out, &acts, &programs);
        }
        Ok(out)
    }

    /// Every program (the campaigns), by id, 200 at a time.
    pub async fn programs(&mut self) -> Result<HashMap<u64, String>, SourceError> {
        let mut out = HashMap::new();
        for page in 0..1000usize {
            let offset = (page * 200).to_string();
            let env: Envelope<Program> = self
                .call(|s| {
                    s.request(Method::GET, "/rest/asset/v1/programs.json")
                        .query(&[("maxReturn", "200"), ("offset", offset.as_str())])
                })
                .await?;
            let n = env.result.len();
            out.extend(
                env.result
                    .into_iter()
                    .map(|p| (p.id, crate::domain::text::clean_within(&p.name, 200))),
            );
            // The last page is short, or a warning with no result at all.
            if n < 200 {
                break;
            }
        }
        Ok(out)
    }

    /// Add `lead` to static list `list`; a skipped lead is an error with Marketo's reason.
    pub async fn add_to_list(&mut self, list: u64, lead: u64) -> Result<(), SourceError> {
        let path = format!("/rest/v1/lists/{list}/leads.json");
        let body = json!({ "input": [{ "id": lead }] });
        let id = lead.to_string();
        let env: Envelope<Membership> = self
            .call(|s| {
                s.request(Method::POST, &path)
                    .query(&[("id", id.as_str())])
                    .json(&body)
            })
            .await?;
        refused_rows(&env.result)
    }

    /// Take `lead` off static list `list`.
    pub async fn remove_from_list(&mut self, list: u64, lead: u64) -> Result<(), SourceError> {
        let path = format!("/rest/v1/lists/{list}/leads.json");
        let id = lead.to_string();
        let env: Envelope<Membership> = self
            // The Swagger asks for the lead both in the query and in the body.
            .call(|s| {
                s.request(Method::DELETE, &path)
                    .query(&[("id", id.as_str())])
                    .json(&json!({ "input": [{ "id": lead }] }))
            })
            .await?;
        refused_rows(&env.result)
    }

    pub async fn is_member(&mut self, list: u64, lead: u64) -> Result<bool, SourceError> {
        let path = format!("/rest/v1/lists/{list}/leads/ismember.json");
        let id = lead.to_string();
        let env: Envelope<Membership> = self
            .call(|s| s.request(Method::GET, &path).query(&[("id", id.as_str())]))
            .await?;
        Ok(env.result.iter().any(|m| m.status == "memberof"))
    }
}

/// A record-level `skipped` is reported per lead, with Marketo's reason.
fn refused_rows(rows: &[Membership]) -> Result<(), SourceError> {
    match rows.iter().find(|m| m.status == "skipped") {
        Some(m) => Err(SourceError::Api {
            status: 200,
            category: m
                .reasons
                .first()
                .map(|r| r.code.clone())
                .unwrap_or_default(),
            message: format!(
                "Marketo skipped lead {}: {}",
                m.id.map(|i| i.to_string()).unwrap_or_default(),
                m.reasons
                    .first()
                    .map(|r| crate::domain::text::clean(&r.message))
                    .unwrap_or_else(|| "no reason given".into())
            ),
        }),
        None => Ok(()),
    }
}

/// Add `acts` to each lead's facts, keeping them sorted; a program success is named by its
/// program as `programs` lists it (else as the activity names it).
pub fn fold(facts: &mut HashMap<u64, Facts>, acts: &[Activity], programs: &HashMap<u64, String>) {
    for a in acts {
        let Some(at) = super::salesforce::wire::parse_time(&a.activity_date) else {
            continue;
        };
        let f = facts.entry(a.lead_id).or_default();
        match a.activity_type_id {
            SEND_EMAIL => f.sends.push(at),
            PROGRAM_STATUS => {
                let success = a
                    .attribute("Success")
                    .is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"));
                let named = a
                    .primary_attribute_value_id
                    .and_then(|id| programs.get(&id).cloned())
                    .or_else(|| {
                        let raw = a.primary_attribute_value.as_deref()?;
                        Some(crate::domain::text::clean_within(raw, 200))
                    });
                if let (true, Some(program)) = (success, named) {
                    f.campaigns.push((at, program));
                }
            }
            _ => {}
        }
        for c in &a.fields {
            let text = |v: &Option<String>| {
                crate::domain::text::clean_within(v.as_deref().unwrap_or(""), 200)
            };
            f.changes.push(Change {
                at,
                field: c.name.clone(),
                old: text(&c.old_value),
                new: text(&c.new_value),
            });
        }
    }
    for f in facts.values_mut() {
        f.changes.sort_by_key(|c| c.at);
        f.sends.sort();
        f.sends.dedup();
        // Stable: two successes in one second keep the order Marketo logged them in.
        f.campaigns.sort_by_key(|(at, _)| *at);
        f.campaigns.dedup();
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

    #[test]
    fn program_successes_are_campaigns_and_sends_are_touches() {
        let acts: Vec<Activity> = serde_json::from_value(json!([
            {"leadId": 7, "activityDate": "2026-11-02T10:00:00Z", "activityTypeId": 104,
             "primaryAttributeValue": "Webinar", "attributes": [{"name": "Success", "value": true}]},
            {"leadId": 7, "activityDate": "2026-11-01T10:00:00Z", "activityTypeId": 104,
             "primaryAttributeValue": "Not a success", "attributes": [{"name": "Success", "value": false}]},
            {"leadId": 7, "activityDate": "2026-11-03T10:00:00Z", "activityTypeId": 6,
             "primaryAttributeValue": "Nurture.Email 1", "attributes": []}
        ]))
        .expect("activities");
        let mut facts = HashMap::new();
        fold(&mut facts, &acts, &HashMap::new());
        let f = &facts[&7];
        assert_eq!(f.campaigns.len(), 1);
        assert_eq!(f.campaigns[0].1, "Webinar");
        assert_eq!(f.sends.len(), 1);
    }
}
