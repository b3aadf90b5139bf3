//! Auth, list paging, property shapes and search.

use super::*;

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

/// A search the modification index answers (a poll's window, a load's high-water mark)
/// gives exactly what a full scan gives: the same records, order, total and paging, before
/// and after writes, for deals and notes too. A filter on another property sends the very
/// same question down the scan.
#[tokio::test]
async fn searches_on_the_modified_date_match_a_full_scan() {
    let api = sim_with(600, |o| {
        o.burst_limit = 100_000;
        o.index_lag = std::time::Duration::from_millis(5);
    })
    .await;
    let page = |kind: &str, body: &Value, scan: bool| {
        let mut body = body.clone();
        if scan {
            let extra = json!({"propertyName": "hs_object_id", "operator": "HAS_PROPERTY"});
            let filters = body
                .get_mut("filterGroups")
                .and_then(|g| g.get_mut(0))
                .and_then(|g| g.get_mut("filters"))
                .and_then(Value::as_array_mut);
            match filters {
                Some(filters) => filters.push(extra),
                None => body["filterGroups"] = json!([{"filters": [extra]}]),
            }
        }
        let path = format!("/crm/v3/objects/{kind}/search");
        let api = &api;
        async move {
            let v = api.post(&path, body).await.json();
            (
                v["total"].clone(),
                v["results"].clone(),
                v["paging"].clone(),
            )
        }
    };
    let stamps = |kind: &'static str, prop: &'static str| {
        let api = &api;
        async move {
            let all = api.list_all(kind, prop).await;
            let mut t: Vec<i64> = all
                .iter()
                .map(|o| ts(&o["properties"][prop]).timestamp_millis())
                .collect();
            t.sort();
            t
        }
    };
    for round in 0..2 {
        for (kind, prop) in [
            ("contacts", "lastmodifieddate"),
            ("deals", "hs_lastmodifieddate"),
            ("notes", "hs_lastmodifieddate"),
        ] {
            let t = stamps(kind, prop).await;
            let (lo, mid) = (t[t.len() / 4], t[t.len() / 2]);
            let bodies = [
                json!({"filterGroups": [{"filters": [{"propertyName": prop, "operator": "GTE", "value": mid.to_string()}]}],
                       "sorts": [{"propertyName": prop, "direction": "ASCENDING"}], "limit": 7, "after": "3"}),
                json!({"filterGroups": [{"filters": [{"propertyName": prop, "operator": "GT", "value": lo.to_string()},
                                                     {"propertyName": prop, "operator": "LTE", "value": mid.to_string()}]}],
                       "sorts": [{"propertyName": prop, "direction": "DESCENDING"}], "limit": 20}),
                json!({"sorts": [{"propertyName": prop, "direction": "DESCENDING"}], "limit": 1}),
                json!({"filterGroups": [{"filters": [{"propertyName": prop, "operator": "EQ", "value": mid.to_string()}]}],
                       "sorts": [prop], "limit": 5}),
            ];
            for body in &bodies {
                let fast = page(kind, body, false).await;
                let scan = page(kind, body, true).await;
                assert_eq!(fast, scan, "round {round}, {kind}: {body}");
                assert!(fast.0.as_u64().unwrap() > 0, "{kind}: {body}");
            }
        }
        // Writes move records in the index: the next round asks again.
        for id in ["1001", "1002", "1003", "1500"] {
            let r = api
                .patch(
                    &format!("/crm/v3/objects/contacts/{id}"),
                    json!({"properties": {"jobtitle": format!("round {round}")}}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
    }
}
