//! HubSpot objects to records: worked examples, and hostile input that must stay harmless.

use std::collections::HashMap;

use proptest::prelude::*;

use super::super::wire::{AssociationList, AssociationRef, Page};
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
    assert_eq!(lead.name(), "Priya[31m Natarajan");
    assert_eq!(lead.stage, Some(crate::domain::Stage::Mql));
    assert_eq!(lead.segment(), "EMEA ent");
    assert_eq!(lead.dates.mql(), parse_time("2026-11-20T10:00:00Z"));
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
    assert_eq!(lead.name(), NO_NAME);
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
    assert_eq!(lead.name(), "Anna Lee");
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
    for text in [
        lead.name(),
        lead.company.as_str(),
        lead.props["industry"].as_str(),
    ] {
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
        | NoteKind::Reject { text: t, .. }
        | NoteKind::Feedback { text: t, .. } => t,
    }
}

// ── Hostile input, at random ──

/// Text a CRM might hand over: anything, escape and invisible characters, huge runs, and
/// numbers and dates in every shape.
fn hostile() -> impl Strategy<Value = String> {
    let nasty = prop::sample::select(vec![
        '\u{1b}',
        '\u{9b}',
        '\u{7}',
        '\u{0}',
        '\n',
        '\r',
        '\t',
        ' ',
        '|',
        '<',
        '>',
        '&',
        '"',
        '=',
        '\u{00AD}',
        '\u{200B}',
        '\u{202E}',
        '\u{2060}',
        '\u{2066}',
        '\u{FEFF}',
        '\u{E0041}',
        '\u{115F}',
        '\u{3164}',
        '\u{FFA0}',
        '\u{2800}',
        '\u{FE0F}',
        '\u{E0100}',
        '\u{2028}',
        'a',
        'é',
        '漢',
        '😀',
        '#',
    ]);
    prop_oneof![
        any::<String>(),
        prop::collection::vec(prop_oneof![any::<char>(), nasty], 0..60).prop_map(String::from_iter),
        (any::<char>(), 150usize..6000).prop_map(|(c, n)| c.to_string().repeat(n)),
        prop::sample::select(vec![
            "1e308",
            "-1e308",
            "inf",
            "NaN",
            "1e15",
            "-0",
            "0x10",
            "1_000",
            "9999999999999999999",
            "-8000000000000000",
            "1763640000000",
            "2026-11-20",
            "2026-11-20T10:00:00Z",
            "9999-12-31T23:59:59Z",
            "1969-12-31T23:59:59Z",
            "2026-02-30",
            "#feedback campaign=\"x\" verdict=works",
        ])
        .prop_map(String::from),
        any::<f64>().prop_map(|x| x.to_string()),
        any::<i64>().prop_map(|x| x.to_string()),
    ]
}

fn properties() -> impl Strategy<Value = HashMap<String, Option<String>>> {
    let names: Vec<&str> = CONTACT_PROPERTIES
        .iter()
        .chain(DEAL_PROPERTIES)
        .chain(NOTE_PROPERTIES)
        .copied()
        .chain(["industry"])
        .collect();
    prop::collection::hash_map(
        prop::sample::select(names).prop_map(String::from),
        prop::option::of(hostile()),
        0..24,
    )
}

fn hostile_object() -> impl Strategy<Value = Object> {
    (
        hostile(),
        properties(),
        prop::option::of(hostile()),
        prop::collection::vec(hostile(), 0..3),
        prop::collection::vec((hostile(), prop::option::of(hostile()), hostile()), 0..4),
    )
        .prop_map(|(id, properties, updated_at, contacts, history)| Object {
            id,
            properties: properties.into_iter().collect(),
            updated_at,
            properties_with_history: history
                .into_iter()
                .map(|(name, value, timestamp)| {
                    (
                        name,
                        vec![super::super::wire::ValueWithTimestamp { value, timestamp }],
                    )
                })
                .collect(),
            archived: false,
            associations: [(
                "contacts".to_string(),
                AssociationList {
                    results: contacts
                        .into_iter()
                        .map(|id| AssociationRef { id })
                        .collect(),
                },
            )]
            .into_iter()
            .collect(),
        })
}

/// One line of shown text: no controls, nothing invisible, within the cap.
fn assert_field(what: &str, s: &str) -> Result<(), TestCaseError> {
    use finl_unicode::categories::CharacterCategories;
    prop_assert!(
        s.chars().count() <= FIELD_MAX,
        "{} is {} chars",
        what,
        s.chars().count()
    );
    prop_assert!(
        !s.chars()
            .any(|c| c.is_control() || CharacterCategories::is_format(c)),
        "{} has a control or format char: {:?}",
        what,
        s
    );
    prop_assert!(s == s.trim(), "{} has space at an end: {:?}", what, s);
    Ok(())
}

fn assert_body(what: &str, s: &str) -> Result<(), TestCaseError> {
    use finl_unicode::categories::CharacterCategories;
    prop_assert!(
        s.chars().count() <= NOTE_MAX,
        "{} is {} chars",
        what,
        s.chars().count()
    );
    prop_assert!(
        !s.chars()
            .any(|c| (c.is_control() && c != '\n') || CharacterCategories::is_format(c)),
        "{} has a control or format char",
        what
    );
    Ok(())
}

fn in_range(t: Option<DateTime<Utc>>) -> bool {
    t.is_none_or(|t| (0..7_258_118_400_000).contains(&t.timestamp_millis()))
}

proptest! {
    #[test]
    fn prop_text_parsers_never_panic_and_keep_their_promises(raw in hostile()) {
        let amount = parse_amount(&raw);
        prop_assert!(amount.is_none_or(|a| a.is_finite() && a.abs() <= MAX_AMOUNT));
        prop_assert!(in_range(parse_time(&raw)));
        assert_field("cleaned", &clean_within(&raw, FIELD_MAX))?;
        let cleaned = crate::domain::text::clean(&raw);
        prop_assert!(!cleaned.chars().any(|c| c.is_control()));
        prop_assert!(cleaned.chars().count() <= raw.chars().count());
    }

    #[test]
    fn prop_mapped_records_are_clean_capped_and_finite(o in hostile_object()) {
        let lead = lead(&o, &mapping());
        prop_assert!(!lead.name().is_empty());
        for (what, s) in [
            ("id", lead.id.as_str()), ("name", lead.name()), ("email", lead.email()),
            ("company", &lead.company), ("title", lead.title()), ("country", &lead.country),
            ("source", &lead.source_channel),
        ] {
            assert_field(what, s)?;
        }
        for s in lead.props.values().chain(lead.owner_id.iter()).chain(lead.first_campaign.iter()) {
            assert_field("props", s)?;
        }
        let d = &lead.dates;
        for t in [d.created(), d.inquiry(), d.mql(), d.accepted(), d.sql(), d.opportunity(), d.customer()] {
            prop_assert!(in_range(t));
        }
        // History: clean values, sane times, oldest first.
        for c in &lead.history.props() {
            assert_field("history value", &c.value)?;
            prop_assert!(in_range(Some(c.at)));
        }
        prop_assert!(lead.history.props().iter().collect::<Vec<_>>().windows(2).all(|w| w[0].at <= w[1].at));
        for c in &lead.history.owners() {
            if let Some(o) = &c.owner_id {
                assert_field("history owner", o)?;
            }
            prop_assert!(in_range(Some(c.at)));
        }

        let deal = deal(&o);
        prop_assert!(deal.amount.is_finite() && deal.amount.abs() <= MAX_AMOUNT, "{}", deal.amount);
        prop_assert!(!deal.name.is_empty());
        for s in [&deal.id, &deal.name, &deal.stage_id].into_iter().chain(&deal.contact_ids) {
            assert_field("deal text", s)?;
        }

        let note = note(&o, vec![]);
        assert_field("note id", &note.id)?;
        match &note.kind {
            NoteKind::Feedback { campaign, text, .. } => {
                assert_field("campaign", campaign)?;
                assert_body("feedback", text)?;
            }
            NoteKind::Recycle { text, reason } | NoteKind::Reject { text, reason } => {
                assert_body("recycle", text)?;
                if let Some(r) = reason {
                    assert_field("reason", r)?;
                }
            }
            NoteKind::Plain(text) => assert_body("note", text)?,
        }
    }

    #[test]
    fn prop_wire_json_never_panics_and_owners_stay_named(
        id in hostile(),
        first in prop::option::of(hostile()),
        last in prop::option::of(hostile()),
        email in prop::option::of(hostile()),
        label in hostile(),
        probability in hostile(),
    ) {
        let wire: OwnerWire = serde_json::from_value(serde_json::json!({
            "id": id, "firstName": first, "lastName": last, "email": email,
            "teams": [{"name": label, "primary": true}]
        })).unwrap();
        let o = owner(&wire);
        prop_assert!(!o.name.is_empty());
        assert_field("owner", &o.name)?;
        assert_field("owner email", &o.email)?;
        let pipelines: Vec<PipelineWire> = serde_json::from_value(serde_json::json!([{
            "id": "p", "stages": [{"id": id, "label": label, "metadata": {
                "isClosed": "true", "probability": probability
            }}]
        }])).unwrap();
        for s in deal_stages(&pipelines) {
            prop_assert!(!s.label.is_empty());
            assert_field("stage label", &s.label)?;
            assert_field("stage id", &s.id)?;
        }
        // Whatever the text, decoding a page never panics: it parses or it errors.
        let _ = serde_json::from_str::<Page<Object>>(&id);
    }
}

/// Ids go back into write URLs: a hidden character must never turn one id into another.
#[test]
fn an_id_is_never_cleaned_into_another_records_id() {
    let o = contact(serde_json::json!({"firstname": "Ann"}));
    let real = lead(
        &Object {
            id: "501".into(),
            ..o.clone()
        },
        &mapping(),
    );
    assert_eq!(real.id, "501");
    let hidden = lead(
        &Object {
            id: "501\u{200b}".into(),
            ..o
        },
        &mapping(),
    );
    assert_ne!(hidden.id, "501");
    assert!(hidden.id.starts_with("invalid-id:"), "{}", hidden.id);
    assert!(!hidden.id.contains('\u{200b}'));
}
