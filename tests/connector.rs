//! The HubSpot connector against the simulated HubSpot over real HTTP: first load,
//! incremental polls, hand-off, recycle (a backward lifecycle move), notes, and failures.

mod common;

use serde_json::{Value, json};

use tandem::domain::Stage;
use tandem::domain::action::{Action, ActionKind};
use tandem::domain::feedback::{NoteKind, Verdict};
use tandem::sim::SimHandle;
use tandem::sources::{Connector, Vendor};
use tandem::sync::saga::Sent;

use common::saga::first_in;
use tandem::sources::{Secret, SourceError};
use tandem::store::Store;

use common::{client, get_json, inject, post_json, server_contact};
use tandem::sync::{load_all, load_store};

async fn frozen_sim(contacts: usize) -> SimHandle {
    common::frozen_sim(7, contacts).await
}

/// Bodies of the notes associated with a contact, read through the v4 associations API.
async fn server_notes(sim: &SimHandle, contact_id: &str) -> Vec<String> {
    let http = reqwest::Client::new();
    let links: Value = http
        .post(format!(
            "{}/crm/v4/associations/contacts/notes/batch/read",
            sim.base_url
        ))
        .bearer_auth(&sim.token)
        .json(&json!({ "inputs": [{ "id": contact_id }] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<Value> = links["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["to"].as_array().unwrap().clone())
        .map(|t| json!({ "id": t["toObjectId"].to_string().trim_matches('"') }))
        .collect();
    if ids.is_empty() {
        return vec![];
    }
    let notes: Value = http
        .post(format!("{}/crm/v3/objects/notes/batch/read", sim.base_url))
        .bearer_auth(&sim.token)
        .json(&json!({ "properties": ["hs_note_body"], "inputs": ids }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    notes["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            n["properties"]["hs_note_body"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

async fn loaded_store(client: &mut Connector) -> (Store, tandem::sources::Cursor) {
    load_store(client).await.expect("first load")
}

fn action(store: &Store, id: u64, lead_id: &str, kind: ActionKind) -> Action {
    common::saga::action(Vendor::HubSpot, store, id, lead_id, kind, "tdmtest")
}

async fn send(hs: &mut Connector, action: &Action, maybe_sent: bool) {
    common::saga::send(hs, action, maybe_sent).await
}

async fn try_send(hs: &mut Connector, action: &Action, maybe_sent: bool) -> Sent {
    common::saga::try_send(hs, action, 0, maybe_sent).await
}

#[tokio::test]
async fn first_load_reads_every_record() {
    let sim = frozen_sim(450).await;
    let mut hs = client(&sim);
    let (store, cursor) = loaded_store(&mut hs).await;
    assert_eq!(store.leads().len(), 450, "all pages of the list endpoint");
    assert!(
        store
            .owners()
            .iter()
            .any(|o| o.team == Some(tandem::domain::Team::Sales))
    );
    assert!(
        store
            .owners()
            .iter()
            .any(|o| o.team == Some(tandem::domain::Team::Marketing))
    );
    assert!(store.deal_stages().iter().any(|s| s.is_won));
    assert!(!store.deals().is_empty());
    assert!(
        store.deals().iter().all(|d| !d.contact_ids.is_empty()),
        "deals carry contacts"
    );
    assert!(
        store
            .notes()
            .iter()
            .any(|n| matches!(n.kind, NoteKind::Feedback { .. }))
    );
    for stage in [
        Stage::Inquiry,
        Stage::Mql,
        Stage::Sal,
        Stage::Sql,
        Stage::Nurture,
    ] {
        assert!(
            store.leads().iter().any(|l| l.stage == Some(stage)),
            "{stage}"
        );
    }
    // The cursor starts at the newest change the server had before the listing began.
    let newest = newest_modified(&sim, "contacts", "lastmodifieddate").await;
    let tandem::sources::Cursor::HubSpot(cursor) = cursor else {
        panic!("a HubSpot source keeps a HubSpot cursor: {cursor:?}")
    };
    assert_eq!(cursor.contacts, Some(newest));
    assert_eq!(
        cursor.deals,
        Some(newest_modified(&sim, "deals", "hs_lastmodifieddate").await)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn incremental_poll_sees_a_change_made_elsewhere() {
    let sim = frozen_sim(300).await;
    let mut hs = client(&sim);
    let (store, mut cursor) = loaded_store(&mut hs).await;
    let id = first_in(&store, Stage::Mql);

    // Someone else disqualifies the lead in the CRM.
    let status = reqwest::Client::new()
        .patch(format!("{}/crm/v3/objects/contacts/{id}", sim.base_url))
        .bearer_auth(&sim.token)
        .json(&json!({ "properties": { "hs_lead_status": "UNQUALIFIED" } }))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success());

    let delta = hs.poll(&mut cursor).await.unwrap();
    let lead = delta
        .leads
        .iter()
        .find(|l| l.id == id)
        .expect("changed lead in the delta");
    assert_eq!(lead.stage, Some(Stage::Disqualified));
    // The poll reads the change's history too: its newest status entry is this write.
    let last = lead
        .history
        .props()
        .iter()
        .rev()
        .find(|c| c.prop == "hs_lead_status");
    assert_eq!(
        last.map(|c| (c.value.as_str(), c.at)),
        Some(("UNQUALIFIED", lead.updated_at))
    );
    // Only the change: records the load already held at the cursor's millisecond are not
    // read again (in a frozen world the change may share that very millisecond).
    assert_eq!(delta.leads.len(), 1, "only the change, not the boundary");
    // And once held, the change itself is not delivered again.
    let again = hs.poll(&mut cursor).await.unwrap();
    assert!(again.is_empty(), "{again:?}");
    sim.shutdown().await;
}

/// Twelve rounds of six new job titles on `ids`, each round followed by a poll whose delta
/// goes to `take`; the titles last written, by lead.
async fn titles_written_between_polls(
    sim: &SimHandle,
    hs: &mut Connector,
    cursor: &mut tandem::sources::Cursor,
    ids: &[String],
    mut take: impl FnMut(tandem::sources::port::Delta),
) -> std::collections::BTreeMap<String, String> {
    let mut written = std::collections::BTreeMap::new();
    for round in 0..12 {
        for k in 0..6 {
            let id = &ids[(round * 37 + k * 11) % ids.len()];
            let title = format!("title {round}.{k}");
            common::patch_contact(sim, id, json!({ "jobtitle": title })).await;
            written.insert(id.clone(), title);
        }
        take(hs.poll(cursor).await.unwrap());
    }
    written
}

/// HubSpot's search index trails writes unevenly, so search can show a record after one
/// modified later than it. Polls overlap their window by a margin and drop the versions they
/// hold: with the lag injected, no update is ever missed, and none is delivered twice.
#[tokio::test]
async fn with_the_search_index_lagging_no_update_is_missed() {
    let mut opts = tandem::sim::SimOptions::new(5, 200);
    // Up to 40 writes' worth (a frozen clock moves a millisecond a write).
    opts.index_lag = std::time::Duration::from_millis(40);
    opts.burst_limit = 100_000;
    let sim = common::frozen_sim_with(opts).await;
    let mut hs = client(&sim);
    let (mut store, mut cursor) = loaded_store(&mut hs).await;
    let ids: Vec<String> = store.leads().iter().map(|l| l.id.to_string()).collect();
    let mut delivered = 0;
    let written = titles_written_between_polls(&sim, &mut hs, &mut cursor, &ids, |delta| {
        delivered += delta.leads.len();
        store.upsert_leads(delta.leads);
    })
    .await;
    // Time passes (other writes) until every write is in the index; one more poll.
    let quiet = &ids[ids.len() - 1];
    for _ in 0..45 {
        common::patch_contact(&sim, quiet, json!({ "company": "Quiet Ltd" })).await;
    }
    let last = hs.poll(&mut cursor).await.unwrap();
    delivered += last.leads.len();
    store.upsert_leads(last.leads);
    for (id, title) in &written {
        assert_eq!(&store.lead(id).expect("held").title(), title, "lead {id}");
    }
    // The overlap costs no duplicates: each delivered version is a new one.
    let again = hs.poll(&mut cursor).await.unwrap();
    assert!(again.is_empty(), "{again:?}");
    assert!(delivered <= 12 * 6 + 45, "{delivered} versions delivered");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_hand_off_routes_the_mql_and_only_the_reps_accept_moves_it_to_sal() {
    let sim = frozen_sim(300).await;
    let mut hs = client(&sim);
    let (mut store, mut cursor) = loaded_store(&mut hs).await;
    let id = first_in(&store, Stage::Mql);
    let status = server_contact(&sim, &id).await["properties"]["hs_lead_status"].clone();
    let owner = common::sales_owner(&store);

    let hand_off = action(
        &store,
        1,
        &id,
        ActionKind::HandOff {
            owner_id: owner.clone(),
        },
    );
    send(&mut hs, &hand_off, false).await;

    let server = server_contact(&sim, &id).await;
    assert_eq!(
        server["properties"]["lifecyclestage"],
        "marketingqualifiedlead"
    );
    assert_eq!(
        server["properties"]["hs_lead_status"], status,
        "status untouched"
    );
    assert_eq!(server["properties"]["hubspot_owner_id"], owner.as_str());
    let delta = hs.poll(&mut cursor).await.unwrap();
    let lead = delta.leads.iter().find(|l| l.id == id).unwrap();
    assert_eq!(lead.stage, Some(Stage::Mql), "waiting on the rep");
    assert_eq!(lead.owner_id.as_deref(), Some(owner.as_str()));
    store.upsert_leads(delta.leads);

    // The rep accepts: now it is theirs, in SAL.
    let accept = action(
        &store,
        2,
        &id,
        ActionKind::Accept {
            owner_id: owner.clone(),
        },
    );
    send(&mut hs, &accept, false).await;
    let delta = hs.poll(&mut cursor).await.unwrap();
    let lead = delta.leads.iter().find(|l| l.id == id).unwrap();
    assert_eq!(lead.stage, Some(Stage::Sal));
    sim.shutdown().await;
}

#[tokio::test]
async fn recycle_moves_the_lifecycle_backward_and_writes_the_reason() {
    let sim = frozen_sim(300).await;
    let mut hs = client(&sim);
    let (store, mut cursor) = loaded_store(&mut hs).await;
    // An SQL going back to `lead` is a backward move HubSpot refuses without a clear first.
    let id = first_in(&store, Stage::Sql);
    let recycle = action(
        &store,
        2,
        &id,
        ActionKind::Recycle {
            reason: "no_budget".into(),
            note: "budget frozen until Q2".into(),
            owner_id: None,
            revisit: None,
        },
    );
    send(&mut hs, &recycle, false).await;

    let server = server_contact(&sim, &id).await;
    assert_eq!(server["properties"]["lifecyclestage"], "lead");
    assert_eq!(server["properties"]["hs_lead_status"], "BAD_TIMING");
    let notes = server_notes(&sim, &id).await;
    let ours: Vec<&String> = notes
        .iter()
        .filter(|b| b.contains("ref=tdmtest2"))
        .collect();
    assert_eq!(ours.len(), 1);
    assert!(ours[0].starts_with("#recycle reason=no_budget"));
    assert!(ours[0].contains("budget frozen until Q2"));

    // Applying the same action again (a retry after an ambiguous failure) adds nothing.
    send(&mut hs, &recycle, true).await;
    let again = server_notes(&sim, &id).await;
    assert_eq!(
        again.iter().filter(|b| b.contains("ref=tdmtest2")).count(),
        1
    );

    let delta = hs.poll(&mut cursor).await.unwrap();
    assert_eq!(
        delta.leads.iter().find(|l| l.id == id).unwrap().stage,
        Some(Stage::Nurture)
    );
    assert!(
        delta
            .notes
            .iter()
            .any(|n| n.lead_ids.iter().any(|l| *l == id)
                && matches!(
                    n.kind,
                    NoteKind::Recycle {
                        reason: Some(ref r),
                        ..
                    } if r == "no_budget"
                ))
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn feedback_note_reaches_the_crm_and_comes_back_parsed() {
    let sim = frozen_sim(300).await;
    let mut hs = client(&sim);
    let (store, mut cursor) = loaded_store(&mut hs).await;
    let id = first_in(&store, Stage::Sal);
    let note = action(
        &store,
        3,
        &id,
        ActionKind::Feedback {
            campaign: "ROI calculator webinar".into(),
            verdict: Verdict::DoesNotWork,
            text: "too long\nprospects drop at minute 20".into(),
        },
    );
    send(&mut hs, &note, false).await;
    let notes = server_notes(&sim, &id).await;
    assert!(notes.iter().any(|b| b.starts_with(
        "#feedback campaign=\"ROI calculator webinar\" verdict=does_not_work ref=tdmtest3"
    )));

    let delta = hs.poll(&mut cursor).await.unwrap();
    let back = delta
        .notes
        .iter()
        .find(|n| {
            n.lead_ids.iter().any(|l| *l == id) && matches!(n.kind, NoteKind::Feedback { .. })
        })
        .expect("the note comes back on the next poll");
    assert_eq!(
        back.kind,
        NoteKind::Feedback {
            campaign: "ROI calculator webinar".into(),
            verdict: Verdict::DoesNotWork,
            text: "too long\nprospects drop at minute 20".into(),
        }
    );
    sim.shutdown().await;
}

/// The newest modification time the server holds for `object`, read as a curl user would.
async fn newest_modified(
    sim: &SimHandle,
    object: &str,
    prop: &str,
) -> chrono::DateTime<chrono::Utc> {
    let body = json!({
        "sorts": [{ "propertyName": prop, "direction": "DESCENDING" }],
        "properties": [prop],
        "limit": 1
    });
    let page = post_json(sim, &format!("/crm/v3/objects/{object}/search"), &body).await;
    let raw = page["results"][0]["properties"][prop].as_str().unwrap();
    chrono::DateTime::parse_from_rfc3339(raw).unwrap().to_utc()
}

async fn patch_status(sim: &SimHandle, id: &str, status: &str) {
    common::patch_contact(sim, id, json!({ "hs_lead_status": status })).await;
}

/// The first load reads the vendor's own history for every lead past inquiry, exactly as
/// the API serves it (oldest first here, newest first on the wire); a plain inquiry costs
/// no history request.
#[tokio::test]
async fn the_first_load_reads_each_leads_history_as_the_api_serves_it() {
    let sim = frozen_sim(200).await;
    let (store, _) = loaded_store(&mut client(&sim)).await;
    let mut checked = 0;
    for lead in store.leads() {
        if lead.stage == Some(Stage::Inquiry) {
            assert!(
                lead.history.is_empty(),
                "{}: an inquiry needs no history",
                lead.id
            );
            continue;
        }
        let raw = get_json(
            &sim,
            &format!("/crm/v3/objects/contacts/{}", lead.id),
            &[(
                "propertiesWithHistory",
                "lifecyclestage,hs_lead_status,hubspot_owner_id",
            )],
        )
        .await;
        for prop in ["lifecyclestage", "hs_lead_status"] {
            let mut wire: Vec<(String, String)> = raw["propertiesWithHistory"][prop]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|e| {
                            (
                                e["value"].as_str().unwrap().to_string(),
                                e["timestamp"].as_str().unwrap().to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            wire.reverse();
            let mapped: Vec<(String, String)> = lead
                .history
                .props()
                .iter()
                .filter(|c| c.prop == prop)
                .map(|c| {
                    (
                        c.value.to_string(),
                        c.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    )
                })
                .collect();
            assert_eq!(mapped, wire, "{} {prop}", lead.id);
        }
        let owners: Vec<Option<String>> = raw["propertiesWithHistory"]["hubspot_owner_id"]
            .as_array()
            .map(|a| {
                a.iter()
                    .rev()
                    .map(|e| {
                        e["value"]
                            .as_str()
                            .filter(|v| !v.is_empty())
                            .map(str::to_string)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mapped: Vec<Option<String>> = lead
            .history
            .owners()
            .iter()
            .map(|c| c.owner_id.map(String::from))
            .collect();
        assert_eq!(mapped, owners, "{} owners", lead.id);
        checked += 1;
    }
    assert!(checked > 50, "most leads are past inquiry: {checked}");
    sim.shutdown().await;
}

#[path = "connector/failures.rs"]
mod failures;

#[path = "connector/reconcile.rs"]
mod reconcile;
