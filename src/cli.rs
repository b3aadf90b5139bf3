//! Command-line interface.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "tandem",
    version,
    about = "One pipeline for sales and marketing, in your terminal",
    long_about = "Opens the cockpit. With no --hubspot-url it starts the simulated HubSpot \
                  in-process and talks to it over HTTP."
)]
pub struct Cli {
    /// The shared definitions file (else $TANDEM_CONFIG, else
    /// $XDG_CONFIG_HOME/tandem/config.toml, else the built-in defaults).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// A HubSpot-compatible API base URL (api.hubapi.com, or a `tandem sim`). The token is
    /// read from HUBSPOT_TOKEN.
    #[arg(long, global = true, value_name = "URL")]
    pub hubspot_url: Option<String>,

    /// Read the embedded simulated world as these vendors (`hubspot`, `salesforce`).
    #[arg(
        long = "sim",
        global = true,
        value_enum,
        value_name = "PROFILE",
        default_value = "hubspot"
    )]
    pub sim: crate::sim::Profile,

    /// Seconds between polls; 0 polls only when you press `r`.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub interval: u64,

    /// Where the local cache lives (default: $XDG_DATA_HOME/tandem).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Run without the local cache: start empty, write nothing.
    #[arg(long, global = true)]
    pub no_cache: bool,

    /// Who is acting, for notes and the audit log (else `user` in the config, else the OS
    /// user); matched to a CRM owner by email.
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,

    /// A proposed definitions file for the cockpit's what-if view (`w`); else `proposed` in
    /// the config.
    #[arg(long, value_name = "PATH")]
    pub proposed: Option<PathBuf>,

    /// Show the cockpit with every action disabled (a standup screen); `W` toggles it.
    #[arg(long)]
    pub read_only: bool,

    /// Read-only that `W` cannot turn off: a screen shared at a standup.
    #[arg(long)]
    pub locked: bool,

    /// Log file (logs never go to the terminal).
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// Freeze the cockpit's clock at this instant (RFC 3339): every SLA clock, freshness badge
    /// and period reads as it stood then, and the embedded simulation is generated at it. For a
    /// demo or a screenshot against a frozen `tandem sim --now`.
    #[arg(long, value_parser = parse_instant, value_name = "RFC3339")]
    pub now: Option<DateTime<Utc>>,

    /// Seed of the embedded simulated world.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,

    /// Contacts in the embedded simulated world.
    #[arg(long, default_value_t = 5000)]
    pub contacts: usize,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve a simulated HubSpot CRM v3 API on loopback until Ctrl-C.
    Sim(SimArgs),
    /// Write or check the shared definitions file.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print one standup snapshot: stages, KPIs with targets, breaches, feedback.
    Report(ReportArgs),
    /// Replay the last weeks under a proposed definitions file beside the current one:
    /// per-SLA summary lines, a weekly table with differences, and the leads whose verdict
    /// changes.
    Replay(ReplayArgs),
    /// Run `[notify] command` for each SLA transition since the last look (any cockpit's
    /// or run's sharing the data dir), once each; for cron on a shared box.
    Notify(NotifyArgs),
    /// Print SLA breaches; exit 0 if none, 1 if any, 2 on errors (for cron and CI).
    Check(CheckArgs),
    /// Who did what, when, and how it ended (from the local outbox's audit log).
    Audit(AuditArgs),
    /// List the outbox (offline); with --send, send what is queued and exit (cron on a
    /// shared box); `outbox salvage` recovers a damaged outbox.
    Outbox(OutboxArgs),
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// How far back: `24h`, `7d`, `90m`, or an RFC 3339 instant.
    #[arg(long, default_value = "24h")]
    pub since: String,
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: FormatArg,
}

#[derive(Debug, clap::Args)]
pub struct OutboxArgs {
    /// Send every queued entry, then exit: 0 all done, 1 some failed or in conflict, 2 on
    /// errors or when --timeout passes with entries still unsent (they stay queued).
    #[arg(long)]
    pub send: bool,
    #[arg(long, value_name = "SECS", default_value_t = 180)]
    pub timeout: u64,
    #[command(subcommand)]
    pub command: Option<OutboxCommand>,
}

#[derive(Debug, clap::Subcommand)]
pub enum OutboxCommand {
    /// Keep a damaged outbox.db aside, untouched, and recover every readable action, audit
    /// row and rotation turn into a fresh one (unsent actions are sent at the next start).
    Salvage {
        /// Salvage this file instead of the data dir's outbox.db: a kept-aside copy, or the
        /// cache.db of an older tandem that kept the outbox there.
        #[arg(long, value_name = "FILE")]
        from: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Markdown,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PeriodArg {
    Week,
    Month,
    Quarter,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: FormatArg,
    /// Compute as of this instant (RFC 3339); with `tandem sim --now` the same, reproducible.
    #[arg(long, value_parser = parse_instant)]
    pub now: Option<DateTime<Utc>>,
    #[arg(long, value_enum, default_value = "week")]
    pub period: PeriodArg,
    /// What changed since: `24h`, `yesterday`, or an RFC 3339 instant (default: the previous
    /// working day's standup, `[standup] at` in the config).
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Give up (exit 2, nothing printed) if the load has not finished after SECS seconds
    /// of retrying.
    #[arg(long, value_name = "SECS", default_value_t = 180)]
    pub timeout: u64,
    /// Read the local cache only: no request, and the output says how old the data is.
    #[arg(long)]
    pub offline: bool,
    /// The cockpit's lens, by name: everyone (default), me, team:sales, team:marketing,
    /// segment:"EMEA smb", top-accounts. Named in the JSON as `lens`.
    #[arg(long, value_name = "LENS")]
    pub lens: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The proposed definitions file (read on top of the built-in defaults, as --config is).
    #[arg(long, value_name = "PATH")]
    pub proposed: PathBuf,
    /// Whole weeks to replay before the week in progress.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=52))]
    pub weeks: u32,
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: FormatArg,
    /// Replay as of this instant (RFC 3339); with `tandem sim --now` the same, reproducible.
    #[arg(long, value_parser = parse_instant)]
    pub now: Option<DateTime<Utc>>,
    /// Give up (exit 2, nothing printed) if the load has not finished after SECS seconds
    /// of retrying.
    #[arg(long, value_name = "SECS", default_value_t = 180)]
    pub timeout: u64,
}

#[derive(Debug, clap::Args)]
pub struct NotifyArgs {
    /// Look at the clocks as of this instant (RFC 3339) instead of now.
    #[arg(long, value_parser = parse_instant)]
    pub now: Option<DateTime<Utc>>,
    /// Give up (exit 2) if the load has not finished after SECS seconds of retrying; runs
    /// still going then are settled by the next run.
    #[arg(long, value_name = "SECS", default_value_t = 180)]
    pub timeout: u64,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[arg(long, value_parser = parse_instant)]
    pub now: Option<DateTime<Utc>>,
    /// Give up (exit 2) if the load has not finished after SECS seconds of retrying.
    #[arg(long, value_name = "SECS", default_value_t = 180)]
    pub timeout: u64,
    /// Read the local cache only: no request, and the output says how old the data is.
    #[arg(long)]
    pub offline: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write the commented example config (to PATH, or the default location).
    Init {
        path: Option<PathBuf>,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Check a config file; exit 2 with file:line:column on the first error.
    Validate { path: Option<PathBuf> },
    /// Say in words what a proposed definitions file changes: every limit, rule, target
    /// and reason that means something else (not a text diff).
    Diff { current: PathBuf, proposed: PathBuf },
}

#[derive(Debug, clap::Args)]
pub struct SimArgs {
    #[arg(long, default_value = "127.0.0.1:4010")]
    pub addr: SocketAddr,
    /// Bearer token clients must send; made up and printed when omitted.
    #[arg(long)]
    pub token: Option<String>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, default_value_t = 5000)]
    pub contacts: usize,
    /// Generate the world relative to this instant and keep it frozen (RFC 3339).
    #[arg(long, value_parser = parse_instant)]
    pub now: Option<DateTime<Utc>>,
    /// Start a live world here (RFC 3339, not in the future) instead of at the start of the
    /// current hour: its history ends here, and it catches up to the clock on start.
    #[arg(long, value_parser = parse_instant, conflicts_with = "now")]
    pub start: Option<DateTime<Utc>>,
    /// Requests allowed per 10-second window before answering 429.
    #[arg(long, default_value_t = 190)]
    pub burst: u32,
    /// Which vendors' APIs to announce (every profile is served on the one base URL).
    #[arg(long, value_enum, default_value = "hubspot")]
    pub profile: crate::sim::Profile,
    /// The most the search index trails a write, in milliseconds (HubSpot's lags by
    /// seconds, unevenly): a record modified within it may be missing from search results.
    #[arg(long, default_value_t = 0)]
    pub index_lag_ms: u64,
    /// Keep every request for `GET /_sim/requests` (what a client sent, to check or replay).
    #[arg(long)]
    pub journal: bool,
}

fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("expected an RFC 3339 instant like 2026-11-20T15:00:00Z ({e})"))
}
