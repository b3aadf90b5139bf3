//! Contract tests for the simulated HubSpot API (`tandem::sim`), over real HTTP.
//!
//! Every test starts its own frozen world on 127.0.0.1:0, so tests are independent,
//! deterministic and can run in parallel. Expectations are computed from data fetched
//! through the API itself (e.g. a full list walk) rather than hard-coded counts, so they
//! hold for any seed while still failing when a feature breaks.

use std::collections::{BTreeSet, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tandem::sim::{SimHandle, SimOptions, start};

/// A Wednesday afternoon, inside business hours.
const NOW: &str = "2026-11-18T15:30:00Z";

fn now() -> DateTime<Utc> {
    NOW.parse().unwrap()
}

fn ts(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .expect("datetime string")
        .parse()
        .expect("ISO datetime")
}

struct Api {
    sim: SimHandle,
    http: reqwest::Client,
}

struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

async fn sim_with(contacts: usize, tweak: impl FnOnce(&mut SimOptions)) -> Api {
    let mut opts = SimOptions::new(42, contacts);
    opts.now = Some(now());
    tweak(&mut opts);
    Api {
        sim: start(opts).await.expect("sim starts"),
        http: reqwest::Client::new(),
    }
}

async fn sim(contacts: usize) -> Api {
    sim_with(contacts, |_| {}).await
}

impl Api {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Resp {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.sim.base_url, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("request sent");
        let status = r.status();
        let headers = r.headers().clone();
        Resp {
            status,
            headers,
            text: r.text().await.expect("body"),
        }
    }

    async fn get(&self, path: &str) -> Resp {
        self.send(reqwest::Method::GET, path, None, Some(&self.sim.token))
            .await
    }

    async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(
            reqwest::Method::POST,
            path,
            Some(body),
            Some(&self.sim.token),
        )
        .await
    }

    async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send(
            reqwest::Method::PATCH,
            path,
            Some(body),
            Some(&self.sim.token),
        )
        .await
    }

    /// Walk the whole list endpoint; returns every object.
    async fn list_all(&self, kind: &str, props: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut path = format!("/crm/v3/objects/{kind}?limit=100&properties={props}");
            if let Some(a) = &after {
                path.push_str(&format!("&after={a}"));
            }
            let r = self.get(&path).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let body = r.json();
            out.extend(body["results"].as_array().unwrap().iter().cloned());
            match body["paging"]["next"]["after"].as_str() {
                Some(a) => after = Some(a.to_string()),
                None => return out,
            }
        }
    }

    /// Run a search to exhaustion; returns (total, results in order).
    async fn search_all(&self, kind: &str, mut body: Value) -> (u64, Vec<Value>) {
        body["limit"] = json!(200);
        let mut out = Vec::new();
        loop {
            let r = self
                .post(&format!("/crm/v3/objects/{kind}/search"), body.clone())
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            let page = r.json();
            out.extend(page["results"].as_array().unwrap().iter().cloned());
            match page["paging"]["next"]["after"].as_str() {
                Some(a) => body["after"] = json!(a),
                None => return (page["total"].as_u64().unwrap(), out),
            }
        }
    }
}

fn ids(objs: &[Value]) -> BTreeSet<String> {
    objs.iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect()
}

fn prop<'a>(o: &'a Value, name: &str) -> Option<&'a str> {
    o["properties"][name].as_str()
}

fn assert_hubspot_error(r: &Resp, status: u16, category: &str) -> Value {
    assert_eq!(r.status.as_u16(), status, "{}", r.text);
    let body = r.json();
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["category"], category, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let cid = body["correlationId"].as_str().expect("correlationId");
    assert_eq!(cid.len(), 36, "uuid-like correlationId: {cid}");
    body
}

async fn first_with_stage(api: &Api, stage: &str) -> Value {
    let body = json!({
        "filterGroups": [{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": stage}]}],
        "properties": ["lifecyclestage", "hubspot_owner_id"], "limit": 1,
    });
    api.post("/crm/v3/objects/contacts/search", body)
        .await
        .json()["results"][0]
        .clone()
}

mod faults;
mod history;
mod marketo;
mod reading;
mod salesforce;
mod world;
mod writes;
