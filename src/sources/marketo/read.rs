//! Reading Marketo: leads by `filterType`, activities and lead changes by paging token,
//! programs from the asset API, and the facts tandem keeps of each lead.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use reqwest::Method;

use super::wire::{Activity, Envelope, LeadRow, Program};
use super::{BATCH, Change, Facts, LEAD_IDS, Marketo, PROGRAM_STATUS, SEND_EMAIL};
use crate::sources::SourceError;

impl Marketo {
    /// Marketo leads whose `field` (`sfdcLeadId`, `email`) is one of `values`.
    pub async fn leads_by(
        &mut self,
        field: &str,
        values: &[String],
    ) -> Result<Vec<LeadRow>, SourceError> {
        let mut out = Vec::new();
        let self_fields = self.fields.clone();
        for chunk in values.chunks(BATCH) {
            let mut token: Option<String> = None;
            loop {
                let t = token.clone();
                let env: Envelope<LeadRow> = self
                    .call(|s| {
                        // Arrays go as repeated parameters (the Swagger's `multi`).
                        let mut q = vec![("filterType", field.to_string())];
                        q.extend(chunk.iter().map(|v| ("filterValues", v.clone())));
                        q.extend(["id", "email", "sfdcLeadId"].map(|f| ("fields", f.to_string())));
                        q.extend(self_fields.iter().map(|f| ("fields", f.clone())));
                        q.push(("batchSize", BATCH.to_string()));
                        q.extend(t.clone().map(|t| ("nextPageToken", t)));
                        s.request(Method::GET, "/rest/v1/leads.json").query(&q)
                    })
                    .await?;
                out.extend(env.result);
                match env.next_page_token.filter(|_| env.more_result) {
                    Some(n) => token = Some(n),
                    None => break,
                }
            }
        }
        Ok(out)
    }

    /// A paging token for everything since `since`.
    pub async fn paging_token(&mut self, since: DateTime<Utc>) -> Result<String, SourceError> {
        let since = since.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let env: Envelope<serde_json::Value> = self
            .call(|s| {
                s.request(Method::GET, "/rest/v1/activities/pagingtoken.json")
                    .query(&[("sinceDatetime", since.as_str())])
            })
            .await?;
        env.next_page_token
            .ok_or_else(|| SourceError::Malformed("Marketo gave no paging token".into()))
    }

    /// Every activity of tandem's types from `token` on (of `leads`, if given); returns
    /// them and the token to resume from.
    pub async fn activities(
        &mut self,
        token: String,
        leads: Option<&[u64]>,
    ) -> Result<(Vec<Activity>, String), SourceError> {
        let types = [SEND_EMAIL, PROGRAM_STATUS].map(|k| ("activityTypeIds", k.to_string()));
        self.pages("/rest/v1/activities.json", token, &types, leads)
            .await
    }

    /// Every change of `fields` (Marketo's REST names) from `token` on (of `leads`, if
    /// given); returns them and the token to resume from.
    pub async fn lead_changes(
        &mut self,
        token: String,
        fields: &[String],
        leads: Option<&[u64]>,
    ) -> Result<(Vec<Activity>, String), SourceError> {
        let fields: Vec<(&str, String)> = fields.iter().map(|f| ("fields", f.clone())).collect();
        self.pages(
            "/rest/v1/activities/leadchanges.json",
            token,
            &fields,
            leads,
        )
        .await
    }

    /// Follow `nextPageToken` on an activity endpoint while `moreResult` says so.
    async fn pages(
        &mut self,
        path: &str,
        mut token: String,
        params: &[(&str, String)],
        leads: Option<&[u64]>,
    ) -> Result<(Vec<Activity>, String), SourceError> {
        let ids: Vec<String> = leads
            .unwrap_or_default()
            .iter()
            .map(u64::to_string)
            .collect();
        let mut out = Vec::new();
        // A server that keeps saying `moreResult` cannot keep this going for ever.
        for _ in 0..100_000 {
            let t = token.clone();
            let env: Envelope<Activity> = self
                .call(|s| {
                    // Arrays go as repeated parameters (the Swagger's `multi`).
                    let mut q = vec![("nextPageToken", t.clone())];
                    q.extend(params.iter().cloned());
                    q.push(("batchSize", BATCH.to_string()));
                    q.extend(ids.iter().map(|i| ("leadIds", i.clone())));
                    s.request(Method::GET, path).query(&q)
                })
                .await?;
            let more = env.more_result;
            out.extend(env.result);
            match env.next_page_token {
                Some(next) if more && next != token => token = next,
                Some(next) => return Ok((out, next)),
                None => return Ok((out, token)),
            }
        }
        Ok((out, token))
    }

    /// The full facts of `leads`, read from their whole activity history (and the changes
    /// of the rule fields, when any).
    pub async fn facts_of(&mut self, leads: &[u64]) -> Result<HashMap<u64, Facts>, SourceError> {
        let fields = self.fields.clone();
        let mut out = HashMap::new();
        let origin = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(365 * 30);
        let programs = match leads.is_empty() {
            true => HashMap::new(),
            false => self.programs().await?,
        };
        for chunk in leads.chunks(LEAD_IDS) {
            let token = self.paging_token(origin).await?;
            let (mut acts, _) = self.activities(token.clone(), Some(chunk)).await?;
            if !fields.is_empty() {
                acts.extend(self.lead_changes(token, &fields, Some(chunk)).await?.0);
            }
            fold(&mut out, &acts, &programs);
        }
        Ok(out)
    }

    /// Every program (the campaigns), by id, 200 at a time.
    pub async fn programs(&mut self) -> Result<HashMap<u64, String>, SourceError> {
        let mut out = HashMap::new();
        for page in 0..1000usize {
            let offset = (page * 200).to_string();
            let env: Envelope<Program> = self
                .call(|s| {
                    s.request(Method::GET, "/rest/asset/v1/programs.json")
                        .query(&[("maxReturn", "200"), ("offset", offset.as_str())])
                })
                .await?;
            let n = env.result.len();
            out.extend(
                env.result
                    .into_iter()
                    .map(|p| (p.id, crate::domain::text::clean_within(&p.name, 200))),
            );
            // The last page is short, or a warning with no result at all.
            if n < 200 {
                break;
            }
        }
        Ok(out)
    }
}

/// Add `acts` to each lead's facts, keeping them sorted; a program success is named by its
/// program as `programs` lists it (else as the activity names it).
pub fn fold(facts: &mut HashMap<u64, Facts>, acts: &[Activity], programs: &HashMap<u64, String>) {
    for a in acts {
        let Some(at) = crate::sources::salesforce::wire::parse_time(&a.activity_date) else {
            continue;
        };
        let f = facts.entry(a.lead_id).or_default();
        match a.activity_type_id {
            SEND_EMAIL => f.sends.push(at),
            PROGRAM_STATUS => {
                let success = a
                    .attribute("Success")
                    .is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"));
                let named = a
                    .primary_attribute_value_id
                    .and_then(|id| programs.get(&id).cloned())
                    .or_else(|| {
                        let raw = a.primary_attribute_value.as_deref()?;
                        Some(crate::domain::text::clean_within(raw, 200))
                    });
                if let (true, Some(program)) = (success, named) {
                    f.campaigns.push((at, program));
                }
            }
            _ => {}
        }
        for c in &a.fields {
            let text = |v: &Option<String>| {
                crate::domain::text::clean_within(v.as_deref().unwrap_or(""), 200)
            };
            f.changes.push(Change {
                at,
                field: c.name.clone(),
                old: text(&c.old_value),
                new: text(&c.new_value),
            });
        }
    }
    for f in facts.values_mut() {
        f.changes.sort_by_key(|c| c.at);
        f.sends.sort();
        f.sends.dedup();
        // Stable: two successes in one second keep the order Marketo logged them in.
        f.campaigns.sort_by_key(|(at, _)| *at);
        f.campaigns.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn program_successes_are_campaigns_and_sends_are_touches() {
        let acts: Vec<Activity> = serde_json::from_value(json!([
            {"leadId": 7, "activityDate": "2026-11-02T10:00:00Z", "activityTypeId": 104,
             "primaryAttributeValue": "Webinar", "attributes": [{"name": "Success", "value": true}]},
            {"leadId": 7, "activityDate": "2026-11-01T10:00:00Z", "activityTypeId": 104,
             "primaryAttributeValue": "Not a success", "attributes": [{"name": "Success", "value": false}]},
            {"leadId": 7, "activityDate": "2026-11-03T10:00:00Z", "activityTypeId": 6,
             "primaryAttributeValue": "Nurture.Email 1", "attributes": []}
        ]))
        .expect("activities");
        let mut facts = HashMap::new();
        fold(&mut facts, &acts, &HashMap::new());
        let f = &facts[&7];
        assert_eq!(f.campaigns.len(), 1);
        assert_eq!(f.campaigns[0].1, "Webinar");
        assert_eq!(f.sends.len(), 1);
    }
}
