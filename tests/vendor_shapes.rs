//! Odd shapes the vendors' docs allow, served by a tiny stand-in: nulls everywhere, an empty
//! page, Salesforce's `done: false` with no further rows, and Marketo's `moreResult` with no
//! results and the same token. Each must read, and none may loop.

use std::sync::Arc;

use axum::Router;
use axum::extract::Query;
use axum::routing::get;
use serde_json::json;

use tandem::config::Config;
use tandem::sources::{Connector, Secret, Vendor, marketo_client};

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    format!("http://{addr}")
}

#[tokio::test]
async fn salesforce_pages_with_nulls_and_done_false_without_a_next_url_end() {
    let app = Router::new().route(
        "/services/data/v60.0/query",
        get(
            |Query(q): Query<std::collections::HashMap<String, String>>| async move {
                let soql = q.get("q").cloned().unwrap_or_default();
                let body = if soql.contains("FROM User") {
                    // `done: false`, yet no `nextRecordsUrl`: nothing further to read.
                    json!({ "totalSize": 5, "done": false, "records": [
                        { "attributes": {}, "Id": "005000000000000001", "Name": null,
                          "Email": null, "Department": null, "IsActive": null }
                    ]})
                } else if soql.contains("FROM OpportunityStage") {
                    json!({ "totalSize": 0, "done": true, "records": [] })
                } else {
                    json!({ "totalSize": 0, "done": true, "records": null })
                };
                axum::Json(body)
            },
        ),
    );
    let base = serve(app).await;
    let config = Config::builtin();
    let mut sf = Connector::new(
        Vendor::Salesforce,
        &base,
        Secret::new("t"),
        Arc::new(config.stages.clone()),
        vec![],
    )
    .expect("connector");
    let reference = sf.reference().await.expect("reads");
    assert_eq!(reference.owners.len(), 1);
    assert_eq!(reference.owners[0].name, "(no name)");
    assert_eq!(reference.owners[0].team, None);
    assert!(reference.deal_stages.is_empty());
}

#[tokio::test]
async fn marketo_more_result_without_results_and_the_same_token_ends() {
    let app = Router::new()
        .route(
            "/identity/oauth/token",
            get(|| async { axum::Json(json!({ "access_token": "a", "expires_in": 3600 })) }),
        )
        .route(
            "/rest/v1/activities.json",
            get(|| async {
                // `moreResult` without a `result`, and the token it was asked with.
                axum::Json(json!({ "requestId": "1#2", "success": true,
                                   "moreResult": true, "nextPageToken": "SAME" }))
            }),
        )
        .route(
            "/rest/v1/leads.json",
            get(|| async {
                axum::Json(json!({ "requestId": "1#3", "success": true, "result": [
                    { "id": 7, "email": null, "sfdcLeadId": null }
                ]}))
            }),
        );
    let base = serve(app).await;
    let mut m = marketo_client(&base, None, "id", Secret::new("s"), "MARKETO_CLIENT_SECRET")
        .expect("client");
    let (acts, next) = m.activities("SAME".into(), None).await.expect("reads");
    assert!(acts.is_empty());
    assert_eq!(next, "SAME");
    let leads = m
        .leads_by("id", &["7".to_string()])
        .await
        .expect("nulls read");
    assert_eq!(leads.len(), 1);
    assert_eq!(
        (leads[0].email.as_deref(), leads[0].sfdc_lead_id.as_deref()),
        (None, None)
    );
}

/// A Salesforce org of three leads (two sharing an email) beside a Marketo instance that
/// knows both emails and one lead Salesforce lacks.
fn split_stack() -> Router {
    let lead = |id: &str, email: &str| {
        json!({ "attributes": {}, "Id": id, "Email": email, "LastName": id,
                "Status": "Open - Not Contacted", "CreatedDate": "2026-11-02T10:00:00.000+0000",
                "SystemModstamp": "2026-11-02T10:00:00.000+0000" })
    };
    let leads = json!([
        lead("00Q000000000000001", "ada@example.com"),
        lead("00Q000000000000002", "bob@example.com"),
        lead("00Q000000000000003", "BOB@example.com"),
    ]);
    Router::new()
        .route(
            "/services/data/v60.0/query",
            get(move |Query(q): Query<std::collections::HashMap<String, String>>| {
                let leads = leads.clone();
                async move {
                    let soql = q.get("q").cloned().unwrap_or_default();
                    let records = if soql.contains("FROM Lead ") {
                        leads
                    } else {
                        json!([])
                    };
                    axum::Json(json!({ "done": true, "records": records }))
                }
            }),
        )
        .route(
            "/identity/oauth/token",
            get(|| async { axum::Json(json!({ "access_token": "a", "expires_in": 3600 })) }),
        )
        .route(
            "/rest/v1/activities/pagingtoken.json",
            get(|| async { axum::Json(json!({ "success": true, "nextPageToken": "T0" })) }),
        )
        .route(
            "/rest/asset/v1/programs.json",
            get(|| async {
                axum::Json(json!({ "success": true, "result": [{ "id": 7, "name": "Q4 Webinar" }] }))
            }),
        )
        .route(
            "/rest/v1/activities.json",
            get(|| async {
                axum::Json(json!({ "success": true, "moreResult": false, "nextPageToken": "T1",
                    "result": [
                        { "leadId": 10, "activityDate": "2026-11-03T10:00:00Z", "activityTypeId": 6,
                          "primaryAttributeValue": "Nurture.Email 1", "attributes": [] },
                        { "leadId": 10, "activityDate": "2026-11-05T10:00:00Z", "activityTypeId": 104,
                          "primaryAttributeValue": "Old name", "primaryAttributeValueId": 7,
                          "attributes": [{ "name": "Success", "value": true }] },
                        { "leadId": 99, "activityDate": "2026-11-04T10:00:00Z", "activityTypeId": 104,
                          "primaryAttributeValue": "Webinar",
                          "attributes": [{ "name": "Success", "value": true }] }
                    ]}))
            }),
        )
        .route(
            "/rest/v1/leads.json",
            get(|Query(q): Query<Vec<(String, String)>>| async move {
                let by_email = q.iter().any(|(k, v)| k == "filterType" && v == "email");
                let result = if by_email {
                    json!([
                        { "id": 10, "email": "ada@example.com", "sfdcLeadId": null },
                        { "id": 20, "email": "bob@example.com", "sfdcLeadId": null }
                    ])
                } else {
                    json!([])
                };
                axum::Json(json!({ "success": true, "result": result }))
            }),
        )
}

#[tokio::test]
async fn leads_join_by_email_and_what_cannot_be_joined_is_reported_not_guessed() {
    let base = serve(split_stack()).await;
    let config = Config::builtin();
    let crm = Connector::new(
        Vendor::SalesforceMarketo,
        &base,
        Secret::new("t"),
        Arc::new(config.stages.clone()),
        vec![],
    )
    .expect("crm");
    let map =
        marketo_client(&base, None, "id", Secret::new("s"), "MARKETO_CLIENT_SECRET").expect("map");
    let mut joined = Connector::salesforce_marketo(crm, map, Some(1001), &config.stages);
    let (store, _) = tandem::sync::load_store(&mut joined).await.expect("loads");
    assert_eq!(
        store.leads().len(),
        3,
        "every CRM lead is kept, joined or not"
    );
    let ada = store.lead("00Q000000000000001").expect("ada");
    assert_eq!(ada.history.marketing_touches().len(), 1, "joined by email");
    // A campaign goes by its program's name as the programs list has it now.
    assert_eq!(ada.first_campaign.as_deref(), Some("Q4 Webinar"));
    let bob = store.lead("00Q000000000000002").expect("bob");
    assert!(
        bob.history.marketing_touches().is_empty(),
        "not joined by guess"
    );
    let conflicts = joined.join_conflicts().join("\n");
    assert!(
        conflicts.contains("bob@example.com: 2 Salesforce lead(s) and 1 Marketo lead(s)"),
        "{conflicts}"
    );
    assert!(
        conflicts.contains("Marketo lead 99 has no Salesforce record"),
        "{conflicts}"
    );
    assert_eq!(
        joined.join_conflicts().len(),
        2,
        "one line per conflict: {conflicts}"
    );
}
