//! Every request tandem sends, history included, checked against HubSpot's own OpenAPI
//! description of the operation (HubSpot/HubSpot-public-api-spec-collection, read at
//! 99893791383254f52aa07662baeb98aad65cc710):
//!
//! - `PublicApiSpecs/CRM/Contacts/Rollouts/424/v3/contacts.json`, and the Deals and Notes
//!   files beside it: list, read, PATCH, batch read (`BatchReadInputSimplePublicObjectId`:
//!   `inputs`, `properties` and `propertiesWithHistory` all required), search
//!   (`PublicObjectSearchRequest`: `after`, `filterGroups`, `limit`, `properties`, `sorts`
//!   required; `limit` up to 200; up to 6 filter groups), note create
//!   (`SimplePublicObjectInputForCreate`);
//! - `PublicApiSpecs/CRM/Associations/Rollouts/130902/v4/associations.json`: batch read;
//! - `PublicApiSpecs/CRM/Crm Owners/Rollouts/146888/v3/crmOwners.json`: owners;
//! - `PublicApiSpecs/CRM/Pipelines/Rollouts/145896/v3/pipelines.json`: pipelines.
//!
//! Two limits are HubSpot's documentation rather than the files, which only say history
//! "will reduce the maximum": list pages of at most 100, and 50 with `propertiesWithHistory`
//! (list and batch read alike). One deviation is deliberate: the files type `sorts` items as
//! strings, but HubSpot's search only honours `{propertyName, direction}` objects, as its
//! own guides show (HubSpot/hubspot-api-nodejs#559, hubspot-api-ruby#257); tandem sends
//! objects, and this test checks their shape.
//!
//! The requests come from the simulated HubSpot's journal (`GET /_sim/requests`) after a
//! cold load, an incremental poll, and a hand-off, accept and recycle with their undos.

mod common;

use std::collections::BTreeSet;

use serde_json::{Value, json};

use common::actions::{outcome, queue, queue_undo, seen_store, worker};
use common::{client, get_json, patch_contact};
use tandem::domain::Stage;
use tandem::domain::action::{ActionKind, ActionStatus};
use tandem::sim::SimOptions;
use tandem::sync::SourceCommand;

const LIST_QUERY: &[&str] = &[
    "limit",
    "after",
    "properties",
    "propertiesWithHistory",
    "associations",
    "archived",
];
const READ_QUERY: &[&str] = &[
    "properties",
    "propertiesWithHistory",
    "associations",
    "archived",
    "idProperty",
];
const OPERATORS: &[&str] = &[
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
];
const CATEGORIES: &[&str] = &[
    "HUBSPOT_DEFINED",
    "USER_DEFINED",
    "INTEGRATOR_DEFINED",
    "WORK",
];
const OBJECTS: &[&str] = &["contacts", "deals", "notes"];

/// The query as (name, value) pairs, decoded.
fn query(raw: &str) -> Vec<(String, String)> {
    let url = reqwest::Url::parse(&format!("http://sim/?{raw}")).expect("a query string");
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

fn strings(v: &Value) -> bool {
    v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
}

/// What is wrong with one request, if anything.
fn check(method: &str, path: &str, raw_query: &str, body: &Value) -> Result<(), String> {
    let q = query(raw_query);
    let only = |allowed: &[&str]| match q.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        Some((k, _)) => Err(format!("query parameter {k} is not in the operation")),
        None => Ok(()),
    };
    let param = |name: &str| q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let history = |names: Option<&str>| names.is_some_and(|n| !n.is_empty());
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segs.as_slice()) {
        ("GET", ["crm", "v3", "objects", object]) if OBJECTS.contains(object) => {
            only(LIST_QUERY)?;
            let limit: u32 = param("limit")
                .ok_or("a list names its page size")?
                .parse()
                .map_err(|_| "limit is an int32")?;
            let max = if history(param("propertiesWithHistory")) {
                50
            } else {
                100
            };
            if limit == 0 || limit > max {
                return Err(format!("limit {limit} outside 1..={max}"));
            }
            if let Some(a) = param("archived")
                && !["true", "false"].contains(&a)
            {
                return Err(format!("archived={a} is no boolean"));
            }
            Ok(())
        }
        ("GET", ["crm", "v3", "objects", object, _id]) if OBJECTS.contains(object) => {
            only(READ_QUERY)
        }
        ("PATCH", ["crm", "v3", "objects", object, _id]) if OBJECTS.contains(object) => {
            only(&["idProperty"])?;
            if keys(body) != BTreeSet::from(["properties"]) {
                return Err(format!("SimplePublicObjectInput is {{properties}}: {body}"));
            }
            match body["properties"].as_object() {
                Some(p) if p.values().all(Value::is_string) => Ok(()),
                _ => Err(format!("properties map names to strings: {body}")),
            }
        }
        ("DELETE", ["crm", "v3", "objects", object, _id]) if OBJECTS.contains(object) => only(&[]),
        ("POST", ["crm", "v3", "objects", object, "batch", "read"]) if OBJECTS.contains(object) => {
            only(&["archived"])?;
            let required = BTreeSet::from(["inputs", "properties", "propertiesWithHistory"]);
            let allowed = BTreeSet::from([
                "inputs",
                "properties",
                "propertiesWithHistory",
                "idProperty",
            ]);
            if !required.is_subset(&keys(body)) || !keys(body).is_subset(&allowed) {
                return Err(format!("BatchReadInputSimplePublicObjectId: {body}"));
            }
            if !strings(&body["properties"]) || !strings(&body["propertiesWithHistory"]) {
                return Err(format!("property lists are strings: {body}"));
            }
            let inputs = body["inputs"].as_array().ok_or("inputs is an array")?;
            if !inputs
                .iter()
                .all(|i| keys(i) == BTreeSet::from(["id"]) && i["id"].is_string())
            {
                return Err(format!("each input is {{id: string}}: {body}"));
            }
            let with_history = !body["propertiesWithHistory"].as_array().unwrap().is_empty();
            let max = if with_history { 50 } else { 100 };
            if inputs.is_empty() || inputs.len() > max {
                return Err(format!("{} inputs, at most {max}", inputs.len()));
            }
            Ok(())
        }
        ("POST", ["crm", "v3", "objects", object, "search"]) if OBJECTS.contains(object) => {
            only(&[])?;
            let required =
                BTreeSet::from(["after", "filterGroups", "limit", "properties", "sorts"]);
            let allowed = BTreeSet::from([
                "after",
                "filterGroups",
                "limit",
                "properties",
                "sorts",
                "query",
            ]);
            if !required.is_subset(&keys(body)) || !keys(body).is_subset(&allowed) {
                return Err(format!("PublicObjectSearchRequest: {body}"));
            }
            if !body["after"].is_string() || !strings(&body["properties"]) {
                return Err(format!("after is a string, properties strings: {body}"));
            }
            let limit = body["limit"].as_u64().ok_or("limit is an int32")?;
            if !(1..=200).contains(&limit) {
                return Err(format!("search limit {limit} outside 1..=200"));
            }
            let groups = body["filterGroups"].as_array().ok_or("filterGroups")?;
            if groups.len() > 6 {
                return Err("more than 6 filter groups".into());
            }
            for f in groups
                .iter()
                .flat_map(|g| g["filters"].as_array().into_iter().flatten())
            {
                let ok = f["propertyName"].is_string()
                    && f["operator"]
                        .as_str()
                        .is_some_and(|o| OPERATORS.contains(&o))
                    && keys(f).is_subset(&BTreeSet::from([
                        "propertyName",
                        "operator",
                        "value",
                        "values",
                        "highValue",
                    ]))
                    && (f.get("value").is_none() || f["value"].is_string());
                if !ok {
                    return Err(format!("Filter: {f}"));
                }
            }
            for s in body["sorts"].as_array().ok_or("sorts is an array")? {
                let ok = keys(s) == BTreeSet::from(["propertyName", "direction"])
                    && ["ASCENDING", "DESCENDING"].contains(&s["direction"].as_str().unwrap_or(""));
                if !ok {
                    return Err(format!("sort: {s}"));
                }
            }
            Ok(())
        }
        ("POST", ["crm", "v3", "objects", "notes"]) => {
            only(&[])?;
            if keys(body) != BTreeSet::from(["properties", "associations"]) {
                return Err(format!("SimplePublicObjectInputForCreate: {body}"));
            }
            if !body["properties"]
                .as_object()
                .is_some_and(|p| p.values().all(Value::is_string))
            {
                return Err(format!("note properties are strings: {body}"));
            }
            for a in body["associations"].as_array().ok_or("associations")? {
                let types_ok = a["types"].as_array().is_some_and(|ts| {
                    !ts.is_empty()
                        && ts.iter().all(|t| {
                            keys(t) == BTreeSet::from(["associationCategory", "associationTypeId"])
                                && CATEGORIES
                                    .contains(&t["associationCategory"].as_str().unwrap_or(""))
                                && t["associationTypeId"].is_i64()
                        })
                });
                if keys(a) != BTreeSet::from(["to", "types"])
                    || !a["to"]["id"].is_string()
                    || !types_ok
                {
                    return Err(format!("PublicAssociationsForObject: {a}"));
                }
            }
            Ok(())
        }
        ("POST", ["crm", "v4", "associations", from, to, "batch", "read"])
            if OBJECTS.contains(from) && OBJECTS.contains(to) =>
        {
            only(&[])?;
            if keys(body) != BTreeSet::from(["inputs"]) {
                return Err(format!(
                    "BatchInputPublicFetchAssociationsBatchRequest: {body}"
                ));
            }
            let inputs = body["inputs"].as_array().ok_or("inputs")?;
            let ok = !inputs.is_empty()
                && inputs.iter().all(|i| {
                    i["id"].is_string() && keys(i).is_subset(&BTreeSet::from(["id", "after"]))
                });
            if ok {
                Ok(())
            } else {
                Err(format!("each input is {{id, after?}}: {body}"))
            }
        }
        ("GET", ["crm", "v3", "owners"] | ["crm", "v3", "owners", ""]) => {
            only(&["after", "archived", "email", "limit"])
        }
        ("GET", ["crm", "v3", "pipelines", "deals"]) => only(&[]),
        _ => Err("no such operation in HubSpot's OpenAPI files".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_tandem_sends_fits_hubspots_openapi_files() {
    let mut opts = SimOptions::new(42, 400);
    opts.now = Some(common::frozen_now());
    opts.journal = true;
    opts.burst_limit = 100_000;
    let sim = tandem::sim::start(opts).await.unwrap();

    // A cold load, then an incremental poll over a change made in the CRM.
    let mut hubspot = client(&sim);
    let (store, mut cursor) = tandem::sync::load_store(&mut hubspot).await.unwrap();
    let mql = store
        .leads()
        .iter()
        .find(|l| l.stage == Some(Stage::Mql) && l.owner_id.is_none())
        .unwrap()
        .id
        .clone();
    let other = common::actions::first_in(&store, Stage::Sql);
    patch_contact(&sim, &other, json!({ "hs_lead_status": "CONNECTED" })).await;
    let deal = store.deals()[0].id.clone();
    let moved = reqwest::Client::new()
        .patch(format!("{}/crm/v3/objects/deals/{deal}", sim.base_url))
        .bearer_auth(&sim.token)
        .json(&json!({ "properties": { "dealstage": "closedlost" } }))
        .send()
        .await
        .unwrap();
    assert!(moved.status().is_success());
    let delta = hubspot.poll(&mut cursor).await.unwrap();
    assert!(delta.leads.iter().any(|l| l.id == other));
    // The changed deal's stage history came with it: its loss is dated.
    let polled = delta.deals.iter().find(|d| d.id == deal).unwrap();
    assert_eq!(polled.stage_history.last().unwrap().1, "closedlost");

    // Actions and their undos, as the cockpit sends them.
    let outbox = common::outbox();
    let (source, mut rx) = worker(&sim, outbox.clone());
    let rep = common::sales_owner(&store);
    let mut done = Vec::new();
    for kind in [
        ActionKind::HandOff {
            owner_id: rep.clone(),
        },
        ActionKind::Accept { owner_id: rep },
        ActionKind::Recycle {
            reason: "no_budget".into(),
            note: "next quarter".into(),
            owner_id: None,
            revisit: None,
        },
    ] {
        let store = seen_store(&sim).await;
        let action = queue(&sim, &outbox, &store, &mql, kind);
        source.send(SourceCommand::Send).unwrap();
        assert_eq!(outcome(&mut rx, action.id).await, ActionStatus::Done);
        done.push(action);
    }
    while let Some(action) = done.pop() {
        let undo = queue_undo(&sim, &outbox, &action);
        source.send(SourceCommand::Send).unwrap();
        assert_eq!(outcome(&mut rx, undo.id).await, ActionStatus::Done);
    }

    let journal = get_json(&sim, "/_sim/requests", &[]).await;
    assert_eq!(journal["enabled"], true);
    let requests = journal["requests"].as_array().unwrap();
    let mut kinds = BTreeSet::new();
    let mut wrong = Vec::new();
    for r in requests {
        let (method, path) = (r["method"].as_str().unwrap(), r["path"].as_str().unwrap());
        let q = r["query"].as_str().unwrap();
        if let Err(e) = check(method, path, q, &r["body"]) {
            wrong.push(format!("{method} {path}?{q}: {e}"));
        }
        let shape: String = path
            .split('/')
            .map(|s| {
                if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() {
                    "{id}"
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let with_history = q.contains("propertiesWithHistory")
            || r["body"]["propertiesWithHistory"]
                .as_array()
                .is_some_and(|a| !a.is_empty());
        kinds.insert(format!(
            "{method} {shape}{}",
            if with_history { " +history" } else { "" }
        ));
    }
    assert!(
        wrong.is_empty(),
        "{} of {} requests:\n{}",
        wrong.len(),
        requests.len(),
        wrong.join("\n")
    );
    // The requests that carry history were all among them.
    for expected in [
        "GET /crm/v3/objects/deals +history",
        "POST /crm/v3/objects/contacts/batch/read +history",
        "POST /crm/v3/objects/deals/batch/read +history",
        "GET /crm/v3/objects/contacts/{id} +history",
        "POST /crm/v3/objects/contacts/search",
        "PATCH /crm/v3/objects/contacts/{id}",
        "POST /crm/v3/objects/notes",
        "DELETE /crm/v3/objects/notes/{id}",
    ] {
        assert!(
            kinds.contains(expected),
            "{expected} missing from {kinds:#?}"
        );
    }
    sim.shutdown().await;
}
