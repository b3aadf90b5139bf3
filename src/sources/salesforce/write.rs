//! Writing actions back: the Lead's status and owner by `PATCH /sobjects/Lead/{id}` (204,
//! no body), reasons and feedback as a completed `Task` carrying the action's key.
//!
//! The statuses are Salesforce's standard lead picklist values; a converted lead's status is
//! set only by conversion, so an action that would need it back cannot be undone.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::Salesforce;
use super::plan::{Step, plan};
use super::wire::{Created, record_id};
use crate::domain::action::{Action, ActionKind, Seen};
use crate::domain::feedback::NoteKind;
use crate::sources::SourceError;

const OPEN: &str = "Open - Not Contacted";
const MQL: &str = "Marketing Qualified";
const WORKING: &str = "Working - Contacted";
const NURTURE: &str = "Nurture";
const DISQUALIFIED: &str = "Closed - Not Converted";
const CONVERTED: &str = "Closed - Converted";

/// The lead as the user sees it: its status (Salesforce's stage of a lead), owner and
/// modification time.
pub fn seen(lead: &crate::domain::Lead) -> Seen {
    Seen {
        stage: lead
            .props
            .get("Status")
            .map(String::from)
            .unwrap_or_default(),
        status: String::new(),
        owner_id: lead.owner_id.map(String::from),
        updated_at: lead.updated_at,
        owner_assigned_at: None,
    }
}

/// The status a hand-off leaves: an open lead becomes Marketing Qualified; any other keeps
/// its status (a hand-off never moves a lead backwards).
fn handed_off(status: &str) -> &str {
    if status == OPEN || status.is_empty() {
        MQL
    } else {
        status
    }
}

pub fn expected_after(action: &Action) -> Seen {
    let seen = &action.seen;
    let with = |stage: &str, owner: Option<String>| Seen {
        stage: stage.to_string(),
        owner_id: owner,
        ..seen.clone()
    };
    match &action.kind {
        ActionKind::HandOff { owner_id } => with(handed_off(&seen.stage), Some(owner_id.clone())),
        ActionKind::Accept { owner_id } => with(WORKING, Some(owner_id.clone())),
        ActionKind::Recycle { owner_id, .. }
        | ActionKind::Reject {
            owner_id,
            recycle: true,
            ..
        } => with(NURTURE, owner_id.clone().or_else(|| seen.owner_id.clone())),
        ActionKind::Reject { recycle: false, .. } => with(DISQUALIFIED, seen.owner_id.clone()),
        _ => seen.clone(),
    }
}

/// The action that puts back what `action` changed; none when the lead was converted (only
/// conversion sets that status).
pub fn inverse(action: &Action) -> Option<ActionKind> {
    if !action.undoable() || action.seen.stage == CONVERTED {
        return None;
    }
    Some(ActionKind::Restore {
        stage: action.seen.stage.clone(),
        status: String::new(),
        owner_id: action.seen.owner_id.clone(),
        owner_assigned_at: None,
        undoes: action.key.clone(),
        withdraw_note: matches!(
            action.kind,
            ActionKind::Recycle { .. } | ActionKind::Reject { .. }
        ),
        clear: None,
    })
}

impl Salesforce {
    pub async fn step_applied(
        &mut self,
        action: &Action,
        step: u8,
        fresh: &Seen,
        maybe_sent: bool,
    ) -> Result<bool, SourceError> {
        let Some(&step) = plan(&action.kind).get(usize::from(step)) else {
            return Ok(true);
        };
        let owner_is = |o: &str| fresh.owner_id.as_deref() == Some(o);
        Ok(match (step, &action.kind) {
            (Step::HandOff, ActionKind::HandOff { owner_id }) => {
                owner_is(owner_id) && fresh.stage != OPEN
            }
            (Step::Accept, ActionKind::Accept { owner_id }) => {
                owner_is(owner_id) && fresh.stage == WORKING
            }
            (Step::Nurture, _) => fresh.stage == NURTURE,
            (Step::Disqualify, _) => fresh.stage == DISQUALIFIED,
            (Step::Task, _) => {
                maybe_sent && self.task_id(&action.lead_id, &action.key).await?.is_some()
            }
            (
                Step::Restore,
                ActionKind::Restore {
                    stage, owner_id, ..
                },
            ) => fresh.stage == *stage && fresh.owner_id == *owner_id,
            (Step::WithdrawTask, ActionKind::Restore { undoes, .. }) => {
                self.task_id(&action.lead_id, undoes).await?.is_none()
            }
            _ => true,
        })
    }

    pub async fn run_step(
        &mut self,
        action: &Action,
        step: u8,
        fresh: &Seen,
    ) -> Result<Option<DateTime<Utc>>, SourceError> {
        let id = action.lead_id.as_str();
        let Some(&step) = plan(&action.kind).get(usize::from(step)) else {
            return Ok(None);
        };
        let mut fields = Map::new();
        match (step, &action.kind) {
            (Step::HandOff, ActionKind::HandOff { owner_id }) => {
                fields.insert("OwnerId".into(), json!(owner_id));
                if handed_off(&fresh.stage) != fresh.stage {
                    fields.insert("Status".into(), json!(MQL));
                }
            }
            (Step::Accept, ActionKind::Accept { owner_id }) => {
                fields.insert("OwnerId".into(), json!(owner_id));
                fields.insert("Status".into(), json!(WORKING));
            }
            (Step::Nurture, ActionKind::Recycle { owner_id, .. })
            | (Step::Nurture, ActionKind::Reject { owner_id, .. }) => {
                fields.insert("Status".into(), json!(NURTURE));
                if let Some(o) = owner_id {
                    fields.insert("OwnerId".into(), json!(o));
                }
            }
            (Step::Disqualify, _) => {
                fields.insert("Status".into(), json!(DISQUALIFIED));
            }
            (Step::Task, kind) => return self.log_task(action, kind).await,
            (
                Step::Restore,
                ActionKind::Restore {
                    stage, owner_id, ..
                },
            ) => {
                fields.insert("Status".into(), json!(stage));
                if let Some(o) = owner_id {
                    fields.insert("OwnerId".into(), json!(o));
                }
            }
            (Step::WithdrawTask, ActionKind::Restore { undoes, .. }) => {
                if let Some(task) = self.task_id(id, undoes).await? {
                    let path = self.path(&format!("/sobjects/Task/{task}"));
                    self.http
                        .call::<()>(|s| s.request(Method::DELETE, &path))
                        .await?;
                }
                return Ok(None);
            }
            _ => return Ok(None),
        }
        self.patch_lead(id, fields).await
    }

    async fn patch_lead(
        &mut self,
        id: &str,
        fields: Map<String, Value>,
    ) -> Result<Option<DateTime<Utc>>, SourceError> {
        let id = checked(id)?;
        let path = self.path(&format!("/sobjects/Lead/{id}"));
        let body = Value::Object(fields);
        self.http
            .call::<()>(|s| s.request(Method::PATCH, &path).json(&body))
            .await?;
        // A 204 has no body: the new modification time is read back.
        Ok(Some(self.fresh(&id).await?.updated_at))
    }

    /// The Task an action writes: its note body with the key, due on the revisit day.
    async fn log_task(
        &mut self,
        action: &Action,
        kind: &ActionKind,
    ) -> Result<Option<DateTime<Utc>>, SourceError> {
        let note = match kind {
            ActionKind::Recycle { reason, note, .. } => NoteKind::Recycle {
                reason: Some(reason.clone()),
                text: note.clone(),
            },
            ActionKind::Reject { reason, note, .. } => NoteKind::Reject {
                reason: Some(reason.clone()),
                text: note.clone(),
            },
            ActionKind::Feedback {
                campaign,
                verdict,
                text,
            } => NoteKind::Feedback {
                campaign: campaign.clone(),
                verdict: *verdict,
                text: text.clone(),
            },
            _ => return Ok(None),
        };
        let body = crate::sources::note_body(&note, &action.key);
        let subject: String = body
            .lines()
            .next()
            .unwrap_or("tandem")
            .chars()
            .take(255)
            .collect();
        let mut task = Map::new();
        task.insert("WhoId".into(), json!(checked(&action.lead_id)?));
        task.insert("Subject".into(), json!(subject));
        task.insert("Description".into(), json!(body));
        task.insert("Status".into(), json!("Completed"));
        task.insert("TaskSubtype".into(), json!("Task"));
        if let Some(o) = action.actor.owner_id.as_deref() {
            task.insert("OwnerId".into(), json!(o));
        }
        if let ActionKind::Recycle {
            revisit: Some((_, day)),
            ..
        }
        | ActionKind::Reject {
            revisit: Some((_, day)),
            ..
        } = kind
        {
            task.insert("ActivityDate".into(), json!(day.to_string()));
        }
        let path = self.path("/sobjects/Task");
        let body = Value::Object(task);
        let _: Created = self
            .http
            .call_once(|s| s.request(Method::POST, &path).json(&body))
            .await?;
        Ok(Some(self.fresh(&action.lead_id).await?.updated_at))
    }

    /// The Task on `lead` that carries `key`, if any.
    async fn task_id(&mut self, lead: &str, key: &str) -> Result<Option<String>, SourceError> {
        let lead = checked(lead)?;
        // Keys are alphanumeric; anything else cannot be one of ours.
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(None);
        }
        let soql = format!(
            // Description cannot be filtered on; the key is on the subject line too.
            "SELECT Id, Subject, Description FROM Task WHERE WhoId = '{lead}' AND Subject LIKE '%ref={key}%'"
        );
        let marker = format!("ref={key}");
        Ok(self
            .query(&soql)
            .await?
            .into_iter()
            .find(|r| {
                r.value("Description")
                    .and_then(|v| v.as_str())
                    .is_some_and(|d| d.contains(&marker))
            })
            .and_then(|r| r.id()))
    }
}

fn checked(id: &str) -> Result<String, SourceError> {
    record_id(id).ok_or_else(|| SourceError::Api {
        status: 404,
        category: "NOT_FOUND".into(),
        message: format!("{id:?} is not a Salesforce id"),
    })
}
