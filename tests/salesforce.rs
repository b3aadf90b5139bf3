//! The Salesforce connector against the simulated Salesforce (the same world as the HubSpot
//! profile) over real HTTP: the first load reads the same funnel, polls see changes made
//! elsewhere, actions go through the saga runner the cockpit uses, and an expired session
//! says so.

mod common;

use std::sync::Arc;

use serde_json::{Value, json};

use tandem::config::Config;
use tandem::domain::Stage;
use tandem::domain::action::{Action, ActionKind};
use tandem::domain::timeline::Timeline;
use tandem::sim::SimHandle;
use tandem::sources::{Connector, Secret, SourceError, Vendor};
use tandem::store::Store;
use tandem::sync::ActionStatus;
use tandem::sync::load_store;
use tandem::sync::saga::Sent;

use common::saga::first_in;

const V: &str = "/services/data/v60.0";

fn salesforce(sim: &SimHandle) -> Connector {
    let config = Config::builtin();
    Connector::new(
        Vendor::Salesforce,
        &sim.base_url,
        Secret::new(sim.token.clone()),
        Arc::new(config.stages.clone()),
        config.extra_contact_properties(),
    )
    .expect("connector")
}

/// The Salesforce id of the world's contact `n` (`00Q` + 15 digits).
fn lead_id(n: &str) -> String {
    format!("00Q{:015}", n.parse::<u64>().expect("numeric HubSpot id"))
}

/// A SOQL query read the way a curl user would.
async fn soql(sim: &SimHandle, q: &str) -> Vec<Value> {
    let page = common::get_json(sim, &format!("{V}/query"), &[("q", q)]).await;
    page["records"].as_array().cloned().unwrap_or_default()
}

async fn patch_lead(sim: &SimHandle, id: &str, body: Value) -> reqwest::StatusCode {
    reqwest::Client::new()
        .patch(format!("{}{V}/sobjects/Lead/{id}", sim.base_url))
        .bearer_auth(&sim.token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
}

fn action(store: &Store, id: u64, lead_id: &str, kind: ActionKind) -> Action {
    common::saga::action(Vendor::Salesforce, store, id, lead_id, kind, "tdmsf")
}

async fn try_send(sf: &mut Connector, action: &Action, maybe_sent: bool) -> Sent {
    common::saga::try_send(sf, action, 0, maybe_sent).await
}

async fn send(sf: &mut Connector, action: &Action) {
    common::saga::send(sf, action, false).await
}

#[tokio::test]
async fn the_first_load_reads_the_same_funnel_as_the_hubspot_profile() {
    let sim = common::frozen_sim(11, 400).await;
    let (hs, _) = load_store(&mut common::client(&sim))
        .await
        .expect("hubspot");
    let (sf, cursor) = load_store(&mut salesforce(&sim)).await.expect("salesforce");
    assert!(matches!(cursor, tandem::sources::Cursor::Salesforce(_)));
    assert_eq!(sf.leads().len(), hs.leads().len());
    assert_eq!(sf.owners().len(), hs.owners().len());
    assert_eq!(
        sf.owners().iter().filter(|o| o.team.is_some()).count(),
        hs.owners().iter().filter(|o| o.team.is_some()).count(),
        "teams from the users' departments"
    );
    assert!(sf.deal_stages().iter().any(|s| s.is_won));
    let catalog = Config::builtin().stages;
    let sf_rules = catalog.for_vendors(&["salesforce"]);
    let hs_rules = catalog.for_vendors(&["hubspot"]);
    for h in hs.leads() {
        let id = lead_id(&h.id);
        let s = sf.lead(&id).unwrap_or_else(|| panic!("{id} loaded"));
        assert_eq!(s.stage, h.stage, "{} ({})", h.name(), h.id);
        assert_eq!(s.email(), h.email());
        assert_eq!(s.owner_id.is_some(), h.owner_id.is_some());
        // The timelines agree stage for stage; each entry within a second (a deal's close
        // and the lifecycle change HubSpot derives from it are separate writes).
        let (a, b) = (
            Timeline::of(s, &sf_rules).stages,
            Timeline::of(h, &hs_rules).stages,
        );
        let same = a.len() == b.len()
            && a.iter().zip(&b).all(|((ta, sa), (tb, sb))| {
                sa == sb && (*ta - *tb).num_milliseconds().abs() < 1000
            });
        assert!(same, "timeline of {} ({}):\n{a:?}\n{b:?}", h.name(), h.id);
        assert_eq!(
            s.history.sales_touches(),
            h.history.sales_touches(),
            "{}",
            h.id
        );
    }
    // Every deal comes with its lead; wins and losses are dated as in HubSpot.
    assert_eq!(sf.deals().len(), hs.deals().len());
    assert!(sf.deals().iter().all(|d| d.contact_ids.len() == 1));
    let won = |s: &Store| {
        s.deals()
            .iter()
            .filter(|d| d.stage_id.contains("Won") || d.stage_id == "closedwon")
            .count()
    };
    assert_eq!(won(&sf), won(&hs));
    // Notes are the Tasks that are not calls: the same feedback notes.
    let feedback = |s: &Store| {
        s.notes()
            .iter()
            .filter(|n| matches!(n.kind, tandem::domain::feedback::NoteKind::Feedback { .. }))
            .count()
    };
    assert!(feedback(&hs) > 0);
    assert_eq!(feedback(&sf), feedback(&hs));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_poll_sees_a_status_change_made_elsewhere_once() {
    let sim = common::frozen_sim(7, 300).await;
    let mut sf = salesforce(&sim);
    let (store, mut cursor) = load_store(&mut sf).await.expect("load");
    let id = first_in(&store, Stage::Mql);
    let status = patch_lead(&sim, &id, json!({ "Status": "Closed - Not Converted" })).await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    let delta = sf.poll(&mut cursor).await.expect("poll");
    let lead = delta
        .leads
        .iter()
        .find(|l| l.id == id)
        .expect("changed lead");
    assert_eq!(lead.stage, Some(Stage::Disqualified));
    let last = lead
        .history
        .props()
        .iter()
        .rev()
        .find(|c| c.prop == "Status");
    assert_eq!(
        last.map(|c| c.value.as_str()),
        Some("Closed - Not Converted"),
        "the change's LeadHistory row is read with it"
    );
    assert_eq!(
        delta.leads.len(),
        1,
        "only the change: {:?}",
        delta.leads.len()
    );
    let again = sf.poll(&mut cursor).await.expect("poll");
    assert!(again.is_empty(), "{again:?}");
    sim.shutdown().await;
}

/// A poll's answer lost before it reached the cache (a crash between the two): the cursor
/// moved on, so polls never bring the change again. Reconciliation counts leads by
/// `SystemModstamp` range with `SELECT COUNT()`, finds the range that differs and brings
/// back exactly that lead; a second run finds nothing.
#[tokio::test]
async fn reconciliation_brings_back_a_change_whose_poll_was_lost() {
    let sim = common::frozen_sim(7, 300).await;
    let mut sf = salesforce(&sim);
    let (store, mut cursor) = load_store(&mut sf).await.expect("load");
    let ledger = tandem::sync::Ledger::of(store.leads(), store.deals());
    let id = first_in(&store, Stage::Mql);
    let status = patch_lead(&sim, &id, json!({ "Status": "Closed - Not Converted" })).await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    let lost = sf.poll(&mut cursor).await.expect("poll");
    assert_eq!(
        lost.leads.len(),
        1,
        "the poll saw it, and its answer is dropped"
    );
    assert!(sf.poll(&mut cursor).await.expect("poll").is_empty());

    let outcome = tandem::sync::reconcile::reconcile(&mut sf, &ledger, &cursor)
        .await
        .expect("reconcile")
        .expect("Salesforce counts leads");
    let ids: Vec<&str> = outcome
        .repaired
        .leads
        .iter()
        .map(|l| l.id.as_str())
        .collect();
    assert_eq!(ids, vec![id.as_str()]);
    assert_eq!(outcome.repaired.leads[0].stage, Some(Stage::Disqualified));
    assert!(outcome.repaired.deals.is_empty());
    assert!(
        outcome.requests <= 2 * tandem::sync::reconcile::PARTS,
        "{}",
        outcome.requests
    );
    let mut ledger = ledger;
    ledger.hold(&outcome.repaired);
    let again = tandem::sync::reconcile::reconcile(&mut sf, &ledger, &cursor)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.repaired_count(), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_hand_off_then_the_reps_accept_move_the_lead_to_mql_then_sal() {
    let sim = common::frozen_sim(7, 300).await;
    let mut sf = salesforce(&sim);
    let (store, mut cursor) = load_store(&mut sf).await.expect("load");
    let id = first_in(&store, Stage::Inquiry);
    let rep = store
        .owners()
        .iter()
        .find(|o| o.team == Some(tandem::domain::Team::Sales))
        .expect("a sales rep")
        .id
        .clone();
    let hand_off = action(
        &store,
        1,
        &id,
        ActionKind::HandOff {
            owner_id: rep.clone(),
        },
    );
    send(&mut sf, &hand_off).await;
    let delta = sf.poll(&mut cursor).await.expect("poll");
    let lead = delta.leads.iter().find(|l| l.id == id).expect("moved");
    assert_eq!(lead.stage, Some(Stage::Mql));
    assert_eq!(lead.owner_id.as_deref(), Some(rep.as_str()));
    let mut store = store;
    store.upsert_leads(delta.leads);
    let accept = action(
        &store,
        2,
        &id,
        ActionKind::Accept {
            owner_id: rep.clone(),
        },
    );
    send(&mut sf, &accept).await;
    let rows = soql(
        &sim,
        &format!("SELECT Id, Status, OwnerId FROM Lead WHERE Id = '{id}'"),
    )
    .await;
    assert_eq!(rows[0]["Status"], "Working - Contacted");
    assert_eq!(rows[0]["OwnerId"], rep.as_str());
    sim.shutdown().await;
}

#[tokio::test]
async fn a_recycle_sets_nurture_and_logs_one_task_even_when_sent_again() {
    let sim = common::frozen_sim(7, 300).await;
    let mut sf = salesforce(&sim);
    let (store, _) = load_store(&mut sf).await.expect("load");
    let id = first_in(&store, Stage::Sal);
    let kind = ActionKind::Recycle {
        reason: "timing".into(),
        note: "Budget frozen until Q2".into(),
        owner_id: None,
        revisit: None,
    };
    let recycle = action(&store, 3, &id, kind);
    send(&mut sf, &recycle).await;
    // A retry after a lost answer finds both steps applied and sends nothing twice.
    match try_send(&mut sf, &recycle, true).await {
        Sent::Settled(ActionStatus::Done) => {}
        other => panic!("the retry: {other:?}"),
    }
    let rows = soql(
        &sim,
        &format!("SELECT Id, Status FROM Lead WHERE Id = '{id}'"),
    )
    .await;
    assert_eq!(rows[0]["Status"], "Nurture");
    let tasks = soql(
        &sim,
        &format!("SELECT Id, Subject, Description FROM Task WHERE WhoId = '{id}' AND Subject LIKE '%ref=tdmsf3%'"),
    )
    .await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert!(
        tasks[0]["Description"]
            .as_str()
            .unwrap_or("")
            .contains("Budget frozen")
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_action_over_a_lead_changed_since_it_was_seen_is_refused() {
    let sim = common::frozen_sim(7, 300).await;
    let mut sf = salesforce(&sim);
    let (store, _) = load_store(&mut sf).await.expect("load");
    let id = first_in(&store, Stage::Mql);
    let accept = action(
        &store,
        4,
        &id,
        ActionKind::Accept {
            owner_id: store
                .lead(&id)
                .and_then(|l| l.owner_id.map(String::from))
                .unwrap_or_default(),
        },
    );
    // Someone disqualifies it in Salesforce after the user saw it.
    let status = patch_lead(&sim, &id, json!({ "Status": "Closed - Not Converted" })).await;
    assert!(status.is_success());
    match try_send(&mut sf, &accept, false).await {
        Sent::Conflict(what, fresh) => {
            assert_eq!(fresh.stage, "Closed - Not Converted", "{what}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    let rows = soql(
        &sim,
        &format!("SELECT Id, Status FROM Lead WHERE Id = '{id}'"),
    )
    .await;
    assert_eq!(
        rows[0]["Status"], "Closed - Not Converted",
        "nothing written"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_expired_session_says_so() {
    let sim = common::frozen_sim(7, 50).await;
    let config = Config::builtin();
    let mut sf = Connector::new(
        Vendor::Salesforce,
        &sim.base_url,
        Secret::new("expired-token"),
        Arc::new(config.stages.clone()),
        vec![],
    )
    .expect("connector")
    .with_token_env("SF_ACCESS_TOKEN");
    let err = sf.reference().await.expect_err("refused");
    assert!(matches!(err, SourceError::Unauthorized { .. }), "{err:?}");
    let said = err.to_string();
    assert!(
        said.contains("expired") && said.contains("SF_ACCESS_TOKEN"),
        "{said}"
    );
    assert!(!said.contains("expired-token"), "never the token: {said}");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_org_limit_header_is_read_for_the_health_line() {
    let sim = common::frozen_sim(7, 50).await;
    let mut sf = salesforce(&sim);
    sf.reference().await.expect("reference");
    let (used, limit) = sf.parts(None)[0].quota.expect("Sforce-Limit-Info read");
    assert!(used >= 3 && limit == 15_000, "{used}/{limit}");
    sim.shutdown().await;
}

/// `tandem report --format json` of the embedded world read as `profile`.
fn report(profile: &str) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args([
            "--no-cache",
            "--seed",
            "5",
            "--contacts",
            "600",
            "--sim",
            profile,
        ])
        .args([
            "report",
            "--now",
            "2026-11-20T15:02:00Z",
            "--format",
            "json",
        ])
        .env_remove("TANDEM_CONFIG")
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("tandem-sf-no-config"),
        )
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn the_report_on_salesforce_gives_the_hubspot_profiles_stages_and_sales_figures() {
    let (hs, sf) = (report("hubspot"), report("salesforce"));
    assert_eq!(sf["stages"], hs["stages"]);
    assert_eq!(sf["unmapped"], hs["unmapped"]);
    // Marketing touches and campaigns live in the MAP (Marketo), which this profile lacks.
    let from_the_map = ["touched_pipeline", "nurture_pickup", "funnel_leakage"];
    let kpis = |r: &Value| -> Vec<Value> {
        r["kpis"]
            .as_array()
            .expect("kpis")
            .iter()
            .filter(|k| !from_the_map.contains(&k["id"].as_str().unwrap_or("")))
            .cloned()
            .collect()
    };
    assert_eq!(kpis(&sf), kpis(&hs));
    // The standup flows, lead for lead (ids differ by vendor: `00Q` + the contact's number).
    for flow in ["new_mqls", "handoffs", "accepted", "recycles", "rejected"] {
        let ids = |r: &Value| -> Vec<u64> {
            let mut v: Vec<u64> = r["changes"][flow]["lead_ids"]
                .as_array()
                .expect("ids")
                .iter()
                .map(|i| {
                    i.as_str()
                        .unwrap()
                        .trim_start_matches("00Q")
                        .parse()
                        .unwrap()
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(ids(&sf), ids(&hs), "{flow}");
    }
}

/// `value` with every Salesforce lead id (`00Q` + 15 digits) written as the world's number,
/// the way the HubSpot profile names the same lead.
fn as_hubspot_ids(value: &Value) -> String {
    let text = value.to_string();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("\"00Q") {
        out.push_str(&rest[..=i]);
        let digits = &rest[i + 4..];
        let n = digits.bytes().take_while(u8::is_ascii_digit).count();
        out.push_str(digits[..n].trim_start_matches('0'));
        rest = &digits[n..];
    }
    out.push_str(rest);
    out
}

#[test]
fn the_report_on_salesforce_with_marketo_is_the_hubspot_profiles_report() {
    let (hs, sm) = (report("hubspot"), report("salesforce-marketo"));
    // The same world in other vendors' objects: every figure, flow, breach and note alike.
    for key in hs.as_object().expect("object").keys() {
        assert_eq!(
            as_hubspot_ids(&sm[key]),
            as_hubspot_ids(&hs[key]),
            "report section {key}"
        );
    }
}
