//! The simulated Marketo REST API over the same world: the identity service, the envelope
//! (HTTP 200 with `success: false` and quoted integer codes), paging tokens, token expiry
//! and the 606 rate limit.

use super::*;

/// An access token from the identity service.
async fn access(api: &Api) -> String {
    let r = api
        .http
        .get(format!("{}/identity/oauth/token", api.sim.base_url))
        .query(&[
            ("grant_type", "client_credentials"),
            ("client_id", "tandem-sim"),
            ("client_secret", api.sim.token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert!(body["expires_in"].as_u64().is_some(), "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

async fn rest(api: &Api, token: &str, path: &str, query: &[(&str, &str)]) -> Value {
    let r = api
        .http
        .get(format!("{}{path}", api.sim.base_url))
        .query(query)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "Marketo answers errors with 200 too");
    r.json().await.unwrap()
}

fn code(body: &Value) -> Option<&str> {
    body["errors"][0]["code"].as_str()
}

#[tokio::test]
async fn the_identity_service_issues_tokens_only_for_the_sims_client() {
    let api = sim(50).await;
    let bad = api
        .http
        .get(format!("{}/identity/oauth/token", api.sim.base_url))
        .query(&[
            ("grant_type", "client_credentials"),
            ("client_id", "tandem-sim"),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    let token = access(&api).await;
    let ok = rest(&api, &token, "/rest/v1/activities/types.json", &[]).await;
    assert_eq!(ok["success"], true);
    let refused = rest(&api, "not-issued", "/rest/v1/activities/types.json", &[]).await;
    assert_eq!(
        (refused["success"].as_bool(), code(&refused)),
        (Some(false), Some("601"))
    );
    // The HubSpot token is not a Marketo access token.
    let hs = rest(&api, &api.sim.token, "/rest/v1/activities/types.json", &[]).await;
    assert_eq!(code(&hs), Some("601"));
    api.sim.shutdown().await;
}

#[tokio::test]
async fn an_expired_token_is_602() {
    let api = sim_with(20, |o| o.token_ttl = Duration::ZERO).await;
    let token = access(&api).await;
    let body = rest(&api, &token, "/rest/v1/activities/types.json", &[]).await;
    assert_eq!(code(&body), Some("602"), "{body}");
    api.sim.shutdown().await;
}

#[tokio::test]
async fn past_the_call_limit_calls_are_606() {
    // A burst of 19 scales Marketo's 100 calls per 20 s down to 10.
    let api = sim_with(20, |o| o.burst_limit = 19).await;
    let token = access(&api).await;
    let mut codes = Vec::new();
    for _ in 0..12 {
        let b = rest(&api, &token, "/rest/v1/activities/types.json", &[]).await;
        codes.push(code(&b).unwrap_or("ok").to_string());
    }
    assert_eq!(codes.iter().filter(|c| *c == "ok").count(), 10, "{codes:?}");
    assert_eq!(codes.last().map(String::as_str), Some("606"));
    api.sim.shutdown().await;
}

#[tokio::test]
async fn leads_join_by_sfdc_lead_id_and_activities_page_by_token_to_the_end() {
    let api = sim(120).await;
    let token = access(&api).await;
    let body = rest(
        &api,
        &token,
        "/rest/v1/leads.json",
        &[
            ("filterType", "sfdcLeadId"),
            ("filterValues", "00Q000000000001001"),
            ("fields", "id,email,sfdcLeadId"),
        ],
    )
    .await;
    assert_eq!(body["result"][0]["id"], 1001);
    assert_eq!(body["result"][0]["sfdcLeadId"], "00Q000000000001001");
    let unknown = rest(
        &api,
        &token,
        "/rest/v1/leads.json",
        &[
            ("filterType", "id"),
            ("filterValues", "1001"),
            ("fields", "nosuchfield"),
        ],
    )
    .await;
    assert_eq!(code(&unknown), Some("1006"));
    let start = rest(
        &api,
        &token,
        "/rest/v1/activities/pagingtoken.json",
        &[("sinceDatetime", "2020-01-01T00:00:00Z")],
    )
    .await;
    let mut next = start["nextPageToken"].as_str().unwrap().to_string();
    let mut ids = BTreeSet::new();
    let mut pages = 0;
    loop {
        let page = rest(
            &api,
            &token,
            "/rest/v1/activities.json",
            &[
                ("nextPageToken", next.as_str()),
                ("activityTypeIds", "6,104"),
                ("batchSize", "100"),
            ],
        )
        .await;
        pages += 1;
        for a in page["result"].as_array().into_iter().flatten() {
            assert!(ids.insert(a["id"].as_u64().unwrap()), "no activity twice");
            assert!([6, 104].contains(&a["activityTypeId"].as_u64().unwrap()));
        }
        next = page["nextPageToken"].as_str().unwrap().to_string();
        if page["moreResult"] == false {
            break;
        }
    }
    assert!(
        pages > 1 && ids.len() > 100,
        "{pages} pages, {} activities",
        ids.len()
    );
    // At the end the token still works and says nothing more (no `result` at all).
    let after = rest(
        &api,
        &token,
        "/rest/v1/activities.json",
        &[("nextPageToken", next.as_str()), ("activityTypeIds", "6")],
    )
    .await;
    assert_eq!(
        (after["moreResult"].as_bool(), after.get("result")),
        (Some(false), None)
    );
    api.sim.shutdown().await;
}

/// Every activity `path` pages out from `next` (with `extra` parameters), and the token
/// it ends on.
async fn read_log(
    api: &Api,
    token: &str,
    path: &str,
    mut next: String,
    extra: &[(&str, &str)],
) -> (Vec<Value>, String) {
    let mut out = Vec::new();
    loop {
        let mut q = vec![("nextPageToken", next.as_str()), ("batchSize", "300")];
        q.extend_from_slice(extra);
        let page = rest(api, token, path, &q).await;
        out.extend(page["result"].as_array().into_iter().flatten().cloned());
        next = page["nextPageToken"].as_str().unwrap().to_string();
        if page["moreResult"] == false {
            return (out, next);
        }
    }
}

#[tokio::test]
async fn the_activity_log_pages_in_time_order_and_follows_the_world() {
    // The whole log is served from a kept, time-ordered index; each lead's own activities
    // are built from the world on each request. The two must agree, before and after a
    // write.
    let api = sim(400).await;
    let token = access(&api).await;
    let start = rest(
        &api,
        &token,
        "/rest/v1/activities/pagingtoken.json",
        &[("sinceDatetime", "2020-01-01T00:00:00Z")],
    )
    .await["nextPageToken"]
        .as_str()
        .unwrap()
        .to_string();
    let types = [("activityTypeIds", "6"), ("activityTypeIds", "104")];
    let (log, _) = read_log(
        &api,
        &token,
        "/rest/v1/activities.json",
        start.clone(),
        &types,
    )
    .await;
    let key = |a: &Value| {
        (
            a["activityDate"].as_str().unwrap().to_string(),
            a["id"].as_u64().unwrap(),
        )
    };
    let keys: Vec<_> = log.iter().map(key).collect();
    assert!(
        keys.windows(2).all(|k| k[0] < k[1]),
        "oldest first, none twice"
    );
    let mut leads: Vec<u64> = log.iter().map(|a| a["leadId"].as_u64().unwrap()).collect();
    leads.sort_unstable();
    leads.dedup();
    let mut by_lead = Vec::new();
    for chunk in leads.chunks(30) {
        let ids: Vec<String> = chunk.iter().map(u64::to_string).collect();
        let mut extra: Vec<(&str, &str)> = types.to_vec();
        extra.extend(ids.iter().map(|i| ("leadIds", i.as_str())));
        by_lead.extend(
            read_log(
                &api,
                &token,
                "/rest/v1/activities.json",
                start.clone(),
                &extra,
            )
            .await
            .0,
        );
    }
    by_lead.sort_by_key(key);
    assert_eq!(log, by_lead, "the log is every lead's activities, in order");

    // A status change in Salesforce shows in the log read on from where it ended.
    let fields = [("fields", "leadStatus")];
    let (changes, end) = read_log(
        &api,
        &token,
        "/rest/v1/activities/leadchanges.json",
        start.clone(),
        &fields,
    )
    .await;
    assert!(!changes.is_empty());
    let lead = leads[leads.len() / 2];
    let r = api
        .patch(
            &format!("/services/data/v60.0/sobjects/Lead/00Q{lead:015}"),
            json!({ "Status": "Nurture" }),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let (new, _) = read_log(
        &api,
        &token,
        "/rest/v1/activities/leadchanges.json",
        end,
        &fields,
    )
    .await;
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0]["leadId"], lead);
    assert_eq!(new[0]["fields"][0]["newValue"], "Nurture");
    api.sim.shutdown().await;
}
