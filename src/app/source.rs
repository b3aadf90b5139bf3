//! Which vendors to talk to: `--hubspot-url`, else the config's sources (one CRM, and a MAP
//! beside it when the stack splits the pipeline), else the embedded simulation read as
//! `--sim`'s profile. Tokens come from the environment only.

use std::sync::Arc;
use std::time::Duration;

use crate::config::{Config, SourceConfig, SourceRole};
use crate::sim::{self, Profile, SimHandle, SimOptions};
use crate::sources::{Connector, Secret, Vendor, marketo_client};

pub struct Connected {
    pub connector: Connector,
    pub name: String,
    /// `None`: poll only on refresh.
    pub interval: Option<Duration>,
    pub simulated: bool,
    /// Keep alive while the source is used; shut down at the end.
    pub embedded: Option<SimHandle>,
    /// What the source's records are filed under in the local cache; `None` for the
    /// embedded simulation, whose world is made anew on every start.
    pub cache_key: Option<String>,
}

/// Exit code 2 for what the user can fix (missing token, bad URL); 1 otherwise.
pub struct ConnectError {
    pub message: String,
    pub code: u8,
}

/// The configured sources as one pipeline: the CRM, and the MAP joined to it.
pub struct Stack<'a> {
    pub vendor: Vendor,
    pub crm: &'a SourceConfig,
    pub map: Option<&'a SourceConfig>,
}

/// The config's stack, `None` without sources, or what is wrong with it.
pub fn stack(config: &Config) -> Result<Option<Stack<'_>>, String> {
    // `role` says which facts a source contributes: a MAP cannot carry the pipeline, and a
    // CRM is never read as a MAP.
    for s in &config.sources {
        match (s.kind, s.role) {
            (Vendor::Marketo, SourceRole::Crm) => {
                return Err(format!(
                    "source {:?}: Marketo is a MAP; give it role = \"map\"",
                    s.name
                ));
            }
            (Vendor::HubSpot | Vendor::Salesforce, SourceRole::Map) => {
                return Err(format!(
                    "source {:?}: a {} source carries the pipeline; give it role = \"crm\" \
                     or \"both\"",
                    s.name,
                    s.kind.name()
                ));
            }
            _ => {}
        }
    }
    let crm = config.sources.iter().find(|s| s.kind != Vendor::Marketo);
    let map = config.sources.iter().find(|s| s.kind == Vendor::Marketo);
    match (crm, map) {
        (None, None) => Ok(None),
        (Some(crm), None) => Ok(Some(Stack {
            vendor: crm.kind,
            crm,
            map: None,
        })),
        (Some(crm), Some(map)) if crm.kind == Vendor::Salesforce => Ok(Some(Stack {
            vendor: Vendor::SalesforceMarketo,
            crm,
            map: Some(map),
        })),
        (_, Some(map)) => Err(format!(
            "source {:?} (marketo) is the MAP beside a Salesforce CRM: add a source with \
             kind = \"salesforce\"",
            map.name
        )),
    }
}

fn env(name: &str, vendor: Vendor) -> Result<String, ConnectError> {
    std::env::var(name)
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| ConnectError {
            message: format!(
                "{name} is not set: export a {} API credential (it is read from the \
                 environment only, never from flags or files)",
                vendor.name()
            ),
            code: 2,
        })
}

pub async fn connect(
    config: &Config,
    hubspot_url: Option<&str>,
    flag_interval: Duration,
    embedded: SimOptions,
) -> Result<Connected, ConnectError> {
    let usage = |message: String| ConnectError { message, code: 2 };
    let stages = Arc::new(config.stages.clone());
    let extra = config.extra_contact_properties();
    let flag = (!flag_interval.is_zero()).then_some(flag_interval);
    if let Some(url) = hubspot_url {
        Vendor::HubSpot.check_base_url(url).map_err(usage)?;
        let token = env("HUBSPOT_TOKEN", Vendor::HubSpot)?;
        let connector = Connector::new(Vendor::HubSpot, url, Secret::new(token), stages, extra)
            .map_err(|e| usage(e.to_string()))?;
        return Ok(Connected {
            cache_key: Some(connector.source_key()),
            connector,
            name: Vendor::HubSpot.name().into(),
            interval: flag,
            simulated: false,
            embedded: None,
        });
    }
    if let Some(stack) = stack(config).map_err(usage)? {
        let crm = stack.crm;
        // The URL first: a bad one is wrong whatever the environment holds.
        crm.kind.check_base_url(&crm.base_url).map_err(usage)?;
        let token = env(&crm.token_env, crm.kind)?;
        let mut connector =
            Connector::new(crm.kind, &crm.base_url, Secret::new(token), stages, extra)
                .and_then(|c| c.with_api_version(crm.api_version.as_deref()))
                .map_err(|e| usage(e.to_string()))?
                .with_token_env(&crm.token_env);
        let mut name = crm.name.clone();
        if let Some(map) = stack.map {
            let id_env = map.client_id_env.as_deref().unwrap_or("MARKETO_CLIENT_ID");
            let client_id = env(id_env, Vendor::Marketo)?;
            let secret = env(&map.token_env, Vendor::Marketo)?;
            let client = marketo_client(
                &map.base_url,
                map.identity_url.as_deref(),
                &client_id,
                Secret::new(secret),
                &map.token_env,
            )
            .map_err(|e| usage(e.to_string()))?;
            connector =
                Connector::salesforce_marketo(connector, client, map.nurture_list, &config.stages);
            name = format!("{} + {}", crm.name, map.name);
        }
        return Ok(Connected {
            cache_key: Some(connector.source_key()),
            connector,
            name,
            interval: crm.poll_interval,
            simulated: false,
            embedded: None,
        });
    }
    let profile = embedded.profile;
    let vendor = match profile {
        Profile::Hubspot => Vendor::HubSpot,
        Profile::Salesforce => Vendor::Salesforce,
        Profile::SalesforceMarketo => Vendor::SalesforceMarketo,
    };
    let handle = sim::start(embedded).await.map_err(|e| ConnectError {
        message: format!("cannot start the simulated {}: {e}", vendor.name()),
        code: 1,
    })?;
    let token = Secret::new(handle.token.clone());
    let mut connector = Connector::new(vendor, &handle.base_url, token.clone(), stages, extra)
        .map_err(|e| usage(e.to_string()))?;
    if profile == Profile::SalesforceMarketo {
        let client = marketo_client(
            &handle.base_url,
            None,
            sim::MARKETO_CLIENT_ID,
            token,
            "the simulation's token",
        )
        .map_err(|e| usage(e.to_string()))?;
        connector = Connector::salesforce_marketo(
            connector,
            client,
            Some(sim::MARKETO_NURTURE_LIST),
            &config.stages,
        );
    }
    Ok(Connected {
        connector,
        name: vendor.name().into(),
        interval: flag,
        simulated: true,
        embedded: Some(handle),
        cache_key: None,
    })
}
