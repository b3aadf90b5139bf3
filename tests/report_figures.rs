//! The figures behind the standup, each recomputed here from the simulated HubSpot's HTTP
//! answers, never from tandem's engine: cohorts (conversions, MQL acceptance, SAL→SQL) from
//! the raw property history with their pending and exited members, ratios with their n, the
//! MQL target pro-rated to business time, coverage of what is left to win, and the breach
//! list's order and wording.

mod common;

use std::collections::HashMap;
use std::process::Command;

use chrono::{DateTime, Datelike, NaiveTime, TimeZone, Utc, Weekday};
use serde_json::Value;

use common::{frozen_sim_with, get_json, kpi, list_all};
use tandem::sim::{SimHandle, SimOptions};

const NOW: &str = "2026-11-20T15:02:00Z";
const TOKEN_ENV: &str = "TANDEM_FIGURES_TEST_TOKEN";
const WEEK: (&str, &str) = ("2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z");

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

fn in_week(t: Option<DateTime<Utc>>) -> bool {
    t.is_some_and(|t| t >= at(WEEK.0) && t < at(WEEK.1))
}

/// The README's default mapping, written out again here.
fn stage(o: &Value) -> &'static str {
    match (prop(o, "lifecyclestage"), prop(o, "hs_lead_status")) {
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
            let hm =
                |h| Utc.from_utc_datetime(&day.and_time(NaiveTime::from_hms_opt(h, 0, 0).unwrap()));
            let (s, e) = (hm(9).max(a), hm(17).min(b));
            if e > s {
                total += (e - s).num_seconds();
            }
        }
        day = day.succ_opt().unwrap();
    }
    total
}

const CONTACT_PROPS: &str = "lifecyclestage,hs_lead_status,createdate,hubspot_owner_id,\
    hubspot_owner_assigneddate,hs_lifecyclestage_lead_date,hs_lifecyclestage_subscriber_date,\
    hs_lifecyclestage_marketingqualifiedlead_date,hs_lifecyclestage_salesqualifiedlead_date,\
    hs_lifecyclestage_opportunity_date,hs_lifecyclestage_customer_date,hs_email_last_send_date,\
    firstname,lastname";

struct World {
    sim: SimHandle,
    config: std::path::PathBuf,
    contacts: Vec<Value>,
    deals: Vec<Value>,
    /// Owner id → (name, team name).
    owners: HashMap<String, (String, String)>,
}

async fn world() -> World {
    let mut opts = SimOptions::new(7, 1500);
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

async fn tandem(w: &World, args: &[&str]) -> std::process::Output {
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

async fn report(w: &World, args: &[&str]) -> Value {
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

fn parts(k: &Value) -> (f64, f64) {
    (
        k["numerator"].as_f64().unwrap(),
        k["denominator"].as_f64().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ratios_carry_their_n_and_the_win_rate_matches_the_api() {
    let w = world().await;
    let r = report(&w, &["--now", NOW]).await;
    assert_eq!(r["min_sample"], 10);
    // Acceptance and the conversions are cohorts: see the test after this one.
    // Win rate with its n; on fewer than 10 closed deals it is never judged.
    let (mut won, mut lost) = (0u64, 0u64);
    for d in &w.deals {
        if in_week(time(d, "closedate")) {
            match prop(d, "dealstage") {
                "closedwon" => won += 1,
                "closedlost" => lost += 1,
                _ => {}
            }
        }
    }
    let win = kpi(&r, "win_rate");
    assert_eq!(parts(win), (won as f64, (won + lost) as f64));
    let closed = won + lost;
    assert_eq!(win["n"].as_u64(), Some(closed));
    assert_eq!(win["too_small"], closed > 0 && closed < 10);
    if closed < 10 {
        assert!(win["on_target"].is_null());
    }
    // Every ratio says what it divides, and a too-small one is never judged.
    for k in r["kpis"].as_array().unwrap() {
        if k["unit"] == "ratio" {
            assert!(
                k["numerator"].is_number() && k["denominator"].is_number(),
                "{k}"
            );
            assert_eq!(k["n"].as_f64(), k["denominator"].as_f64(), "{k}");
        }
        if k["too_small"] == true {
            assert!(k["on_target"].is_null(), "{k}");
        }
    }
    w.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mql_target_is_pro_rated_and_coverage_counts_what_closes_in_the_period() {
    let w = world().await;
    let r = report(&w, &["--now", NOW]).await;
    // Friday 15:02: 38h02 of the week's 40 business hours.
    let (start, end) = (at(WEEK.0), at(WEEK.1));
    let elapsed = business_seconds(start, at(NOW)) as f64;
    let total = business_seconds(start, end) as f64;
    let mqls = kpi(&r, "mqls_created");
    assert_eq!(mqls["target"].as_f64(), Some(60.0));
    let due = (60.0 * elapsed / total).ceil();
    assert_eq!(mqls["target_by_now"].as_f64(), Some(due));
    assert_eq!(
        mqls["on_target"].as_bool(),
        Some(mqls["value"].as_f64().unwrap() >= due)
    );

    // Coverage: open deals closing this week ÷ (400k − won this week).
    let closed = |d: &&Value| matches!(prop(d, "dealstage"), "closedwon" | "closedlost");
    let amount = |d: &Value| prop(d, "amount").parse::<f64>().unwrap_or(0.0);
    let closing: f64 = w
        .deals
        .iter()
        .filter(|d| !closed(d) && in_week(time(d, "closedate")))
        .map(amount)
        .sum();
    let all_open: f64 = w.deals.iter().filter(|d| !closed(d)).map(amount).sum();
    let won: f64 = w
        .deals
        .iter()
        .filter(|d| prop(d, "dealstage") == "closedwon" && in_week(time(d, "closedate")))
        .map(amount)
        .sum();
    let coverage = kpi(&r, "pipeline_coverage");
    assert!(all_open > closing, "some open deals close after this week");
    if won < 400_000.0 {
        let left = 400_000.0 - won;
        let (num, den) = parts(coverage);
        assert!((num - closing).abs() < 0.01 && (den - left).abs() < 0.01);
        let value = coverage["value"].as_f64().unwrap();
        assert!((value - closing / left).abs() < 1e-9, "{value}");
    } else {
        assert!(coverage["value"].is_null());
    }

    // Sunday 1 November 03:26: no business hour of the month has passed, so nothing is due.
    let month = report(&w, &["--now", "2026-11-01T03:26:00Z", "--period", "month"]).await;
    let mqls = kpi(&month, "mqls_created");
    assert_eq!(mqls["target"].as_f64(), Some(250.0));
    assert_eq!(mqls["target_by_now"].as_f64(), Some(0.0));
    assert_eq!(mqls["on_target"], true);
    w.sim.shutdown().await;
}

/// One breach as this test works it out: (lead id, SLA, team, urgency, who acts).
type Expected = (String, &'static str, &'static str, f64, String);

/// The breached clocks of mql_response (4 business hours) and nurture_pickup (14 calendar
/// days), straight from the contacts.
fn expected_breaches(w: &World) -> Vec<Expected> {
    let now = at(NOW);
    let acts = |c: &Value, team: &str, queue: &str| match w.owners.get(prop(c, "hubspot_owner_id"))
    {
        Some((name, t)) if t.to_lowercase().contains(team) => name.clone(),
        _ => queue.to_string(),
    };
    let mut out = Vec::new();
    for c in &w.contacts {
        let id = c["id"].as_str().unwrap().to_string();
        match stage(c) {
            "mql" => {
                let Some(since) = time(c, "hs_lifecyclestage_marketingqualifiedlead_date") else {
                    continue;
                };
                let over = business_seconds(since, now) - 4 * 3600;
                if over >= 0 {
                    let who = acts(c, "sales", "Sales queue");
                    out.push((id, "mql_response", "sales", over as f64 / 14_400.0, who));
                }
            }
            "nurture" => {
                let since = time(c, "hs_lifecyclestage_lead_date")
                    .or(time(c, "hs_lifecyclestage_subscriber_date"))
                    .or(time(c, "createdate"));
                let Some(since) = since else { continue };
                if time(c, "hs_email_last_send_date").is_some_and(|t| t > since) {
                    continue;
                }
                let limit = 14 * 86_400;
                let over = (now - since).num_seconds() - limit;
                if over >= 0 {
                    let who = acts(c, "market", "Marketing queue");
                    out.push((
                        id,
                        "nurture_pickup",
                        "marketing",
                        over as f64 / limit as f64,
                        who,
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breaches_are_listed_by_urgency_across_clocks_and_read_the_same_in_check() {
    let w = world().await;
    let r = report(&w, &["--now", NOW]).await;
    let listed: Vec<&Value> = r["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["state"] == "breached" && b["sla"] != "first_touch")
        .collect();
    let mut expected = expected_breaches(&w);
    assert!(expected.iter().any(|e| e.1 == "mql_response"));
    assert!(expected.iter().any(|e| e.1 == "nurture_pickup"));
    assert_eq!(listed.len(), expected.len());
    let by_id: HashMap<(&str, &str), &Expected> =
        expected.iter().map(|e| ((e.0.as_str(), e.1), e)).collect();
    for b in &listed {
        let e = by_id[&(b["lead_id"].as_str().unwrap(), b["sla"].as_str().unwrap())];
        assert_eq!(b["team"], e.2);
        assert!((b["urgency"].as_f64().unwrap() - e.3).abs() < 1e-3, "{b}");
        assert_eq!(b["acts"], e.4.as_str(), "{b}");
        assert_ne!(b["acts"], "—");
    }
    // The order: the team whose most urgent clock is most urgent first, each SLA's clocks
    // most urgent first — whatever the raw seconds say.
    expected.sort_by(|a, b| b.3.total_cmp(&a.3));
    let first_team = expected[0].2;
    assert_eq!(r["breaches"][0]["team"], first_team);
    let teams: Vec<&str> = r["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["team"].as_str().unwrap())
        .collect();
    let switches = teams.windows(2).filter(|p| p[0] != p[1]).count();
    assert!(switches <= 1, "each team's breaches together: {teams:?}");
    for sla in ["mql_response", "nurture_pickup"] {
        let u: Vec<f64> = listed
            .iter()
            .filter(|b| b["sla"] == sla)
            .map(|b| b["urgency"].as_f64().unwrap())
            .collect();
        assert!(u.windows(2).all(|p| p[0] >= p[1]), "{sla}: {u:?}");
    }
    // Raw overdue time would have put the long nurture clocks first; urgency does not.
    let most_seconds = r["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|b| b["overdue_seconds"].as_i64().unwrap())
        .unwrap();
    assert_eq!(most_seconds["sla"], "nurture_pickup");
    assert_eq!(
        first_team, "sales",
        "in this world an MQL is the most urgent"
    );

    // `check` prints the breached clocks in the same order, in words, with the clock named.
    let out = tandem(&w, &["check", "--now", NOW]).await;
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("✖ ")).collect();
    let breached: Vec<&Value> = r["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["state"] == "breached")
        .collect();
    for (line, b) in lines.iter().zip(&breached) {
        let sla = b["sla"].as_str().unwrap();
        assert!(line.starts_with(&format!("✖ {sla} (")), "{line}");
        let clock = if sla == "nurture_pickup" {
            "calendar"
        } else {
            "business"
        };
        assert!(line.ends_with(&format!("{clock} time")), "{line}");
        assert!(line.contains(", overdue "), "{line}");
        assert!(
            line.contains(&format!("{} to act", b["acts"].as_str().unwrap())),
            "{line}"
        );
    }
    assert!(lines[0].starts_with("✖ mql_response (accept or reject an MQL, sales): "));
    // The breached clocks come first; pace lines (no lead, no clock) may follow them.
    for line in lines.iter().take(breached.len()) {
        let after = line.split(", overdue ").nth(1).unwrap_or_default();
        assert!(
            after.starts_with(|c: char| c.is_ascii_digit()),
            "no minus sign: {line}"
        );
    }
    w.sim.shutdown().await;
}

/// Every cohort figure (the five conversions, MQL acceptance and SAL→SQL) equals the oracle
/// recomputed from the raw history, with its pending and exited members, for a week and a
/// quarter at two instants; and no conversion is 100 % unless every member converted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cohort_figures_match_the_raw_history_with_pending_and_exited() {
    let w = world().await;
    let contacts = common::oracle::contacts_with_history(&w.sim).await;
    let pairs = [
        ("conv_inquiry_mql", "inquiry", "mql"),
        ("conv_mql_sal", "mql", "sal"),
        ("conv_sal_sql", "sal", "sql"),
        ("sal_to_sql", "sal", "sql"),
        ("conv_sql_opportunity", "sql", "opportunity"),
        ("conv_opportunity_customer", "opportunity", "customer"),
    ];
    let mut below_full = 0;
    for (now, period, start, end) in [
        (NOW, "week", "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z"),
        (
            NOW,
            "quarter",
            "2026-10-01T00:00:00Z",
            "2027-01-01T00:00:00Z",
        ),
        (
            "2026-11-13T16:00:00Z",
            "week",
            "2026-11-09T00:00:00Z",
            "2026-11-16T00:00:00Z",
        ),
    ] {
        let r = report(&w, &["--now", now, "--period", period]).await;
        let window = (at(start), at(end));
        for (id, from, to) in pairs {
            let c = common::oracle::cohort(&contacts, from, to, window);
            let k = kpi(&r, id);
            assert_eq!(
                (k["numerator"].as_f64(), k["denominator"].as_f64()),
                (Some(c.converted as f64), Some(c.members as f64)),
                "{id} {period} at {now}: {k}"
            );
            assert_eq!(k["pending"].as_u64(), Some(c.pending), "{id}: {k}");
            assert_eq!(k["exited"].as_u64(), Some(c.exited), "{id}: {k}");
            assert_eq!(c.converted + c.exited + c.pending, c.members);
            if c.converted < c.members {
                assert!(k["value"].as_f64().unwrap_or(0.0) < 1.0, "{id}: {k}");
                below_full += 1;
            }
        }
        // Acceptance: accepted ÷ (accepted + rejected) over the MQL cohort.
        let c = common::oracle::cohort(&contacts, "mql", "sal", window);
        let k = kpi(&r, "mql_acceptance");
        assert_eq!(
            (k["numerator"].as_f64(), k["denominator"].as_f64()),
            (
                Some(c.converted as f64),
                Some((c.converted + c.exited) as f64)
            ),
            "mql_acceptance {period} at {now}: {k}"
        );
        assert_eq!(k["pending"].as_u64(), Some(c.pending));
        let created = kpi(&r, "mqls_created");
        assert_eq!(
            created["value"].as_f64(),
            Some(c.members as f64),
            "{created}"
        );
    }
    assert!(below_full > 0);
    // The quarter's SAL→SQL is below 100 %: recycled SALs stay in its denominator.
    let r = report(&w, &["--now", NOW, "--period", "quarter"]).await;
    assert!(kpi(&r, "sal_to_sql")["value"].as_f64().unwrap() < 1.0);
    w.sim.shutdown().await;
}

/// Lenses never select by the outcome (metrics.md §6): a team lens counts a cohort by the
/// owner at each entry (recomputed here from the raw history), and the segment lenses
/// partition the leads, so their stage counts and cohort parts sum to the everyone view.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lenses_count_by_the_owner_at_entry_and_segments_partition_everyone() {
    let w = world().await;
    let contacts = common::oracle::contacts_with_history(&w.sim).await;
    let sales: std::collections::HashSet<&str> = w
        .owners
        .iter()
        .filter(|(_, (_, team))| team == "Sales")
        .map(|(id, _)| id.as_str())
        .collect();
    let quarter = (at("2026-10-01T00:00:00Z"), at("2027-01-01T00:00:00Z"));
    // The MQL cohort of team sales: owned by a sales owner at the entry, or unowned in the
    // sales queue (mql is sales' stage in the built-in file).
    let owner_at = |c: &Value, t: DateTime<Utc>| -> Option<String> {
        common::oracle::changes(c)
            .into_iter()
            .rfind(|(at, p, _)| p == "hubspot_owner_id" && *at <= t)
            .map(|(_, _, v)| v)
            .filter(|v| !v.is_empty())
    };
    let team_sales: Vec<Value> = contacts
        .iter()
        .filter(|c| {
            let entry = common::oracle::stages(c)
                .into_iter()
                .find(|(at, s)| *s == "mql" && *at >= quarter.0 && *at < quarter.1);
            entry.is_some_and(|(at, _)| owner_at(c, at).is_none_or(|o| sales.contains(o.as_str())))
        })
        .cloned()
        .collect();
    let expected = common::oracle::cohort(&team_sales, "mql", "sal", quarter);
    let r = report(
        &w,
        &["--now", NOW, "--period", "quarter", "--lens", "team:sales"],
    )
    .await;
    assert_eq!(r["lens"], "team sales");
    let k = kpi(&r, "conv_mql_sal");
    assert_eq!(
        (
            k["numerator"].as_f64(),
            k["denominator"].as_f64(),
            k["pending"].as_u64()
        ),
        (
            Some(expected.converted as f64),
            Some(expected.members as f64),
            Some(expected.pending)
        ),
        "{k}"
    );
    // Not the survivors: the cohort is every MQL of the quarter that sales had at entry.
    assert!(expected.converted < expected.members);

    // Segments partition everyone: stage counts and every cohort part add up.
    let everyone = report(&w, &["--now", NOW, "--period", "quarter"]).await;
    let mut hs = common::client(&w.sim);
    let (store, _) = tandem::sync::load_store(&mut hs).await.unwrap();
    let segments: Vec<String> = {
        let mut s: Vec<String> = store.leads().iter().map(|l| l.segment()).collect();
        s.sort();
        s.dedup();
        s
    };
    assert!(segments.len() > 3);
    let mut counts = vec![0u64; everyone["stages"].as_array().unwrap().len()];
    let ids = [
        "conv_inquiry_mql",
        "conv_mql_sal",
        "conv_sal_sql",
        "mql_acceptance",
    ];
    let mut parts = vec![(0.0, 0.0, 0u64); ids.len()];
    for s in &segments {
        let lens = format!("segment:{s}");
        let r = report(&w, &["--now", NOW, "--period", "quarter", "--lens", &lens]).await;
        assert_eq!(r["lens"], s.as_str());
        for (i, st) in r["stages"].as_array().unwrap().iter().enumerate() {
            counts[i] += st["count"].as_u64().unwrap();
        }
        for (i, id) in ids.iter().enumerate() {
            let k = kpi(&r, id);
            parts[i].0 += k["numerator"].as_f64().unwrap_or(0.0);
            parts[i].1 += k["denominator"].as_f64().unwrap_or(0.0);
            parts[i].2 += k["pending"].as_u64().unwrap_or(0);
        }
    }
    let whole: Vec<u64> = everyone["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, whole, "stage counts partition");
    for (i, id) in ids.iter().enumerate() {
        let k = kpi(&everyone, id);
        assert_eq!(
            (parts[i].0, parts[i].1, parts[i].2),
            (
                k["numerator"].as_f64().unwrap_or(0.0),
                k["denominator"].as_f64().unwrap_or(0.0),
                k["pending"].as_u64().unwrap_or(0)
            ),
            "{id} partitions"
        );
    }
    w.sim.shutdown().await;
}
