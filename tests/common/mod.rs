//! Shared by the integration tests: a frozen simulated HubSpot and curl-like reads of it.
#![allow(dead_code)] // each test crate uses its own subset

pub mod actions;
pub mod figures;
pub mod oracle;
pub mod saga;

use chrono::{DateTime, Utc};
use serde_json::Value;

use std::sync::Arc;
use tandem::sim::{self, SimHandle, SimOptions};
use tandem::sources::{Connector, Secret};

use tandem::config::Config;
use tandem::sources::hubspot::{HubSpot, Mapping};

/// Friday of week 47, mid-afternoon: MQL clocks are running and some are overdue.
pub fn frozen_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T15:02:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A simulated HubSpot whose world is generated at [`frozen_now`] and never moves by itself.
pub async fn frozen_sim(seed: u64, contacts: usize) -> SimHandle {
    frozen_sim_with(SimOptions::new(seed, contacts)).await
}

pub async fn frozen_sim_with(mut opts: SimOptions) -> SimHandle {
    opts.now = Some(frozen_now());
    sim::start(opts).await.expect("sim starts")
}

/// A connector to the sim through the source port, with the built-in stage mapping.
pub fn client(sim: &SimHandle) -> Connector {
    client_with(sim, &Config::builtin())
}

pub fn client_with(sim: &SimHandle, config: &Config) -> Connector {
    hubspot_with(sim, config).into()
}

/// The HubSpot connector itself, for tests of its own knobs.
pub fn hubspot_with(sim: &SimHandle, config: &Config) -> HubSpot {
    let mapping = Mapping::new(
        Arc::new(config.stages.clone()),
        config.extra_contact_properties(),
    );
    HubSpot::new(&sim.base_url, Secret::new(sim.token.clone()), mapping).unwrap()
}

/// `GET path?query` with the bearer token, as JSON — the way a curl user reads the server.
pub async fn get_json(sim: &SimHandle, path: &str, query: &[(&str, &str)]) -> Value {
    reqwest::Client::new()
        .get(format!("{}{path}", sim.base_url))
        .query(query)
        .bearer_auth(&sim.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `POST path` with a JSON body and the bearer token, as JSON.
pub async fn post_json(sim: &SimHandle, path: &str, body: &Value) -> Value {
    reqwest::Client::new()
        .post(format!("{}{path}", sim.base_url))
        .bearer_auth(&sim.token)
        .json(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Every object of a type, paged through the list endpoint.
pub async fn list_all(sim: &SimHandle, object: &str, props: &str) -> Vec<Value> {
    list_all_with(sim, object, props, None).await
}

/// Like [`list_all`], each object with its associations of type `associations`.
pub async fn list_all_with(
    sim: &SimHandle,
    object: &str,
    props: &str,
    associations: Option<&str>,
) -> Vec<Value> {
    let path = format!("/crm/v3/objects/{object}");
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut q = vec![("limit", "100"), ("properties", props)];
        if let Some(a) = associations {
            q.push(("associations", a));
        }
        if let Some(a) = &after {
            q.push(("after", a));
        }
        let page = get_json(sim, &path, &q).await;
        out.extend(page["results"].as_array().unwrap().iter().cloned());
        match page["paging"]["next"]["after"].as_str() {
            Some(a) => after = Some(a.to_string()),
            None => return out,
        }
    }
}

/// Read the server's own record of a contact.
pub async fn server_contact(sim: &SimHandle, id: &str) -> Value {
    let path = format!("/crm/v3/objects/contacts/{id}");
    let props = [(
        "properties",
        "lifecyclestage,hs_lead_status,hubspot_owner_id",
    )];
    get_json(sim, &path, &props).await
}

/// PATCH a contact's properties on the server, as another HubSpot user would.
pub async fn patch_contact(sim: &SimHandle, id: &str, props: Value) {
    let resp = reqwest::Client::new()
        .patch(format!("{}/crm/v3/objects/contacts/{id}", sim.base_url))
        .bearer_auth(&sim.token)
        .json(&serde_json::json!({ "properties": props }))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    assert!(status.is_success(), "PATCH contact {id}: {status} {body}");
}

/// Make the server's next requests fail (see `/_sim/faults`).
pub async fn inject(sim: &SimHandle, fault: Value) {
    let status = reqwest::Client::new()
        .post(format!("{}/_sim/faults", sim.base_url))
        .bearer_auth(&sim.token)
        .json(&fault)
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "fault accepted");
}

/// Delete (archive) a contact the way the HubSpot API does, as someone else would.
pub async fn archive_contact(sim: &SimHandle, id: &str) {
    let status = reqwest::Client::new()
        .delete(format!("{}/crm/v3/objects/contacts/{id}", sim.base_url))
        .bearer_auth(&sim.token)
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "archive {id}: {status}");
}

/// End every injected fault (queued and mix), as `DELETE /_sim/faults` does.
pub async fn clear_faults(sim: &SimHandle) {
    let status = reqwest::Client::new()
        .delete(format!("{}/_sim/faults", sim.base_url))
        .bearer_auth(&sim.token)
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "faults cleared");
}

/// A private outbox, as `--no-cache` runs with.
pub fn outbox() -> Arc<tandem::store::outbox::Outbox> {
    Arc::new(tandem::store::outbox::Outbox::in_memory().expect("outbox"))
}

/// Where a test cockpit's actions go: `outbox`, filed under the sim's address, by `user`.
pub fn outgoing(
    sim: &SimHandle,
    outbox: Arc<tandem::store::outbox::Outbox>,
    user: &str,
) -> tandem::app::Outgoing {
    tandem::app::Outgoing {
        outbox,
        key: tandem::sources::Vendor::HubSpot.source_key(&sim.base_url),
        vendor: tandem::sources::Vendor::HubSpot,
        user: user.into(),
        outbox_path: None,
    }
}

/// The first sales owner the store knows (by the CRM's order), for tests that need one.
pub fn sales_owner(store: &tandem::store::Store) -> String {
    store
        .owners()
        .iter()
        .find(|o| o.team == Some(tandem::domain::Team::Sales))
        .expect("the simulated portal has sales owners")
        .id
        .clone()
}

/// Run the binary with `args` and the sim's token, away from the user's own config,
/// off the async runtime so the in-test server keeps answering it.
pub async fn tandem_with(sim: &SimHandle, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tandem"));
    cmd.args(args)
        .env("HUBSPOT_TOKEN", &sim.token)
        .env_remove("TANDEM_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent-tandem-test");
    tokio::task::spawn_blocking(move || cmd.output().expect("run tandem"))
        .await
        .unwrap()
}

/// `tandem report --format json` against the sim with `args`; it must succeed.
pub async fn report_json(sim: &SimHandle, args: &[&str]) -> Value {
    let mut all = vec!["report", "--format", "json", "--hubspot-url", &sim.base_url];
    all.extend_from_slice(args);
    let out = tandem_with(sim, &all).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// One KPI of a JSON report, by id.
pub fn kpi<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id)
        .unwrap_or_else(|| panic!("no KPI {id}"))
}
