//! `[notify] command`: each SLA transition is delivered exactly once while two `tandem
//! notify` processes share one data dir and are killed with SIGKILL at random points, then
//! started again. The command appends each payload to a file; afterwards every transition
//! is in it once.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use common::{frozen_sim, frozen_sim_with, patch_contact};
use tandem::sim::{SimHandle, SimOptions};

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tandem-notify-{}-{:x}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The example config with escalation after 2 business hours, and a notify command that
/// appends its stdin as one line (one `printf`: one write, whoever else appends).
fn config(dir: &Path) -> PathBuf {
    let out = dir.join("out.jsonl");
    let text =
        tandem::config::EXAMPLE.replacen("# escalate_after = \"8h\"", "escalate_after = \"2h\"", 1);
    assert!(text.contains("escalate_after = \"2h\""));
    let text = format!(
        "{text}\n[notify]\ncommand = \"line=$(cat); sleep 0.05; printf '%s\\\\n' \\\"$line\\\" >> {}\"\n",
        out.display()
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn notify(sim: &SimHandle, dir: &Path, now: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tandem"))
        .arg("--config")
        .arg(dir.join("config.toml"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args([
            "--hubspot-url",
            &sim.base_url,
            "notify",
            "--timeout",
            "60",
            "--now",
            now,
        ])
        .env("HUBSPOT_TOKEN", &sim.token)
        .env_remove("TANDEM_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tandem")
}

async fn finish(child: Child) -> std::process::Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().expect("wait"))
        .await
        .unwrap()
}

/// Two processes at once, each killed at a random point, `trials` times; then one run to
/// the end, which must leave nothing waiting.
async fn chaos(sim: &SimHandle, dir: &Path, now: &str, trials: usize) -> String {
    for _ in 0..trials {
        let mut kids = vec![notify(sim, dir, now), notify(sim, dir, now)];
        for kid in &mut kids {
            tokio::time::sleep(Duration::from_millis(fastrand::u64(20..700))).await;
            // SIGKILL: no chance to clean up, as `kill -9`.
            let _ = kid.kill();
        }
        for kid in kids {
            finish(kid).await;
        }
    }
    let out = finish(notify(sim, dir, now)).await;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(", 0 waiting"), "{text}");
    text
}

/// Each delivered payload, by its transition: (kind, lead, SLA, clock start).
fn delivered(dir: &Path) -> BTreeMap<(String, String, String, String), usize> {
    let text = std::fs::read_to_string(dir.join("out.jsonl")).unwrap_or_default();
    let mut seen = BTreeMap::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        let key =
            ["kind", "lead_id", "sla", "started_at"].map(|f| v[f].as_str().unwrap().to_string());
        *seen.entry(key.into()).or_insert(0) += 1;
    }
    seen
}

#[tokio::test]
async fn each_transition_is_delivered_once_across_kill_9_and_two_processes() {
    // Seven processes each load the portal and are killed and started again: together they
    // can spend HubSpot's 190 requests in 10 s, and the test's own writes must not meet a
    // 429 (pacing is tested on its own).
    let sim = frozen_sim_with(SimOptions {
        burst_limit: 100_000,
        ..SimOptions::new(42, 600)
    })
    .await;
    let dir = scratch();
    config(&dir);
    // The first look is the baseline: breaches already open are not news.
    let first = finish(notify(&sim, &dir, "2026-11-20T15:02:00Z")).await;
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(delivered(&dir).is_empty());

    // Monday 13:00: clocks that were running have breached, and some escalated.
    chaos(&sim, &dir, "2026-11-23T13:00:00Z", 4).await;
    let after_monday = delivered(&dir);
    let twice: Vec<_> = after_monday.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    let kinds: BTreeSet<&str> = after_monday.keys().map(|k| k.0.as_str()).collect();
    assert!(
        kinds.contains("breached") && kinds.contains("escalated"),
        "{kinds:?}"
    );

    // Sales accepts three of the MQLs whose breach was told: each clears, once.
    let accepted: Vec<String> = after_monday
        .keys()
        .filter(|k| k.0 == "breached" && k.2 == "mql_response")
        .map(|k| k.1.clone())
        .take(3)
        .collect();
    assert_eq!(accepted.len(), 3, "{after_monday:?}");
    for id in &accepted {
        patch_contact(&sim, id, json!({ "hs_lead_status": "OPEN" })).await;
    }
    chaos(&sim, &dir, "2026-11-23T13:00:00Z", 3).await;
    let all = delivered(&dir);
    let twice: Vec<_> = all.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    let cleared: BTreeSet<&str> = all
        .keys()
        .filter(|k| k.0 == "cleared")
        .map(|k| k.1.as_str())
        .collect();
    for id in &accepted {
        assert!(cleared.contains(id.as_str()), "{id} cleared: {cleared:?}");
    }
    // Every transition recorded was delivered, and nothing else was.
    let outbox = tandem::store::outbox::Outbox::open(&dir.join("data")).unwrap();
    let status = outbox.notice_status().unwrap();
    assert_eq!(status.delivered, all.len());
    assert_eq!(status.waiting, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_failing_command_is_retried_and_reported() {
    let sim = frozen_sim(42, 600).await;
    let dir = scratch();
    let path = config(&dir);
    let text = std::fs::read_to_string(&path).unwrap();
    let failing = text.replace("line=$(cat);", "echo 'chat is down' >&2; exit 3;");
    std::fs::write(&path, failing).unwrap();
    assert!(
        finish(notify(&sim, &dir, "2026-11-20T15:02:00Z"))
            .await
            .status
            .success()
    );
    let out = finish(notify(&sim, &dir, "2026-11-23T13:00:00Z")).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("failing (exit 3: chat is down) and retried with backoff"),
        "{text}"
    );
    let status = tandem::store::outbox::Outbox::open(&dir.join("data"))
        .unwrap()
        .notice_status()
        .unwrap();
    assert!(status.failing > 0 && status.delivered == 0, "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
