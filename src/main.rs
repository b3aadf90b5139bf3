use std::io::{ErrorKind, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use clap::Parser;

use tandem::app::{self, Format, RunOptions};
use tandem::cli::{
    AuditArgs, Cli, Command, ConfigCommand, FormatArg, NotifyArgs, OutboxArgs, OutboxCommand,
    PeriodArg, ReplayArgs, SimArgs,
};
use tandem::config::{self, Config};
use tandem::domain::kpi::PeriodKind;
use tandem::sim::{self, SimOptions};

/// Exit code for bad input (configuration, arguments, environment).
const EXIT_USAGE: u8 = 2;
/// Exit code when the output cannot be written: an error, as `check` documents it.
const EXIT_WRITE: u8 = 2;
/// Exit code after a panic ended the cockpit (the same as an uncaught Rust panic).
const EXIT_PANIC: u8 = 101;

fn main() -> ExitCode {
    // The cockpit logs how long its first full frame took from here.
    let started = std::time::Instant::now();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}"), 1),
    };
    match &cli.command {
        Some(Command::Sim(args)) => runtime.block_on(serve_sim(args)),
        Some(Command::Config(ConfigCommand::Init { path, force })) => {
            match app::config_init(path.as_deref().or(cli.config.as_deref()), *force) {
                Ok(p) => emit(&format!("wrote {}\n", p.display()), ExitCode::SUCCESS),
                Err(e) => fail(&e, EXIT_USAGE),
            }
        }
        Some(Command::Config(ConfigCommand::Validate { path })) => {
            match app::config_validate(path.as_deref().or(cli.config.as_deref())) {
                Ok(summary) => emit(&format!("{summary}\n"), ExitCode::SUCCESS),
                Err(e) => fail(&e, EXIT_USAGE),
            }
        }
        Some(Command::Config(ConfigCommand::Diff { current, proposed })) => {
            match app::config_diff(current, proposed) {
                Ok(text) => emit(&text, ExitCode::SUCCESS),
                Err(e) => fail(&e, EXIT_USAGE),
            }
        }
        Some(Command::Report(args)) => {
            let period = match args.period {
                PeriodArg::Week => PeriodKind::Week,
                PeriodArg::Month => PeriodKind::Month,
                PeriodArg::Quarter => PeriodKind::Quarter,
            };
            let format = match args.format {
                FormatArg::Markdown => Format::Markdown,
                FormatArg::Json => Format::Json,
            };
            runtime.block_on(report(
                &cli,
                (period, args.lens.as_deref()),
                (args.since.as_deref(), args.now),
                (args.timeout, args.offline),
                Some(format),
            ))
        }
        Some(Command::Notify(args)) => runtime.block_on(notify(&cli, args)),
        Some(Command::Replay(args)) => runtime.block_on(replay(&cli, args)),
        Some(Command::Check(args)) => runtime.block_on(report(
            &cli,
            (PeriodKind::Week, None),
            (None, args.now),
            (args.timeout, args.offline),
            None,
        )),
        Some(Command::Audit(args)) => audit(&cli, args),
        Some(Command::Outbox(args)) => runtime.block_on(outbox(&cli, args)),
        None => match load_config(&cli) {
            Ok(config) => runtime.block_on(cockpit(&cli, config, started)),
            Err(code) => code,
        },
    }
}

fn audit(cli: &Cli, args: &AuditArgs) -> ExitCode {
    let config = match load_config(cli) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let since = match app::parse_since(&args.since, Utc::now()) {
        Ok(t) => t,
        Err(e) => return fail(&e, EXIT_USAGE),
    };
    let data_dir = cli.data_dir.as_deref().or(config.data_dir.as_deref());
    match app::audit(data_dir, since, args.format == FormatArg::Json) {
        Ok(text) => emit(&text, ExitCode::SUCCESS),
        Err((message, code)) => fail(&message, code),
    }
}

async fn outbox(cli: &Cli, args: &OutboxArgs) -> ExitCode {
    let config = match load_config(cli) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let data_dir = cli.data_dir.as_deref().or(config.data_dir.as_deref());
    if let Some(OutboxCommand::Salvage { from }) = &args.command {
        return match app::salvage(data_dir, from.as_deref()) {
            Ok(text) => emit(&text, ExitCode::SUCCESS),
            Err((message, code)) => fail(&message, code),
        };
    }
    if !args.send {
        // Listing reads the local file only: no URL, no token.
        return match app::outbox_list(None, data_dir, Duration::ZERO).await {
            Ok((text, code)) => emit(&text, ExitCode::from(code)),
            Err((message, code)) => fail(&message, code),
        };
    }
    if cli.hubspot_url.is_none() && config.sources.is_empty() {
        return fail(
            "--send needs the real source the outbox belongs to (--hubspot-url or a [[source]] in the config)",
            EXIT_USAGE,
        );
    }
    let source = match app::connect(
        &config,
        cli.hubspot_url.as_deref(),
        Duration::from_secs(cli.interval),
        embedded_sim(cli),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => return fail(&e.message, e.code),
    };
    let timeout = Duration::from_secs(args.timeout);
    match app::outbox_list(Some(source.connector), data_dir, timeout).await {
        Ok((text, code)) => emit(&text, ExitCode::from(code)),
        Err((message, code)) => fail(&message, code),
    }
}

fn fail(message: &str, code: u8) -> ExitCode {
    // Nowhere left to complain if stderr is gone too; the exit code still tells.
    let _ = writeln!(std::io::stderr().lock(), "tandem: {message}");
    ExitCode::from(code)
}

/// Print `text` and end with `code`. A reader that went away (`| head`) is no error: the
/// command ends quietly as if it had printed everything. Any other failure to write (a full
/// disk) is reported and exits 2, so a truncated report never passes for a whole one.
fn emit(text: &str, code: ExitCode) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => code,
        Err(e) if e.kind() == ErrorKind::BrokenPipe => code,
        Err(e) => fail(&format!("cannot write to standard output: {e}"), EXIT_WRITE),
    }
}

/// The located config, or the built-in defaults; a bad file is reported and exits 2.
fn load_config(cli: &Cli) -> Result<Config, ExitCode> {
    match config::locate(cli.config.as_deref()) {
        Some(path) => Config::load(&path).map_err(|e| fail(&e.to_string(), EXIT_USAGE)),
        None => Ok(Config::builtin()),
    }
}

fn embedded_sim(cli: &Cli) -> SimOptions {
    let mut opts = SimOptions::new(cli.seed, cli.contacts);
    // A frozen cockpit reads a world frozen at the same instant.
    opts.now = cli.now;
    opts.profile = cli.sim;
    opts
}

async fn serve_sim(args: &SimArgs) -> ExitCode {
    let log = app::default_log_path();
    let _ = app::init_logging(&log);
    let mut opts = SimOptions::new(args.seed, args.contacts);
    opts.addr = args.addr;
    opts.token = args.token.clone();
    opts.now = args.now;
    if args.start.is_some_and(|s| s > Utc::now()) {
        return fail(
            "--start is in the future; a live world starts now or earlier",
            EXIT_USAGE,
        );
    }
    opts.start = args.start;
    opts.burst_limit = args.burst;
    opts.index_lag = std::time::Duration::from_millis(args.index_lag_ms);
    opts.journal = args.journal;
    let handle = match sim::start(opts).await {
        Ok(h) => h,
        Err(e) => return fail(&format!("cannot listen on {}: {e}", args.addr), 1),
    };
    let banner = format!(
        "tandem sim serving {} at {} token {}\n",
        args.profile.serves(),
        handle.base_url,
        handle.token
    );
    let code = emit(&banner, ExitCode::SUCCESS);
    if code == ExitCode::SUCCESS {
        let _ = tokio::signal::ctrl_c().await;
    }
    handle.shutdown().await;
    code
}

/// `report` (with a format) or `check` (without): load once, print, exit.
async fn report(
    cli: &Cli,
    (period, lens): (PeriodKind, Option<&str>),
    (since, now): (Option<&str>, Option<chrono::DateTime<Utc>>),
    (timeout_secs, offline): (u64, bool),
    format: Option<Format>,
) -> ExitCode {
    let config = match load_config(cli) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let user = app::user(cli.user.as_deref(), &config);
    let lens = app::LensAsked {
        spec: lens,
        user: &user,
    };
    let now = now.unwrap_or_else(Utc::now);
    let since = match app::report_since(since, &config, now) {
        Ok(s) => s,
        Err(e) => return fail(&e, EXIT_USAGE),
    };
    // A headless run reads a world frozen at `now`, so the answer is reproducible.
    let mut embedded = embedded_sim(cli);
    embedded.now = Some(now);
    let timeout = Duration::from_secs(timeout_secs);
    let url = cli.hubspot_url.as_deref();
    let loaded = if offline {
        let data_dir = cli.data_dir.as_deref().or(config.data_dir.as_deref());
        app::load_cached_report(&config, url, data_dir, (period, &lens), (since, now))
    } else {
        app::load_report(
            &config,
            url,
            embedded,
            (period, &lens),
            (since, now),
            timeout,
        )
        .await
    };
    let report = match loaded {
        Ok(r) => r,
        Err((message, code)) => return fail(&message, code),
    };
    for warning in &report.warnings {
        let _ = writeln!(std::io::stderr().lock(), "tandem: {warning}");
    }
    match format {
        Some(format) => emit(&app::render(&report, format), ExitCode::SUCCESS),
        None => {
            let (text, code) = app::check(&report);
            emit(&text, ExitCode::from(code))
        }
    }
}

async fn notify(cli: &Cli, args: &NotifyArgs) -> ExitCode {
    let config = match load_config(cli) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let data_dir = cli.data_dir.as_deref().or(config.data_dir.as_deref());
    let now = args.now.unwrap_or_else(Utc::now);
    let timeout = Duration::from_secs(args.timeout);
    match app::notify_once(&config, cli.hubspot_url.as_deref(), data_dir, now, timeout).await {
        Ok((text, code)) => emit(&text, ExitCode::from(code)),
        Err((message, code)) => fail(&message, code),
    }
}

async fn replay(cli: &Cli, args: &ReplayArgs) -> ExitCode {
    let current = match load_config(cli) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let proposed = match Config::load(&args.proposed) {
        Ok(c) => c,
        Err(e) => return fail(&format!("--proposed: {e}"), EXIT_USAGE),
    };
    let now = args.now.unwrap_or_else(Utc::now);
    // A headless run reads a world frozen at `now`, so the answer is reproducible.
    let mut embedded = embedded_sim(cli);
    embedded.now = Some(now);
    let asked = app::ReplayAsked {
        current: &current,
        proposed: &proposed,
        weeks: args.weeks,
        now,
    };
    let timeout = Duration::from_secs(args.timeout);
    match app::load_replay(&asked, cli.hubspot_url.as_deref(), embedded, timeout).await {
        Ok(r) => {
            let format = match args.format {
                FormatArg::Markdown => Format::Markdown,
                FormatArg::Json => Format::Json,
            };
            emit(&app::render_replay(&r, format), ExitCode::SUCCESS)
        }
        Err((message, code)) => fail(&message, code),
    }
}

async fn cockpit(cli: &Cli, mut config: Config, started: std::time::Instant) -> ExitCode {
    // The what-if view's file: read now, so a bad one is said before the screen opens.
    let proposed = match cli.proposed.clone().or_else(|| config.proposed.clone()) {
        Some(path) => match Config::load(&path) {
            Ok(p) => Some(p),
            Err(e) => return fail(&format!("proposed definitions: {e}"), EXIT_USAGE),
        },
        None => None,
    };
    if let Some(p) = &proposed {
        let own = config.stages.properties();
        config.also_read = p
            .stages
            .properties()
            .into_iter()
            .filter(|x| !own.contains(x))
            .collect();
    }
    let log = cli.log_file.clone().unwrap_or_else(app::default_log_path);
    if let Err(e) = app::init_logging(&log) {
        return fail(
            &format!("cannot open log file {}: {e}", log.display()),
            EXIT_USAGE,
        );
    }
    let flag_interval = Duration::from_secs(cli.interval);
    let source = match app::connect(
        &config,
        cli.hubspot_url.as_deref(),
        flag_interval,
        embedded_sim(cli),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => return fail(&e.message, e.code),
    };
    tracing::info!(source = %source.name, simulated = source.simulated, "starting cockpit");
    let dir = app::data_dir::resolve(cli.data_dir.as_deref().or(config.data_dir.as_deref()));
    let key = source.cache_key.as_deref().filter(|_| !cli.no_cache);
    let data = match app::data_dir::open(dir.as_deref(), key) {
        Ok(data) => data,
        Err(message) => return fail(&message, EXIT_USAGE),
    };
    let epilogue = match &data.outbox_path {
        Some(path) => format!(
            "  the log: {}\n  actions not yet sent stay queued in {} and are sent at the next start",
            log.display(),
            path.display()
        ),
        None => format!(
            "  the log: {}\n  (no local outbox with --no-cache or the embedded simulation: actions not yet sent are gone)",
            log.display()
        ),
    };
    let user = app::user(cli.user.as_deref(), &config);
    let opts = RunOptions {
        data,
        user,
        read_only: cli.read_only,
        locked: cli.locked,
        now: cli.now,
        config: Arc::new(config),
        connector: source.connector,
        source_name: source.name,
        interval: source.interval,
        simulated: source.simulated,
        color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        started,
        proposed: proposed.map(Arc::new),
    };
    let guard = app::panic::TerminalGuard {
        epilogue: epilogue.clone(),
    };
    let mut terminal = ratatui::init();
    // After ratatui's own hook, which would print over the screen and leave us running.
    app::panic::install();
    let result = app::run(&mut terminal, opts).await;
    drop(guard);
    match result {
        Ok(app::Ended::Panicked(message)) => {
            // Exit at once: a panicked task may hold what a graceful shutdown waits on.
            let _ = writeln!(
                std::io::stderr().lock(),
                "{}",
                app::panic::report(&message, &epilogue)
            );
            ExitCode::from(EXIT_PANIC)
        }
        Ok(app::Ended::Quit(farewell)) => {
            if let Some(handle) = source.embedded {
                handle.shutdown().await;
            }
            if let Some(farewell) = farewell {
                let _ = writeln!(std::io::stderr().lock(), "{farewell}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("terminal error: {e}"), 1),
    }
}
