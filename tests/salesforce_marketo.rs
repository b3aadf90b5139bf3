//! Salesforce joined to Marketo over the simulated profile: one lead across two systems,
//! Marketo's emails and campaign successes on the Salesforce lead, a recycle that reaches
//! both systems (and one that half-succeeds is shown as such and resumed), token renewal,
//! and the 606 limit.

mod common;

use std::sync::Arc;

use serde_json::Value;

use tandem::config::Config;
use tandem::domain::Stage;
use tandem::domain::action::{Action, ActionKind};
use tandem::sim::{MARKETO_CLIENT_ID, MARKETO_NURTURE_LIST, SimHandle, SimOptions};
use tandem::sources::{Connector, Secret, SourceError, Vendor, marketo_client};
use tandem::store::Store;
use tandem::sync::ActionStatus;
use tandem::sync::load_store;
use tandem::sync::saga::Sent;

fn joined(sim: &SimHandle, list: u64) -> Connector {
    joined_under(sim, list, &Config::builtin())
}

fn joined_under(sim: &SimHandle, list: u64, config: &Config) -> Connector {
    let crm = Connector::new(
        Vendor::SalesforceMarketo,
        &sim.base_url,
        Secret::new(sim.token.clone()),
        Arc::new(config.stages.clone()),
        config.extra_contact_properties(),
    )
    .expect("crm");
    let map = marketo_client(
        &sim.base_url,
        None,
        MARKETO_CLIENT_ID,
        Secret::new(sim.token.clone()),
        "MARKETO_CLIENT_SECRET",
    )
    .expect("map");
    Connector::salesforce_marketo(crm, map, Some(list), &config.stages)
}

/// An access token, asked for the way a curl user would.
async fn access_token(sim: &SimHandle) -> String {
    let token: Value = reqwest::Client::new()
        .get(format!("{}/identity/oauth/token", sim.base_url))
        .query(&[
            ("grant_type", "client_credentials"),
            ("client_id", MARKETO_CLIENT_ID),
            ("client_secret", sim.token.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["access_token"].as_str().unwrap().to_string()
}

/// `GET path?query` on Marketo's REST API with a fresh access token, as a curl user would.
async fn marketo_get(sim: &SimHandle, path: &str, query: &[(&str, String)]) -> Value {
    reqwest::Client::new()
        .get(format!("{}{path}", sim.base_url))
        .query(query)
        .bearer_auth(access_token(sim).await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Calls the subscription has spent today, as Marketo's usage endpoint says.
async fn marketo_usage(sim: &SimHandle) -> u64 {
    let body = marketo_get(sim, "/rest/v1/stats/usage.json", &[]).await;
    body["result"][0]["total"].as_u64().expect("total")
}

/// Whether Marketo lead `id` is on the nurture list.
async fn on_nurture_list(sim: &SimHandle, id: u64) -> bool {
    let path = format!("/rest/v1/lists/{MARKETO_NURTURE_LIST}/leads/ismember.json");
    let body = marketo_get(sim, &path, &[("id", id.to_string())]).await;
    body["result"][0]["status"] == "memberof"
}

fn action(store: &Store, id: u64, lead_id: &str, kind: ActionKind) -> Action {
    common::saga::action(Vendor::SalesforceMarketo, store, id, lead_id, kind, "tdmsm")
}

async fn try_send(c: &mut Connector, action: &Action, done: u8) -> Sent {
    common::saga::try_send(c, action, done, done > 0).await
}

fn recycle(store: &Store, id: u64, lead: &str) -> Action {
    action(
        store,
        id,
        lead,
        ActionKind::Recycle {
            reason: "timing".into(),
            note: "Revisit after their budget cycle".into(),
            owner_id: None,
            revisit: None,
        },
    )
}

/// The world's contact number behind a Salesforce lead id.
fn number(lead: &str) -> u64 {
    lead.trim_start_matches("00Q").parse().expect("00Q id")
}

#[tokio::test]
async fn the_joined_lead_carries_marketos_emails_and_campaigns() {
    let sim = common::frozen_sim(11, 300).await;
    let (hs, _) = load_store(&mut common::client(&sim))
        .await
        .expect("hubspot");
    let (sm, cursor) = load_store(&mut joined(&sim, MARKETO_NURTURE_LIST))
        .await
        .expect("joined");
    assert!(matches!(cursor, tandem::sources::Cursor::Joined(_)));
    assert_eq!(sm.leads().len(), hs.leads().len());
    let mut campaigns = 0;
    for h in hs.leads() {
        let s = sm
            .lead(&format!("00Q{:015}", h.id.parse::<u64>().unwrap()))
            .expect("joined");
        assert_eq!(s.stage, h.stage, "{}", h.id);
        // Marketo's sends are HubSpot's marketing-email history; its program successes the
        // converting campaigns. Marketo dates activities to the second.
        // HubSpot gives a send without history only as the last send's date.
        let sends = |l: &tandem::domain::Lead| -> Vec<i64> {
            match l
                .history
                .marketing_touches()
                .iter()
                .collect::<Vec<_>>()
                .as_slice()
            {
                [] => l
                    .dates
                    .last_marketing_touch()
                    .iter()
                    .map(|t| t.timestamp())
                    .collect(),
                all => all.iter().map(|t| t.timestamp()).collect(),
            }
        };
        assert_eq!(sends(s), sends(h), "{}", h.id);
        assert_eq!(s.first_campaign, h.first_campaign, "{}", h.id);
        assert_eq!(s.last_campaign, h.last_campaign, "{}", h.id);
        let touches = |l: &tandem::domain::Lead| {
            l.touches()
                .into_iter()
                .map(|t| (t.campaign, t.at.timestamp()))
                .collect::<Vec<_>>()
        };
        assert_eq!(touches(s), touches(h), "{}", h.id);
        campaigns += s.history.campaigns().len();
    }
    assert!(
        campaigns > 0,
        "the MAP's campaign successes reach the leads"
    );
    sim.shutdown().await;
}

/// The MQL stage defined on Marketo's lead status instead of Salesforce's.
const MQL_IN_MARKETO: &str = r#"
[[stage]]
id = "mql"

[[stage.marketo]]
when = { leadStatus = ["Marketing Qualified"] }
"#;

#[tokio::test]
async fn a_marketo_stage_rule_reads_marketos_field_and_its_change_history() {
    let sim = common::frozen_sim(11, 300).await;
    let builtin = Config::builtin();
    let marketo = Config::parse("mql-in-marketo.toml", MQL_IN_MARKETO).expect("config");
    assert_eq!(marketo.stages.fields_of("marketo"), ["leadStatus"]);
    let (sf, _) = load_store(&mut joined(&sim, MARKETO_NURTURE_LIST))
        .await
        .expect("salesforce rules");
    let mut c = joined_under(&sim, MARKETO_NURTURE_LIST, &marketo);
    let (mk, mut cursor) = load_store(&mut c).await.expect("marketo rule");
    let tandem::sources::Cursor::Joined(joined_cursor) = &cursor else {
        panic!("a joined cursor");
    };
    assert!(
        joined_cursor.changes.is_some(),
        "the field changes are polled on"
    );
    // Nothing changed in the frozen world: a poll of both systems brings nothing.
    let delta = c.poll(&mut cursor).await.expect("poll");
    assert!(delta.leads.is_empty(), "{:?}", delta.leads.len());
    let mut mqls = 0;
    let mut entries = 0;
    for s in sf.leads() {
        let m = mk.lead(&s.id).expect("same leads");
        // Marketo's lead status mirrors Salesforce's, so the stage and its dates agree
        // (Marketo dates activities to the second).
        let second = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.timestamp());
        assert_eq!(m.stage, s.stage, "{}", s.id);
        assert_eq!(second(m.dates.mql()), second(s.dates.mql()), "{}", s.id);
        let timeline = |l: &tandem::domain::Lead, c: &Config| {
            tandem::domain::timeline::Timeline::of(l, &c.stages)
                .entries(Stage::Mql)
                .map(|t| t.timestamp())
                .collect::<Vec<_>>()
        };
        let from_marketo = timeline(m, &marketo);
        assert_eq!(from_marketo, timeline(s, &builtin), "{}", s.id);
        entries += from_marketo.len();
        if m.stage == Some(Stage::Mql) {
            mqls += 1;
            assert_eq!(
                m.props.get("marketo.leadStatus").map(|v| v.as_str()),
                Some("Marketing Qualified"),
                "{}",
                s.id
            );
        }
    }
    assert!(
        mqls > 0 && entries > mqls,
        "{mqls} MQLs, {entries} MQL entries"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_recycle_reaches_both_systems_and_a_half_success_is_resumed_not_redone() {
    let sim = common::frozen_sim(7, 300).await;
    // A nurture list Marketo does not have: Salesforce takes the recycle, Marketo refuses.
    let mut wrong = joined(&sim, 999);
    let (store, _) = load_store(&mut wrong).await.expect("load");
    let lead = store
        .leads()
        .iter()
        .find(|l| l.stage == Some(Stage::Sal))
        .expect("a SAL")
        .id
        .clone();
    let act = recycle(&store, 1, &lead);
    match try_send(&mut wrong, &act, 0).await {
        Sent::Settled(ActionStatus::Failed {
            done,
            total,
            reason,
        }) => {
            assert_eq!((done, total), (1, 3), "{reason}");
            assert!(
                reason.contains("already applied: status Nurture"),
                "{reason}"
            );
            assert!(reason.contains("List '999' not found"), "{reason}");
        }
        other => panic!("a half-success is not done: {other:?}"),
    }
    assert!(!on_nurture_list(&sim, number(&lead)).await);
    // Fixed, it resumes at the Marketo step: enrolled, one task, Salesforce not rewritten.
    let mut right = joined(&sim, MARKETO_NURTURE_LIST);
    match try_send(&mut right, &act, 1).await {
        Sent::Settled(ActionStatus::Done) => {}
        other => panic!("resumed: {other:?}"),
    }
    assert!(
        on_nurture_list(&sim, number(&lead)).await,
        "enrolled in Marketo"
    );
    let tasks = common::get_json(
        &sim,
        "/services/data/v60.0/query",
        &[(
            "q",
            &format!("SELECT Id FROM Task WHERE WhoId = '{lead}' AND Subject LIKE '%ref=tdmsm1%'"),
        )],
    )
    .await;
    assert_eq!(tasks["totalSize"], 1, "{tasks}");
    let status = common::get_json(
        &sim,
        "/services/data/v60.0/query",
        &[("q", &format!("SELECT Status FROM Lead WHERE Id = '{lead}'"))],
    )
    .await;
    assert_eq!(status["records"][0]["Status"], "Nurture");
    sim.shutdown().await;
}

#[tokio::test]
async fn an_access_token_about_to_expire_is_renewed_before_each_call() {
    let mut opts = SimOptions::new(7, 60);
    // Shorter than the renewal margin: every call needs a new token.
    opts.token_ttl = std::time::Duration::from_secs(2);
    let sim = common::frozen_sim_with(opts).await;
    let (store, _) = load_store(&mut joined(&sim, MARKETO_NURTURE_LIST))
        .await
        .expect("every Marketo call gets a fresh token");
    assert!(
        store
            .leads()
            .iter()
            .any(|l| !l.history.marketing_touches().is_empty())
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn past_the_call_limit_a_run_that_cannot_wait_says_marketo_is_rate_limiting() {
    let mut opts = SimOptions::new(7, 60);
    // One Marketo call per 20 s: the token call, then nothing.
    opts.marketo_calls = Some(1);
    opts.burst_limit = 100_000;
    let sim = common::frozen_sim_with(opts).await;
    let mut c = joined(&sim, MARKETO_NURTURE_LIST);
    c.set_deadline(Some(
        tokio::time::Instant::now() + std::time::Duration::from_secs(5),
    ));
    let err = load_store(&mut c).await.expect_err("limited");
    assert!(
        matches!(
            err,
            SourceError::RateLimited {
                vendor: "Marketo",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("Marketo asked to wait"), "{err}");
    // The health line blames the system that failed, not the pair.
    let parts = c.parts(Some(&err.to_string()));
    assert_eq!(parts[0].name, "Salesforce");
    assert_eq!(parts[0].failing, None);
    assert_eq!(parts[1].name, "Marketo");
    assert!(parts[1].failing.is_some(), "{parts:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn marketos_daily_allowance_is_the_subscriptions_own_usage() {
    let sim = common::frozen_sim_with(SimOptions::new(7, 60)).await;
    // Another integration spends calls first; the allowance counts them too.
    assert!(!on_nurture_list(&sim, 1).await);
    let mut c = joined(&sim, MARKETO_NURTURE_LIST);
    c.reference().await.expect("reference");
    let (used, limit) = c.parts(None)[1].quota.expect("Marketo usage read");
    // Salesforce has no revisit field on the Lead: the recycle dialog names the Task.
    assert_eq!(c.revisit_target(), Some("the recycle Task's due date"));
    assert_eq!(limit, 50_000);
    // What the vendor itself reports now, less the call asking.
    let spent = marketo_usage(&sim).await - 1;
    assert_eq!(used, spent);
    // The other integration's call, and the usage call itself (Marketo counts it).
    assert_eq!(used, 2);
    sim.shutdown().await;
}
