use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use tandem::app::{self, RunOptions};
use tandem::cli::{Cli, Command, SimArgs};
use tandem::sim::{self, SimOptions};
use tandem::sources::Secret;
use tandem::sources::hubspot::HubSpot;

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
        None => runtime.block_on(cockpit(cli)),
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

async fn cockpit(cli: Cli) -> ExitCode {
    let log = cli.log_file.clone().unwrap_or_else(app::default_log_path);
    if let Err(e) = app::init_logging(&log) {
        return fail(
            &format!("cannot open log file {}: {e}", log.display()),
            EXIT_USAGE,
        );
    }
    // Keep the embedded simulator alive for as long as the cockpit runs.
    let mut embedded = None;
    let (base_url, token, simulated) = match &cli.hubspot_url {
        Some(url) => match std::env::var("HUBSPOT_TOKEN") {
            Ok(token) if !token.trim().is_empty() => (url.clone(), token, false),
            _ => {
                return fail(
                    "HUBSPOT_TOKEN is not set: export a HubSpot private-app token \
                     (it is read from the environment only, never from flags or files)",
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
    let hubspot = match HubSpot::new(&base_url, Secret::new(token)) {
        Ok(h) => h,
        Err(e) => return fail(&e.to_string(), EXIT_USAGE),
    };
    tracing::info!(%base_url, simulated, "starting cockpit");
    let opts = RunOptions {
        hubspot,
        source_name: "HubSpot".into(),
        interval: (cli.interval > 0).then(|| Duration::from_secs(cli.interval)),
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
