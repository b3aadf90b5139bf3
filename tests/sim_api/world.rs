//! Owners, the deal pipeline, deal associations, rate limits and the seeded world.

use super::*;

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
