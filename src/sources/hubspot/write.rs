//! Writing actions back: lifecycle stage, lead status and owner by PATCH; notes by POST.

use chrono::Utc;
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::HubSpot;
use super::read::Kind;
use super::wire::{Object, Page};
use crate::domain::action::{Action, ActionKind};
use crate::domain::feedback::NoteKind;
use crate::sources::SourceError;

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

impl HubSpot {
    /// Apply one action. Safe to call again after a failure (`retry`): the PATCHes set
    /// absolute values, and on a retry a note is only posted if the contact has no note
    /// carrying the action's key yet.
    pub async fn apply(&mut self, action: &Action, retry: bool) -> Result<(), SourceError> {
        let id = action.lead_id.as_str();
        match &action.kind {
            ActionKind::HandOff { owner_id } => {
                let mut props = Map::new();
                props.insert("hs_lead_status".into(), json!("OPEN"));
                props.insert("hubspot_owner_id".into(), json!(owner_id));
                self.move_lifecycle(id, "marketingqualifiedlead", props)
                    .await
            }
            ActionKind::Recycle { reason, note } => {
                let mut props = Map::new();
                props.insert("hs_lead_status".into(), json!("BAD_TIMING"));
                self.move_lifecycle(id, "lead", props).await?;
                let kind = NoteKind::Recycle {
                    reason: Some(reason.clone()),
                    text: note.clone(),
                };
                self.post_note_once(id, &kind, &action.key, retry).await
            }
            ActionKind::Feedback {
                campaign,
                verdict,
                text,
            } => {
                let kind = NoteKind::Feedback {
                    campaign: campaign.clone(),
                    verdict: *verdict,
                    text: text.clone(),
                };
                self.post_note_once(id, &kind, &action.key, retry).await
            }
        }
    }

    async fn contact(&mut self, id: &str, props: &[&str]) -> Result<Object, SourceError> {
        let path = format!("/crm/v3/objects/contacts/{id}");
        let props = props.join(",");
        self.call(|s| {
            s.request(Method::GET, &path)
                .query(&[("properties", &props)])
        })
        .await
    }

    async fn patch_contact(
        &mut self,
        id: &str,
        props: Map<String, Value>,
    ) -> Result<(), SourceError> {
        let path = format!("/crm/v3/objects/contacts/{id}");
        let body = json!({ "properties": props });
        let _: Object = self
            .call(|s| s.request(Method::PATCH, &path).json(&body))
            .await?;
        Ok(())
    }

    /// Set the lifecycle stage (plus `props`).
    ///
    /// A backward move must clear the stage first. The other properties go first, so a
    /// refused owner or status fails before anything is cleared; if setting the stage is
    /// then refused, the old stage is put back rather than leaving the contact without one.
    async fn move_lifecycle(
        &mut self,
        id: &str,
        target: &str,
        mut props: Map<String, Value>,
    ) -> Result<(), SourceError> {
        // Read the current value fresh: the store may be a poll behind.
        let current = self.contact(id, &["lifecyclestage"]).await?;
        let current = current.prop("lifecyclestage").unwrap_or("").to_string();
        if current == target {
            return self.patch_contact(id, props).await;
        }
        if !is_backward(&current, target) {
            props.insert("lifecyclestage".into(), json!(target));
            return self.patch_contact(id, props).await;
        }
        self.patch_contact(id, props).await?;
        self.patch_contact(id, stage_only("")).await?;
        if let Err(e) = self.patch_contact(id, stage_only(target)).await {
            if let Err(undo) = self.patch_contact(id, stage_only(&current)).await {
                tracing::error!(contact = id, error = %undo, "could not restore the lifecycle stage");
            }
            return Err(e);
        }
        Ok(())
    }

    /// Whether the contact already has a note carrying `key`. Read through the contact's
    /// associations rather than search, which HubSpot indexes with a delay.
    async fn note_exists(&mut self, contact_id: &str, key: &str) -> Result<bool, SourceError> {
        let links = self
            .associations(Kind::Contacts, Kind::Notes, &[contact_id.to_string()])
            .await?;
        let ids = links.get(contact_id).cloned().unwrap_or_default();
        let marker = format!("ref={key}");
        for chunk in ids.chunks(100) {
            let body = json!({
                "properties": ["hs_note_body"],
                "inputs": chunk.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>(),
            });
            let page: Page<Object> = self
                .call(|s| {
                    s.request(Method::POST, "/crm/v3/objects/notes/batch/read")
                        .json(&body)
                })
                .await?;
            if page
                .results
                .iter()
                .any(|n| n.prop("hs_note_body").is_some_and(|b| b.contains(&marker)))
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn post_note_once(
        &mut self,
        contact_id: &str,
        kind: &NoteKind,
        key: &str,
        retry: bool,
    ) -> Result<(), SourceError> {
        if retry && self.note_exists(contact_id, key).await? {
            tracing::info!(key, "note already written by an earlier attempt");
            return Ok(());
        }
        let body = note_body(kind, key);
        let payload = json!({
            "properties": {
                "hs_timestamp": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "hs_note_body": body,
            },
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
        Ok(())
    }
}

fn stage_only(value: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("lifecyclestage".into(), json!(value));
    m
}

/// The note body with the action key on the tag line, where the parser ignores it.
pub fn note_body(kind: &NoteKind, key: &str) -> String {
    let body = kind.to_body();
    match body.split_once('\n') {
        Some((tags, rest)) => format!("{tags} ref={key}\n{rest}"),
        None => format!("{body} ref={key}"),
    }
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
