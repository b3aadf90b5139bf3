//! A frozen simulated world, its raw records read back, and `tandem report` run on it with a
//! config naming it as a source: what the figure tests recompute each figure from.

use std::collections::HashMap;
use std::process::Command;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{frozen_sim_with, get_json, list_all};
use tandem::sim::{SimHandle, SimOptions};

pub const NOW: &str = "2026-11-20T15:02:00Z";
const TOKEN_ENV: &str = "TANDEM_FIGURES_TEST_TOKEN";

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

const CONTACT_PROPS: &str = "lifecyclestage,hs_lead_status,createdate,hubspot_owner_id,\
    hubspot_owner_assigneddate,hs_lifecyclestage_lead_date,hs_lifecyclestage_subscriber_date,\
    hs_lifecyclestage_marketingqualifiedlead_date,hs_lifecyclestage_salesqualifiedlead_date,\
    hs_lifecyclestage_opportunity_date,hs_lifecyclestage_customer_date,hs_email_last_send_date,\
    firstname,lastname";

pub struct World {
    pub sim: SimHandle,
    pub config: std::path::PathBuf,
    pub contacts: Vec<Value>,
    pub deals: Vec<Value>,
    /// Owner id → (name, team name).
    pub owners: HashMap<String, (String, String)>,
}

pub async fn world() -> World {
    world_of(7).await
}

pub async fn world_of(seed: u64) -> World {
    let mut opts = SimOptions::new(seed, 1500);
    opts.burst_limit = 5000;
    let sim = frozen_sim_with(opts).await;
    let dir = std::env::temp_dir().join(format!(
        "tandem-figures-{}-{}",
        std::process::id(),
        sim.addr.port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[source]]\nname = \"HubSpot\"\nkind = \"hubspot\"\nbase_url = \"{}\"\ntoken_env = \"{TOKEN_ENV}\"\n",
            sim.base_url
        ),
    )
    .unwrap();
    let contacts = list_all(&sim, "contacts", CONTACT_PROPS).await;
    let deals = list_all(&sim, "deals", "dealstage,amount,closedate").await;
    let owners = get_json(&sim, "/crm/v3/owners", &[("limit", "500")]).await["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let name = format!(
                "{} {}",
                o["firstName"].as_str().unwrap_or(""),
                o["lastName"].as_str().unwrap_or("")
            );
            let team = o["teams"][0]["name"].as_str().unwrap_or("").to_string();
            (
                o["id"].as_str().unwrap().to_string(),
                (name.trim().to_string(), team),
            )
        })
        .collect();
    World {
        sim,
        config,
        contacts,
        deals,
        owners,
    }
}

pub async fn tandem(w: &World, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tandem"));
    cmd.arg("--config")
        .arg(&w.config)
        .args(args)
        .env(TOKEN_ENV, &w.sim.token)
        .env_remove("TANDEM_CONFIG");
    tokio::task::spawn_blocking(move || cmd.output().expect("run tandem"))
        .await
        .unwrap()
}

pub async fn report(w: &World, args: &[&str]) -> Value {
    let mut all = vec!["report", "--format", "json"];
    all.extend(args);
    let out = tandem(w, &all).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}
