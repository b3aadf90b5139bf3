use super::*;

fn config(text: &str) -> Config {
    Config::parse("test.toml", text).unwrap_or_else(|e| panic!("{e}"))
}

const MQL_RESPONSE: &str = r#"
[[sla]]
id = "mql_response"
label = "accept or reject an MQL"
stage = "mql"
team = "sales"
limit = "4h"
clock = "business"
warn_at = 0.75
stop = "leaves_stage"
"#;

#[test]
fn the_same_meaning_written_differently_is_no_change() {
    // Keys reordered, a comment, and a default written out: nothing means anything else.
    let reordered = r#"
# the teams' agreement, Q1
[[sla]]
stop = "leaves_stage"
warn_at = 0.75
clock = "business"
limit = "240m"
team = "sales"
stage = "mql"
label = "accept or reject an MQL"
id = "mql_response"
queue = "Sales queue"
"#;
    assert_eq!(
        diff(&config(MQL_RESPONSE), &config(reordered)),
        Vec::<String>::new()
    );
}

#[test]
fn a_halved_limit_and_a_changed_clock_read_in_words() {
    let halved = MQL_RESPONSE.replace("\"4h\"", "\"2h\"");
    assert_eq!(
        diff(&config(MQL_RESPONSE), &config(&halved)),
        ["mql_response: limit 4h → 2h (business)"]
    );
    let calendar = MQL_RESPONSE.replace("\"business\"", "\"calendar\"");
    assert_eq!(
        diff(&config(MQL_RESPONSE), &config(&calendar)),
        ["mql_response: limit 4h (business) → 4h (calendar)"]
    );
    let escalating = MQL_RESPONSE.replace(
        "stop = \"leaves_stage\"",
        "stop = \"leaves_stage\"\nescalate_after = \"8h\"",
    ) + "[[team]]\nname = \"sales\"\nlead = \"dana@x.example\"\n";
    assert_eq!(
        diff(&config(MQL_RESPONSE), &config(&escalating)),
        [
            "mql_response: escalates: never → 8h after the breach",
            "sales lead (escalations go to): nobody → dana@x.example",
        ]
    );
    let warned = MQL_RESPONSE.replace("0.75", "0.5");
    assert_eq!(
        diff(&config(MQL_RESPONSE), &config(&warned)),
        ["mql_response: warns at: 75% → 50%"]
    );
}

#[test]
fn an_sla_added_or_dropped_is_named_with_what_it_promises() {
    let with_two = format!(
        "{MQL_RESPONSE}\n[[sla]]\nid = \"sql_followup\"\nstage = \"sql\"\nteam = \"sales\"\n\
         limit = \"2d\"\nclock = \"calendar\"\nstop = \"sales_activity\"\n"
    );
    assert_eq!(
        diff(&config(MQL_RESPONSE), &config(&with_two)),
        [
            "sql_followup: new — a lead in sql must see a sales activity within 2d (calendar), sales's promise"
        ]
    );
    assert_eq!(
        diff(&config(&with_two), &config(MQL_RESPONSE)),
        ["sql_followup: removed"]
    );
}

const MQL_STAGE: &str = r#"
[[stage]]
id = "mql"
label = "MQL"
team = "sales"
definition = "Marketing-qualified."
[[stage.hubspot]]
when = { lifecyclestage = ["marketingqualifiedlead"], hubspotscore = [">= 50"] }
"#;

#[test]
fn a_raised_score_threshold_reads_as_the_threshold() {
    let raised = MQL_STAGE.replace(">= 50", ">=60");
    assert_eq!(
        diff(&config(MQL_STAGE), &config(&raised)),
        ["stage mql (hubspot): hubspotscore ≥ 50 → ≥ 60"]
    );
    let status = MQL_STAGE.replace(
        "hubspotscore = [\">= 50\"]",
        "hubspotscore = [\">= 50\"], hs_lead_status = [\"\", \"NEW\"]",
    );
    assert_eq!(
        diff(&config(MQL_STAGE), &config(&status)),
        ["stage mql (hubspot): now also needs hs_lead_status is empty or NEW"]
    );
    assert_eq!(
        diff(&config(&status), &config(MQL_STAGE)),
        ["stage mql (hubspot): no longer needs hs_lead_status is empty or NEW"]
    );
    let other = MQL_STAGE.replace("hubspotscore = [\">= 50\"]", "hs_lead_status = [\"NEW\"]");
    assert_eq!(
        diff(&config(MQL_STAGE), &config(&other)),
        [
            "stage mql (hubspot): rule removed: hubspotscore ≥ 50 and lifecyclestage is marketingqualifiedlead",
            "stage mql (hubspot): rule added: hs_lead_status is NEW and lifecyclestage is marketingqualifiedlead",
        ]
    );
}

#[test]
fn calendar_targets_and_reasons_changes_are_each_a_line() {
    let a = config(
        "[business_hours]\ndays = [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"]\nstart = \"09:00\"\nend = \"17:00\"\n\
         [targets.week]\nmqls_created = 40\n",
    );
    let b = config(
        "[business_hours]\ndays = [\"mon\",\"tue\",\"wed\",\"thu\"]\nstart = \"08:00\"\nend = \"17:00\"\n\
         holidays = [\"2026-12-24\"]\n[targets.week]\nmqls_created = 50\nwin_rate = 0.3\n",
    );
    let lines = diff(&a, &b);
    for want in [
        "business days: Mon Tue Wed Thu Fri → Mon Tue Wed Thu",
        "business hours: 09:00–17:00 → 08:00–17:00",
        "holiday added: 2026-12-24",
        "week target mqls_created: 40 → 50",
        "week target win_rate: none → 30%",
    ] {
        assert!(
            lines.iter().any(|l| l == want),
            "{want:?} not in {lines:#?}"
        );
    }
}
