//! Which vendor to talk to: `--hubspot-url`, else the config's first source, else the
//! embedded simulation read as `--sim`'s profile. Tokens come from the environment only.

use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::sim::{self, SimHandle, SimOptions};
use crate::sources::{Connector, Secret, Vendor};

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

pub async fn connect(
    config: &Config,
    hubspot_url: Option<&str>,
    flag_interval: Duration,
    embedded: SimOptions,
) -> Result<Connected, ConnectError> {
    let configured = config.sources.first();
    let remote = match (hubspot_url, configured) {
        (Some(url), _) => Some((
            Vendor::HubSpot,
            url.to_string(),
            "HUBSPOT_TOKEN".to_string(),
            Vendor::HubSpot.name().to_string(),
            None,
        )),
        (None, Some(s)) => Some((
            s.kind,
            s.base_url.clone(),
            s.token_env.clone(),
            s.name.clone(),
            s.api_version.clone(),
        )),
        (None, None) => None,
    };
    let interval = match (configured, hubspot_url) {
        (Some(s), None) => s.poll_interval,
        _ => (!flag_interval.is_zero()).then_some(flag_interval),
    };
    let stages = Arc::new(config.stages.clone());
    let extra = config.extra_contact_properties();
    let usage = |message: String| ConnectError { message, code: 2 };
    match remote {
        Some((vendor, url, token_env, name, api_version)) => {
            // The URL first: a bad one is wrong whatever the environment holds.
            vendor.check_base_url(&url).map_err(usage)?;
            let token = std::env::var(&token_env)
                .ok()
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| {
                    usage(format!(
                        "{token_env} is not set: export a {} API token \
                         (it is read from the environment only, never from flags or files)",
                        vendor.name()
                    ))
                })?;
            let connector = Connector::new(vendor, &url, Secret::new(token), stages, extra)
                .and_then(|c| c.with_api_version(api_version.as_deref()))
                .map_err(|e| usage(e.to_string()))?
                .with_token_env(&token_env);
            Ok(Connected {
                cache_key: Some(connector.source_key()),
                connector,
                name,
                interval,
                simulated: false,
                embedded: None,
            })
        }
        None => {
            let vendor = match embedded.profile {
                sim::Profile::Hubspot => Vendor::HubSpot,
                sim::Profile::Salesforce => Vendor::Salesforce,
            };
            let handle = sim::start(embedded).await.map_err(|e| ConnectError {
                message: format!("cannot start the simulated {}: {e}", vendor.name()),
                code: 1,
            })?;
            let token = Secret::new(handle.token.clone());
            let connector = Connector::new(vendor, &handle.base_url, token, stages, extra)
                .map_err(|e| usage(e.to_string()))?;
            Ok(Connected {
                connector,
                name: vendor.name().into(),
                interval,
                simulated: true,
                embedded: Some(handle),
                cache_key: None,
            })
        }
    }
}
