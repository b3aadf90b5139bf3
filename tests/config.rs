//! The shared definitions file: valid and invalid fixtures, the built-in mapping, and the
//! `config` commands as a user runs them.

use std::path::Path;
use std::process::Command;

use chrono::{Datelike, Duration, NaiveTime};

use tandem::config::{Config, EXAMPLE};
use tandem::domain::Stage;
use tandem::domain::coverage::SegmentBy;
use tandem::domain::kpi::{KpiValue, PeriodKind};
use tandem::domain::sla::Clock;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

#[test]
fn the_example_is_the_builtin_default() {
    let example = Config::parse("example.toml", EXAMPLE).expect("example parses");
    let builtin = Config::builtin();
    assert_eq!(example.slas, builtin.slas);
    assert_eq!(example.stages, builtin.stages);
    let ids: Vec<&str> = builtin.slas.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["mql_response", "first_touch", "nurture_pickup"]);
    assert_eq!(builtin.paces[0].id, "mql_volume");
    assert_eq!(builtin.slas[0].limit, Duration::hours(4));
    assert_eq!(builtin.slas[2].clock, Clock::Calendar);
    assert_eq!(builtin.recycle.reasons.len(), 5);
    assert!(
        builtin.sources.is_empty(),
        "no source: the embedded simulator"
    );
}

#[test]
fn builtin_hubspot_mapping() {
    let stages = Config::builtin().stages;
    let cases = [
        ("subscriber", "", Some(Stage::Inquiry)),
        ("lead", "", Some(Stage::Inquiry)),
        ("marketingqualifiedlead", "", Some(Stage::Mql)),
        ("marketingqualifiedlead", "NEW", Some(Stage::Mql)),
        ("marketingqualifiedlead", "OPEN", Some(Stage::Sal)),
        ("marketingqualifiedlead", "IN_PROGRESS", Some(Stage::Sal)),
        (
            "marketingqualifiedlead",
            "ATTEMPTED_TO_CONTACT",
            Some(Stage::Sal),
        ),
        ("marketingqualifiedlead", "CONNECTED", Some(Stage::Sal)),
        ("salesqualifiedlead", "CONNECTED", Some(Stage::Sql)),
        ("opportunity", "", Some(Stage::Opportunity)),
        ("customer", "", Some(Stage::Customer)),
        ("evangelist", "", Some(Stage::Customer)),
        ("lead", "BAD_TIMING", Some(Stage::Nurture)),
        ("marketingqualifiedlead", "BAD_TIMING", Some(Stage::Nurture)),
        ("lead", "UNQUALIFIED", Some(Stage::Disqualified)),
        ("customer", "BAD_TIMING", Some(Stage::Customer)),
        ("other", "", None),
        ("marketingqualifiedlead", "OPEN_DEAL", None),
    ];
    for (lifecycle, status, want) in cases {
        let got = stages.classify(|p| match p {
            "lifecyclestage" => Some(lifecycle),
            "hs_lead_status" => Some(status),
            _ => None,
        });
        assert_eq!(got, want, "{lifecycle}/{status}");
    }
}

#[test]
fn a_team_file_overrides_only_what_it_writes() {
    let c = Config::load(&fixture("valid/berlin_team.toml")).expect("valid");
    assert_eq!(c.calendar.tz, chrono_tz::Europe::Berlin);
    assert_eq!(c.calendar.start, NaiveTime::from_hms_opt(8, 30, 0).unwrap());
    assert_eq!(c.calendar.holidays.len(), 2);
    assert_eq!(c.slas.len(), 1, "written SLAs replace the defaults");
    assert_eq!(
        (c.slas[0].limit, c.slas[0].warn_at),
        (Duration::hours(2), 0.5)
    );
    assert!(c.paces.is_empty());
    assert_eq!(
        c.targets.get(PeriodKind::Week, "mqls_created"),
        Some(KpiValue::Count(80))
    );
    assert_eq!(
        c.targets.get(PeriodKind::Week, "win_rate"),
        None,
        "the week table was rewritten"
    );
    assert_eq!(
        c.targets.get(PeriodKind::Month, "mqls_created"),
        Some(KpiValue::Count(250))
    );
    assert_eq!(c.coverage.segment_by, SegmentBy::RegionSize);
    assert_eq!(c.coverage.segments[0].owners.len(), 2);
    assert_eq!(c.sources[0].token_env, "HUBSPOT_EU_TOKEN");
    assert_eq!(
        c.sources[0].poll_interval,
        Some(std::time::Duration::from_secs(30))
    );
    assert_eq!(c.stages, Config::builtin().stages, "stages untouched");
}

#[test]
fn a_stage_rule_can_read_any_property() {
    let c = Config::load(&fixture("valid/stage_override.toml")).expect("valid");
    assert_eq!(c.stages.info(Stage::Mql).label, "Demo requested");
    assert_eq!(c.recycle.max_loops, 4);
    assert_eq!(c.recycle.reasons.len(), 5, "reasons kept from the defaults");
    assert!(
        c.extra_contact_properties()
            .contains(&"recent_conversion_event_name".to_string())
    );
    let demo = |event: &'static str| {
        move |p: &str| match p {
            "lifecyclestage" => Some("marketingqualifiedlead"),
            "recent_conversion_event_name" => Some(event),
            _ => None,
        }
    };
    assert_eq!(
        c.stages.classify(demo("Pricing page demo request")),
        Some(Stage::Mql)
    );
    assert_eq!(c.stages.classify(demo("Ebook download")), None);
    // Other stages keep their built-in rules.
    assert_eq!(
        c.stages
            .classify(|p| (p == "lifecyclestage").then_some("opportunity")),
        Some(Stage::Opportunity)
    );
}

/// Each invalid fixture fails at the right place with a message saying what was expected.
#[test]
fn invalid_files_name_file_line_column_and_expectation() {
    let cases = [
        ("unknown_key.toml", 6, "unknown field `lunch`"),
        ("bad_duration.toml", 5, "expected a duration like"),
        ("bad_timezone.toml", 5, "expected an IANA time zone"),
        ("unknown_stage.toml", 2, "expected one of the shared stages"),
        ("duplicate_stage.toml", 5, "defined twice"),
        (
            "sla_without_limit.toml",
            1,
            "expected either `stage` and `limit`",
        ),
        ("end_before_start.toml", 4, "must end after they start"),
        ("unknown_kpi.toml", 3, "unknown field `happiness`"),
        ("bad_reason_code.toml", 2, "must be lowercase"),
        ("huge_duration.toml", 5, "at most \"1825d\" (5 years)"),
        ("ratio_as_percent.toml", 3, "write 0.70 for 70%"),
        ("not_toml.toml", 1, ""),
    ];
    for (name, line, needle) in cases {
        let path = fixture(&format!("invalid/{name}"));
        let err = Config::load(&path).expect_err(name);
        assert_eq!(err.line, line, "{name}: {err}");
        assert!(err.column >= 1, "{name}: {err}");
        assert!(err.message.contains(needle), "{name}: {err}");
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!("{}:{line}:", path.display())),
            "{shown}"
        );
    }
    // A source error names the rule, and never echoes the token-looking value as a token.
    let err = Config::load(&fixture("invalid/token_in_file.toml")).unwrap_err();
    assert!(
        err.message.contains("tokens never go in this file"),
        "{err}"
    );
    // Credentials in a URL are refused by validation too, without repeating the password.
    let err = Config::load(&fixture("invalid/url_with_password.toml")).unwrap_err();
    assert!(err.message.contains("http:// or https://"), "{err}");
    assert!(!err.to_string().contains("hunter2secret"), "{err}");
}

fn tandem(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(args)
        .env_remove("TANDEM_CONFIG")
        .output()
        .expect("run tandem")
}

#[test]
fn config_validate_exits_2_with_the_location() {
    let bad = fixture("invalid/bad_duration.toml");
    let out = tandem(&["config", "validate", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:5:", bad.display())),
        "{stderr}"
    );

    let good = fixture("valid/berlin_team.toml");
    let out = tandem(&["config", "validate", good.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok"));
}

#[test]
fn config_validate_refuses_a_huge_duration_instead_of_panicking() {
    let bad = fixture("invalid/huge_duration.toml");
    let out = tandem(&["config", "validate", bad.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:5:9:", bad.display())),
        "{stderr}"
    );
}

#[test]
fn config_validate_without_a_file_accepts_the_builtin_defaults() {
    let home = std::env::temp_dir().join(format!("tandem-empty-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["config", "validate"])
        .env_remove("TANDEM_CONFIG")
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .output()
        .expect("run tandem");
    let _ = std::fs::remove_dir_all(&home);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("built-in defaults are in effect"),
        "{stdout}"
    );
    assert!(stdout.contains("3 SLA timer(s)"), "{stdout}");
}

#[test]
fn config_init_writes_the_example_and_refuses_to_overwrite() {
    let dir = std::env::temp_dir().join(format!("tandem-config-init-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("nested/config.toml");
    let out = tandem(&["config", "init", path.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), EXAMPLE);
    assert!(Config::load(&path).is_ok());
    let again = tandem(&["config", "init", path.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_cockpit_refuses_a_bad_config_before_touching_the_terminal() {
    let bad = fixture("invalid/unknown_stage.toml");
    let out = tandem(&["--config", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected one of the shared stages"));
}

#[test]
fn equal_priority_rules_are_tried_in_file_order() {
    // Both rules match a bare MQL; the stage written first wins.
    let text = r#"
[[stage]]
id = "sal"
[[stage.hubspot]]
when = { lifecyclestage = ["marketingqualifiedlead"] }

[[stage]]
id = "mql"
[[stage.hubspot]]
when = { lifecyclestage = ["marketingqualifiedlead"] }
"#;
    let c = Config::parse("order.toml", text).expect("valid");
    let mql = |p: &str| (p == "lifecyclestage").then_some("marketingqualifiedlead");
    assert_eq!(c.stages.classify(mql), Some(Stage::Sal));
    let swapped = text
        .replacen("\"sal\"", "\"tmp\"", 1)
        .replacen("\"mql\"", "\"sal\"", 1)
        .replacen("\"tmp\"", "\"mql\"", 1);
    let c = Config::parse("order.toml", &swapped).expect("valid");
    assert_eq!(c.stages.classify(mql), Some(Stage::Mql));
}

#[test]
fn a_coverage_section_without_segment_by_keeps_the_default_cut() {
    let c = Config::parse("cov.toml", "[coverage]\nfallback = [\"a@x.example\"]\n").expect("valid");
    assert_eq!(c.coverage.segment_by, Config::builtin().coverage.segment_by);
    assert_eq!(c.coverage.fallback, ["a@x.example"]);
}

/// `text` must fail at `line`, at the column where the value after `key = ` starts, saying
/// `needle`.
fn refused_at_value(text: &str, line: usize, needle: &str) {
    let err = Config::parse("c.toml", text).expect_err(text);
    let written = text.lines().nth(line - 1).unwrap();
    let column = written.find("= ").expect("a key = value line") + 3;
    assert_eq!((err.line, err.column), (line, column), "{err}\n{text}");
    assert!(err.message.contains(needle), "{err}\n{text}");
}

/// An SLA timer whose fifth line is `extra`.
fn sla_with(extra: &str) -> String {
    format!("[[sla]]\nid = \"x\"\nstage = \"nurture\"\nteam = \"marketing\"\n{extra}\n")
}

#[test]
fn durations_the_engine_cannot_add_are_refused_with_the_bound() {
    let bound = "at most \"1825d\" (5 years)";
    for limit in [
        "999999999999d",
        "99999999999999999w",
        "99999999999999999999s",
        "1825d1s",
    ] {
        refused_at_value(&sla_with(&format!("limit = \"{limit}\"")), 5, bound);
    }
    // Used to validate and then panic in `report` on the calendar clock.
    let calendar = sla_with("limit = \"20000000w\"\nclock = \"calendar\"");
    refused_at_value(&calendar, 5, bound);
    refused_at_value(
        &sla_with("limit = \"366d\""),
        5,
        "at most \"365d\" (a year)",
    );
    refused_at_value(&sla_with("limit = \"0s\""), 5, "longer than zero");
    assert!(Config::parse("c.toml", &sla_with("limit = \"365d\"")).is_ok());
    // Used to validate and then crash the cockpit on `<`.
    let revisit = "[recycle]\n[[recycle.reason]]\ncode = \"x\"\nlabel = \"x\"\n\
                   revisit_after = \"20000000w\"\n";
    refused_at_value(revisit, 5, bound);
    let poll = "[[source]]\nname = \"h\"\nkind = \"hubspot\"\nbase_url = \"https://h.example\"\n\
                token_env = \"T\"\npoll_interval = \"99999999999999w\"\n";
    refused_at_value(poll, 6, bound);
}

#[test]
fn targets_must_be_finite_non_negative_and_ratios_fractions() {
    let cases = [
        (
            "mql_acceptance = 70",
            "a ratio between 0 and 1: write 0.70 for 70%",
        ),
        ("win_rate = -0.1", "a ratio between 0 and 1"),
        ("sal_to_sql = nan", "a ratio between 0 and 1"),
        ("nurture_pickup = inf", "a ratio between 0 and 1"),
        ("revenue = nan", "not nan or inf"),
        ("touched_pipeline = inf", "not nan or inf"),
        ("sourced_pipeline = -inf", "not nan or inf"),
        ("pipeline_coverage = -3.0", "0 or more"),
        ("pipeline_velocity = -1", "0 or more"),
        ("mqls_created = -5", "a whole number"),
        ("mqls_created = inf", "a whole number"),
        ("funnel_leakage = 2.5", "a whole number"),
        ("win_rate = \"high\"", "expected a number between 0 and 1"),
    ];
    for (line, needle) in cases {
        refused_at_value(
            &format!("[targets.week]\nspeed_to_lead = \"4h\"\n{line}\n"),
            3,
            needle,
        );
    }
    let ok = "[targets.week]\nwin_rate = 1\nmql_acceptance = 0\nmqls_created = 60.0\n";
    let c = Config::parse("c.toml", ok).expect("bounds are inclusive");
    assert_eq!(
        c.targets.get(PeriodKind::Week, "win_rate"),
        Some(KpiValue::Ratio(Some(1.0)))
    );
    assert_eq!(
        c.targets.get(PeriodKind::Week, "mqls_created"),
        Some(KpiValue::Count(60))
    );
}

#[test]
fn warn_at_is_a_fraction_above_zero() {
    refused_at_value(
        &sla_with("warn_at = \"high\""),
        5,
        "expected a number between 0 and 1",
    );
    refused_at_value(&sla_with("warn_at = 75"), 5, "write 0.70 for 70%");
    refused_at_value(&sla_with("warn_at = nan"), 5, "a ratio between 0 and 1");
    refused_at_value(&sla_with("warn_at = 0"), 5, "must be more than 0");
}

#[test]
fn a_half_life_too_short_to_share_credit_is_refused() {
    for short in ["1s", "23h59m"] {
        let text = format!("[attribution]\nhalf_life = \"{short}\"\n");
        refused_at_value(&text, 2, "at least \"1d\"");
    }
    let c = Config::parse("c.toml", "[attribution]\nhalf_life = \"1d\"\n").expect("valid");
    assert_eq!(c.attribution.half_life, Duration::days(1));
}

/// The cache's folder can be named in the file; the built-in defaults leave it to XDG.
#[test]
fn data_dir_comes_from_the_file() {
    let c = Config::parse("d.toml", "data_dir = \"/srv/tandem\"\n").expect("valid");
    assert_eq!(
        c.data_dir.as_deref(),
        Some(std::path::Path::new("/srv/tandem"))
    );
    assert_eq!(Config::builtin().data_dir, None);
}

#[test]
fn min_sample_and_queue_are_read_and_checked() {
    let builtin = Config::builtin();
    assert_eq!(builtin.targets.min_sample, 10);
    assert_eq!(builtin.slas[0].queue, "Sales queue");
    assert_eq!(builtin.slas[2].queue, "Marketing queue");
    // `[targets] min_sample` alone keeps every period's targets.
    let c = Config::parse("c.toml", "[targets]\nmin_sample = 3\n").expect("valid");
    assert_eq!(c.targets.min_sample, 3);
    assert_eq!(c.targets.by_period, builtin.targets.by_period);
    refused_at_value("[targets]\nmin_sample = 2.5\n", 2, "whole number");
    let c = Config::parse(
        "c.toml",
        &sla_with("limit = \"14d\"\nqueue = \"Nurture desk\""),
    )
    .expect("valid");
    assert_eq!(c.slas[0].queue, "Nurture desk");
    let c = Config::parse("c.toml", &sla_with("limit = \"14d\"")).expect("valid");
    assert_eq!(c.slas[0].queue, "Marketing queue", "the team's queue");
    let empty = Config::parse("c.toml", &sla_with("limit = \"14d\"\nqueue = \" \""));
    assert!(
        empty
            .unwrap_err()
            .message
            .contains("queue must not be empty")
    );
    let pace =
        "[[sla]]\nid = \"v\"\nteam = \"marketing\"\npace = \"mqls_created\"\nqueue = \"x\"\n";
    let err = Config::parse("c.toml", pace).unwrap_err();
    assert!(
        err.message
            .contains("takes no clock, stop, queue or escalate_after"),
        "{err}"
    );
}

/// Files that parse but would mislead are refused where they mislead.
#[test]
fn configs_that_validate_but_mislead_are_refused_at_file_line_column() {
    refused_at_value(
        "[[stage]]\nid = \"mql\"\n[[stage.hubspot]]\nwhen = {}\n",
        4,
        "match every lead",
    );
    refused_at_value(
        "[[stage]]\nid = \"mql\"\n[[stage.hubspot]]\nwhen = { lifecyclestage = [] }\n",
        4,
        "could never match",
    );
    refused_at_value("[lens]\ntop_accounts = 0\n", 2, "at least 1");
    refused_at_value("[actions]\nundo_window = \"0s\"\n", 2, "at least \"1s\"");
    let all: Vec<String> = chrono::NaiveDate::from_ymd_opt(2020, 1, 1)
        .unwrap()
        .iter_days()
        .take_while(|d| d.year() <= 2031)
        .map(|d| format!("\"{d}\""))
        .collect();
    let hours = |list: &[String]| {
        format!(
            "[business_hours]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\nstart = \"09:00\"\nend = \"17:00\"\nholidays = [{}]\n",
            list.join(", ")
        )
    };
    let xmas: Vec<String> = (24..=31).map(|d| format!("\"2026-12-{d}\"")).collect();
    assert!(Config::parse("c.toml", &hours(&xmas)).is_ok());
    refused_at_value(
        &hours(&all),
        5,
        "no working day from 2020-01-01 to 2031-12-31",
    );
}

/// Config text reaches the report and the screen like remote text: no escape or control
/// byte, and a label of 100,000 characters is capped.
#[test]
fn config_text_is_cleaned_and_capped_like_remote_text() {
    // TOML escapes: ESC [2J (clear screen), ESC ]52 (clipboard) ... BEL, then 100,000 x.
    let hostile = format!(
        "\"MQL\\u001B[2J\\u001B]52;c;aGk=\\u0007{}\"",
        "x".repeat(100_000)
    );
    let text = format!(
        "[[stage]]\nid = \"mql\"\nlabel = {hostile}\ndefinition = {hostile}\n\n[[reject]]\ncode = \"no_fit\"\nlabel = {hostile}\nthen = \"disqualify\"\n"
    );
    let c = Config::parse("c.toml", &text).unwrap();
    let label = c.stages.info(Stage::Mql).label.clone();
    let definition = c.stages.info(Stage::Mql).definition.clone();
    let reason = c.reject_reasons[0].label.clone();
    for shown in [&label, &definition, &reason] {
        assert!(
            !shown.chars().any(|ch| ch.is_control()),
            "{:?}",
            &shown[..40]
        );
        assert!(shown.chars().count() <= 600, "{}", shown.len());
    }
    assert!(
        label.starts_with("MQL") && label.chars().count() <= 80,
        "{label}"
    );
}

/// Stage rules are tagged by vendor: a source classifies by its own vendor's rules only.
#[test]
fn stage_rules_are_tagged_by_vendor() {
    let text = r#"
[[stage]]
id = "sal"
[[stage.hubspot]]
when = { lifecyclestage = ["marketingqualifiedlead"], hs_lead_status = ["OPEN"] }
[[stage.salesforce]]
when = { Status = ["Working - Contacted"] }
[[stage.marketo]]
when = { leadStatus = ["Sales Accepted"] }
"#;
    let c = tandem::config::Config::parse("vendors.toml", text).expect("valid");
    let vendors: std::collections::BTreeSet<&str> = c
        .stages
        .rules()
        .iter()
        .filter(|r| r.stage == Stage::Sal)
        .map(|r| r.vendor.as_str())
        .collect();
    assert_eq!(
        vendors,
        std::collections::BTreeSet::from(["hubspot", "marketo", "salesforce"])
    );
    let salesforce = |p: &str| (p == "Status").then_some("Working - Contacted");
    assert_eq!(
        c.stages.for_vendors(&["salesforce"]).classify(salesforce),
        Some(Stage::Sal)
    );
    // HubSpot's own rules never read Salesforce's `Status`.
    assert_eq!(
        c.stages.for_vendors(&["hubspot"]).classify(salesforce),
        None
    );
    assert!(
        !c.stages
            .for_vendors(&["hubspot"])
            .properties()
            .contains("Status")
    );
}

#[test]
fn a_salesforce_crm_and_a_marketo_map_are_one_stack() {
    use tandem::sources::Vendor;
    let c = Config::load(&fixture("valid/salesforce_marketo.toml")).expect("valid");
    let crm = &c.sources[0];
    assert_eq!(
        (crm.kind, crm.api_version.as_deref()),
        (Vendor::Salesforce, Some("61.0"))
    );
    let map = &c.sources[1];
    assert_eq!(map.kind, Vendor::Marketo);
    assert_eq!(
        map.base_url, "https://123-ABC-456.mktorest.com",
        "trailing slash trimmed"
    );
    assert_eq!(map.client_id_env.as_deref(), Some("MARKETO_CLIENT_ID"));
    assert_eq!(map.nurture_list, Some(1001));
    let stack = tandem::app::stack(&c)
        .expect("a stack")
        .expect("configured");
    assert_eq!(stack.vendor, Vendor::SalesforceMarketo);
    assert_eq!(stack.crm.name, "Salesforce");
    // A MAP needs a CRM beside it.
    let mut alone = c.clone();
    alone.sources.remove(0);
    let err = tandem::app::stack(&alone).err().expect("refused");
    assert!(err.contains("MAP beside a Salesforce CRM"), "{err}");
    // `role` says which facts a source gives: Marketo is never the CRM, a CRM never a MAP.
    let mut swapped = c.clone();
    swapped.sources[1].role = tandem::config::SourceRole::Crm;
    let err = tandem::app::stack(&swapped).err().expect("refused");
    assert!(err.contains("Marketo is a MAP"), "{err}");
    let mut swapped = c.clone();
    swapped.sources[0].role = tandem::config::SourceRole::Map;
    let err = tandem::app::stack(&swapped).err().expect("refused");
    assert!(err.contains("carries the pipeline"), "{err}");
    // Each vendor's settings belong to that vendor.
    for (name, needle) in [
        ("marketo_without_client_id.toml", "needs client_id_env"),
        ("old_salesforce_api.toml", "60.0 or later"),
        (
            "nurture_list_on_salesforce.toml",
            "nurture_list is for a marketo source",
        ),
    ] {
        let err = Config::load(&fixture(&format!("invalid/{name}"))).expect_err(name);
        assert!(err.message.contains(needle), "{name}: {err}");
    }
}

#[test]
fn escalation_needs_a_sane_delay_and_team_leads_are_emails_named_once() {
    let ok = Config::parse(
        "c.toml",
        &format!(
            "[[team]]\nname = \"sales\"\nlead = \"dana@x.example\"\n{}",
            sla_with("limit = \"14d\"\nescalate_after = \"2d\"")
        ),
    )
    .expect("valid");
    assert_eq!(ok.slas[0].escalate_after, Some(chrono::Duration::days(2)));
    assert_eq!(
        ok.team_lead(tandem::domain::stage::Team::Sales),
        Some("dana@x.example")
    );
    assert_eq!(ok.team_lead(tandem::domain::stage::Team::Marketing), None);
    assert!(
        ok.owner_refs.iter().any(|r| r.owner == "dana@x.example"),
        "the lead is checked against the CRM's owners like any owner the file names"
    );
    refused_at_value(
        &sla_with("limit = \"4h\"\nescalate_after = \"0m\""),
        6,
        "escalate_after must be longer than zero",
    );
    let err = Config::parse("c.toml", "[[team]]\nname = \"sales\"\nlead = \"Dana\"\n").unwrap_err();
    assert_eq!(err.line, 3, "{err}");
    assert!(err.message.contains("a CRM owner's email"), "{err}");
    let twice = "[[team]]\nname = \"sales\"\nlead = \"a@x.example\"\n[[team]]\nname = \"sales\"\nlead = \"b@x.example\"\n";
    let err = Config::parse("c.toml", twice).unwrap_err();
    assert!(err.message.contains("written twice"), "{err}");
    let pace = "[[sla]]\nid = \"v\"\nteam = \"marketing\"\npace = \"mqls_created\"\nescalate_after = \"1h\"\n";
    let err = Config::parse("c.toml", pace).unwrap_err();
    assert!(err.message.contains("escalate_after"), "{err}");
}

#[test]
fn a_proposed_file_is_found_beside_the_config_that_names_it() {
    let c = Config::parse("/srv/team/tandem.toml", "proposed = \"q1.toml\"\n").expect("valid");
    assert_eq!(
        c.proposed.as_deref(),
        Some(std::path::Path::new("/srv/team/q1.toml"))
    );
    let c = Config::parse("/srv/team/tandem.toml", "proposed = \"/etc/q1.toml\"\n").expect("valid");
    assert_eq!(
        c.proposed.as_deref(),
        Some(std::path::Path::new("/etc/q1.toml"))
    );
    assert_eq!(Config::builtin().proposed, None);
    let err = Config::parse("c.toml", "proposed = \" \"\n").expect_err("empty");
    assert!(
        err.to_string()
            .starts_with("c.toml:1:12: proposed must name a file"),
        "{err}"
    );
}

#[test]
fn a_notify_command_is_read_and_an_empty_one_refused() {
    let c = Config::parse("c.toml", "[notify]\ncommand = \"mail -s breach ops\"\n").expect("valid");
    assert_eq!(c.notify_command.as_deref(), Some("mail -s breach ops"));
    assert_eq!(Config::builtin().notify_command, None);
    let err = Config::parse("c.toml", "[notify]\ncommand = \"  \"\n").expect_err("empty");
    assert!(
        err.to_string()
            .starts_with("c.toml:2:11: notify command must not be empty"),
        "{err}"
    );
    let err = Config::parse("c.toml", "[notify]\ncmd = \"x\"\n").expect_err("unknown key");
    assert!(err.to_string().contains("unknown field `cmd`"), "{err}");
}
