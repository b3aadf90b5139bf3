//! The shared definitions file: sources, stages, business hours, SLAs, targets, coverage and
//! recycling, as one TOML file both teams read.
//!
//! The built-in defaults *are* the example file in `assets/`, so the documentation and the
//! behaviour cannot drift apart. A user file overrides section by section.

mod build;
mod diff;
mod error;
mod owners;
#[cfg(test)]
mod props;
mod schema;
mod sense;
mod slas;
mod source;
mod values;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use diff::diff;
pub use error::ConfigError;
pub use values::parse_duration;

use crate::domain::attribution::Model;
use crate::domain::business_hours::BusinessCalendar;
use crate::domain::catalog::StageCatalog;
use crate::domain::coverage::Coverage;
use crate::domain::kpi::Targets;
use crate::domain::recycle::RecyclePolicy;
use crate::domain::sla::{PaceDef, SlaDef};

/// The commented example config (also the built-in defaults).
pub const EXAMPLE: &str = include_str!("../../assets/config.example.toml");

/// The environment variable that names a config file.
pub const ENV_VAR: &str = "TANDEM_CONFIG";

/// Which vendor a source speaks (the port's own list).
pub use crate::sources::Vendor as SourceKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceRole {
    Crm,
    Map,
    Both,
}

/// A vendor to poll. The token itself lives in the environment, under `token_env`.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceConfig {
    pub name: String,
    pub kind: SourceKind,
    pub base_url: String,
    pub token_env: String,
    /// `None`: poll only on refresh.
    pub poll_interval: Option<Duration>,
    pub role: SourceRole,
    /// The vendor API version asked for (Salesforce), else the connector's default.
    pub api_version: Option<String>,
    /// Marketo: the identity service (else `base_url`), the variable holding the client id,
    /// and the static list recycled leads join.
    pub identity_url: Option<String>,
    pub client_id_env: Option<String>,
    pub nurture_list: Option<u64>,
}

/// Which attribution model the KPI pane opens with, and the time-decay half-life.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttributionConfig {
    pub model: Model,
    pub half_life: chrono::Duration,
}

/// Everything the cockpit, `report` and `check` compute with.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Where it was read from; `None` for the built-in defaults.
    pub path: Option<PathBuf>,
    /// Every CRM owner the file names, with where: checked once the CRM's owners are known.
    pub owner_refs: Vec<owners::OwnerRef>,
    /// Where the local cache lives (`None`: the XDG data dir); `--data-dir` wins.
    pub data_dir: Option<PathBuf>,
    /// Who is acting (`None`: the OS user); `--user` wins.
    pub user: Option<String>,
    /// How long after a hand-off or recycle `u` can undo it.
    pub undo_window: chrono::Duration,
    /// The daily standup (local, business-hours time zone): "since the last standup".
    pub standup_at: chrono::NaiveTime,
    /// Which companies the top-accounts lens keeps.
    pub top_accounts: crate::domain::lens::TopAccounts,
    /// Why sales may reject an MQL, and whether each disqualifies or recycles it.
    pub reject_reasons: Vec<crate::domain::reject::RejectReason>,
    /// Empty: use the embedded simulated HubSpot.
    pub sources: Vec<SourceConfig>,
    pub calendar: BusinessCalendar,
    pub stages: StageCatalog,
    pub slas: Vec<SlaDef>,
    pub paces: Vec<PaceDef>,
    pub targets: Targets,
    pub coverage: Coverage,
    pub recycle: RecyclePolicy,
    pub attribution: AttributionConfig,
    /// Who leads each team (a CRM owner's email): where its escalated breaches go.
    pub team_leads: Vec<(crate::domain::stage::Team, String)>,
    /// A proposed definitions file for the cockpit's what-if view (`--proposed` wins).
    pub proposed: Option<PathBuf>,
    /// Properties a proposed file's rules read that these rules do not: read too, with their
    /// history, so the what-if view can replay them. Set at start, never from a file.
    pub also_read: Vec<String>,
    /// `[notify] command`: run by `sh -c` for each SLA transition (new breach, escalation,
    /// cleared), one JSON object on its stdin.
    pub notify_command: Option<String>,
}

impl Config {
    /// The lead of `team`, if the file names one.
    pub fn team_lead(&self, team: crate::domain::stage::Team) -> Option<&str> {
        self.team_leads
            .iter()
            .find(|(t, _)| *t == team)
            .map(|(_, lead)| lead.as_str())
    }
}

impl Config {
    /// The defaults: the example file, parsed.
    pub fn builtin() -> Config {
        build::parse("<built-in defaults>", EXAMPLE, None).expect("the example config is valid")
    }

    /// Parse `text` (read from `path`) on top of the defaults.
    pub fn parse(path: &str, text: &str) -> Result<Config, ConfigError> {
        let mut config = build::parse(path, text, Some(&Config::builtin()))?;
        config.path = Some(PathBuf::from(path));
        Ok(config)
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::whole_file(&shown, format!("cannot read: {e}")))?;
        Config::parse(&shown, &text)
    }

    /// Every contact property the stage rules and coverage read beyond the usual set.
    pub fn extra_contact_properties(&self) -> Vec<String> {
        let mut props = self.stages.properties();
        if let Some(p) = self.coverage.segment_by.extra_property() {
            props.insert(p.to_string());
        }
        props.extend(self.also_read.iter().cloned());
        props.into_iter().collect()
    }
}

/// Where the config comes from: `--config`, else `$TANDEM_CONFIG`, else the XDG config dir
/// if a file is there. `None` means the built-in defaults.
pub fn locate(flag: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = flag {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os(ENV_VAR).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    default_path().filter(|p| p.is_file())
}

/// `$XDG_CONFIG_HOME/tandem/config.toml` (or the platform's equivalent).
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "tandem").map(|d| d.config_dir().join("config.toml"))
}
