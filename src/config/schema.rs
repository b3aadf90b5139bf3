//! The config file's shape, exactly as written. Unknown keys are errors.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::values::{Amount, Count, Date, Day, Ratio, Span, StageId, TeamName, TimeOfDay, Zone};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// Where the local cache lives; `--data-dir` wins.
    pub data_dir: Option<String>,
    /// Who is acting (default: the OS user).
    pub user: Option<String>,
    /// A proposed definitions file the cockpit's what-if view replays (`--proposed` wins).
    pub proposed: Option<Spanned<String>>,
    #[serde(default)]
    pub source: Vec<Source>,
    pub business_hours: Option<BusinessHours>,
    #[serde(default)]
    pub stage: Vec<Stage>,
    #[serde(default)]
    pub sla: Vec<Spanned<Sla>>,
    #[serde(default)]
    pub targets: Targets,
    pub coverage: Option<Coverage>,
    pub recycle: Option<Recycle>,
    pub attribution: Option<Attribution>,
    pub actions: Option<Actions>,
    pub standup: Option<Standup>,
    #[serde(default)]
    pub reject: Vec<Spanned<Reject>>,
    pub lens: Option<LensFile>,
    #[serde(default)]
    pub team: Vec<Spanned<TeamEntry>>,
    pub notify: Option<Notify>,
}

/// A local command run for each SLA transition, with one JSON object on stdin.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    pub command: Spanned<String>,
}

/// A team and who leads it: where its escalated breaches go.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamEntry {
    pub name: TeamName,
    /// A CRM owner, by email.
    pub lead: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LensFile {
    /// How many companies (by open deal value) the top-accounts lens keeps.
    pub top_accounts: Option<Spanned<u32>>,
    /// A named account list instead (company names as in the CRM).
    #[serde(default)]
    pub accounts: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reject {
    pub code: String,
    pub label: String,
    /// `disqualify` or `recycle`.
    pub then: RejectThen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectThen {
    Disqualify,
    Recycle,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standup {
    /// The daily standup's local time (business-hours time zone).
    pub at: Option<TimeOfDay>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actions {
    /// How long `u` can undo a hand-off or recycle.
    pub undo_window: Option<Spanned<Span>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelName {
    FirstTouch,
    LastTouch,
    Linear,
    UShaped,
    WShaped,
    FullPath,
    TimeDecay,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attribution {
    pub model: Option<ModelName>,
    pub half_life: Option<Spanned<Span>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Hubspot,
    Salesforce,
    Marketo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Crm,
    Map,
    Both,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub name: String,
    pub kind: SourceKind,
    pub base_url: String,
    /// The name of the environment variable holding the token — never the token.
    pub token_env: String,
    #[serde(default)]
    pub poll_interval: Option<Span>,
    #[serde(default)]
    pub role: Option<Role>,
    /// Salesforce's REST API version (`60.0` or later).
    #[serde(default)]
    pub api_version: Option<String>,
    /// Marketo: the identity service's URL (default: base_url).
    #[serde(default)]
    pub identity_url: Option<String>,
    /// Marketo: the environment variable holding the client id (`token_env` holds the
    /// client secret).
    #[serde(default)]
    pub client_id_env: Option<String>,
    /// Marketo: the static list recycled leads are added to.
    #[serde(default)]
    pub nurture_list: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessHours {
    pub days: Vec<Day>,
    pub start: TimeOfDay,
    pub end: Spanned<TimeOfDay>,
    #[serde(default)]
    pub timezone: Option<Zone>,
    #[serde(default)]
    pub holidays: Option<Spanned<Vec<Date>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub id: Spanned<StageId>,
    pub label: Option<String>,
    pub team: Option<TeamName>,
    pub definition: Option<String>,
    #[serde(default)]
    pub hubspot: Vec<Rule>,
    #[serde(default)]
    pub salesforce: Vec<Rule>,
    #[serde(default)]
    pub marketo: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(default)]
    pub priority: i32,
    pub when: Spanned<BTreeMap<String, Vec<String>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Clock {
    Business,
    Calendar,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    LeavesStage,
    SalesActivity,
    MarketingTouch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaceKpi {
    MqlsCreated,
}

/// A per-lead timer (`stage` + `limit`) or a volume pace (`pace`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    pub id: String,
    pub label: Option<String>,
    pub team: TeamName,
    pub stage: Option<StageId>,
    pub limit: Option<Spanned<Span>>,
    pub clock: Option<Clock>,
    pub warn_at: Option<Spanned<Ratio>>,
    pub stop: Option<Stop>,
    /// Who acts on a breached lead nobody on the team owns; default "<Team> queue".
    pub queue: Option<String>,
    pub pace: Option<PaceKpi>,
    /// Past the breach, on the SLA's own clock: unanswered this long, it goes to the
    /// team's lead.
    pub escalate_after: Option<Spanned<Span>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// Ratios and medians on fewer cases than this show "n too small" and are not judged.
    pub min_sample: Option<Count>,
    pub week: Option<PeriodTargets>,
    pub month: Option<PeriodTargets>,
    pub quarter: Option<PeriodTargets>,
}

/// One optional target per KPI id; an unknown KPI id is an error.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodTargets {
    pub mqls_created: Option<Count>,
    pub mql_acceptance: Option<Ratio>,
    pub sourced_pipeline: Option<Amount>,
    pub touched_pipeline: Option<Amount>,
    pub nurture_pickup: Option<Ratio>,
    pub speed_to_lead: Option<Span>,
    pub sal_to_sql: Option<Ratio>,
    pub win_rate: Option<Ratio>,
    pub sales_cycle: Option<Span>,
    pub pipeline_coverage: Option<Amount>,
    /// Bookings goal for the period; pipeline coverage divides by what is left of it.
    pub revenue: Option<Amount>,
    pub pipeline_velocity: Option<Amount>,
    pub funnel_leakage: Option<Count>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    pub segment_by: Option<String>,
    #[serde(default)]
    pub fallback: Vec<Spanned<String>>,
    #[serde(default)]
    pub segment: Vec<CoverageSegment>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageSegment {
    #[serde(rename = "match")]
    pub matches: String,
    pub owners: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recycle {
    pub max_loops: Option<u32>,
    /// The marketing owner (email or id) a recycled lead passes to.
    pub nurture_owner: Option<Spanned<String>>,
    /// The contact property the revisit date is written to.
    pub revisit_property: Option<String>,
    #[serde(default)]
    pub reason: Vec<Spanned<RecycleReason>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecycleReason {
    pub code: String,
    pub label: String,
    pub track: Option<String>,
    pub revisit_after: Option<Span>,
}
