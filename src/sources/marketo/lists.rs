//! The nurture list: a recycle adds the lead to it, an undo takes it off, and a retry asks
//! first whether the lead is on it.

use reqwest::Method;
use serde_json::json;

use super::Marketo;
use super::wire::{Envelope, Membership};
use crate::sources::SourceError;

impl Marketo {
    /// Add `lead` to static list `list`; a skipped lead is an error with Marketo's reason.
    pub async fn add_to_list(&mut self, list: u64, lead: u64) -> Result<(), SourceError> {
        let path = format!("/rest/v1/lists/{list}/leads.json");
        let body = json!({ "input": [{ "id": lead }] });
        let id = lead.to_string();
        let env: Envelope<Membership> = self
            .call(|s| {
                s.request(Method::POST, &path)
                    .query(&[("id", id.as_str())])
                    .json(&body)
            })
            .await?;
        refused_rows(&env.result)
    }

    /// Take `lead` off static list `list`.
    pub async fn remove_from_list(&mut self, list: u64, lead: u64) -> Result<(), SourceError> {
        let path = format!("/rest/v1/lists/{list}/leads.json");
        let id = lead.to_string();
        let env: Envelope<Membership> = self
            // The Swagger asks for the lead both in the query and in the body.
            .call(|s| {
                s.request(Method::DELETE, &path)
                    .query(&[("id", id.as_str())])
                    .json(&json!({ "input": [{ "id": lead }] }))
            })
            .await?;
        refused_rows(&env.result)
    }

    pub async fn is_member(&mut self, list: u64, lead: u64) -> Result<bool, SourceError> {
        let path = format!("/rest/v1/lists/{list}/leads/ismember.json");
        let id = lead.to_string();
        let env: Envelope<Membership> = self
            .call(|s| s.request(Method::GET, &path).query(&[("id", id.as_str())]))
            .await?;
        Ok(env.result.iter().any(|m| m.status == "memberof"))
    }
}

/// A record-level `skipped` is reported per lead, with Marketo's reason.
fn refused_rows(rows: &[Membership]) -> Result<(), SourceError> {
    match rows.iter().find(|m| m.status == "skipped") {
        Some(m) => Err(SourceError::Api {
            status: 200,
            category: m
                .reasons
                .first()
                .map(|r| r.code.clone())
                .unwrap_or_default(),
            message: format!(
                "Marketo skipped lead {}: {}",
                m.id.map(|i| i.to_string()).unwrap_or_default(),
                m.reasons
                    .first()
                    .map(|r| crate::domain::text::clean(&r.message))
                    .unwrap_or_else(|| "no reason given".into())
            ),
        }),
        None => Ok(()),
    }
}
