//! HubSpot objects → vendor-neutral records. Every string is cleaned here, at the border.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};

use super::wire::{Object, OwnerWire, PipelineWire};
use crate::domain::catalog::StageCatalog;
use crate::domain::feedback::NoteKind;
use crate::domain::text::{clean, html_to_text};
use crate::domain::{Deal, DealStage, Lead, LeadDates, Note, Owner, Team};

/// How contacts become leads: the teams' stage rules, and the further properties the config
/// reads (rule inputs, coverage segments).
#[derive(Debug, Clone)]
pub struct Mapping {
    pub stages: Arc<StageCatalog>,
    pub extra_properties: Vec<String>,
}

impl Mapping {
    pub fn new(stages: Arc<StageCatalog>, extra_properties: Vec<String>) -> Self {
        Self {
            stages,
            extra_properties,
        }
    }

    /// Every contact property to request.
    pub fn contact_properties(&self) -> Vec<String> {
        let mut props: Vec<String> = CONTACT_PROPERTIES.iter().map(|p| p.to_string()).collect();
        for p in &self.extra_properties {
            if !props.contains(p) {
                props.push(p.clone());
            }
        }
        props
    }
}

/// Contact properties tandem always reads.
pub const CONTACT_PROPERTIES: &[&str] = &[
    "firstname",
    "lastname",
    "email",
    "company",
    "jobtitle",
    "country",
    "numemployees",
    "lifecyclestage",
    "hs_lead_status",
    "hubspot_owner_id",
    "hubspot_owner_assigneddate",
    "createdate",
    "lastmodifieddate",
    "hs_lifecyclestage_subscriber_date",
    "hs_lifecyclestage_lead_date",
    "hs_lifecyclestage_marketingqualifiedlead_date",
    "hs_lifecyclestage_salesqualifiedlead_date",
    "hs_lifecyclestage_opportunity_date",
    "hs_lifecyclestage_customer_date",
    "notes_last_contacted",
    "hs_sa_first_engagement_date",
    "hs_email_last_send_date",
    "first_conversion_date",
    "recent_conversion_date",
    "hs_analytics_source",
    "hs_analytics_first_touch_converting_campaign",
    "hs_analytics_last_touch_converting_campaign",
    "recent_conversion_event_name",
];

pub const DEAL_PROPERTIES: &[&str] = &[
    "dealname",
    "amount",
    "dealstage",
    "pipeline",
    "closedate",
    "createdate",
    "hs_lastmodifieddate",
    "hubspot_owner_id",
];

pub const NOTE_PROPERTIES: &[&str] = &[
    "hs_note_body",
    "hs_timestamp",
    "hubspot_owner_id",
    "hs_lastmodifieddate",
];

/// HubSpot datetimes arrive as ISO-8601, or as epoch milliseconds in older properties.
/// Anything outside 1970–2200 is treated as missing: absurd dates would make every business
/// time computation walk centuries.
pub fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    parse_any(raw).filter(|t| (0..7_258_118_400_000).contains(&t.timestamp_millis()))
}

fn parse_any(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(ms) = raw.parse::<i64>() {
        return Utc.timestamp_millis_opt(ms).single();
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    // Date-only properties.
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .map(|d| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight")))
}

fn time(o: &Object, name: &str) -> Option<DateTime<Utc>> {
    o.prop(name).and_then(parse_time)
}

fn text(o: &Object, name: &str) -> String {
    o.prop(name).map(clean).unwrap_or_default()
}

fn opt_text(o: &Object, name: &str) -> Option<String> {
    o.prop(name).map(clean).filter(|s| !s.is_empty())
}

fn updated(o: &Object, prop: &str) -> DateTime<Utc> {
    time(o, prop)
        .or_else(|| o.updated_at.as_deref().and_then(parse_time))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

pub fn lead(o: &Object, mapping: &Mapping) -> Lead {
    let first = text(o, "firstname");
    let last = text(o, "lastname");
    let email = text(o, "email");
    let name = match (first.is_empty(), last.is_empty()) {
        (true, true) if !email.is_empty() => email.clone(),
        (true, true) => format!("contact {}", clean(&o.id)),
        _ => format!("{first} {last}").trim().to_string(),
    };
    let mut lead = Lead {
        id: clean(&o.id),
        name,
        email,
        company: text(o, "company"),
        title: text(o, "jobtitle"),
        country: text(o, "country"),
        company_size: text(o, "numemployees"),
        lifecycle: text(o, "lifecyclestage"),
        lead_status: text(o, "hs_lead_status"),
        stage: None,
        owner_id: opt_text(o, "hubspot_owner_id"),
        source_channel: text(o, "hs_analytics_source"),
        first_campaign: opt_text(o, "hs_analytics_first_touch_converting_campaign"),
        last_campaign: opt_text(o, "hs_analytics_last_touch_converting_campaign"),
        recent_conversion: opt_text(o, "recent_conversion_event_name"),
        dates: LeadDates {
            created: time(o, "createdate"),
            inquiry: time(o, "hs_lifecyclestage_lead_date")
                .or_else(|| time(o, "hs_lifecyclestage_subscriber_date")),
            mql: time(o, "hs_lifecyclestage_marketingqualifiedlead_date"),
            accepted: time(o, "hubspot_owner_assigneddate"),
            sql: time(o, "hs_lifecyclestage_salesqualifiedlead_date"),
            opportunity: time(o, "hs_lifecyclestage_opportunity_date"),
            customer: time(o, "hs_lifecyclestage_customer_date"),
            first_sales_activity: time(o, "hs_sa_first_engagement_date"),
            last_sales_activity: time(o, "notes_last_contacted"),
            last_marketing_touch: time(o, "hs_email_last_send_date"),
            first_conversion: time(o, "first_conversion_date"),
            recent_conversion: time(o, "recent_conversion_date"),
        },
        extra: mapping
            .extra_properties
            .iter()
            .filter_map(|p| Some((p.clone(), clean(o.prop(p)?))))
            .collect::<BTreeMap<_, _>>(),
        updated_at: updated(o, "lastmodifieddate"),
    };
    lead.stage = mapping.stages.classify(|name| o.prop(name));
    lead
}

pub fn deal(o: &Object) -> Deal {
    Deal {
        id: clean(&o.id),
        name: text(o, "dealname"),
        amount: o
            .prop("amount")
            .and_then(|a| a.trim().parse::<f64>().ok())
            .filter(|a| a.is_finite())
            .unwrap_or(0.0),
        stage_id: text(o, "dealstage"),
        created_at: time(o, "createdate"),
        close_date: time(o, "closedate"),
        owner_id: opt_text(o, "hubspot_owner_id"),
        contact_ids: associated(o, "contacts"),
        updated_at: updated(o, "hs_lastmodifieddate"),
    }
}

pub fn note(o: &Object, lead_ids: Vec<String>) -> Note {
    let body = o.prop("hs_note_body").map(html_to_text).unwrap_or_default();
    Note {
        id: clean(&o.id),
        lead_ids,
        owner_id: opt_text(o, "hubspot_owner_id"),
        at: time(o, "hs_timestamp").unwrap_or_else(|| updated(o, "hs_lastmodifieddate")),
        kind: NoteKind::parse(&body),
    }
}

/// Ids of the objects of `kind` this object is associated with (from `?associations=`).
pub fn associated(o: &Object, kind: &str) -> Vec<String> {
    o.associations
        .get(kind)
        .map(|l| l.results.iter().map(|r| clean(&r.id)).collect())
        .unwrap_or_default()
}

pub fn owner(o: &OwnerWire) -> Owner {
    let first = o.first_name.as_deref().map(clean).unwrap_or_default();
    let last = o.last_name.as_deref().map(clean).unwrap_or_default();
    let email = o.email.as_deref().map(clean).unwrap_or_default();
    let name = format!("{first} {last}").trim().to_string();
    // The primary team decides; otherwise the first team we recognise.
    let team = o
        .teams
        .iter()
        .filter(|t| t.primary)
        .chain(o.teams.iter())
        .find_map(|t| Team::from_team_name(&t.name));
    Owner {
        id: clean(&o.id),
        name: if name.is_empty() { email.clone() } else { name },
        email,
        team,
    }
}

pub fn deal_stages(pipelines: &[PipelineWire]) -> Vec<DealStage> {
    let flag = |v: Option<&serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => s.eq_ignore_ascii_case("true"),
        Some(serde_json::Value::Bool(b)) => *b,
        _ => false,
    };
    let number = |v: Option<&serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => s.parse::<f64>().ok(),
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        _ => None,
    };
    pipelines
        .iter()
        .flat_map(|p| p.stages.iter())
        .map(|s| {
            let is_closed = flag(s.metadata.get("isClosed"));
            let probability = number(s.metadata.get("probability")).unwrap_or(0.0);
            DealStage {
                id: clean(&s.id),
                label: clean(&s.label),
                order: s.display_order,
                is_closed,
                is_won: is_closed && probability >= 1.0,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
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
}
