//! `[[source]]` entries: which vendor, where, which environment variables hold the
//! credentials, and the vendor's own settings (Salesforce's API version; Marketo's identity
//! service, client id and nurture list).

use std::time::Duration;

use super::schema;
use super::{SourceConfig, SourceKind, SourceRole};

/// A `[[source]]` as tandem will use it, or what is wrong with it.
pub(super) fn check(s: &schema::Source) -> Result<SourceConfig, String> {
    // The same rule the connector applies, so `config validate` refuses what connecting
    // would (credentials in the URL, other schemes) and never echoes a password.
    let vendor = match s.kind {
        schema::SourceKind::Hubspot => SourceKind::HubSpot,
        schema::SourceKind::Salesforce => SourceKind::Salesforce,
        schema::SourceKind::Marketo => SourceKind::Marketo,
    };
    let identity_url = match &s.identity_url {
        Some(u) => Some(
            vendor
                .check_base_url(u)
                .map_err(|why| format!("source {:?}: identity_url: {why}", s.name))?,
        ),
        None => None,
    };
    let marketo_only = [
        ("identity_url", s.identity_url.is_some()),
        ("client_id_env", s.client_id_env.is_some()),
        ("nurture_list", s.nurture_list.is_some()),
    ];
    if vendor != SourceKind::Marketo
        && let Some((field, _)) = marketo_only.iter().find(|(_, set)| *set)
    {
        return Err(format!(
            "source {:?}: {field} is for a marketo source",
            s.name
        ));
    }
    if vendor == SourceKind::Marketo && s.client_id_env.is_none() {
        return Err(format!(
            "source {:?}: a marketo source needs client_id_env (the variable holding the \
             client id; token_env holds the client secret)",
            s.name
        ));
    }
    if let Some(v) = &s.api_version {
        let ok = v
            .trim_start_matches('v')
            .parse::<f64>()
            .is_ok_and(|n| n >= 60.0)
            && v.contains('.');
        if !ok || vendor != SourceKind::Salesforce {
            return Err(format!(
                "source {:?}: api_version {v:?}: only a salesforce source takes one, 60.0 or \
                 later, written like \"60.0\"",
                s.name
            ));
        }
    }
    let url = vendor
        .check_base_url(&s.base_url)
        .map_err(|why| format!("source {:?}: base_url: {why}", s.name))?;
    let env_like = |name: &str| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    };
    if let Some(id_env) = s.client_id_env.as_deref().filter(|e| !env_like(e)) {
        return Err(format!(
            "source {:?}: client_id_env must name an environment variable like \
             MARKETO_CLIENT_ID (got {id_env:?})",
            s.name
        ));
    }
    if !env_like(&s.token_env) {
        return Err(format!(
            "source {:?}: token_env must name an environment variable like HUBSPOT_TOKEN \
             (tokens never go in this file)",
            s.name
        ));
    }
    let interval = s
        .poll_interval
        .map_or(chrono::Duration::seconds(10), |d| d.0);
    Ok(SourceConfig {
        name: s.name.clone(),
        kind: vendor,
        api_version: s.api_version.clone(),
        identity_url,
        client_id_env: s.client_id_env.clone(),
        nurture_list: s.nurture_list,
        base_url: url,
        token_env: s.token_env.clone(),
        poll_interval: (interval > chrono::Duration::zero())
            .then(|| Duration::from_secs(interval.num_seconds().max(1) as u64)),
        role: match s.role {
            Some(schema::Role::Crm) => SourceRole::Crm,
            Some(schema::Role::Map) => SourceRole::Map,
            Some(schema::Role::Both) | None => SourceRole::Both,
        },
    })
}
