use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;

use tandem::app::{self, RunOptions};
use tandem::cli::{Cli, Command, ConfigCommand, SimArgs};
use tandem::config::{self, Config};
use tandem::sim::{self, SimOptions};
use tandem::sources::Secret;
use tandem::sources::hubspot::{HubSpot, Mapping};

/// Exit code for bad input (configuration, arguments, environment).
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}"), 1),
    };
    match cli.command {
        Some(Command::Sim(ref args)) => runtime.block_on(serve_sim(args)),
        Some(Command::Config(ConfigCommand::Init { ref path, force })) => {
            match app::config_init(path.as_deref().or(cli.config.as_deref()), force) {
                Ok(p) => {
                    println!("wrote {}", p.display());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e, EXIT_USAGE),
            }
        }
        Some(Command::Config(ConfigCommand::Validate { ref path })) => {
            match app::config_validate(path.as_deref().or(cli.config.as_deref())) {
                Ok(summary) => {
                    println!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e, EXIT_USAGE),
            }
        }
        None => match load_config(&cli) {
            Ok(config) => runtime.block_on(cockpit(cli, config)),
            Err(code) => code,
        },
    }
}

/// The located config, or the built-in defaults; a bad file is reported and exits 2.
fn load_config(cli: &Cli) -> Result<Config, ExitCode> {
    match config::locate(cli.config.as_deref()) {
        Some(path) => Config::load(&path).map_err(|e| fail(&e.to_string(), EXIT_USAGE)),
        None => Ok(Config::builtin()),
    }
}

fn fail(message: &str, code: u8) -> ExitCode {
    eprintln!("tandem: {message}");
    ExitCode::from(code)
}

async fn serve_sim(args: &SimArgs) -> ExitCode {
    let log = app::default_log_path();
    let _ = app::init_logging(&log);
    let mut opts = SimOptions::new(args.seed, args.contacts);
    opts.addr = args.addr;
    opts.token = args.token.clone();
    opts.now = args.now;
    opts.burst_limit = args.burst;
    let handle = match sim::start(opts).await {
        Ok(h) => h,
        Err(e) => return fail(&format!("cannot listen on {}: {e}", args.addr), 1),
    };
    println!(
        "tandem sim serving HubSpot CRM v3 at {} token {}",
        handle.base_url, handle.token
    );
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    ExitCode::SUCCESS
}

async fn cockpit(cli: Cli, config: Config) -> ExitCode {
    let log = cli.log_file.clone().unwrap_or_else(app::default_log_path);
    if let Err(e) = app::init_logging(&log) {
        return fail(
            &format!("cannot open log file {}: {e}", log.display()),
            EXIT_USAGE,
        );
    }
    // Keep the embedded simulator alive for as long as the cockpit runs.
    let mut embedded = None;
    // A --hubspot-url flag wins over the config's first source.
    let configured = config.sources.first();
    let remote = match (&cli.hubspot_url, configured) {
        (Some(url), _) => Some((
            url.clone(),
            "HUBSPOT_TOKEN".to_string(),
            "HubSpot".to_string(),
        )),
        (None, Some(s)) => Some((s.base_url.clone(), s.token_env.clone(), s.name.clone())),
        (None, None) => None,
    };
    let interval = match (configured, cli.hubspot_url.is_none()) {
        (Some(s), true) => s.poll_interval,
        _ => (cli.interval > 0).then(|| Duration::from_secs(cli.interval)),
    };
    let source_name = remote
        .as_ref()
        .map_or("HubSpot".to_string(), |r| r.2.clone());
    let (base_url, token, simulated) = match remote {
        Some((url, token_env, _)) => match std::env::var(&token_env) {
            Ok(token) if !token.trim().is_empty() => (url, token, false),
            _ => {
                return fail(
                    &format!(
                        "{token_env} is not set: export a HubSpot private-app token \
                         (it is read from the environment only, never from flags or files)"
                    ),
                    EXIT_USAGE,
                );
            }
        },
        None => {
            let handle = match sim::start(SimOptions::new(cli.seed, cli.contacts)).await {
                Ok(h) => h,
                Err(e) => return fail(&format!("cannot start the simulated HubSpot: {e}"), 1),
            };
            let found = (handle.base_url.clone(), handle.token.clone(), true);
            embedded = Some(handle);
            found
        }
    };
    let config = Arc::new(config);
    let mapping = Mapping::new(
        Arc::new(config.stages.clone()),
        config.extra_contact_properties(),
    );
    let hubspot = match HubSpot::new(&base_url, Secret::new(token), mapping) {
        Ok(h) => h,
        Err(e) => return fail(&e.to_string(), EXIT_USAGE),
    };
    tracing::info!(%base_url, simulated, "starting cockpit");
    let opts = RunOptions {
        config,
        hubspot,
        source_name,
        interval,
        simulated,
        color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let mut terminal = ratatui::init();
    let result = app::run(&mut terminal, opts).await;
    ratatui::restore();
    if let Some(handle) = embedded {
        handle.shutdown().await;
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("terminal error: {e}"), 1),
    }
}
