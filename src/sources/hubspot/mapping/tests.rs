//! HubSpot objects to records: worked examples, and hostile text that must stay harmless.

use super::*;

fn object(json: serde_json::Value) -> Object {
    serde_json::from_value(json).unwrap()
}

#[test]
fn contact_maps_to_a_clean_classified_lead() {
    let o = object(serde_json::json!({
        "id": "501",
        "properties": {
            "firstname": "Priya\u{1b}[31m", "lastname": "Natarajan", "email": "p@acme.example",
            "company": "Acme Robotics", "country": "DE", "numemployees": "1000-5000",
            "lifecyclestage": "marketingqualifiedlead", "hs_lead_status": null,
            "hs_lifecyclestage_marketingqualifiedlead_date": "2026-11-20T10:00:00.000Z",
            "lastmodifieddate": "1763640000000"
        },
        "createdAt": "2026-11-01T00:00:00Z", "updatedAt": "2026-11-20T10:00:00Z", "archived": false
    }));
    let config = crate::config::Config::builtin();
    let mapping = Mapping::new(Arc::new(config.stages), vec!["industry".into()]);
    let lead = lead(&o, &mapping);
    assert_eq!(lead.name, "Priya[31m Natarajan");
    assert_eq!(lead.stage, Some(crate::domain::Stage::Mql));
    assert_eq!(lead.segment(), "EMEA ent");
    assert_eq!(lead.dates.mql, parse_time("2026-11-20T10:00:00Z"));
    assert_eq!(
        lead.updated_at,
        Utc.timestamp_millis_opt(1763640000000).unwrap()
    );
}

#[test]
fn absurd_dates_are_missing() {
    assert!(parse_time("-8000000000000000").is_none());
    assert!(parse_time("9999-12-31T00:00:00Z").is_none());
    assert!(parse_time("2026-11-20").is_some());
}

#[test]
fn closed_won_needs_probability_one() {
    let p: Vec<PipelineWire> = serde_json::from_value(serde_json::json!([{ "id": "default", "stages": [
        {"id": "closedwon", "label": "Closed won", "displayOrder": 5, "metadata": {"isClosed": "true", "probability": "1.0"}},
        {"id": "closedlost", "label": "Closed lost", "displayOrder": 6, "metadata": {"isClosed": "true", "probability": "0.0"}},
        {"id": "contractsent", "label": "Contract sent", "displayOrder": 4, "metadata": {"isClosed": "false", "probability": "0.9"}}
    ]}])).unwrap();
    let stages = deal_stages(&p);
    assert!(stages[0].is_won && stages[0].is_closed);
    assert!(!stages[1].is_won && stages[1].is_closed);
    assert!(!stages[2].is_closed);
}

fn contact(props: serde_json::Value) -> Object {
    object(serde_json::json!({ "id": "501", "properties": props }))
}

fn mapping() -> Mapping {
    let config = crate::config::Config::builtin();
    Mapping::new(Arc::new(config.stages), vec!["industry".into()])
}

#[test]
fn insane_amounts_are_rejected_and_counted() {
    let amount = |raw: &str| {
        deal(&object(
            serde_json::json!({ "id": "9", "properties": { "amount": raw } }),
        ))
        .amount
    };
    assert_eq!(amount("1234.5"), 1234.5);
    assert_eq!(amount(" 1e15 "), 1e15);
    assert_eq!(amount("-250"), -250.0);
    let before = INVALID_AMOUNTS.load(Ordering::Relaxed);
    for raw in [
        "1e308",
        "inf",
        "-infinity",
        "NaN",
        "1e16",
        "-2e15",
        "12 apples",
    ] {
        assert_eq!(amount(raw), 0.0, "{raw}");
    }
    // Other tests may count too; these seven at least.
    assert!(INVALID_AMOUNTS.load(Ordering::Relaxed) >= before + 7);
}

#[test]
fn blank_looking_names_show_as_no_name() {
    let invisible = "\u{3164}\u{2060}\u{00AD}\u{115F}\u{FE0F} \u{200B}";
    let lead = lead(
        &object(serde_json::json!({ "id": invisible, "properties": {
            "firstname": invisible, "lastname": "\u{FFA0}", "email": "\u{E0041}"
        }})),
        &mapping(),
    );
    assert_eq!(lead.name, NO_NAME);
    let deal = deal(&object(
        serde_json::json!({ "id": "9", "properties": { "dealname": invisible } }),
    ));
    assert_eq!(deal.name, NO_NAME);
    let wire: OwnerWire = serde_json::from_value(serde_json::json!({
        "id": "7", "firstName": invisible, "lastName": "\u{1160}", "email": "\u{2800}"
    }))
    .unwrap();
    assert_eq!(owner(&wire).name, NO_NAME);
    let p: Vec<PipelineWire> =
        serde_json::from_value(serde_json::json!([{ "id": "default", "stages": [
            {"id": "s", "label": invisible, "displayOrder": 1, "metadata": {}}
        ]}]))
        .unwrap();
    assert_eq!(deal_stages(&p)[0].label, NO_NAME);
}

#[test]
fn hidden_characters_cannot_make_a_second_anna() {
    // "Anna" with a word joiner inside is shown, and compared, as plain "Anna".
    let lead = lead(
        &contact(serde_json::json!({ "firstname": "An\u{2060}na", "lastname": "Lee\u{E0020}" })),
        &mapping(),
    );
    assert_eq!(lead.name, "Anna Lee");
}

#[test]
fn huge_remote_text_is_capped_with_an_ellipsis() {
    let huge = "x".repeat(100_000);
    let lead = lead(
        &contact(serde_json::json!({
            "firstname": huge, "lastname": huge, "company": huge, "industry": huge
        })),
        &mapping(),
    );
    for text in [&lead.name, &lead.company, &lead.extra["industry"]] {
        assert_eq!(text.chars().count(), FIELD_MAX);
        assert!(text.ends_with('…'));
    }
    let campaign = "c".repeat(1000);
    let body = format!("<p>#feedback campaign=\"{campaign}\" verdict=works</p><p>{huge}</p>");
    let note = note(
        &object(serde_json::json!({ "id": "n1", "properties": { "hs_note_body": body } })),
        vec![],
    );
    match note.kind {
        NoteKind::Feedback { campaign, text, .. } => {
            assert_eq!(campaign.chars().count(), FIELD_MAX);
            assert!(text.chars().count() <= NOTE_MAX);
        }
        _ => panic!("a feedback note"),
    }
    let plain = note_of_body(&huge);
    assert_eq!(plain.chars().count(), NOTE_MAX);
    assert!(plain.ends_with('…'));
}

fn note_of_body(body: &str) -> String {
    let n = note(
        &object(serde_json::json!({ "id": "n1", "properties": { "hs_note_body": body } })),
        vec![],
    );
    match n.kind {
        NoteKind::Plain(t)
        | NoteKind::Recycle { text: t, .. }
        | NoteKind::Feedback { text: t, .. } => t,
    }
}
