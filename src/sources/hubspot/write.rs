//! Writing actions back as sagas: lifecycle stage, lead status and owner by PATCH; notes by
//! POST carrying the action's key.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::HubSpot;
use super::mapping::parse_time;
use super::plan::{Step, plan};
use super::read::Kind;
use super::wire::{Object, Page};
use crate::domain::action::{Action, ActionKind, Seen};
use crate::domain::feedback::NoteKind;
use crate::sources::SourceError;
use crate::sources::note_body;

/// HubSpot's lifecycle order; moving to an earlier stage needs the value cleared first.
const LIFECYCLE_ORDER: [&str; 8] = [
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
];

/// HubSpot's association type for note → contact.
const NOTE_TO_CONTACT: u32 = 202;

fn rank(stage: &str) -> Option<usize> {
    LIFECYCLE_ORDER.iter().position(|s| *s == stage)
}

/// Whether setting `target` over `current` is a backward move HubSpot refuses.
pub fn is_backward(current: &str, target: &str) -> bool {
    match (rank(current), rank(target)) {
        (Some(c), Some(t)) => t < c,
        _ => false,
    }
}

/// The lead as the user sees it: the stage and status properties, owner and modification
/// time an action's conflict check compares with the record as it is.
pub fn seen(lead: &crate::domain::Lead) -> Seen {
    let prop = |name: &str| lead.props.get(name).map(String::from).unwrap_or_default();
    Seen {
        stage: prop("lifecyclestage"),
        status: prop("hs_lead_status"),
        owner_id: lead.owner_id.map(String::from),
        updated_at: lead.updated_at,
        owner_assigned_at: lead.dates.accepted(),
    }
}

/// The record as a sent action leaves it: what its undo expects to find.
pub fn expected_after(action: &Action) -> Seen {
    let seen = &action.seen;
    match &action.kind {
        ActionKind::HandOff { owner_id } => Seen {
            stage: if is_backward(&seen.stage, MQL) {
                seen.stage.clone()
            } else {
                MQL.to_string()
            },
            // A hand-off routes the MQL; the rep's acceptance (`a`) is what moves it on.
            status: seen.status.clone(),
            owner_id: Some(owner_id.clone()),
            updated_at: seen.updated_at,
            // Stamped by the hand-off itself; never compared.
            owner_assigned_at: None,
        },
        ActionKind::Recycle { owner_id, .. }
        | ActionKind::Reject {
            owner_id,
            recycle: true,
            ..
        } => Seen {
            stage: RECYCLED_TO.into(),
            status: RECYCLED_STATUS.into(),
            owner_id: owner_id.clone().or_else(|| seen.owner_id.clone()),
            ..seen.clone()
        },
        ActionKind::Reject { recycle: false, .. } => Seen {
            status: DISQUALIFIED_STATUS.into(),
            ..seen.clone()
        },
        ActionKind::Accept { owner_id } => Seen {
            status: "OPEN".into(),
            owner_id: Some(owner_id.clone()),
            ..seen.clone()
        },
        _ => seen.clone(),
    }
}

/// The action that puts back what `action` changed, if it can be undone.
pub fn inverse(action: &Action) -> Option<ActionKind> {
    action.undoable().then(|| ActionKind::Restore {
        stage: action.seen.stage.clone(),
        status: action.seen.status.clone(),
        owner_id: action.seen.owner_id.clone(),
        owner_assigned_at: action.seen.owner_assigned_at,
        undoes: action.key.clone(),
        withdraw_note: matches!(
            action.kind,
            ActionKind::Recycle { .. } | ActionKind::Reject { .. }
        ),
        clear: match &action.kind {
            ActionKind::Recycle { revisit, .. } | ActionKind::Reject { revisit, .. } => {
                revisit.as_ref().map(|(p, _)| p.clone())
            }
            _ => None,
        },
    })
}

const MQL: &str = "marketingqualifiedlead";
const RECYCLED_TO: &str = "lead";
const RECYCLED_STATUS: &str = "BAD_TIMING";
const DISQUALIFIED_STATUS: &str = "UNQUALIFIED";

/// The contact properties an action's checks read.
const FRESH_PROPS: [&str; 5] = [
    "lifecyclestage",
    "hs_lead_status",
    "hubspot_owner_id",
    "lastmodifieddate",
    "hubspot_owner_assigneddate",
];

impl HubSpot {
    /// The contact as it is on the server now, in the terms the user saw it in.
    pub async fn fresh(&self, id: &str) -> Result<Seen, SourceError> {
        let o = self.contact(id, &FRESH_PROPS).await?;
        Ok(Seen {
            stage: o.prop("lifecyclestage").unwrap_or("").to_string(),
            status: o.prop("hs_lead_status").unwrap_or("").to_string(),
            owner_id: o.prop("hubspot_owner_id").map(str::to_string),
            updated_at: o
                .prop("lastmodifieddate")
                .or(o.updated_at.as_deref())
                .and_then(parse_time)
                .unwrap_or_default(),
            owner_assigned_at: o.prop("hubspot_owner_assigneddate").and_then(parse_time),
        })
    }

    /// Whether step `step` of `action` is already applied to the record (`fresh`). A note
    /// is looked for on the server only when an earlier attempt may have posted it.
    pub async fn step_applied(
        &self,
        action: &Action,
        step: u8,
        fresh: &Seen,
        maybe_sent: bool,
    ) -> Result<bool, SourceError> {
        let Some(&step) = plan(&action.kind).get(usize::from(step)) else {
            return Ok(true);
        };
        match (step, &action.kind) {
            (Step::HandOff, ActionKind::HandOff { owner_id }) => Ok(fresh.owner_id.as_deref()
                == Some(owner_id.as_str())
                && (fresh.stage == MQL || is_backward(&fresh.stage, MQL))),
            (Step::Accept, ActionKind::Accept { owner_id }) => {
                Ok(fresh.owner_id.as_deref() == Some(owner_id.as_str()) && fresh.status == "OPEN")
            }
            (Step::NurtureStatus, _) => Ok(fresh.status == RECYCLED_STATUS
                && (fresh.stage.is_empty() || fresh.stage == RECYCLED_TO)),
            (Step::NurtureStage, _) => Ok(fresh.stage == RECYCLED_TO),
            (Step::Disqualify, _) => Ok(fresh.status == DISQUALIFIED_STATUS),
            (Step::Note, _) => {
                Ok(maybe_sent && self.note_exists(&action.lead_id, &action.key).await?)
            }
            (
                Step::RestoreStatus,
                ActionKind::Restore {
                    stage: lifecycle,
                    status: lead_status,
                    owner_id,
                    ..
                },
            ) => Ok(fresh.status == *lead_status
                && fresh.owner_id == *owner_id
                && (fresh.stage.is_empty()
                    || fresh.stage == *lifecycle
                    || !is_backward(&fresh.stage, lifecycle))),
            (
                Step::RestoreStage,
                ActionKind::Restore {
                    stage: lifecycle, ..
                },
            ) => Ok(fresh.stage == *lifecycle),
            (Step::WithdrawNote, ActionKind::Restore { undoes, .. }) => {
                Ok(self.note_id(&action.lead_id, undoes).await?.is_none())
            }
            _ => Ok(true),
        }
    }

    /// Send step `step`; returns the vendor's timestamp of the write.
    pub async fn run_step(
        &self,
        action: &Action,
        step: u8,
        fresh: &Seen,
    ) -> Result<Option<DateTime<Utc>>, SourceError> {
        let id = action.lead_id.as_str();
        let author = action.actor.owner_id.as_deref();
        let Some(&step) = plan(&action.kind).get(usize::from(step)) else {
            return Ok(None);
        };
        match (step, &action.kind) {
            (Step::HandOff, ActionKind::HandOff { owner_id }) => {
                // The owner only (and the stage forward to MQL): the lead stays an MQL,
                // waiting on the rep, whose `a` or `x` answers it (metrics.md §2).
                let mut props = Map::new();
                props.insert("hubspot_owner_id".into(), json!(owner_id));
                // Forward only: a hand-off never demotes a stage.
                if !is_backward(&fresh.stage, MQL) {
                    props.insert("lifecyclestage".into(), json!(MQL));
                }
                self.patch_contact(id, props).await
            }
            (Step::Accept, ActionKind::Accept { owner_id }) => {
                let mut props = Map::new();
                props.insert("hs_lead_status".into(), json!("OPEN"));
                props.insert("hubspot_owner_id".into(), json!(owner_id));
                self.patch_contact(id, props).await
            }
            (Step::NurtureStatus, _) => {
                let mut props = Map::new();
                props.insert("hs_lead_status".into(), json!(RECYCLED_STATUS));
                props.insert("lifecyclestage".into(), json!(""));
                if let ActionKind::Recycle {
                    owner_id, revisit, ..
                }
                | ActionKind::Reject {
                    owner_id, revisit, ..
                } = &action.kind
                {
                    // Marketing's nurture owner takes it, with the day to look again.
                    if let Some(owner) = owner_id {
                        props.insert("hubspot_owner_id".into(), json!(owner));
                    }
                    if let Some((property, day)) = revisit {
                        props.insert(property.clone(), json!(format!("{day}T00:00:00.000Z")));
                    }
                }
                self.patch_contact(id, props).await
            }
            (Step::NurtureStage, _) => self.patch_contact(id, stage_only(RECYCLED_TO)).await,
            (Step::Disqualify, _) => {
                let mut props = Map::new();
                props.insert("hs_lead_status".into(), json!(DISQUALIFIED_STATUS));
                self.patch_contact(id, props).await
            }
            (Step::Note, ActionKind::Reject { reason, note, .. }) => {
                let kind = NoteKind::Reject {
                    reason: Some(reason.clone()),
                    text: note.clone(),
                };
                self.post_note(id, &kind, &action.key, author).await
            }
            (Step::Note, ActionKind::Recycle { reason, note, .. }) => {
                let kind = NoteKind::Recycle {
                    reason: Some(reason.clone()),
                    text: note.clone(),
                };
                self.post_note(id, &kind, &action.key, author).await
            }
            (
                Step::RestoreStatus,
                ActionKind::Restore {
                    stage: lifecycle,
                    status: lead_status,
                    owner_id,
                    owner_assigned_at,
                    clear,
                    ..
                },
            ) => {
                let mut props = Map::new();
                props.insert("hs_lead_status".into(), json!(lead_status));
                // What the undone action set and nothing had before (the revisit day).
                if let Some(prop) = clear {
                    props.insert(prop.clone(), json!(""));
                }
                props.insert(
                    "hubspot_owner_id".into(),
                    json!(owner_id.as_deref().unwrap_or("")),
                );
                // Written with the owner, so HubSpot does not stamp an assignment now.
                let assigned = owner_assigned_at
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
                props.insert(
                    "hubspot_owner_assigneddate".into(),
                    json!(assigned.unwrap_or_default()),
                );
                if is_backward(&fresh.stage, lifecycle) {
                    props.insert("lifecyclestage".into(), json!(""));
                }
                self.patch_contact(id, props).await
            }
            (
                Step::RestoreStage,
                ActionKind::Restore {
                    stage: lifecycle,
                    clear,
                    ..
                },
            ) => {
                if lifecycle.is_empty() {
                    return Ok(None);
                }
                // Every stage date and the revisit day as they stood before the undone
                // action (its writes are the history after `seen.updated_at`, the record as
                // the user saw it; the conflict check let nothing else in since). The
                // stage's own date is written with the stage either way, so HubSpot keeps
                // it instead of stamping the moment of the undo.
                let mut names: Vec<String> = LIFECYCLE_ORDER
                    .iter()
                    .map(|s| format!("hs_lifecyclestage_{s}_date"))
                    .collect();
                names.extend(clear.iter().cloned());
                let current = self.contact_with_history(id, &names).await?;
                let before = action.seen.updated_at;
                let own_date = format!("hs_lifecyclestage_{lifecycle}_date");
                let mut props = stage_only(lifecycle);
                for name in &names {
                    let now = current.prop(name).unwrap_or("");
                    // Without history nothing is known to put back: the value stands.
                    let then =
                        value_as_of(&current, name, before).unwrap_or_else(|| now.to_string());
                    if then != now || *name == own_date {
                        props.insert(name.clone(), json!(then));
                    }
                }
                self.patch_contact(id, props).await
            }
            (Step::WithdrawNote, ActionKind::Restore { undoes, .. }) => {
                if let Some(note) = self.note_id(id, undoes).await? {
                    let path = format!("/crm/v3/objects/notes/{note}");
                    self.call::<()>(|s| s.request(Method::DELETE, &path))
                        .await?;
                }
                Ok(None)
            }
            (
                Step::Note,
                ActionKind::Feedback {
                    campaign,
                    verdict,
                    text,
                },
            ) => {
                let kind = NoteKind::Feedback {
                    campaign: campaign.clone(),
                    verdict: *verdict,
                    text: text.clone(),
                };
                self.post_note(id, &kind, &action.key, author).await
            }
            // A plan never pairs a step with another action's kind.
            _ => Ok(None),
        }
    }

    async fn contact(&self, id: &str, props: &[&str]) -> Result<Object, SourceError> {
        let path = format!("/crm/v3/objects/contacts/{id}");
        let props = props.join(",");
        self.call(|s| {
            s.request(Method::GET, &path)
                .query(&[("properties", &props)])
        })
        .await
    }

    /// The contact's `props` with their history.
    async fn contact_with_history(
        &self,
        id: &str,
        props: &[String],
    ) -> Result<Object, SourceError> {
        let path = format!("/crm/v3/objects/contacts/{id}");
        let props = props.join(",");
        self.call(|s| {
            s.request(Method::GET, &path)
                .query(&[("properties", &props), ("propertiesWithHistory", &props)])
        })
        .await
    }

    async fn patch_contact(
        &self,
        id: &str,
        props: Map<String, Value>,
    ) -> Result<Option<DateTime<Utc>>, SourceError> {
        let path = format!("/crm/v3/objects/contacts/{id}");
        let body = json!({ "properties": props });
        let o: Object = self
            .call(|s| s.request(Method::PATCH, &path).json(&body))
            .await?;
        Ok(o.updated_at.as_deref().and_then(parse_time))
    }

    /// Whether the contact already has a note carrying `key`.
    async fn note_exists(&self, contact_id: &str, key: &str) -> Result<bool, SourceError> {
        Ok(self.note_id(contact_id, key).await?.is_some())
    }

    /// The contact's note carrying `key`, if any. Read through the contact's associations
    /// rather than search, which HubSpot indexes with a delay.
    async fn note_id(&self, contact_id: &str, key: &str) -> Result<Option<String>, SourceError> {
        let links = self
            .associations(Kind::Contacts, Kind::Notes, &[contact_id.to_string()])
            .await?;
        let ids = links.get(contact_id).cloned().unwrap_or_default();
        let marker = format!("ref={key}");
        for chunk in ids.chunks(100) {
            // HubSpot's OpenAPI file requires `propertiesWithHistory`, if only empty.
            let body = json!({
                "properties": ["hs_note_body"],
                "propertiesWithHistory": [],
                "inputs": chunk.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>(),
            });
            let page: Page<Object> = self
                .call(|s| {
                    s.request(Method::POST, "/crm/v3/objects/notes/batch/read")
                        .json(&body)
                })
                .await?;
            if let Some(n) = page
                .results
                .iter()
                .find(|n| n.prop("hs_note_body").is_some_and(|b| b.contains(&marker)))
            {
                return Ok(Some(n.id.clone()));
            }
        }
        Ok(None)
    }

    /// Post a note (never retried blindly: a lost answer is resolved by looking for the
    /// key on the next attempt), written by `author` when the user maps to an owner.
    async fn post_note(
        &self,
        contact_id: &str,
        kind: &NoteKind,
        key: &str,
        author: Option<&str>,
    ) -> Result<Option<DateTime<Utc>>, SourceError> {
        let body = note_body(kind, key);
        let mut props = Map::new();
        props.insert(
            "hs_timestamp".into(),
            json!(Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        );
        props.insert("hs_note_body".into(), json!(body));
        if let Some(owner) = author {
            props.insert("hubspot_owner_id".into(), json!(owner));
        }
        let payload = json!({
            "properties": props,
            "associations": [{
                "to": { "id": contact_id },
                "types": [{ "associationCategory": "HUBSPOT_DEFINED", "associationTypeId": NOTE_TO_CONTACT }]
            }]
        });
        let _: Object = self
            .call_once(|s| {
                s.request(Method::POST, "/crm/v3/objects/notes")
                    .json(&payload)
            })
            .await?;
        // Associating the note touches the contact; its new last-modified value is ours, so
        // a later action on the lead does not take it for someone else's change.
        Ok(Some(self.fresh(contact_id).await?.updated_at))
    }
}

fn stage_only(value: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("lifecyclestage".into(), json!(value));
    m
}

/// `name`'s value as of `t` by its history: the latest entry at or before `t` (`""` when it
/// had none then). `None` when the history says nothing (not asked for, or not kept).
fn value_as_of(o: &Object, name: &str, t: DateTime<Utc>) -> Option<String> {
    let entries = o.properties_with_history.get(name)?;
    if entries.is_empty() {
        return None;
    }
    let then = entries
        .iter()
        .filter_map(|e| Some((parse_time(&e.timestamp)?, e.value.as_deref().unwrap_or(""))))
        .filter(|(at, _)| *at <= t)
        .max_by_key(|(at, _)| *at)
        .map(|(_, v)| v.to_string());
    Some(then.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backward_moves_are_detected() {
        assert!(is_backward("salesqualifiedlead", "lead"));
        assert!(is_backward("marketingqualifiedlead", "lead"));
        assert!(!is_backward("lead", "marketingqualifiedlead"));
        assert!(!is_backward("", "lead"));
        assert!(!is_backward("lead", "lead"));
    }

    #[test]
    fn note_key_rides_on_the_tag_line_and_parses_away() {
        let kind = NoteKind::Recycle {
            reason: Some("no_budget".into()),
            text: "call in Q2".into(),
        };
        let body = note_body(&kind, "tdm1a2b");
        assert_eq!(body, "#recycle reason=no_budget ref=tdm1a2b\ncall in Q2");
        assert_eq!(NoteKind::parse(&body), kind);
    }
}
