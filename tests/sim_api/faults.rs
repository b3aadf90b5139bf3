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
    // A live world is generated relative to the real clock (the start of its hour), with
    // 25 weeks of business time behind it.
    let body: Value = r.json().await.unwrap();
    let created = ts(&body["results"][0]["properties"]["createdate"]);
    assert!(created < started && created > started - chrono::Duration::days(180));
    tokio::time::timeout(Duration::from_secs(10), sim.shutdown())
        .await
        .expect("shutdown completes");
    assert!(http.get(&url).send().await.is_err(), "no longer listening");
}

#[tokio::test]
async fn a_429_fault_carries_its_retry_after_and_a_reset_breaks_the_body() {
    let api = sim(50).await;
    let path = "/crm/v3/objects/contacts?limit=5";
    api.post("/_sim/faults", json!({"status": 429, "retry_after": 86400}))
        .await;
    let limited = api.get(path).await;
    assert_hubspot_error(&limited, 429, "RATE_LIMITS");
    assert_eq!(limited.headers["retry-after"], "86400");

    api.post("/_sim/faults", json!({"kind": "reset"})).await;
    assert!(
        fetch(&api, path).await.is_err(),
        "the connection breaks off"
    );
    assert_eq!(
        api.get(path).await.status,
        200,
        "the next request is served"
    );
    api.sim.shutdown().await;
}

/// Status and body, or the transport error when the connection breaks (before or after the
/// headers: the server flushes them with the first bytes of the body).
async fn fetch(api: &Api, path: &str) -> Result<(u16, Vec<u8>), reqwest::Error> {
    let r = api
        .http
        .get(format!("{}{path}", api.sim.base_url))
        .bearer_auth(&api.sim.token)
        .send()
        .await?;
    let status = r.status().as_u16();
    Ok((status, r.bytes().await?.to_vec()))
}

/// The statuses a mix hands out to `n` requests, as a compact string.
async fn mix_outcomes(seed: u64, n: usize) -> String {
    let api = sim(20).await;
    let mix = json!({"kind": "mix", "seed": seed, "error_5xx": 0.3, "rate_limit": 0.2,
                     "truncated": 0.1, "reset": 0.1, "slow": 0.1, "slow_millis": 1,
                     "retry_after": 0});
    assert_eq!(api.post("/_sim/faults", mix).await.status, 200);
    let mut seen = String::new();
    for _ in 0..n {
        seen.push_str(
            &match fetch(&api, "/crm/v3/objects/contacts?limit=2").await {
                Err(_) => "reset ".to_string(),
                Ok((200, b)) if serde_json::from_slice::<Value>(&b).is_err() => "cut ".to_string(),
                Ok((status, _)) => format!("{status} "),
            },
        );
    }
    assert_eq!(
        api.http
            .delete(format!("{}/_sim/faults", api.sim.base_url))
            .bearer_auth(&api.sim.token)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        api.get("/crm/v3/objects/contacts?limit=1").await.status,
        200,
        "mix ended"
    );
    api.sim.shutdown().await;
    seen
}

#[tokio::test]
async fn a_fault_mix_is_the_same_for_the_same_seed_and_has_every_kind() {
    let a = mix_outcomes(3, 60).await;
    assert_eq!(a, mix_outcomes(3, 60).await, "same seed, same faults");
    assert_ne!(a, mix_outcomes(4, 60).await, "another seed, other faults");
    for kind in ["200", "429", "reset", "cut"] {
        assert!(a.contains(kind), "{kind} missing from {a}");
    }
    assert!(
        a.contains("500") || a.contains("502") || a.contains("503"),
        "{a}"
    );
    let api = sim(20).await;
    let bad = json!({"kind": "mix", "error_5xx": 0.8, "rate_limit": 0.5});
    assert_hubspot_error(
        &api.post("/_sim/faults", bad).await,
        400,
        "VALIDATION_ERROR",
    );
    api.sim.shutdown().await;
}
