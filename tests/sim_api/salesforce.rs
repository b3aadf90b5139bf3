//! The simulated Salesforce REST API over the same world: SOQL, `nextRecordsUrl` paging,
//! the org's lead statuses, Salesforce's error array and `Sforce-Limit-Info`.

use super::*;

fn soql_path(q: &str) -> String {
    let url = reqwest::Url::parse_with_params("http://sim/services/data/v60.0/query", &[("q", q)])
        .unwrap();
    format!("{}?{}", url.path(), url.query().unwrap())
}

/// Every record of a query, following `nextRecordsUrl` until `done`.
async fn query_all(api: &Api, q: &str) -> (u64, Vec<Value>, usize) {
    let mut path = soql_path(q);
    let mut out = Vec::new();
    let mut pages = 0;
    loop {
        let r = api.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let usage = r.headers["sforce-limit-info"].to_str().unwrap().to_string();
        assert!(
            usage.starts_with("api-usage=") && usage.ends_with("/15000"),
            "{usage}"
        );
        let body = r.json();
        pages += 1;
        out.extend(body["records"].as_array().unwrap().iter().cloned());
        if body["done"] == true {
            assert!(body.get("nextRecordsUrl").is_none());
            return (body["totalSize"].as_u64().unwrap(), out, pages);
        }
        path = body["nextRecordsUrl"].as_str().unwrap().to_string();
    }
}

/// The org's status for a contact's HubSpot stage and status, written out again here.
fn expected_status(lifecycle: &str, status: &str) -> &'static str {
    match (lifecycle, status) {
        (_, "UNQUALIFIED") => "Closed - Not Converted",
        (_, "BAD_TIMING") => "Nurture",
        ("salesqualifiedlead" | "opportunity" | "customer" | "evangelist", _) => {
            "Closed - Converted"
        }
        ("marketingqualifiedlead", "" | "NEW") => "Marketing Qualified",
        ("marketingqualifiedlead", _) => "Working - Contacted",
        _ => "Open - Not Contacted",
    }
}

#[tokio::test]
async fn every_contact_is_a_lead_paged_by_next_records_url_with_its_status() {
    let api = sim(2500).await;
    let (total, leads, pages) =
        query_all(&api, "SELECT Id, Status, IsConverted, OwnerId FROM Lead").await;
    assert_eq!((total, leads.len(), pages), (2500, 2500, 2), "2,000 a page");
    let contacts = api
        .list_all(
            "contacts",
            "lifecyclestage,hs_lead_status,hs_lifecyclestage_salesqualifiedlead_date",
        )
        .await;
    assert_eq!(contacts.len(), 2500);
    let by_id: std::collections::HashMap<String, &Value> = leads
        .iter()
        .map(|l| (l["Id"].as_str().unwrap().to_string(), l))
        .collect();
    for c in &contacts {
        let id: u64 = c["id"].as_str().unwrap().parse().unwrap();
        let lead = by_id[&format!("00Q{id:015}")];
        let want = expected_status(
            prop(c, "lifecyclestage").unwrap_or(""),
            prop(c, "hs_lead_status").unwrap_or(""),
        );
        assert_eq!(lead["Status"], want, "{c}");
        // Conversion is for good: a lead recycled after it converted stays converted.
        let qualified = prop(c, "hs_lifecyclestage_salesqualifiedlead_date").is_some();
        if want == "Closed - Converted" || qualified {
            assert_eq!(lead["IsConverted"], true, "{c}");
        } else if lead["IsConverted"] == true {
            assert!(["Nurture", "Closed - Not Converted"].contains(&want), "{c}");
        }
        assert_eq!(lead["attributes"]["type"], "Lead");
    }
    api.sim.shutdown().await;
}

#[tokio::test]
async fn an_incremental_query_returns_only_what_changed_since_in_order() {
    let api = sim(400).await;
    let (_, all, _) = query_all(&api, "SELECT Id, SystemModstamp FROM Lead").await;
    let mut stamps: Vec<String> = all
        .iter()
        .map(|l| l["SystemModstamp"].as_str().unwrap().to_string())
        .collect();
    stamps.sort();
    let since = &stamps[stamps.len() / 2];
    let since_soql = DateTime::parse_from_str(since, "%Y-%m-%dT%H:%M:%S%.3f%z")
        .unwrap()
        .to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let q = format!(
        "SELECT Id, SystemModstamp FROM Lead WHERE SystemModstamp > {since_soql} \
         ORDER BY SystemModstamp ASC"
    );
    let (_, newer, _) = query_all(&api, &q).await;
    let got: Vec<&str> = newer
        .iter()
        .map(|l| l["SystemModstamp"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = stamps
        .iter()
        .map(String::as_str)
        .filter(|s| *s > since.as_str())
        .collect();
    assert_eq!(got, want);
    assert!(!got.is_empty());
    api.sim.shutdown().await;
}

#[tokio::test]
async fn the_orgs_statuses_and_users_are_queryable() {
    let api = sim(50).await;
    let (_, statuses, _) = query_all(
        &api,
        "SELECT MasterLabel, SortOrder, IsConverted FROM LeadStatus ORDER BY SortOrder",
    )
    .await;
    let labels: Vec<&str> = statuses
        .iter()
        .map(|s| s["MasterLabel"].as_str().unwrap())
        .collect();
    assert_eq!(labels.first(), Some(&"Open - Not Contacted"));
    assert_eq!(
        statuses.iter().filter(|s| s["IsConverted"] == true).count(),
        1
    );
    let (_, users, _) = query_all(&api, "SELECT Id, Name, Department FROM User").await;
    let owners = api.get("/crm/v3/owners?limit=500").await.json();
    assert_eq!(users.len(), owners["results"].as_array().unwrap().len());
    assert!(users.iter().any(|u| u["Department"] == "Sales"));
    api.sim.shutdown().await;
}

#[tokio::test]
async fn errors_come_as_salesforces_array_with_its_codes() {
    let api = sim(20).await;
    let expired = api
        .send(
            reqwest::Method::GET,
            &soql_path("SELECT Id FROM Lead"),
            None,
            Some("stale"),
        )
        .await;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.json()[0]["errorCode"], "INVALID_SESSION_ID");
    for (q, code) in [
        ("SELECT FROM Lead", "MALFORMED_QUERY"),
        ("SELECT Nope FROM Lead", "INVALID_FIELD"),
        ("SELECT Id FROM Widget", "INVALID_TYPE"),
    ] {
        let r = api.get(&soql_path(q)).await;
        assert_eq!(r.status, 400, "{q}: {}", r.text);
        let body = r.json();
        assert_eq!(body[0]["errorCode"], code, "{q}");
        assert!(body[0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    api.sim.shutdown().await;
}

#[tokio::test]
async fn lead_history_dates_every_status_change_as_the_world_recorded_it() {
    let api = sim(600).await;
    let (_, rows, _) = query_all(
        &api,
        "SELECT LeadId, Field, OldValue, NewValue, CreatedDate FROM LeadHistory \
         WHERE Field = 'Status' ORDER BY CreatedDate ASC",
    )
    .await;
    assert!(!rows.is_empty());
    // One contact's own history, read from the HubSpot side and turned into statuses here.
    let lead = rows[rows.len() / 2]["LeadId"].as_str().unwrap().to_string();
    let id: u64 = lead.trim_start_matches("00Q").parse().unwrap();
    let c = api
        .get(&format!(
            "/crm/v3/objects/contacts/{id}?propertiesWithHistory=lifecyclestage,hs_lead_status"
        ))
        .await
        .json();
    let mut changes: Vec<(String, &str, String)> = Vec::new();
    for p in ["lifecyclestage", "hs_lead_status"] {
        for e in c["propertiesWithHistory"][p].as_array().unwrap() {
            let at = e["timestamp"].as_str().unwrap().to_string();
            changes.push((at, p, e["value"].as_str().unwrap_or("").to_string()));
        }
    }
    changes.sort();
    let (mut lifecycle, mut status) = (String::new(), String::new());
    let mut statuses: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < changes.len() {
        let at = changes[i].0.clone();
        while i < changes.len() && changes[i].0 == at {
            match changes[i].1 {
                "lifecyclestage" => lifecycle = changes[i].2.clone(),
                _ => status = changes[i].2.clone(),
            }
            i += 1;
        }
        if !lifecycle.is_empty() {
            let now = expected_status(&lifecycle, &status);
            if statuses.last() != Some(&now) {
                statuses.push(now);
            }
        }
    }
    let served: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r["LeadId"] == lead.as_str())
        .map(|r| {
            (
                r["OldValue"].as_str().unwrap(),
                r["NewValue"].as_str().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(&str, &str)> = statuses.windows(2).map(|w| (w[0], w[1])).collect();
    assert_eq!(served, expected, "{lead}");
    api.sim.shutdown().await;
}

#[tokio::test]
async fn opportunities_carry_their_stage_history_to_the_close() {
    let api = sim(1500).await;
    let (_, won, _) = query_all(
        &api,
        "SELECT Id, StageName, IsWon, Amount FROM Opportunity WHERE IsWon = true",
    )
    .await;
    assert!(!won.is_empty());
    assert!(
        won.iter()
            .all(|o| o["StageName"] == "Closed Won" && o["Amount"].is_number())
    );
    let id = won[0]["Id"].as_str().unwrap();
    let (_, history, _) = query_all(
        &api,
        &format!(
            "SELECT OldValue, NewValue FROM OpportunityFieldHistory \
             WHERE OpportunityId = '{id}' AND Field = 'StageName' ORDER BY CreatedDate ASC"
        ),
    )
    .await;
    assert_eq!(
        history.last().unwrap()["NewValue"],
        "Closed Won",
        "{history:?}"
    );
    assert_eq!(history[0]["OldValue"], "Prospecting");
    api.sim.shutdown().await;
}

#[tokio::test]
async fn a_smaller_batch_size_pages_smaller_and_the_stages_say_what_closes() {
    let api = sim(1200).await;
    let first = api
        .http
        .get(format!(
            "{}{}",
            api.sim.base_url,
            soql_path("SELECT Id FROM Lead")
        ))
        .bearer_auth(&api.sim.token)
        .header("Sforce-Query-Options", "batchSize=500")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(first["records"].as_array().unwrap().len(), 500);
    // The locator keeps the batch size: the next page is 500 rows too.
    let next = api
        .get(first["nextRecordsUrl"].as_str().unwrap())
        .await
        .json();
    assert_eq!(next["records"].as_array().unwrap().len(), 500);
    let (_, stages, _) = query_all(
        &api,
        "SELECT MasterLabel, IsClosed, IsWon FROM OpportunityStage ORDER BY SortOrder",
    )
    .await;
    let closed: Vec<(&str, bool)> = stages
        .iter()
        .filter(|s| s["IsClosed"] == true)
        .map(|s| (s["MasterLabel"].as_str().unwrap(), s["IsWon"] == true))
        .collect();
    assert_eq!(closed, [("Closed Won", true), ("Closed Lost", false)]);
    api.sim.shutdown().await;
}

/// Rows `q` selects, keyed by their `Id`, in answer order.
async fn ids(api: &Api, q: &str) -> Vec<String> {
    let (total, rows, _) = query_all(api, q).await;
    assert_eq!(total as usize, rows.len(), "{q}");
    rows.iter()
        .map(|r| r["Id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_query_naming_ids_or_a_window_answers_what_the_whole_query_would() {
    // Such queries read just the records named or modified since (the sim's index), so
    // they are checked here against the whole query, filtered in the test.
    let api = sim(900).await;
    let (_, leads, _) = query_all(&api, "SELECT Id, SystemModstamp FROM Lead").await;
    let some: Vec<&str> = leads
        .iter()
        .step_by(97)
        .map(|l| l["Id"].as_str().unwrap())
        .collect();
    let list = some
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(", ");

    let named = ids(
        &api,
        &format!("SELECT Id FROM Lead WHERE Id IN ({list}, '006000000000001')"),
    )
    .await;
    assert_eq!(
        named, some,
        "named leads, in id order; a deal's id names no lead"
    );

    let (_, history, _) = query_all(
        &api,
        "SELECT Id, LeadId, Field, NewValue, CreatedDate FROM LeadHistory ORDER BY CreatedDate ASC",
    )
    .await;
    let want: Vec<&Value> = history
        .iter()
        .filter(|h| some.contains(&h["LeadId"].as_str().unwrap()))
        .collect();
    let (_, got, _) = query_all(
        &api,
        &format!(
            "SELECT Id, LeadId, Field, NewValue, CreatedDate FROM LeadHistory \
             WHERE LeadId IN ({list}) ORDER BY CreatedDate ASC"
        ),
    )
    .await;
    assert!(!want.is_empty());
    assert_eq!(
        got.iter().collect::<Vec<_>>(),
        want,
        "same rows, same ids, same order"
    );

    let (_, tasks, _) = query_all(&api, "SELECT Id, WhoId, SystemModstamp FROM Task").await;
    let who = tasks
        .iter()
        .find_map(|t| t["WhoId"].as_str())
        .unwrap()
        .to_string();
    let theirs: Vec<String> = tasks
        .iter()
        .filter(|t| t["WhoId"] == who.as_str())
        .map(|t| t["Id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids(&api, &format!("SELECT Id FROM Task WHERE WhoId = '{who}'")).await,
        theirs
    );

    // A window: every stamp at or after the median, whatever object.
    for object in ["Lead", "Opportunity", "Task"] {
        let (_, all, _) =
            query_all(&api, &format!("SELECT Id, SystemModstamp FROM {object}")).await;
        let mut stamps: Vec<&str> = all
            .iter()
            .map(|r| r["SystemModstamp"].as_str().unwrap())
            .collect();
        stamps.sort();
        let since = stamps[stamps.len() / 2];
        let soql_since = DateTime::parse_from_str(since, "%Y-%m-%dT%H:%M:%S%.3f%z")
            .unwrap()
            .to_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let mut want: Vec<(String, String)> = all
            .iter()
            .filter(|r| r["SystemModstamp"].as_str().unwrap() >= since)
            .map(|r| {
                (
                    r["SystemModstamp"].as_str().unwrap().to_string(),
                    r["Id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        want.sort_by(|a, b| a.0.cmp(&b.0));
        let got = ids(
            &api,
            &format!(
                "SELECT Id FROM {object} WHERE SystemModstamp >= {soql_since} \
                 ORDER BY SystemModstamp ASC"
            ),
        )
        .await;
        assert_eq!(
            got,
            want.into_iter().map(|(_, id)| id).collect::<Vec<_>>(),
            "{object}"
        );
    }
    api.sim.shutdown().await;
}

#[tokio::test]
async fn later_pages_come_from_the_query_locator_not_a_new_query() {
    let api = sim(2500).await;
    let q = "SELECT Id, Status FROM Lead ORDER BY SystemModstamp ASC";
    let first = api.get(&soql_path(q)).await.json();
    let page1: Vec<String> = first["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Id"].as_str().unwrap().to_string())
        .collect();
    // The first lead on page one is worked now: its new stamp would put it last in a new
    // query, and on page two as well.
    let moved = page1[0].clone();
    let r = api
        .patch(
            &format!("/services/data/v60.0/sobjects/Lead/{moved}"),
            json!({ "Status": "Working - Contacted" }),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text);
    let next = api
        .get(first["nextRecordsUrl"].as_str().unwrap())
        .await
        .json();
    let page2: Vec<&str> = next["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Id"].as_str().unwrap())
        .collect();
    assert_eq!(page1.len() + page2.len(), 2500);
    assert!(!page2.contains(&moved.as_str()), "no lead is read twice");
    let all: HashSet<&str> = page1
        .iter()
        .map(String::as_str)
        .chain(page2.iter().copied())
        .collect();
    assert_eq!(all.len(), 2500, "and none is missed");

    // Ten more queries open: the first one's locator is released, as Salesforce does.
    for _ in 0..10 {
        let r = api.get(&soql_path("SELECT Id FROM Lead")).await.json();
        assert!(r["nextRecordsUrl"].is_string());
    }
    let stale = api.get(first["nextRecordsUrl"].as_str().unwrap()).await;
    assert_eq!(stale.status, 400);
    assert_eq!(stale.json()[0]["errorCode"], "INVALID_QUERY_LOCATOR");
    api.sim.shutdown().await;
}
