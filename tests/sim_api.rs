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

#[tokio::test]
async fn rejects_missing_or_wrong_token() {
    let api = sim(50).await;
    let path = "/crm/v3/objects/contacts";
    let none = api.send(reqwest::Method::GET, path, None, None).await;
    let body = assert_hubspot_error(&none, 401, "INVALID_AUTHENTICATION");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Authentication credentials not found")
    );
    let wrong = api
        .send(reqwest::Method::GET, path, None, Some("not-the-token"))
        .await;
    assert_hubspot_error(&wrong, 401, "INVALID_AUTHENTICATION");
    assert!(api.sim.token.starts_with("sim-"));
    assert_eq!(api.get(path).await.status, 200);
}

#[tokio::test]
async fn list_paging_walks_every_contact_once() {
    let api = sim(730).await;
    let all = api.list_all("contacts", "email").await;
    assert_eq!(all.len(), 730);
    assert_eq!(ids(&all).len(), 730, "no duplicates across pages");
    // The `link` of a page is a working URL for the next page.
    let first = api.get("/crm/v3/objects/contacts?limit=3").await.json();
    let link = first["paging"]["next"]["link"].as_str().unwrap();
    let path = link
        .strip_prefix(&api.sim.base_url)
        .expect("link on this server");
    let second = api.get(path).await.json();
    assert_eq!(second["results"].as_array().unwrap().len(), 3);
    assert_eq!(second["results"][0]["id"], first["paging"]["next"]["after"]);

    let too_big = api.get("/crm/v3/objects/contacts?limit=101").await;
    assert_hubspot_error(&too_big, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn properties_are_strings_or_null() {
    let api = sim(300).await;
    let wanted = [
        "email",
        "lifecyclestage",
        "hs_lead_status",
        "notes_last_contacted",
        "hubspot_owner_id",
        "num_conversion_events",
    ];
    let r = api
        .get("/crm/v3/objects/contacts?limit=100&properties=email,lifecyclestage,hs_lead_status&properties=notes_last_contacted&properties=hubspot_owner_id,num_conversion_events")
        .await;
    let body = r.json();
    let results = body["results"].as_array().unwrap();
    let mut nulls = 0;
    for o in results {
        assert!(o["id"].is_string() && o["createdAt"].is_string() && o["updatedAt"].is_string());
        assert_eq!(o["archived"], false);
        let props = o["properties"].as_object().unwrap();
        for name in wanted
            .iter()
            .chain(["createdate", "hs_object_id", "lastmodifieddate"].iter())
        {
            let v = props
                .get(*name)
                .unwrap_or_else(|| panic!("{name} missing in {o}"));
            assert!(v.is_string() || v.is_null(), "{name} = {v}");
            nulls += v.is_null() as usize;
        }
        assert_eq!(props["hs_object_id"], o["id"]);
        assert!(props["lastmodifieddate"].as_str().unwrap().ends_with('Z'));
    }
    assert!(
        nulls > 0,
        "some requested properties have no value and come back as null"
    );
    // Without `properties`, HubSpot's defaults.
    let plain = api.get("/crm/v3/objects/contacts?limit=1").await.json();
    let keys: BTreeSet<&str> = plain["results"][0]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let expected: BTreeSet<&str> = [
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ]
    .into();
    assert_eq!(keys, expected);
}

#[tokio::test]
async fn incremental_sync_search_pages_in_order() {
    let api = sim(900).await;
    let all = api.list_all("contacts", "lastmodifieddate").await;
    let mut stamps: Vec<DateTime<Utc>> = all
        .iter()
        .map(|o| ts(&o["properties"]["lastmodifieddate"]))
        .collect();
    stamps.sort();
    let cutoff = stamps[stamps.len() / 3];
    let expected: BTreeSet<String> = all
        .iter()
        .filter(|o| ts(&o["properties"]["lastmodifieddate"]) > cutoff)
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();

    let mut body = json!({
        "filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GT", "value": cutoff.timestamp_millis().to_string()}]}],
        "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
        "properties": ["lastmodifieddate", "email"],
        "limit": 50,
    });
    let mut seen = Vec::new();
    let mut total = None;
    loop {
        let page = api
            .post("/crm/v3/objects/contacts/search", body.clone())
            .await
            .json();
        total = total.or(page["total"].as_u64());
        assert_eq!(
            page["total"].as_u64(),
            total,
            "total is stable across pages"
        );
        seen.extend(page["results"].as_array().unwrap().iter().cloned());
        match page["paging"]["next"]["after"].as_str() {
            Some(a) => body["after"] = json!(a),
            None => break,
        }
    }
    assert_eq!(total, Some(expected.len() as u64));
    assert_eq!(ids(&seen), expected);
    assert_eq!(seen.len(), expected.len(), "no duplicates");
    let order: Vec<(DateTime<Utc>, u64)> = seen
        .iter()
        .map(|o| {
            (
                ts(&o["properties"]["lastmodifieddate"]),
                o["id"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] <= w[1]),
        "ascending, ties by id"
    );
    // The string sort form and ISO filter values mean the same thing.
    let iso = json!({
        "filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GT", "value": cutoff.to_rfc3339()}]}],
        "sorts": ["-lastmodifieddate"], "limit": 1,
    });
    let page = api
        .post("/crm/v3/objects/contacts/search", iso)
        .await
        .json();
    assert_eq!(page["total"].as_u64(), total);
    assert_eq!(
        ts(&page["results"][0]["properties"]["lastmodifieddate"]),
        *stamps.last().unwrap()
    );
}

#[tokio::test]
async fn every_search_operator_matches_a_local_evaluation() {
    let api = sim(600).await;
    let all = api.list_all("contacts", "lifecyclestage,hs_lead_status,createdate,notes_last_contacted,hubspot_owner_id,num_conversion_events,company").await;
    let created = |o: &Value| ts(&o["properties"]["createdate"]);
    let mid = created(&all[all.len() / 2]);
    let late = created(&all[all.len() * 3 / 4]);
    let status = |o: &Value| prop(o, "hs_lead_status").map(str::to_string);
    type Pred = Box<dyn Fn(&Value) -> bool>;
    let cases: Vec<(Value, Pred)> = vec![
        (
            json!({"propertyName": "lifecyclestage", "operator": "EQ", "value": "MarketingQualifiedLead"}),
            Box::new(|o: &Value| prop(o, "lifecyclestage") == Some("marketingqualifiedlead")),
        ),
        (
            json!({"propertyName": "lifecyclestage", "operator": "NEQ", "value": "lead"}),
            Box::new(|o: &Value| prop(o, "lifecyclestage") != Some("lead")),
        ),
        (
            json!({"propertyName": "createdate", "operator": "GT", "value": mid.timestamp_millis().to_string()}),
            Box::new(move |o: &Value| created(o) > mid),
        ),
        (
            json!({"propertyName": "createdate", "operator": "GTE", "value": mid.to_rfc3339()}),
            Box::new(move |o: &Value| created(o) >= mid),
        ),
        (
            json!({"propertyName": "createdate", "operator": "LT", "value": mid.timestamp_millis()}),
            Box::new(move |o: &Value| created(o) < mid),
        ),
        (
            json!({"propertyName": "createdate", "operator": "LTE", "value": mid.timestamp_millis().to_string()}),
            Box::new(move |o: &Value| created(o) <= mid),
        ),
        (
            json!({"propertyName": "createdate", "operator": "BETWEEN", "value": mid.timestamp_millis().to_string(), "highValue": late.timestamp_millis().to_string()}),
            Box::new(move |o: &Value| created(o) >= mid && created(o) <= late),
        ),
        (
            json!({"propertyName": "hs_lead_status", "operator": "IN", "values": ["OPEN", "CONNECTED"]}),
            Box::new(move |o: &Value| matches!(status(o).as_deref(), Some("OPEN" | "CONNECTED"))),
        ),
        (
            json!({"propertyName": "hs_lead_status", "operator": "NOT_IN", "values": ["NEW", "BAD_TIMING"]}),
            Box::new(move |o: &Value| !matches!(status(o).as_deref(), Some("NEW" | "BAD_TIMING"))),
        ),
        (
            json!({"propertyName": "notes_last_contacted", "operator": "HAS_PROPERTY"}),
            Box::new(|o: &Value| prop(o, "notes_last_contacted").is_some()),
        ),
        (
            json!({"propertyName": "hubspot_owner_id", "operator": "NOT_HAS_PROPERTY"}),
            Box::new(|o: &Value| prop(o, "hubspot_owner_id").is_none()),
        ),
        (
            json!({"propertyName": "num_conversion_events", "operator": "GTE", "value": "3"}),
            Box::new(|o: &Value| {
                prop(o, "num_conversion_events")
                    .unwrap()
                    .parse::<f64>()
                    .unwrap()
                    >= 3.0
            }),
        ),
        (
            json!({"propertyName": "company", "operator": "CONTAINS_TOKEN", "value": "logistics"}),
            Box::new(|o: &Value| {
                prop(o, "company")
                    .unwrap()
                    .to_lowercase()
                    .split(' ')
                    .any(|w| w == "logistics")
            }),
        ),
        (
            json!({"propertyName": "company", "operator": "NOT_CONTAINS_TOKEN", "value": "Logistics"}),
            Box::new(|o: &Value| {
                !prop(o, "company")
                    .unwrap()
                    .to_lowercase()
                    .split(' ')
                    .any(|w| w == "logistics")
            }),
        ),
    ];
    for (filter, pred) in cases {
        let want: BTreeSet<String> = all
            .iter()
            .filter(|o| pred(o))
            .map(|o| o["id"].as_str().unwrap().to_string())
            .collect();
        assert!(
            !want.is_empty() && want.len() < all.len(),
            "{filter} should split the data"
        );
        let (total, got) = api
            .search_all(
                "contacts",
                json!({"filterGroups": [{"filters": [filter.clone()]}]}),
            )
            .await;
        assert_eq!(ids(&got), want, "{filter}");
        assert_eq!(total as usize, want.len(), "{filter}");
    }
    // Groups are OR'd, filters within a group AND'd.
    let body = json!({"filterGroups": [
        {"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]},
        {"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"},
                     {"propertyName": "hs_lead_status", "operator": "EQ", "value": "BAD_TIMING"}]},
    ]});
    let want: BTreeSet<String> = all
        .iter()
        .filter(|o| {
            prop(o, "lifecyclestage") == Some("customer")
                || (prop(o, "lifecyclestage") == Some("lead")
                    && prop(o, "hs_lead_status") == Some("BAD_TIMING"))
        })
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids(&api.search_all("contacts", body).await.1), want);
    // HubSpot's filter limits.
    let f = json!({"propertyName": "lifecyclestage", "operator": "HAS_PROPERTY"});
    let six_groups = json!({"filterGroups": vec![json!({"filters": [f.clone()]}); 6]});
    assert_hubspot_error(
        &api.post("/crm/v3/objects/contacts/search", six_groups)
            .await,
        400,
        "VALIDATION_ERROR",
    );
    let seven = json!({"filterGroups": [{"filters": vec![f.clone(); 7]}]});
    assert_hubspot_error(
        &api.post("/crm/v3/objects/contacts/search", seven).await,
        400,
        "VALIDATION_ERROR",
    );
    let nineteen = json!({"filterGroups": [{"filters": vec![f.clone(); 6]}, {"filters": vec![f.clone(); 6]}, {"filters": vec![f.clone(); 6]}, {"filters": [f.clone()]}]});
    assert_hubspot_error(
        &api.post("/crm/v3/objects/contacts/search", nineteen).await,
        400,
        "VALIDATION_ERROR",
    );
}

#[tokio::test]
async fn search_refuses_paging_past_ten_thousand() {
    let api = sim(200).await;
    let deep = api
        .post(
            "/crm/v3/objects/contacts/search",
            json!({"limit": 200, "after": "9900"}),
        )
        .await;
    assert_hubspot_error(&deep, 400, "VALIDATION_ERROR");
    let edge = api
        .post(
            "/crm/v3/objects/contacts/search",
            json!({"limit": 200, "after": "9800"}),
        )
        .await;
    assert_eq!(edge.status, 200, "{}", edge.text);
    assert_eq!(edge.json()["total"], 200);
    let big = api
        .post("/crm/v3/objects/contacts/search", json!({"limit": 201}))
        .await;
    assert_hubspot_error(&big, 400, "VALIDATION_ERROR");
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

#[tokio::test]
async fn patch_forward_stamps_stage_date_and_modified() {
    let api = sim(300).await;
    let lead = first_with_stage(&api, "lead").await;
    let id = lead["id"].as_str().unwrap();
    let r = api
        .patch(
            &format!("/crm/v3/objects/contacts/{id}"),
            json!({"properties": {"lifecyclestage": "marketingqualifiedlead"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    assert_eq!(
        body["properties"]["lifecyclestage"],
        "marketingqualifiedlead"
    );
    let stage_date = ts(&body["properties"]["hs_lifecyclestage_marketingqualifiedlead_date"]);
    let modified = ts(&body["properties"]["lastmodifieddate"]);
    assert!(
        stage_date > now() && modified >= stage_date,
        "frozen now + write counter"
    );
    assert_eq!(ts(&body["updatedAt"]), modified);
    let back = api.get(&format!("/crm/v3/objects/contacts/{id}?properties=lifecyclestage,hs_lifecyclestage_marketingqualifiedlead_date")).await.json();
    assert_eq!(
        back["properties"]["lifecyclestage"],
        "marketingqualifiedlead"
    );
    assert_eq!(
        ts(&back["properties"]["hs_lifecyclestage_marketingqualifiedlead_date"]),
        stage_date
    );
    let missing = api.get("/crm/v3/objects/contacts/999999999").await;
    assert_hubspot_error(&missing, 404, "OBJECT_NOT_FOUND");
}

#[tokio::test]
async fn patch_backward_needs_clear_first() {
    let api = sim(300).await;
    let opp = first_with_stage(&api, "opportunity").await;
    let path = format!("/crm/v3/objects/contacts/{}", opp["id"].as_str().unwrap());
    let back = api
        .patch(&path, json!({"properties": {"lifecyclestage": "lead"}}))
        .await;
    let body = assert_hubspot_error(&back, 400, "VALIDATION_ERROR");
    assert!(
        body["message"].as_str().unwrap().contains("backward"),
        "{body}"
    );
    let cleared = api
        .patch(&path, json!({"properties": {"lifecyclestage": ""}}))
        .await;
    assert_eq!(cleared.status, 200, "{}", cleared.text);
    assert!(cleared.json()["properties"]["lifecyclestage"].is_null());
    let set = api
        .patch(
            &path,
            json!({"properties": {"lifecyclestage": "lead", "hs_lead_status": "BAD_TIMING"}}),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.json()["properties"]["lifecyclestage"], "lead");

    let unknown = api
        .patch(&path, json!({"properties": {"favourite_colour": "teal"}}))
        .await;
    let body = assert_hubspot_error(&unknown, 400, "VALIDATION_ERROR");
    let msg = body["message"].as_str().unwrap();
    assert!(
        msg.starts_with("Property values were not valid") && msg.contains("PROPERTY_DOESNT_EXIST"),
        "{msg}"
    );
    let bad_status = api
        .patch(&path, json!({"properties": {"hs_lead_status": "HOT"}}))
        .await;
    assert_hubspot_error(&bad_status, 400, "VALIDATION_ERROR");
    let bad_stage = api
        .patch(&path, json!({"properties": {"lifecyclestage": "prospect"}}))
        .await;
    assert_hubspot_error(&bad_stage, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn owner_patch_stamps_assigned_date_and_modified_increases() {
    let api = sim(300).await;
    let owners = api.get("/crm/v3/owners").await.json();
    let sales: Vec<&Value> = owners["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["teams"][0]["name"] == "Sales")
        .collect();
    let mql = first_with_stage(&api, "marketingqualifiedlead").await;
    let path = format!("/crm/v3/objects/contacts/{}", mql["id"].as_str().unwrap());
    let mut last = now();
    for owner in sales.iter().take(2) {
        let r = api
            .patch(
                &path,
                json!({"properties": {"hubspot_owner_id": owner["id"], "hs_lead_status": "OPEN"}}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let p = r.json()["properties"].clone();
        assert_eq!(p["hubspot_owner_id"], owner["id"]);
        let assigned = ts(&p["hubspot_owner_assigneddate"]);
        let modified = ts(&p["lastmodifieddate"]);
        assert!(
            assigned > last && modified >= assigned,
            "strictly increasing write stamps"
        );
        last = modified;
    }
    let bogus = api
        .patch(&path, json!({"properties": {"hubspot_owner_id": "123"}}))
        .await;
    assert_hubspot_error(&bogus, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn first_engagement_is_never_after_last_contact() {
    let api = sim(1000).await;
    let all = api
        .list_all(
            "contacts",
            "notes_last_contacted,hs_sa_first_engagement_date,hubspot_owner_assigneddate,hs_lead_status",
        )
        .await;
    let (mut contacted, mut several) = (0, 0);
    for o in &all {
        let p = &o["properties"];
        if p["notes_last_contacted"].is_null() {
            assert!(p["hs_sa_first_engagement_date"].is_null(), "{o}");
            continue;
        }
        assert!(p["hs_sa_first_engagement_date"].is_string(), "{o}");
        let (first, last) = (
            ts(&p["hs_sa_first_engagement_date"]),
            ts(&p["notes_last_contacted"]),
        );
        assert!(first <= last, "{o}");
        // Sales worked the lead after accepting it (recycled leads now belong to marketing).
        if prop(o, "hs_lead_status") != Some("BAD_TIMING") {
            assert!(first >= ts(&p["hubspot_owner_assigneddate"]), "{o}");
        }
        contacted += 1;
        several += (first < last) as usize;
    }
    assert!(contacted > 100, "contacts with sales activity: {contacted}");
    assert!(several > 0, "some contacts had several activities");
    // Searchable like any datetime property.
    let has = json!({"filterGroups": [{"filters": [
        {"propertyName": "hs_sa_first_engagement_date", "operator": "HAS_PROPERTY"}]}]});
    assert_eq!(api.search_all("contacts", has).await.0, contacted);
}

#[tokio::test]
async fn patch_last_contacted_derives_first_engagement() {
    let api = sim(300).await;
    let body = json!({
        "filterGroups": [{"filters": [{"propertyName": "notes_last_contacted", "operator": "NOT_HAS_PROPERTY"}]}],
        "properties": ["hs_sa_first_engagement_date"], "limit": 2,
    });
    let found = api
        .post("/crm/v3/objects/contacts/search", body)
        .await
        .json();
    let [a, b] = [0, 1].map(|i| found["results"][i].clone());
    assert!(
        a["properties"]["hs_sa_first_engagement_date"].is_null(),
        "{a}"
    );
    let path = format!("/crm/v3/objects/contacts/{}", a["id"].as_str().unwrap());
    let first_call = "2026-11-18T14:05:00.000Z";
    let r = api
        .patch(
            &path,
            json!({"properties": {"notes_last_contacted": ts(&json!(first_call)).timestamp_millis().to_string()}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let p = r.json()["properties"].clone();
    assert_eq!(p["notes_last_contacted"], first_call);
    assert_eq!(p["hs_sa_first_engagement_date"], first_call, "{p}");

    // A later activity moves only the last-contacted date.
    let r = api
        .patch(
            &path,
            json!({"properties": {"notes_last_contacted": "2026-11-18T15:10:00Z"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let back = api
        .get(&format!(
            "{path}?properties=notes_last_contacted,hs_sa_first_engagement_date"
        ))
        .await
        .json();
    assert_eq!(
        back["properties"]["notes_last_contacted"],
        "2026-11-18T15:10:00.000Z"
    );
    assert_eq!(
        back["properties"]["hs_sa_first_engagement_date"],
        first_call
    );

    // Read-only, like `lastmodifieddate`: rejected on its own or alongside a valid change.
    for props in [
        json!({"hs_sa_first_engagement_date": "2026-11-01T09:00:00Z"}),
        json!({"notes_last_contacted": NOW, "hs_sa_first_engagement_date": NOW}),
    ] {
        let r = api.patch(&path, json!({"properties": props})).await;
        let body = assert_hubspot_error(&r, 400, "VALIDATION_ERROR");
        let msg = body["message"].as_str().unwrap();
        assert!(
            msg.contains("READ_ONLY_VALUE") && msg.contains("hs_sa_first_engagement_date"),
            "{msg}"
        );
    }
    let other = format!("/crm/v3/objects/contacts/{}", b["id"].as_str().unwrap());
    let r = api
        .patch(
            &other,
            json!({"properties": {"notes_last_contacted": NOW, "hs_sa_first_engagement_date": NOW}}),
        )
        .await;
    assert_hubspot_error(&r, 400, "VALIDATION_ERROR");
    for (path, first) in [(&path, json!(first_call)), (&other, Value::Null)] {
        let got = api
            .get(&format!("{path}?properties=hs_sa_first_engagement_date"))
            .await
            .json();
        assert_eq!(
            got["properties"]["hs_sa_first_engagement_date"], first,
            "a rejected PATCH changes nothing"
        );
    }
}

#[tokio::test]
async fn note_create_then_read_back_through_associations() {
    let api = sim(300).await;
    let contact = first_with_stage(&api, "salesqualifiedlead").await;
    let cid = contact["id"].as_str().unwrap().to_string();
    let body = "#feedback campaign=\"ROI calculator webinar\" verdict=works\nCFOs quoted the payback slide back to me";
    let r = api
        .post("/crm/v3/objects/notes", json!({
            "properties": {"hs_timestamp": NOW, "hs_note_body": body, "hubspot_owner_id": contact["properties"]["hubspot_owner_id"]},
            "associations": [{"to": {"id": cid}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]}],
        }))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let note = r.json();
    let note_id = note["id"].as_str().unwrap().to_string();
    assert_eq!(note["properties"]["hs_note_body"], body);

    let assoc = api
        .post(
            "/crm/v4/associations/contacts/notes/batch/read",
            json!({"inputs": [{"id": cid}, {"id": "999999999"}]}),
        )
        .await;
    assert_eq!(
        assoc.status, 207,
        "one input has no associations: {}",
        assoc.text
    );
    let assoc = assoc.json();
    assert_eq!(assoc["status"], "COMPLETE");
    assert_eq!(assoc["numErrors"], 1);
    let result = &assoc["results"][0];
    assert_eq!(result["from"]["id"], cid.as_str());
    let to = result["to"].as_array().unwrap();
    let hit = to
        .iter()
        .find(|t| t["toObjectId"].as_u64() == note_id.parse().ok())
        .expect("new note is associated");
    assert_eq!(
        hit["associationTypes"][0],
        json!({"category": "HUBSPOT_DEFINED", "typeId": 201, "label": null})
    );

    let ids: Vec<Value> = to
        .iter()
        .map(|t| json!({"id": t["toObjectId"].to_string()}))
        .collect();
    let read = api
        .post(
            "/crm/v3/objects/notes/batch/read",
            json!({"properties": ["hs_note_body", "hs_timestamp"], "inputs": ids}),
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.text);
    let read = read.json();
    assert_eq!(read["status"], "COMPLETE");
    assert!(read["startedAt"].is_string() && read["completedAt"].is_string());
    let mine = read["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == note_id.as_str())
        .expect("note in batch read");
    assert_eq!(mine["properties"]["hs_note_body"], body);
    assert_eq!(ts(&mine["properties"]["hs_timestamp"]), now());
    let partial = api
        .post(
            "/crm/v3/objects/notes/batch/read",
            json!({"inputs": [{"id": note_id}, {"id": "1"}]}),
        )
        .await;
    assert_eq!(partial.status, 207);
    assert_eq!(partial.json()["errors"][0]["category"], "OBJECT_NOT_FOUND");
    // The note is visible from the note side too (v3 associations on GET).
    let got = api
        .get(&format!(
            "/crm/v3/objects/notes/{note_id}?associations=contacts"
        ))
        .await
        .json();
    assert_eq!(
        got["associations"]["contacts"]["results"][0],
        json!({"id": cid, "type": "note_to_contact"})
    );

    let orphan = api
        .post("/crm/v3/objects/notes", json!({
            "properties": {"hs_timestamp": NOW, "hs_note_body": "x"},
            "associations": [{"to": {"id": "999999999"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]}],
        }))
        .await;
    assert_hubspot_error(&orphan, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn owners_cover_sales_and_marketing() {
    let api = sim(50).await;
    let owners = api.get("/crm/v3/owners").await.json();
    let list = owners["results"].as_array().unwrap();
    let team = |name: &str| {
        list.iter()
            .filter(|o| o["teams"][0]["name"] == name)
            .count()
    };
    assert_eq!((team("Sales"), team("Marketing")), (6, 4));
    for o in list {
        assert!(o["id"].is_string() && o["userId"].is_u64() && o["createdAt"].is_string());
        assert!(
            o["email"].as_str().unwrap().contains('@')
                && o["firstName"].is_string()
                && o["lastName"].is_string()
        );
        assert_eq!(o["teams"][0]["primary"], true);
        assert_eq!(o["archived"], false);
    }
}

#[tokio::test]
async fn deal_pipeline_has_hubspot_shape() {
    let api = sim(50).await;
    let body = api.get("/crm/v3/pipelines/deals").await.json();
    let p = &body["results"][0];
    assert_eq!(
        (p["id"].as_str(), p["label"].as_str()),
        (Some("default"), Some("Sales Pipeline"))
    );
    let stages: Vec<(String, String, String)> = p["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().into(),
                s["metadata"]["probability"].as_str().unwrap().into(),
                s["metadata"]["isClosed"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(stages.len(), 7);
    assert_eq!(
        stages[0],
        ("appointmentscheduled".into(), "0.2".into(), "false".into())
    );
    assert_eq!(stages[5], ("closedwon".into(), "1.0".into(), "true".into()));
    assert_eq!(
        stages[6],
        ("closedlost".into(), "0.0".into(), "true".into())
    );
}

#[tokio::test]
async fn deals_are_associated_to_contacts() {
    let api = sim(500).await;
    let deals = api.get("/crm/v3/objects/deals?limit=100&associations=contacts&properties=dealstage,amount,pipeline,hubspot_owner_id").await.json();
    let deals = deals["results"].as_array().unwrap();
    assert!(deals.len() > 10);
    let stages: HashSet<&str> = deals.iter().filter_map(|d| prop(d, "dealstage")).collect();
    assert!(
        stages.contains("closedwon") && stages.contains("closedlost"),
        "{stages:?}"
    );
    for d in deals {
        assert_eq!(prop(d, "pipeline"), Some("default"));
        assert!(prop(d, "amount").unwrap().parse::<f64>().is_ok());
        assert_eq!(
            d["associations"]["contacts"]["results"][0]["type"],
            "deal_to_contact"
        );
    }
    let deal_id = deals[0]["id"].as_str().unwrap();
    let contact_id = deals[0]["associations"]["contacts"]["results"][0]["id"].clone();
    let back = api
        .post(
            "/crm/v4/associations/contacts/deals/batch/read",
            json!({"inputs": [{"id": contact_id}]}),
        )
        .await
        .json();
    let to = &back["results"][0]["to"][0];
    assert_eq!(to["toObjectId"].to_string(), deal_id);
    assert_eq!(to["associationTypes"][0]["typeId"], 4);
    // Every opportunity contact has an open deal.
    let opp = first_with_stage(&api, "opportunity").await;
    let r = api
        .post(
            "/crm/v4/associations/contacts/deals/batch/read",
            json!({"inputs": [{"id": opp["id"]}]}),
        )
        .await
        .json();
    let deal = r["results"][0]["to"][0]["toObjectId"].to_string();
    let d = api
        .get(&format!(
            "/crm/v3/objects/deals/{deal}?properties=dealstage"
        ))
        .await
        .json();
    assert!(!prop(&d, "dealstage").unwrap().starts_with("closed"));
}

#[tokio::test]
async fn burst_limit_answers_429_with_hubspot_body() {
    let api = sim_with(50, |o| o.burst_limit = 5).await;
    for i in 0..5u32 {
        let r = api.get("/crm/v3/objects/contacts?limit=1").await;
        assert_eq!(r.status, 200);
        let h = |k: &str| {
            r.headers
                .get(k)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        assert_eq!(h("x-hubspot-ratelimit-max").as_deref(), Some("5"));
        assert_eq!(
            h("x-hubspot-ratelimit-remaining"),
            Some((4 - i).to_string())
        );
        assert_eq!(
            h("x-hubspot-ratelimit-interval-milliseconds").as_deref(),
            Some("10000")
        );
        assert!(
            h("x-hubspot-ratelimit-daily").is_some()
                && h("x-hubspot-ratelimit-daily-remaining").is_some()
        );
    }
    let r = api.get("/crm/v3/objects/contacts?limit=1").await;
    assert_eq!(r.status, 429);
    let body = r.json();
    assert_eq!(body["status"], "error");
    assert_eq!(body["errorType"], "RATE_LIMIT");
    assert_eq!(body["policyName"], "TEN_SECONDLY_ROLLING");
    assert_eq!(
        body["message"],
        "You have reached your ten_secondly_rolling limit."
    );
    assert!(body["correlationId"].is_string());
    assert!(r.headers.contains_key("retry-after"));
    let stats = api.get("/_sim/stats").await.json();
    assert_eq!(
        (stats["requests"].as_u64(), stats["rate_limited"].as_u64()),
        (Some(6), Some(1))
    );
}

#[tokio::test]
async fn same_seed_and_now_give_identical_pages() {
    let path = "/crm/v3/objects/contacts?limit=100&properties=email,lifecyclestage,hs_lead_status,hubspot_owner_id,hs_lifecyclestage_marketingqualifiedlead_date";
    // The paging link names the server's own (random) port; everything else must match.
    let page =
        |api: Api| async move { api.get(path).await.text.replace(&api.sim.base_url, "BASE") };
    let a = page(sim(400).await).await;
    let b = page(sim(400).await).await;
    assert_eq!(a, b);
    assert!(
        a.starts_with("{\"results\":[{\"id\":\"1001\",\"properties\":{"),
        "HubSpot's key order: {}",
        &a[..60]
    );
    let c = page(sim_with(400, |o| o.seed = 43).await).await;
    assert_ne!(a, c, "a different seed gives a different world");
}

#[tokio::test]
async fn world_contains_sla_breaches_and_feedback() {
    let api = sim(1000).await;
    let day_ago = (now() - chrono::Duration::days(1))
        .timestamp_millis()
        .to_string();
    let mql_date = json!({"propertyName": "hs_lifecyclestage_marketingqualifiedlead_date", "operator": "LT", "value": day_ago});
    let mql = json!({"propertyName": "lifecyclestage", "operator": "EQ", "value": "marketingqualifiedlead"});
    let overdue = json!({"filterGroups": [
        {"filters": [mql.clone(), mql_date.clone(), {"propertyName": "hs_lead_status", "operator": "NOT_HAS_PROPERTY"}]},
        {"filters": [mql.clone(), mql_date, {"propertyName": "hs_lead_status", "operator": "EQ", "value": "NEW"}]},
    ]});
    let (total, _) = api.search_all("contacts", overdue).await;
    assert!(total >= 5, "overdue MQLs: {total}");
    // Fresh MQLs, still inside a 4-business-hour window (NOW is Wednesday 15:30).
    let fresh = json!({"filterGroups": [{"filters": [mql.clone(),
        {"propertyName": "hs_lifecyclestage_marketingqualifiedlead_date", "operator": "GT", "value": "2026-11-18T11:30:00Z"},
        {"propertyName": "hubspot_owner_id", "operator": "NOT_HAS_PROPERTY"}]}]});
    assert!(api.search_all("contacts", fresh).await.0 >= 3);
    // Accepted leads with no sales activity since acceptance, accepted over 3 days ago.
    let accepted = json!({"filterGroups": [{"filters": [mql,
        {"propertyName": "hs_lead_status", "operator": "EQ", "value": "OPEN"},
        {"propertyName": "hubspot_owner_assigneddate", "operator": "LT", "value": "2026-11-15T15:30:00Z"}]}],
        "properties": ["hubspot_owner_assigneddate", "notes_last_contacted"]});
    let (_, sal) = api.search_all("contacts", accepted).await;
    let silent = sal
        .iter()
        .filter(|o| {
            o["properties"]["notes_last_contacted"]
                .as_str()
                .is_none_or(|t| ts(&json!(t)) < ts(&o["properties"]["hubspot_owner_assigneddate"]))
        })
        .count();
    assert!(silent >= 4, "silent SALs: {silent}");
    // Nurture leads recycled over 14 days ago with no marketing email since.
    let nurture = json!({"filterGroups": [{"filters": [
        {"propertyName": "hs_lead_status", "operator": "EQ", "value": "BAD_TIMING"},
        {"propertyName": "hs_lifecyclestage_lead_date", "operator": "LT", "value": "2026-11-04T15:30:00Z"}]}],
        "properties": ["hs_lifecyclestage_lead_date", "hs_email_last_send_date"]});
    let (_, nur) = api.search_all("contacts", nurture).await;
    let forgotten = nur
        .iter()
        .filter(|o| {
            o["properties"]["hs_email_last_send_date"]
                .as_str()
                .is_none_or(|t| ts(&json!(t)) < ts(&o["properties"]["hs_lifecyclestage_lead_date"]))
        })
        .count();
    assert!(forgotten >= 4, "forgotten nurture leads: {forgotten}");
    // Messaging feedback notes in tandem's tag-line format.
    let fb = json!({"filterGroups": [{"filters": [{"propertyName": "hs_note_body", "operator": "CONTAINS_TOKEN", "value": "#feedback"}]}], "properties": ["hs_note_body", "hubspot_owner_id"]});
    let (n, notes) = api.search_all("notes", fb).await;
    assert!((30..=60).contains(&n), "feedback notes: {n}");
    for note in &notes {
        let first = prop(note, "hs_note_body").unwrap().lines().next().unwrap();
        assert!(first.starts_with("#feedback campaign=\""), "{first}");
        assert!(
            first.ends_with("verdict=works") || first.ends_with("verdict=does_not_work"),
            "{first}"
        );
    }
    let recycle = json!({"filterGroups": [{"filters": [{"propertyName": "hs_note_body", "operator": "CONTAINS_TOKEN", "value": "#recycle"}]}]});
    assert!(api.search_all("notes", recycle).await.0 > 0);
}

#[tokio::test]
async fn injected_faults_then_recovery() {
    let api = sim(50).await;
    let path = "/crm/v3/objects/contacts?limit=1";
    assert_eq!(
        api.post("/_sim/faults", json!({"status": 500, "count": 2}))
            .await
            .status,
        200
    );
    for _ in 0..2 {
        let r = api.get(path).await;
        assert_hubspot_error(&r, 500, "INTERNAL_ERROR");
        assert!(r.headers.contains_key("x-hubspot-ratelimit-remaining"));
    }
    assert_eq!(api.get(path).await.status, 200);

    api.post(
        "/_sim/faults",
        json!({"kind": "malformed_json", "count": 1}),
    )
    .await;
    let broken = api.get(path).await;
    assert_eq!(broken.status, 200);
    assert!(
        serde_json::from_str::<Value>(&broken.text).is_err(),
        "truncated: {}",
        broken.text
    );
    assert!(serde_json::from_str::<Value>(&api.get(path).await.text).is_ok());

    api.post(
        "/_sim/faults",
        json!({"kind": "delay", "millis": 300, "count": 1}),
    )
    .await;
    let started = Instant::now();
    assert_eq!(api.get(path).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    let stats = api.get("/_sim/stats").await.json();
    assert_eq!(stats["faults_injected"], 4);
    let bad = api.post("/_sim/faults", json!({"kind": "explode"})).await;
    assert_hubspot_error(&bad, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn malformed_requests_get_hubspot_bodies() {
    let api = sim(50).await;
    let r = api
        .http
        .post(format!(
            "{}/crm/v3/objects/contacts/search",
            api.sim.base_url
        ))
        .bearer_auth(&api.sim.token)
        .header("content-type", "application/json")
        .body("{\"filterGroups\": [")
        .send()
        .await
        .unwrap();
    let resp = Resp {
        status: r.status(),
        headers: r.headers().clone(),
        text: r.text().await.unwrap(),
    };
    let body = assert_hubspot_error(&resp, 400, "VALIDATION_ERROR");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid input JSON")
    );
    assert_hubspot_error(
        &api.get("/crm/v3/no/such/route").await,
        404,
        "OBJECT_NOT_FOUND",
    );
    assert_hubspot_error(
        &api.get("/crm/v3/objects/widgets").await,
        400,
        "VALIDATION_ERROR",
    );
    let stats = api.get("/_sim/stats").await.json();
    assert_eq!(stats["writes"], 0);
    api.sim.shutdown().await;
}

#[tokio::test]
async fn live_world_serves_and_shuts_down() {
    let mut opts = SimOptions::new(7, 200);
    opts.tick = Duration::from_millis(10);
    let started = Utc::now() - chrono::Duration::seconds(1);
    let sim = start(opts).await.expect("live sim starts");
    let http = reqwest::Client::new();
    let url = format!(
        "{}/crm/v3/objects/contacts?limit=1&properties=createdate",
        sim.base_url
    );
    let r = http.get(&url).bearer_auth(&sim.token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // A live world is generated relative to the real clock.
    let body: Value = r.json().await.unwrap();
    let created = ts(&body["results"][0]["properties"]["createdate"]);
    assert!(created < started && created > started - chrono::Duration::days(121));
    tokio::time::timeout(Duration::from_secs(10), sim.shutdown())
        .await
        .expect("shutdown completes");
    assert!(http.get(&url).send().await.is_err(), "no longer listening");
}
