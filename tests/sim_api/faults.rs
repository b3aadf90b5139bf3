//! Fault injection, malformed requests and a live world's lifecycle.

use super::*;

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
