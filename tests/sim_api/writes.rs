//! PATCH, stage stamps, owner assignment, first engagement, notes and associations.

use super::*;

#[tokio::test]
async fn patch_forward_stamps_stage_date_and_modified() {
    let api = sim(300).await;
    let lead = first_with_stage(&api, "lead").await;
    let id = lead["id"].as_str().unwrap();
    let r = api
        .patch(
            &format!("/crm/v3/objects/contacts/{id}"),
            json!({"properties": {"lifecyclestage": "marketingqualifiedlead"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    assert_eq!(
        body["properties"]["lifecyclestage"],
        "marketingqualifiedlead"
    );
    let stage_date = ts(&body["properties"]["hs_lifecyclestage_marketingqualifiedlead_date"]);
    let modified = ts(&body["properties"]["lastmodifieddate"]);
    assert!(
        stage_date > now() && modified >= stage_date,
        "frozen now + write counter"
    );
    assert_eq!(ts(&body["updatedAt"]), modified);
    let back = api.get(&format!("/crm/v3/objects/contacts/{id}?properties=lifecyclestage,hs_lifecyclestage_marketingqualifiedlead_date")).await.json();
    assert_eq!(
        back["properties"]["lifecyclestage"],
        "marketingqualifiedlead"
    );
    assert_eq!(
        ts(&back["properties"]["hs_lifecyclestage_marketingqualifiedlead_date"]),
        stage_date
    );
    let missing = api.get("/crm/v3/objects/contacts/999999999").await;
    assert_hubspot_error(&missing, 404, "OBJECT_NOT_FOUND");
}

#[tokio::test]
async fn patch_backward_needs_clear_first() {
    let api = sim(300).await;
    let opp = first_with_stage(&api, "opportunity").await;
    let path = format!("/crm/v3/objects/contacts/{}", opp["id"].as_str().unwrap());
    let back = api
        .patch(&path, json!({"properties": {"lifecyclestage": "lead"}}))
        .await;
    let body = assert_hubspot_error(&back, 400, "VALIDATION_ERROR");
    assert!(
        body["message"].as_str().unwrap().contains("backward"),
        "{body}"
    );
    let cleared = api
        .patch(&path, json!({"properties": {"lifecyclestage": ""}}))
        .await;
    assert_eq!(cleared.status, 200, "{}", cleared.text);
    assert!(cleared.json()["properties"]["lifecyclestage"].is_null());
    let set = api
        .patch(
            &path,
            json!({"properties": {"lifecyclestage": "lead", "hs_lead_status": "BAD_TIMING"}}),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.json()["properties"]["lifecyclestage"], "lead");

    let unknown = api
        .patch(&path, json!({"properties": {"favourite_colour": "teal"}}))
        .await;
    let body = assert_hubspot_error(&unknown, 400, "VALIDATION_ERROR");
    let msg = body["message"].as_str().unwrap();
    assert!(
        msg.starts_with("Property values were not valid") && msg.contains("PROPERTY_DOESNT_EXIST"),
        "{msg}"
    );
    let bad_status = api
        .patch(&path, json!({"properties": {"hs_lead_status": "HOT"}}))
        .await;
    assert_hubspot_error(&bad_status, 400, "VALIDATION_ERROR");
    let bad_stage = api
        .patch(&path, json!({"properties": {"lifecyclestage": "prospect"}}))
        .await;
    assert_hubspot_error(&bad_stage, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn owner_patch_stamps_assigned_date_and_modified_increases() {
    let api = sim(300).await;
    let owners = api.get("/crm/v3/owners").await.json();
    let sales: Vec<&Value> = owners["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["teams"][0]["name"] == "Sales")
        .collect();
    let mql = first_with_stage(&api, "marketingqualifiedlead").await;
    let path = format!("/crm/v3/objects/contacts/{}", mql["id"].as_str().unwrap());
    let mut last = now();
    for owner in sales.iter().take(2) {
        let r = api
            .patch(
                &path,
                json!({"properties": {"hubspot_owner_id": owner["id"], "hs_lead_status": "OPEN"}}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let p = r.json()["properties"].clone();
        assert_eq!(p["hubspot_owner_id"], owner["id"]);
        let assigned = ts(&p["hubspot_owner_assigneddate"]);
        let modified = ts(&p["lastmodifieddate"]);
        assert!(
            assigned > last && modified >= assigned,
            "strictly increasing write stamps"
        );
        last = modified;
    }
    let bogus = api
        .patch(&path, json!({"properties": {"hubspot_owner_id": "123"}}))
        .await;
    assert_hubspot_error(&bogus, 400, "VALIDATION_ERROR");
}

#[tokio::test]
async fn first_engagement_is_never_after_last_contact() {
    let api = sim(1000).await;
    let all = api
        .list_all(
            "contacts",
            "notes_last_contacted,hs_sa_first_engagement_date,hubspot_owner_assigneddate,hs_lead_status",
        )
        .await;
    let (mut contacted, mut several) = (0, 0);
    for o in &all {
        let p = &o["properties"];
        if p["notes_last_contacted"].is_null() {
            assert!(p["hs_sa_first_engagement_date"].is_null(), "{o}");
            continue;
        }
        assert!(p["hs_sa_first_engagement_date"].is_string(), "{o}");
        let (first, last) = (
            ts(&p["hs_sa_first_engagement_date"]),
            ts(&p["notes_last_contacted"]),
        );
        assert!(first <= last, "{o}");
        // Sales worked the lead after accepting it (recycled leads now belong to marketing).
        if prop(o, "hs_lead_status") != Some("BAD_TIMING") {
            assert!(first >= ts(&p["hubspot_owner_assigneddate"]), "{o}");
        }
        contacted += 1;
        several += (first < last) as usize;
    }
    assert!(contacted > 100, "contacts with sales activity: {contacted}");
    assert!(several > 0, "some contacts had several activities");
    // Searchable like any datetime property.
    let has = json!({"filterGroups": [{"filters": [
        {"propertyName": "hs_sa_first_engagement_date", "operator": "HAS_PROPERTY"}]}]});
    assert_eq!(api.search_all("contacts", has).await.0, contacted);
}

#[tokio::test]
async fn patch_last_contacted_derives_first_engagement() {
    let api = sim(300).await;
    let body = json!({
        "filterGroups": [{"filters": [{"propertyName": "notes_last_contacted", "operator": "NOT_HAS_PROPERTY"}]}],
        "properties": ["hs_sa_first_engagement_date"], "limit": 2,
    });
    let found = api
        .post("/crm/v3/objects/contacts/search", body)
        .await
        .json();
    let [a, b] = [0, 1].map(|i| found["results"][i].clone());
    assert!(
        a["properties"]["hs_sa_first_engagement_date"].is_null(),
        "{a}"
    );
    let path = format!("/crm/v3/objects/contacts/{}", a["id"].as_str().unwrap());
    let first_call = "2026-11-18T14:05:00.000Z";
    let r = api
        .patch(
            &path,
            json!({"properties": {"notes_last_contacted": ts(&json!(first_call)).timestamp_millis().to_string()}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let p = r.json()["properties"].clone();
    assert_eq!(p["notes_last_contacted"], first_call);
    assert_eq!(p["hs_sa_first_engagement_date"], first_call, "{p}");

    // A later activity moves only the last-contacted date.
    let r = api
        .patch(
            &path,
            json!({"properties": {"notes_last_contacted": "2026-11-18T15:10:00Z"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let back = api
        .get(&format!(
            "{path}?properties=notes_last_contacted,hs_sa_first_engagement_date"
        ))
        .await
        .json();
    assert_eq!(
        back["properties"]["notes_last_contacted"],
        "2026-11-18T15:10:00.000Z"
    );
    assert_eq!(
        back["properties"]["hs_sa_first_engagement_date"],
        first_call
    );

    // Read-only, like `lastmodifieddate`: rejected on its own or alongside a valid change.
    for props in [
        json!({"hs_sa_first_engagement_date": "2026-11-01T09:00:00Z"}),
        json!({"notes_last_contacted": NOW, "hs_sa_first_engagement_date": NOW}),
    ] {
        let r = api.patch(&path, json!({"properties": props})).await;
        let body = assert_hubspot_error(&r, 400, "VALIDATION_ERROR");
        let msg = body["message"].as_str().unwrap();
        assert!(
            msg.contains("READ_ONLY_VALUE") && msg.contains("hs_sa_first_engagement_date"),
            "{msg}"
        );
    }
    let other = format!("/crm/v3/objects/contacts/{}", b["id"].as_str().unwrap());
    let r = api
        .patch(
            &other,
            json!({"properties": {"notes_last_contacted": NOW, "hs_sa_first_engagement_date": NOW}}),
        )
        .await;
    assert_hubspot_error(&r, 400, "VALIDATION_ERROR");
    for (path, first) in [(&path, json!(first_call)), (&other, Value::Null)] {
        let got = api
            .get(&format!("{path}?properties=hs_sa_first_engagement_date"))
            .await
            .json();
        assert_eq!(
            got["properties"]["hs_sa_first_engagement_date"], first,
            "a rejected PATCH changes nothing"
        );
    }
}

#[tokio::test]
async fn note_create_then_read_back_through_associations() {
    let api = sim(300).await;
    let contact = first_with_stage(&api, "salesqualifiedlead").await;
    let cid = contact["id"].as_str().unwrap().to_string();
    let body = "#feedback campaign=\"ROI calculator webinar\" verdict=works\nCFOs quoted the payback slide back to me";
    let r = api
        .post("/crm/v3/objects/notes", json!({
            "properties": {"hs_timestamp": NOW, "hs_note_body": body, "hubspot_owner_id": contact["properties"]["hubspot_owner_id"]},
            "associations": [{"to": {"id": cid}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]}],
        }))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let note = r.json();
    let note_id = note["id"].as_str().unwrap().to_string();
    assert_eq!(note["properties"]["hs_note_body"], body);

    let assoc = api
        .post(
            "/crm/v4/associations/contacts/notes/batch/read",
            json!({"inputs": [{"id": cid}, {"id": "999999999"}]}),
        )
        .await;
    assert_eq!(
        assoc.status, 207,
        "one input has no associations: {}",
        assoc.text
    );
    let assoc = assoc.json();
    assert_eq!(assoc["status"], "COMPLETE");
    assert_eq!(assoc["numErrors"], 1);
    let result = &assoc["results"][0];
    assert_eq!(result["from"]["id"], cid.as_str());
    let to = result["to"].as_array().unwrap();
    let hit = to
        .iter()
        .find(|t| t["toObjectId"].as_u64() == note_id.parse().ok())
        .expect("new note is associated");
    assert_eq!(
        hit["associationTypes"][0],
        json!({"category": "HUBSPOT_DEFINED", "typeId": 201, "label": null})
    );

    let ids: Vec<Value> = to
        .iter()
        .map(|t| json!({"id": t["toObjectId"].to_string()}))
        .collect();
    let read = api
        .post(
            "/crm/v3/objects/notes/batch/read",
            json!({"properties": ["hs_note_body", "hs_timestamp"], "inputs": ids}),
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.text);
    let read = read.json();
    assert_eq!(read["status"], "COMPLETE");
    assert!(read["startedAt"].is_string() && read["completedAt"].is_string());
    let mine = read["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == note_id.as_str())
        .expect("note in batch read");
    assert_eq!(mine["properties"]["hs_note_body"], body);
    assert_eq!(ts(&mine["properties"]["hs_timestamp"]), now());
    let partial = api
        .post(
            "/crm/v3/objects/notes/batch/read",
            json!({"inputs": [{"id": note_id}, {"id": "1"}]}),
        )
        .await;
    assert_eq!(partial.status, 207);
    assert_eq!(partial.json()["errors"][0]["category"], "OBJECT_NOT_FOUND");
    // The note is visible from the note side too (v3 associations on GET).
    let got = api
        .get(&format!(
            "/crm/v3/objects/notes/{note_id}?associations=contacts"
        ))
        .await
        .json();
    assert_eq!(
        got["associations"]["contacts"]["results"][0],
        json!({"id": cid, "type": "note_to_contact"})
    );

    let orphan = api
        .post("/crm/v3/objects/notes", json!({
            "properties": {"hs_timestamp": NOW, "hs_note_body": "x"},
            "associations": [{"to": {"id": "999999999"}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]}],
        }))
        .await;
    assert_hubspot_error(&orphan, 400, "VALIDATION_ERROR");
}
