//! `tandem report --format json` and `tandem check` on a frozen simulated world, checked
//! against figures this test computes itself from the simulated HubSpot's HTTP answers —
//! never from tandem's own engine.

mod common;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use chrono::{DateTime, Datelike, NaiveTime, TimeZone, Utc, Weekday};
use serde_json::Value;

use common::{frozen_now, frozen_sim_with, get_json, list_all};
use tandem::sim::{SimHandle, SimOptions};

const NOW: &str = "2026-11-20T15:02:00Z";
const TOKEN_ENV: &str = "TANDEM_REPORT_TEST_TOKEN";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn prop<'a>(o: &'a Value, name: &str) -> &'a str {
    o["properties"][name].as_str().unwrap_or("")
}

fn time(o: &Value, name: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(prop(o, name))
        .ok()
        .map(|t| t.to_utc())
}

/// The README's default mapping, written out again here.
fn stage(o: &Value) -> &'static str {
    let lc = prop(o, "lifecyclestage");
    let st = prop(o, "hs_lead_status");
    match (lc, st) {
        ("customer" | "evangelist", _) => "customer",
        (_, "UNQUALIFIED") => "disqualified",
        (_, "BAD_TIMING") => "nurture",
        ("subscriber" | "lead", _) => "inquiry",
        ("marketingqualifiedlead", "" | "NEW") => "mql",
        (
            "marketingqualifiedlead",
            "OPEN" | "IN_PROGRESS" | "ATTEMPTED_TO_CONTACT" | "CONNECTED",
        ) => "sal",
        ("salesqualifiedlead", _) => "sql",
        ("opportunity", _) => "opportunity",
        _ => "unmapped",
    }
}

/// Mon–Fri 09:00–17:00 UTC business seconds in [a, b), day by day.
fn business_seconds(a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
    let mut total = 0;
    let mut day = a.date_naive();
    while day <= b.date_naive() {
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            let open =
                Utc.from_utc_datetime(&day.and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap()));
            let close =
                Utc.from_utc_datetime(&day.and_time(NaiveTime::from_hms_opt(17, 0, 0).unwrap()));
            let (s, e) = (open.max(a), close.min(b));
            if e > s {
                total += (e - s).num_seconds();
            }
        }
        day = day.succ_opt().unwrap();
    }
    total
}

struct Run {
    sim: SimHandle,
    config: std::path::PathBuf,
}

async fn world() -> Run {
    let mut opts = SimOptions::new(11, 600);
    opts.burst_limit = 5000;
    let sim = frozen_sim_with(opts).await;
    let dir = std::env::temp_dir().join(format!(
        "tandem-report-{}-{}",
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
    Run { sim, config }
}

/// Run the binary off the async runtime, so the in-test server keeps answering it.
async fn output(mut cmd: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("run tandem"))
        .await
        .unwrap()
}

async fn tandem(run: &Run, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tandem"));
    cmd.arg("--config")
        .arg(&run.config)
        .args(args)
        .env(TOKEN_ENV, &run.sim.token)
        .env_remove("TANDEM_CONFIG");
    output(cmd).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_json_matches_figures_computed_from_the_api() {
    assert_eq!(frozen_now(), at(NOW));
    let run = world().await;
    let out = tandem(&run, &["report", "--format", "json", "--now", NOW]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let contacts = list_all(
        &run.sim,
        "contacts",
        "lifecyclestage,hs_lead_status,hs_lifecyclestage_marketingqualifiedlead_date",
    )
    .await;

    // Stage counts.
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for c in &contacts {
        *counts.entry(stage(c)).or_default() += 1;
    }
    for s in report["stages"].as_array().unwrap() {
        let id = s["id"].as_str().unwrap();
        assert_eq!(
            s["count"].as_u64().unwrap(),
            counts.get(id).copied().unwrap_or(0),
            "{id}"
        );
    }
    assert!(
        report["stages"][1]["count"].as_u64().unwrap() > 0,
        "the world has MQLs"
    );

    let kpi = |id: &str| {
        report["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    // MQLs created this ISO week.
    let (week_start, week_end) = (at("2026-11-16T00:00:00Z"), at("2026-11-23T00:00:00Z"));
    let mqls = contacts
        .iter()
        .filter_map(|c| time(c, "hs_lifecyclestage_marketingqualifiedlead_date"))
        .filter(|t| *t >= week_start && *t < week_end)
        .count();
    assert_eq!(kpi("mqls_created")["value"].as_f64().unwrap(), mqls as f64);
    assert_eq!(kpi("mqls_created")["target"].as_f64(), Some(60.0));

    // Win rate: deals closed this week in a won or lost stage of the pipeline.
    let deals = list_all(&run.sim, "deals", "dealstage,closedate").await;
    let (mut won, mut lost) = (0, 0);
    for d in &deals {
        let Some(closed) = time(d, "closedate") else {
            continue;
        };
        if closed < week_start || closed >= week_end {
            continue;
        }
        match prop(d, "dealstage") {
            "closedwon" => won += 1,
            "closedlost" => lost += 1,
            _ => {}
        }
    }
    let win = kpi("win_rate")["value"].as_f64();
    if won + lost > 0 {
        assert!((win.unwrap() - won as f64 / (won + lost) as f64).abs() < 1e-9);
    } else {
        assert_eq!(win, None);
    }

    // mql_response: 4 business hours from entering MQL.
    let now = at(NOW);
    let mut expected: Vec<(String, i64)> = contacts
        .iter()
        .filter(|c| stage(c) == "mql")
        .filter_map(|c| {
            let since = time(c, "hs_lifecyclestage_marketingqualifiedlead_date")?;
            let overdue = business_seconds(since, now) - 4 * 3600;
            (overdue >= 0).then(|| (c["id"].as_str().unwrap().to_string(), overdue))
        })
        .collect();
    expected.sort();
    let mut reported: Vec<(String, i64)> = report["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["sla"] == "mql_response" && b["state"] == "breached")
        .map(|b| {
            (
                b["lead_id"].as_str().unwrap().to_string(),
                b["overdue_seconds"].as_i64().unwrap(),
            )
        })
        .collect();
    reported.sort();
    assert!(!expected.is_empty(), "the seeded world has overdue MQLs");
    assert_eq!(reported.len(), expected.len());
    for ((id_r, secs_r), (id_e, secs_e)) in reported.iter().zip(&expected) {
        assert_eq!(id_r, id_e);
        assert!((secs_r - secs_e).abs() <= 1, "{id_r}: {secs_r} vs {secs_e}");
    }

    // Feedback notes rolled up by campaign.
    let notes = list_all(&run.sim, "notes", "hs_note_body").await;
    let mut roll: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for n in &notes {
        let first = prop(n, "hs_note_body").lines().next().unwrap_or("");
        let Some(rest) = first.strip_prefix("#feedback campaign=\"") else {
            continue;
        };
        let (campaign, tail) = rest.split_once('"').unwrap();
        let e = roll.entry(campaign.to_string()).or_default();
        if tail.contains("verdict=works") {
            e.0 += 1;
        } else if tail.contains("verdict=does_not_work") {
            e.1 += 1;
        }
    }
    let got: BTreeMap<String, (u64, u64)> = report["feedback"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["campaign"].as_str().unwrap().to_string(),
                (
                    f["works"].as_u64().unwrap(),
                    f["does_not_work"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(got, roll);
    assert!(
        report["simulated"] == false,
        "read from a configured source"
    );
    run.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markdown_and_check_tell_the_same_story() {
    let run = world().await;
    let md = tandem(&run, &["report", "--now", NOW]).await;
    assert!(md.status.success());
    let md = String::from_utf8_lossy(&md.stdout).to_string();
    assert!(
        md.starts_with("## tandem standup · this week (2026-11-16 → 2026-11-23)"),
        "{md}"
    );
    for heading in [
        "### Pipeline",
        "### KPIs",
        "### SLA breaches",
        "### Messaging feedback",
    ] {
        assert!(md.contains(heading), "{heading}");
    }
    let check = tandem(&run, &["check", "--now", NOW]).await;
    assert_eq!(
        check.status.code(),
        Some(1),
        "the seeded world has breaches"
    );
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        text.lines().any(|l| l.starts_with("✖ mql_response ")),
        "{text}"
    );
    // Monday before opening hours, long before these leads existed: nothing is overdue and
    // no business time has passed for the weekly pace.
    let early = tandem(&run, &["check", "--now", "2026-01-05T08:00:00Z"]).await;
    assert_eq!(
        early.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&early.stdout)
    );
    run.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_exits_2_when_the_source_is_unreachable_or_the_token_is_missing() {
    let run = world().await;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tandem"));
    cmd.arg("--config")
        .arg(&run.config)
        .args(["check", "--now", NOW])
        .env_remove(TOKEN_ENV)
        .env_remove("TANDEM_CONFIG");
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("{TOKEN_ENV} is not set")));
    // A source nobody answers at.
    let gone = run.config.with_file_name("gone.toml");
    std::fs::write(
        &gone,
        format!("[[source]]\nname = \"HubSpot\"\nkind = \"hubspot\"\nbase_url = \"http://127.0.0.1:1\"\ntoken_env = \"{TOKEN_ENV}\"\n"),
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tandem"));
    cmd.arg("--config")
        .arg(&gone)
        // A refused connection is retried like any transient failure, until the timeout.
        .args(["check", "--now", NOW, "--timeout", "2"])
        .env(TOKEN_ENV, "whatever");
    let out = output(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot load"), "{stderr}");
    assert!(
        stderr.contains("cannot connect to http://127.0.0.1:1: connection refused"),
        "names the URL tried: {stderr}"
    );
    assert!(
        stderr.contains("is the server running? check --hubspot-url"),
        "says what to do: {stderr}"
    );
    assert!(!stderr.contains("whatever"), "the token never shows");
    run.sim.shutdown().await;
}

/// Start the binary with `stdout` and wait for it off the async runtime. `close_early`
/// drops our end of a piped stdout at once, as `| head -c 20` does before tandem prints.
async fn run_with_stdout(
    run: &Run,
    args: &[&str],
    stdout: Stdio,
    close_early: bool,
) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tandem"));
    cmd.arg("--config")
        .arg(&run.config)
        .args(args)
        .env(TOKEN_ENV, &run.sim.token)
        .env_remove("TANDEM_CONFIG")
        .stdout(stdout)
        .stderr(Stdio::piped());
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().expect("run tandem");
        if close_early {
            // The report needs the whole world loaded first, so nobody reads it.
            drop(child.stdout.take());
        }
        child.wait_with_output().expect("tandem ends")
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_goes_away_ends_report_and_check_quietly() {
    let run = world().await;
    let out = run_with_stdout(&run, &["report", "--now", NOW], Stdio::piped(), true).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "nothing to complain about: {stderr}");
    // `check` keeps its verdict: the seeded world has breaches.
    let out = run_with_stdout(&run, &["check", "--now", NOW], Stdio::piped(), true).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    run.sim.shutdown().await;
}

fn dev_full() -> Stdio {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    Stdio::from(full.expect("/dev/full exists on Linux"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_a_clear_error_with_exit_2() {
    let run = world().await;
    let config = run.config.to_str().unwrap().to_string();
    for args in [
        vec!["report", "--now", NOW],
        vec!["report", "--format", "json", "--now", NOW],
        vec!["check", "--now", NOW],
        vec!["config", "validate", config.as_str()],
    ] {
        let out = run_with_stdout(&run, &args, dev_full(), false).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("tandem: cannot write to standard output: No space left"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    run.sim.shutdown().await;
}

#[test]
fn a_hubspot_url_with_credentials_or_another_scheme_is_refused_without_the_password() {
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/config/valid/stage_override.toml"
    );
    for (url, why) in [
        (
            "http://user:s3cret-pw@127.0.0.1:1",
            "must not contain a user name or password",
        ),
        (
            "https://s3cret-pw@127.0.0.1:1/",
            "must not contain a user name",
        ),
        (
            "ftp://user:s3cret-pw@127.0.0.1:1/crm",
            "must start with http:// or https://",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_tandem"))
            .args(["--config", config, "--hubspot-url", url, "check"])
            .env("HUBSPOT_TOKEN", "pat-test-token")
            .env_remove("TANDEM_CONFIG")
            .output()
            .expect("run tandem");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{url}: {stderr}");
        assert!(stderr.contains(why), "{url}: {stderr}");
        assert!(stderr.contains("***@127.0.0.1:1"), "shows where: {stderr}");
        assert!(!stderr.contains("s3cret"), "never the password: {stderr}");
        assert!(
            !stderr.contains("pat-test-token"),
            "never the token: {stderr}"
        );
    }
}

/// An owner the config names that the CRM lacks: `check` and `report` warn on stderr at its
/// `file:line:col`, and the JSON carries the warning; the figures are unaffected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_owner_in_the_config_is_warned_about_at_its_place() {
    let run = world().await;
    let mut text = std::fs::read_to_string(&run.config).unwrap();
    text.push_str(
        "[coverage]\nsegment_by = \"region\"\n[[coverage.segment]]\nmatch = \"EMEA\"\nowners = [\"nobody@tandemdemo.example\"]\n",
    );
    std::fs::write(&run.config, text).unwrap();
    let at = format!(
        "{}:10:11: warning: coverage segment \"EMEA\" names nobody@tandemdemo.example, which is no CRM owner",
        run.config.display()
    );
    for args in [
        &["check", "--now", NOW][..],
        &["report", "--format", "json", "--now", NOW],
    ] {
        let out = tandem(&run, args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("tandem: {at}")),
            "{args:?}: {stderr}"
        );
        if args[0] == "report" {
            assert!(out.status.success(), "{stderr}");
            let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert!(
                json["warnings"][0].as_str().unwrap().starts_with(&at),
                "{}",
                json["warnings"]
            );
        }
    }
    run.sim.shutdown().await;
}

/// A breach unanswered past `escalate_after` goes up to the team's lead: the report, its
/// Markdown and `check` say so and name the lead, and which breaches escalated is
/// recomputed here from the contacts' MQL dates (4 business hours to breach, 8 more to
/// escalate).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breach_left_past_escalate_after_goes_to_the_teams_lead() {
    let run = world().await;
    let owners = get_json(&run.sim, "/crm/v3/owners", &[]).await;
    let lead = owners["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["teams"][0]["name"] == "Sales")
        .unwrap()
        .clone();
    let (email, name) = (
        lead["email"].as_str().unwrap(),
        format!(
            "{} {}",
            lead["firstName"].as_str().unwrap(),
            lead["lastName"].as_str().unwrap()
        ),
    );
    let mut text = std::fs::read_to_string(&run.config).unwrap();
    text.push_str(&format!(
        "[[team]]\nname = \"sales\"\nlead = \"{email}\"\n\
         [[sla]]\nid = \"mql_response\"\nstage = \"mql\"\nteam = \"sales\"\nlimit = \"4h\"\n\
         clock = \"business\"\nescalate_after = \"8h\"\n"
    ));
    std::fs::write(&run.config, text).unwrap();

    let out = tandem(&run, &["report", "--format", "json", "--now", NOW]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let contacts = list_all(
        &run.sim,
        "contacts",
        "lifecyclestage,hs_lead_status,hs_lifecyclestage_marketingqualifiedlead_date",
    )
    .await;
    let now = at(NOW);
    let mut want: Vec<(String, &str)> = contacts
        .iter()
        .filter(|c| stage(c) == "mql")
        .filter_map(|c| {
            let since = time(c, "hs_lifecyclestage_marketingqualifiedlead_date")?;
            let worked = business_seconds(since, now);
            let state = match worked {
                w if w >= 12 * 3600 => "escalated",
                w if w >= 4 * 3600 => "breached",
                _ => return None,
            };
            Some((c["id"].as_str().unwrap().to_string(), state))
        })
        .collect();
    want.sort();
    let breaches = report["breaches"].as_array().unwrap();
    let mut got: Vec<(String, &str)> = breaches
        .iter()
        .filter(|b| b["state"] != "warning")
        .map(|b| {
            (
                b["lead_id"].as_str().unwrap().to_string(),
                b["state"].as_str().unwrap(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, want);
    let escalated = want.iter().filter(|(_, s)| *s == "escalated").count();
    assert!(
        escalated > 0 && escalated < want.len(),
        "{escalated} of {}",
        want.len()
    );
    for b in breaches {
        let to = &b["escalated_to"];
        match b["state"].as_str().unwrap() {
            "escalated" => assert_eq!(to, name.as_str()),
            _ => assert!(to.is_null(), "{b}"),
        }
    }

    let md = tandem(&run, &["report", "--now", NOW]).await;
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains(&format!("{escalated} escalated)")), "{md}");
    assert!(md.contains(&format!("escalated to {name}")), "{md}");
    let check = tandem(&run, &["check", "--now", NOW]).await;
    assert_eq!(check.status.code(), Some(1));
    let text = String::from_utf8_lossy(&check.stdout);
    let up: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("⇑ mql_response"))
        .collect();
    assert_eq!(up.len(), escalated, "{text}");
    assert!(
        up.iter()
            .all(|l| l.contains(&format!("escalated to {name}"))),
        "{text}"
    );
    assert!(text.contains(&format!("{} breached", want.len())), "{text}");
    run.sim.shutdown().await;
}
