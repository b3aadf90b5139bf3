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
