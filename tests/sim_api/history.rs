//! Property history as HubSpot serves it (`propertiesWithHistory`): on list, read and batch
//! read, newest first, ending on the current value, with the write that made each change.

use super::*;

const TRACKED: &str = "lifecyclestage,hs_lead_status,hubspot_owner_id";

/// Every contact, each with the history of the tracked properties, paged as HubSpot pages
/// it with history (50 at most).
async fn with_history(api: &Api) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let path = format!(
            "/crm/v3/objects/contacts?limit=100&properties={TRACKED},hs_lifecyclestage_marketingqualifiedlead_date,hs_lifecyclestage_salesqualifiedlead_date&propertiesWithHistory={TRACKED}{after}"
        );
        let page = api.get(&path).await.json();
        let results = page["results"].as_array().unwrap();
        assert!(results.len() <= 50, "a page with history holds 50 at most");
        out.extend(results.iter().cloned());
        match page["paging"]["next"]["after"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => return out,
        }
    }
}

fn entries<'a>(o: &'a Value, prop: &str) -> &'a [Value] {
    o["propertiesWithHistory"][prop]
        .as_array()
        .map_or(&[], Vec::as_slice)
}

#[tokio::test]
async fn every_contact_has_a_history_that_ends_on_its_current_values() {
    let api = sim(400).await;
    let all = with_history(&api).await;
    assert_eq!(all.len(), 400);
    let mut recycled = 0;
    for c in &all {
        for p in TRACKED.split(',') {
            let h = entries(c, p);
            let times: Vec<DateTime<Utc>> = h.iter().map(|e| ts(&e["timestamp"])).collect();
            assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {c}");
            match prop(c, p) {
                Some(v) => assert_eq!(h[0]["value"], v, "{p} ends on the current value: {c}"),
                None => assert!(h.is_empty() || h[0]["value"] == "", "{p}: {c}"),
            }
        }
        // The latest entry into MQL is the date HubSpot stamps for it.
        let mql = entries(c, "lifecyclestage")
            .iter()
            .find(|e| e["value"] == "marketingqualifiedlead");
        if let Some(date) = prop(c, "hs_lifecyclestage_marketingqualifiedlead_date") {
            let entry = mql.expect("an MQL date has an MQL entry");
            assert_eq!(ts(&entry["timestamp"]), ts(&json!(date)), "{c}");
        }
        // A recycled lead went lead → … → cleared → lead.
        let stages: Vec<&str> = entries(c, "lifecyclestage")
            .iter()
            .map(|e| e["value"].as_str().unwrap())
            .collect();
        if prop(c, "hs_lead_status") == Some("BAD_TIMING") && stages.contains(&"") {
            recycled += 1;
            assert_eq!(stages[0], "lead", "{c}");
        }
    }
    assert!(recycled > 5, "recycles with history: {recycled}");
}

#[tokio::test]
async fn read_and_batch_read_serve_history_and_a_write_is_recorded_as_the_integrations() {
    let api = sim(120).await;
    let mql = first_with_stage(&api, "marketingqualifiedlead").await;
    let id = mql["id"].as_str().unwrap().to_string();
    let read = |id: String| {
        let api = &api;
        async move {
            api.get(&format!(
                "/crm/v3/objects/contacts/{id}?propertiesWithHistory=lifecyclestage,hubspot_owner_id"
            ))
            .await
            .json()
        }
    };
    let before = entries(&read(id.clone()).await, "lifecyclestage").len();
    let patched = api
        .patch(
            &format!("/crm/v3/objects/contacts/{id}"),
            json!({"properties": {"lifecyclestage": "salesqualifiedlead"}}),
        )
        .await;
    assert_eq!(patched.status, 200);
    let after = read(id.clone()).await;
    let h = entries(&after, "lifecyclestage");
    assert_eq!(h.len(), before + 1);
    assert_eq!(h[0]["value"], "salesqualifiedlead");
    assert_eq!(h[0]["sourceType"], "INTEGRATION");
    assert_eq!(h[0]["timestamp"], after["updatedAt"]);

    let inputs: Vec<Value> = (1001..1051).map(|i| json!({"id": i.to_string()})).collect();
    let batch = api
        .post(
            "/crm/v3/objects/contacts/batch/read",
            json!({"inputs": inputs, "properties": ["email"], "propertiesWithHistory": ["lifecyclestage"]}),
        )
        .await;
    assert_eq!(batch.status, 200);
    let results = batch.json()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 50);
    assert!(
        results
            .iter()
            .all(|r| !entries(r, "lifecyclestage").is_empty())
    );
    let inputs: Vec<Value> = (1001..1052).map(|i| json!({"id": i.to_string()})).collect();
    let too_many = api
        .post(
            "/crm/v3/objects/contacts/batch/read",
            json!({"inputs": inputs, "propertiesWithHistory": ["lifecyclestage"]}),
        )
        .await;
    assert_hubspot_error(&too_many, 400, "VALIDATION_ERROR");
    // Without history a read carries none.
    let plain = api
        .get(&format!("/crm/v3/objects/contacts/{id}"))
        .await
        .json();
    assert!(plain.get("propertiesWithHistory").is_none());
}

#[tokio::test]
async fn a_live_worlds_steps_leave_history_as_they_happen() {
    let api = sim_with(200, |o| {
        o.now = None;
        o.start = Some(Utc::now() - chrono::Duration::days(3));
    })
    .await;
    let all = with_history(&api).await;
    // Steps replayed since the start were written live, by the same code as API writes.
    let live = all
        .iter()
        .flat_map(|c| entries(c, "lifecyclestage"))
        .filter(|e| ts(&e["timestamp"]) > Utc::now() - chrono::Duration::days(3))
        .count();
    assert!(live > 0, "some stage changes in the last three days");
}
