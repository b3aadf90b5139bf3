//! `tandem notify`: the cockpit's notices without a cockpit, for cron on a shared box. Load
//! once, record the transitions since the last look (anyone's, through the shared outbox
//! file), run what is due, wait for runs a process that died left going, and exit.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::notify::{Runner, view};
use super::report_cmd::load_fresh;
use crate::config::Config;
use crate::store::outbox::Outbox;

/// What `tandem notify` prints, and its exit code: 0 when nothing is failing, 1 when a
/// command failed (its notice stays queued and is retried), 2 on errors.
pub async fn notify_once(
    config: &Config,
    hubspot_url: Option<&str>,
    data_dir: Option<&Path>,
    now: DateTime<Utc>,
    timeout: Duration,
) -> Result<(String, u8), (String, u8)> {
    let Some(command) = config.notify_command.as_deref() else {
        return Err((
            "no [notify] command in the config: nothing to run (see the README's Notifications)"
                .into(),
            2,
        ));
    };
    if hubspot_url.is_none() && config.sources.is_empty() {
        return Err((
            "notify needs a real source (--hubspot-url or a [[source]] in the config): the \
             embedded simulation keeps no data dir"
                .into(),
            2,
        ));
    }
    let dir = super::data_dir::resolve(data_dir).ok_or_else(|| {
        (
            "no data directory for the local outbox; pass --data-dir".to_string(),
            2,
        )
    })?;
    let outbox = Outbox::open(&dir).map_err(|e| (format!("local outbox: {e}"), 2))?;
    let started = Instant::now();
    let embedded = crate::sim::SimOptions::new(0, 0);
    let loaded = load_fresh(config, hubspot_url, embedded, timeout).await?;
    let board = crate::domain::board::Board::build(&crate::domain::board::BoardInput {
        leads: loaded.store.leads(),
        slas: &config.slas,
        calendar: &config.calendar,
        stages: &config.stages,
    });
    let batch = view(config, &loaded.store, &loaded.key, &board.timers, now);
    let open = batch.open.len();
    let runs = dir.join("notify");
    let deadline = started + timeout;
    let mut runner = Runner::new(&outbox, command, &runs);
    runner.record(&batch);
    // Run what is due now; retries scheduled later wait for the next run.
    let outcome = tokio::task::block_in_place(|| {
        loop {
            runner.round();
            let due_now = outbox.next_notice(Utc::now()).ok().flatten().is_some();
            if !runner.watching() && !due_now {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let status = outbox
        .notice_status()
        .map_err(|e| (format!("local outbox: {e}"), 2))?;
    let mut text = format!(
        "notify: {open} clock(s) in breach now; {} transition(s) delivered in all, {} waiting",
        status.delivered, status.waiting
    );
    if status.failing > 0 {
        text.push_str(&format!(
            ", {} failing ({}) and retried with backoff",
            status.failing,
            status.last_error.as_deref().unwrap_or("no detail")
        ));
    }
    text.push('\n');
    if outcome.is_err() {
        text.push_str(
            "notify: --timeout passed with runs still going; the next run settles them\n",
        );
    }
    Ok((text, u8::from(status.failing > 0)))
}
