//! HubSpot objects → vendor-neutral records. Every string is cleaned here, at the border.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, TimeZone, Utc};

use super::wire::{Object, OwnerWire, PipelineWire};
use crate::domain::catalog::StageCatalog;
use crate::domain::feedback::NoteKind;
use crate::domain::lead::{Card, History, HistoryLists, LeadId, OwnerChange, PropChange, Sym};
use crate::domain::text::{clean_within, clip, html_to_text};
use crate::domain::{Dates, Deal, DealStage, Lead, Note, Owner, Team};

/// How contacts become leads: the teams' stage rules, and the further properties the config
/// reads (rule inputs, coverage segments).
#[derive(Debug, Clone)]
pub struct Mapping {
    stages: Arc<StageCatalog>,
    extra_properties: Vec<String>,
    /// The properties a lead keeps raw (what the stage rules read, then the extra ones),
    /// each with its interned name: worked out once, not for every contact read.
    kept: Arc<[(String, Sym)]>,
}

impl Mapping {
    pub fn new(stages: Arc<StageCatalog>, extra_properties: Vec<String>) -> Self {
        let kept = stages
            .properties()
            .into_iter()
            .chain(extra_properties.iter().cloned())
            .map(|p| {
                let sym = Sym::from(p.as_str());
                (p, sym)
            })
            .collect();
        Self {
            stages,
            extra_properties,
            kept,
        }
    }

    /// The contact properties whose history timelines are built from: what the stage
    /// rules read, the owner, the activity dates that stop SLA clocks, and the extra
    /// properties (a proposed file's rules read them for the what-if view).
    pub fn history_properties(&self) -> Vec<String> {
        let mut props: Vec<String> = self.stages.properties().into_iter().collect();
        props.extend(self.extra_properties.iter().cloned());
        for p in [OWNER, SALES_TOUCH, MARKETING_TOUCH] {
            if !props.iter().any(|q| q == p) {
                props.push(p.to_string());
            }
        }
        props
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

/// Longest name, company, id or other one-line field kept; a longer one ends in "…".
pub const FIELD_MAX: usize = 200;
/// Longest note body kept, in characters.
pub const NOTE_MAX: usize = 4000;
/// Note HTML read at most: enough for [`NOTE_MAX`] of text under heavy markup.
const NOTE_HTML_MAX: usize = 16 * NOTE_MAX;
/// What a blank name shows as, so nobody can pass for no one.
pub const NO_NAME: &str = "(no name)";
/// Largest deal amount believed (a quadrillion): far above any real deal, and small enough
/// that pipeline sums over any number of deals a CRM can hold stay finite.
pub const MAX_AMOUNT: f64 = 1e15;

/// Deal amounts rejected as invalid since start-up; each warning carries the running count.
static INVALID_AMOUNTS: AtomicU64 = AtomicU64::new(0);

/// A deal amount, if it is a number a deal can have: finite and within [`MAX_AMOUNT`].
pub fn parse_amount(raw: &str) -> Option<f64> {
    raw.trim()
        .parse::<f64>()
        .ok()
        .filter(|a| a.is_finite() && a.abs() <= MAX_AMOUNT)
}

/// HubSpot datetimes arrive as ISO-8601, or as epoch milliseconds in older properties.
/// Anything outside 1970–2200 is treated as missing: such dates are data errors.
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

/// A record id as the vendor sent it when it looks like one (HubSpot's are digits). Ids are
/// written back in URLs, so cleaning one into another record's id would aim a write at the
/// wrong record: anything else is kept visibly apart, and a write to it fails (404) instead.
pub(super) fn record_id(raw: &str) -> String {
    if plain_id(raw) {
        raw.to_string()
    } else {
        format!("invalid-id:{}", clean_within(raw, 64))
    }
}

fn plain_id(raw: &str) -> bool {
    !raw.is_empty()
        && raw.len() <= 64
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Remote one-line text, cleaned and capped.
fn field(raw: &str) -> String {
    clean_within(raw, FIELD_MAX)
}

fn text(o: &Object, name: &str) -> String {
    o.prop(name).map(field).unwrap_or_default()
}

fn opt_text(o: &Object, name: &str) -> Option<String> {
    o.prop(name).map(field).filter(|s| !s.is_empty())
}

fn or_no_name(name: String) -> String {
    if name.is_empty() {
        NO_NAME.into()
    } else {
        name
    }
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
        (true, true) if !plain_id(&o.id) => NO_NAME.into(),
        (true, true) => clip(&format!("contact {}", record_id(&o.id)), FIELD_MAX),
        _ => clip(format!("{first} {last}").trim(), FIELD_MAX),
    };
    let mut lead = Lead {
        id: record_id(&o.id).into(),
        card: Card::new(&name, &email, &text(o, "jobtitle")),
        company: text(o, "company").into(),
        country: text(o, "country").into(),
        company_size: text(o, "numemployees").into(),
        stage: None,
        owner_id: opt_text(o, "hubspot_owner_id").map(Sym::from),
        source_channel: text(o, "hs_analytics_source").into(),
        first_campaign: opt_text(o, "hs_analytics_first_touch_converting_campaign").map(Sym::from),
        last_campaign: opt_text(o, "hs_analytics_last_touch_converting_campaign").map(Sym::from),
        recent_conversion: opt_text(o, "recent_conversion_event_name").map(Sym::from),
        dates: Dates {
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
        }
        .into(),
        // What the stage rules read (so a cached lead can be classified again) and what
        // coverage segments and lenses read.
        props: mapping
            .kept
            .iter()
            .filter_map(|(p, sym)| Some((*sym, field(o.prop(p)?))))
            .collect(),
        updated_at: updated(o, "lastmodifieddate"),
        history: history(o),
    };
    lead.stage = mapping.stages.classify(|name| o.prop(name));
    lead
}

/// The owner property, whose history becomes the lead's owner changes.
pub const OWNER: &str = "hubspot_owner_id";

/// The last sales activity: its history dates every activity (the SLA clocks' stops).
pub const SALES_TOUCH: &str = "notes_last_contacted";

/// The last marketing email: its history dates every marketing touch.
pub const MARKETING_TOUCH: &str = "hs_email_last_send_date";

/// A contact's `propertiesWithHistory`, oldest first: the owner's as owner changes, every
/// other property's as raw values for the stage rules. An entry whose time does not parse
/// is dropped (and logged): a change at an unknown time cannot be placed on a timeline.
pub fn history(o: &Object) -> History {
    let mut out = HistoryLists::default();
    for (name, entries) in &o.properties_with_history {
        for e in entries {
            let Some(at) = parse_time(&e.timestamp) else {
                tracing::warn!(contact = %o.id, property = %name, "history entry without a time");
                continue;
            };
            let value = e.value.as_deref().map(field).unwrap_or_default();
            if name == SALES_TOUCH || name == MARKETING_TOUCH {
                // The value is the activity's own time; a cleared value dates nothing.
                let touches = if name == SALES_TOUCH {
                    &mut out.sales_touches
                } else {
                    &mut out.marketing_touches
                };
                touches.extend(parse_time(&value));
            } else if name == OWNER {
                out.owners.push(OwnerChange {
                    owner_id: Some(value).filter(|v| !v.is_empty()).map(Sym::from),
                    at,
                });
            } else {
                out.props.push(PropChange {
                    prop: name.into(),
                    value: value.into(),
                    at,
                });
            }
        }
    }
    // HubSpot sends newest first; several properties change in one write (same instant).
    out.props
        .sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.prop.cmp(&b.prop)));
    out.owners.sort_by_key(|c| c.at);
    out.sales_touches.sort();
    out.sales_touches.dedup();
    out.marketing_touches.sort();
    out.marketing_touches.dedup();
    out.into()
}

/// A deal; an amount that is not a sane number counts as none (0), and is logged and counted
/// so one bad record cannot turn every pipeline sum into infinity.
pub fn deal(o: &Object) -> Deal {
    let id = record_id(&o.id);
    let amount = match o.prop("amount") {
        None => 0.0,
        Some(raw) => parse_amount(raw).unwrap_or_else(|| {
            let rejected = INVALID_AMOUNTS.fetch_add(1, Ordering::Relaxed) + 1;
            let shown = clean_within(raw, 40);
            tracing::warn!(
                deal = %id,
                amount = %shown,
                rejected,
                "deal amount is not a finite number within ±{MAX_AMOUNT:e}; counting it as 0"
            );
            0.0
        }),
    };
    Deal {
        id,
        name: or_no_name(text(o, "dealname")),
        amount,
        stage_id: text(o, "dealstage"),
        created_at: time(o, "createdate"),
        close_date: time(o, "closedate"),
        owner_id: opt_text(o, "hubspot_owner_id"),
        contact_ids: associated(o, "contacts"),
        updated_at: updated(o, "hs_lastmodifieddate"),
        stage_history: deal_stage_history(o),
    }
}

/// The deal's stage property, whose history dates wins and losses.
pub const DEAL_STAGE: &str = "dealstage";

/// A deal's `dealstage` history, oldest first; an entry whose time does not parse is
/// dropped, as for contacts.
pub fn deal_stage_history(o: &Object) -> Vec<(DateTime<Utc>, String)> {
    let mut out: Vec<(DateTime<Utc>, String)> = o
        .properties_with_history
        .get(DEAL_STAGE)
        .into_iter()
        .flatten()
        .filter_map(|e| Some((parse_time(&e.timestamp)?, field(e.value.as_deref()?))))
        .collect();
    out.sort_by_key(|(at, _)| *at);
    out
}

pub fn note(o: &Object, lead_ids: Vec<String>) -> Note {
    let html = o.prop("hs_note_body").unwrap_or_default();
    // Cut HTML keeps its ellipsis through to the text.
    let body = clip(&html_to_text(&clip(html, NOTE_HTML_MAX)), NOTE_MAX);
    let mut kind = NoteKind::parse(&body);
    if let NoteKind::Feedback { campaign, .. } = &mut kind {
        *campaign = clip(campaign, FIELD_MAX);
    }
    Note {
        id: record_id(&o.id).into(),
        lead_ids: lead_ids.into_iter().map(LeadId::from).collect(),
        owner_id: opt_text(o, "hubspot_owner_id").map(Sym::from),
        at: time(o, "hs_timestamp").unwrap_or_else(|| updated(o, "hs_lastmodifieddate")),
        kind,
    }
}

/// Ids of the objects of `kind` this object is associated with (from `?associations=`).
pub fn associated(o: &Object, kind: &str) -> Vec<String> {
    o.associations
        .get(kind)
        .map(|l| l.results.iter().map(|r| record_id(&r.id)).collect())
        .unwrap_or_default()
}

pub fn owner(o: &OwnerWire) -> Owner {
    let first = o.first_name.as_deref().map(field).unwrap_or_default();
    let last = o.last_name.as_deref().map(field).unwrap_or_default();
    let email = o.email.as_deref().map(field).unwrap_or_default();
    let name = clip(format!("{first} {last}").trim(), FIELD_MAX);
    // The primary team decides; otherwise the first team we recognise.
    let team = o
        .teams
        .iter()
        .filter(|t| t.primary)
        .chain(o.teams.iter())
        .find_map(|t| Team::from_team_name(&t.name));
    Owner {
        id: record_id(&o.id),
        name: or_no_name(if name.is_empty() { email.clone() } else { name }),
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
                id: record_id(&s.id),
                label: or_no_name(field(&s.label)),
                order: s.display_order,
                is_closed,
                is_won: is_closed && probability >= 1.0,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
