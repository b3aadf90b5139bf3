//! Salesforce records → vendor-neutral ones. Every string is cleaned at the border
//! ([`super::wire::Row::text`]).

use crate::domain::catalog::StageCatalog;
use crate::domain::feedback::NoteKind;
use crate::domain::lead::{Card, HistoryLists, OwnerChange, PropChange, Props, Sym};
use crate::domain::text::{clip, html_to_text};
use crate::domain::{Dates, Deal, DealStage, Lead, Note, Owner, Team};

use super::history::{Side, Tracked, values_over_time};
use super::wire::Row;

/// The history fields a lead's and a deal's timelines read: the stage rules' fields (on the
/// lead, or on its converted opportunity), the owner and the opportunity's stage.
pub fn tracked_fields(stages: &StageCatalog) -> Tracked {
    let mut out: Tracked = [OWNER_FIELD, "StageName"].map(String::from).into();
    for f in stages.properties() {
        out.insert(f.strip_prefix(VIA_OPPORTUNITY).unwrap_or(&f).to_string());
    }
    out
}

/// Lead fields tandem always reads.
pub const LEAD_FIELDS: &[&str] = &[
    "Id",
    "FirstName",
    "LastName",
    "Name",
    "Email",
    "Company",
    "Title",
    "Country",
    "NumberOfEmployees",
    "LeadSource",
    "Status",
    "OwnerId",
    "IsConverted",
    "ConvertedDate",
    "ConvertedContactId",
    "ConvertedOpportunityId",
    "CreatedDate",
    "LastModifiedDate",
    "SystemModstamp",
];

pub const OPPORTUNITY_FIELDS: &[&str] = &[
    "Id",
    "Name",
    "Amount",
    "StageName",
    "CloseDate",
    "OwnerId",
    "ContactId",
    "CreatedDate",
    "SystemModstamp",
];

pub const TASK_FIELDS: &[&str] = &[
    "Id",
    "Subject",
    "Description",
    "TaskSubtype",
    "ActivityDate",
    "CompletedDateTime",
    "WhoId",
    "OwnerId",
    "CreatedDate",
    "SystemModstamp",
];

pub const HISTORY_FIELDS: &[&str] = &["Id", "Field", "OldValue", "NewValue", "CreatedDate"];

/// The owner field as `LeadHistory` names it.
pub const OWNER_FIELD: &str = "Owner";

/// A stage rule's field on the lead's converted opportunity (`ConvertedOpportunity.StageName`).
pub const VIA_OPPORTUNITY: &str = "ConvertedOpportunity.";

/// Longest note kept, as for every vendor.
const NOTE_MAX: usize = 4000;
const NO_NAME: &str = "(no name)";

/// The Lead fields to ask for: tandem's own, then what the rules and the config read.
pub fn lead_fields(stages: &StageCatalog, extra: &[String]) -> Vec<String> {
    let mut out: Vec<String> = LEAD_FIELDS.iter().map(|f| f.to_string()).collect();
    for f in stages.properties().into_iter().chain(extra.iter().cloned()) {
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}

/// A Lead with its history; `None` for a row without a usable id.
pub fn lead(row: &Row, side: &Side, stages: &StageCatalog, extra: &[String]) -> Option<Lead> {
    let id = row.id()?;
    let created = row.time("CreatedDate");
    let updated = row
        .time("SystemModstamp")
        .or(row.time("LastModifiedDate"))
        .or(created)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
    let text = |f: &str| row.text(f).unwrap_or_default();
    let name = match (
        row.text("Name"),
        row.text("FirstName"),
        row.text("LastName"),
    ) {
        (Some(n), _, _) => n,
        (None, f, l) if f.is_some() || l.is_some() => clip(
            format!("{} {}", text("FirstName"), text("LastName")).trim(),
            200,
        ),
        _ => row.text("Email").unwrap_or_else(|| NO_NAME.into()),
    };
    let rule_fields = stages.properties();
    let props: Props = rule_fields
        .iter()
        .chain(extra.iter())
        .filter_map(|f| Some((f.as_str(), row.text(f)?)))
        .collect();
    let stage = stages.classify(|f| props.get(f).map(Sym::as_str));
    let since = created.unwrap_or(updated);
    let mut history = HistoryLists::default();
    let changes = side.lead_changes.get(&id);
    for field in &rule_fields {
        let values = match field.strip_prefix(VIA_OPPORTUNITY) {
            Some(opp_field) => {
                let opp = row.id_at("ConvertedOpportunityId");
                let Some(o) = opp.as_ref().and_then(|o| side.opps.get(o)) else {
                    continue;
                };
                let opened = o.time("CreatedDate").unwrap_or(since);
                let changes = opp
                    .and_then(|o| side.opp_changes.get(&o))
                    .into_iter()
                    .flatten()
                    .filter(|c| c.field.as_str() == opp_field);
                values_over_time(opened, o.text(opp_field), changes)
            }
            None => {
                let changes = changes
                    .into_iter()
                    .flatten()
                    .filter(|c| c.field.as_str() == field.as_str());
                values_over_time(since, row.text(field), changes)
            }
        };
        history
            .props
            .extend(values.into_iter().map(|(at, value)| PropChange {
                prop: field.as_str().into(),
                value: value.into(),
                at,
            }));
    }
    history
        .props
        .sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.prop.cmp(&b.prop)));
    // Owner rows come in pairs (the id and the name): the id ones date the changes.
    let owner_changes: Vec<_> = changes
        .into_iter()
        .flatten()
        .filter(|c| c.field.as_str() == OWNER_FIELD)
        .filter(|c| c.new.is_none_or(|n| is_user_id(n.as_str())))
        .collect();
    if let Some(first) = owner_changes.first()
        && let Some(before) = first.old.filter(|o| is_user_id(o.as_str()))
    {
        history.owners.push(OwnerChange {
            owner_id: Some(before),
            at: since,
        });
    }
    history
        .owners
        .extend(owner_changes.iter().map(|c| OwnerChange {
            owner_id: c.new,
            at: c.at,
        }));
    let mut touches = side.touches.get(&id).cloned().unwrap_or_default();
    touches.sort();
    touches.dedup();
    history.sales_touches = touches;
    let mut lead = Lead {
        id: id.into(),
        card: Card::new(&name, &text("Email"), &text("Title")),
        company: text("Company").into(),
        country: text("Country").into(),
        company_size: text("NumberOfEmployees").into(),
        stage,
        owner_id: row.id_at("OwnerId").map(Sym::from),
        source_channel: text("LeadSource").into(),
        first_campaign: None,
        last_campaign: None,
        recent_conversion: None,
        dates: Dates {
            created,
            accepted: owner_changes.last().map(|c| c.at),
            first_sales_activity: history.sales_touches.first().copied(),
            last_sales_activity: history.sales_touches.last().copied(),
            ..Dates::default()
        }
        .into(),
        props,
        updated_at: updated,
        history: history.into(),
    };
    crate::domain::timeline::date_stages(&mut lead, stages);
    Some(lead)
}

/// A user id (`005…`) or a queue (`00G…`), as owners are; `LeadHistory` also writes names.
fn is_user_id(raw: &str) -> bool {
    (raw.starts_with("005") || raw.starts_with("00G")) && super::wire::record_id(raw).is_some()
}

/// An Opportunity as a deal of the lead that converted into it (`lead`).
pub fn deal(row: &Row, side: &Side, lead: Option<String>) -> Option<Deal> {
    let id = row.id()?;
    let created = row.time("CreatedDate");
    let changes = side
        .opp_changes
        .get(&id)
        .into_iter()
        .flatten()
        .filter(|c| c.field.as_str() == "StageName");
    let stage_history = match created {
        Some(at) => values_over_time(at, row.text("StageName"), changes),
        None => Vec::new(),
    };
    Some(Deal {
        name: row.text("Name").unwrap_or_else(|| NO_NAME.into()),
        amount: row
            .number("Amount")
            .filter(|a| a.abs() <= 1e15)
            .unwrap_or(0.0),
        stage_id: row.text("StageName").unwrap_or_default(),
        created_at: created,
        close_date: close_time(row.time("CloseDate"), &stage_history),
        owner_id: row.id_at("OwnerId"),
        contact_ids: lead.into_iter().collect(),
        updated_at: row
            .time("SystemModstamp")
            .or(created)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC),
        stage_history,
        id,
    })
}

/// `CloseDate` is a day; when the stage last changed on that very day, that change (the
/// close, to the millisecond, from the history) dates it instead.
fn close_time(
    day: Option<chrono::DateTime<chrono::Utc>>,
    stages: &[(chrono::DateTime<chrono::Utc>, String)],
) -> Option<chrono::DateTime<chrono::Utc>> {
    let day = day?;
    match stages.last() {
        Some((at, _)) if stages.len() > 1 && at.date_naive() == day.date_naive() => Some(*at),
        _ => Some(day),
    }
}

/// A Task that is not a call or an email: a note on the lead (recycle reasons, feedback).
pub fn note(row: &Row, lead: String) -> Option<Note> {
    let raw = row
        .value("Description")
        .and_then(|v| v.as_str())
        .filter(|d| !d.trim().is_empty())
        .or_else(|| row.value("Subject").and_then(|v| v.as_str()))?;
    let body = clip(&html_to_text(&clip(raw, 16 * NOTE_MAX)), NOTE_MAX);
    Some(Note {
        id: row.id()?.into(),
        lead_ids: thin_vec::thin_vec![lead.into()],
        owner_id: row.id_at("OwnerId").map(Sym::from),
        at: row
            .time("CompletedDateTime")
            .or(row.time("CreatedDate"))
            .or(row.time("SystemModstamp"))?,
        kind: NoteKind::parse(&body),
    })
}

/// A User; the team from the department (or the role's name).
pub fn owner(row: &Row) -> Option<Owner> {
    let email = row.text("Email").unwrap_or_default();
    let name = row
        .text("Name")
        .or_else(|| Some(email.clone()).filter(|e| !e.is_empty()))
        .unwrap_or_else(|| NO_NAME.into());
    let team = ["Department", "UserRole.Name"]
        .iter()
        .filter_map(|f| row.text(f))
        .find_map(|t| Team::from_team_name(&t));
    Some(Owner {
        id: row.id()?,
        name,
        email,
        team,
    })
}

/// The org's opportunity stages, in their sort order.
pub fn deal_stages(rows: &[Row]) -> Vec<DealStage> {
    rows.iter()
        .filter_map(|r| {
            let id = r.text("ApiName").or(r.text("MasterLabel"))?;
            Some(DealStage {
                label: r.text("MasterLabel").unwrap_or_else(|| id.clone()),
                order: r.number("SortOrder").unwrap_or(0.0) as i64,
                is_closed: r.flag("IsClosed"),
                is_won: r.flag("IsWon"),
                id,
            })
        })
        .collect()
}
