//! The terminal loop: wait for an event, apply every event already queued, draw once.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use tokio::sync::mpsc;

use super::App;
use crate::config::Config;
use crate::sources::Connector;
use crate::sync::{self, SyncEvent};

pub struct RunOptions {
    pub config: Arc<Config>,
    pub connector: Connector,
    pub source_name: String,
    /// `None`: poll only on `r`.
    pub interval: Option<Duration>,
    pub simulated: bool,
    pub color: bool,
    /// The outbox and the local cache, already open: the cockpit opens on the cache.
    pub data: super::data_dir::Opened,
    pub user: String,
    /// Start with every action disabled.
    pub read_only: bool,
    /// … and keep them so (`--locked`).
    pub locked: bool,
    /// A clock frozen at this instant (`--now`); `None`: the wall clock.
    pub now: Option<chrono::DateTime<Utc>>,
    /// When the process started, for the log's "first full frame after".
    pub started: std::time::Instant,
    /// A proposed definitions file, for the what-if view.
    pub proposed: Option<Arc<Config>>,
}

/// How the cockpit ended.
#[derive(Debug, PartialEq)]
pub enum Ended {
    /// The user quit; what to tell them afterwards (actions still queued).
    Quit(Option<String>),
    /// Something panicked (see [`super::panic`]); its message.
    Panicked(String),
}

/// Run the cockpit until the user quits or anything panics. The terminal is restored by the
/// caller (a [`super::panic::TerminalGuard`]).
pub async fn run(terminal: &mut DefaultTerminal, opts: RunOptions) -> std::io::Result<Ended> {
    let (sync_tx, mut sync_rx) = mpsc::unbounded_channel::<SyncEvent>();
    let super::data_dir::Opened {
        outbox,
        outbox_path,
        cache,
    } = opts.data;
    // A warm start polls on from the cached cursor, its ledger holding what the cache holds.
    // A warm start polls on from the cached cursor; its ledger of what the cache holds
    // follows the first frame (`App::send_ledger`).
    let resume = cache.as_ref().and_then(|c| Some((c.cursor.clone()?, None)));
    let key = opts.connector.source_key();
    let vendor = opts.connector.vendor();
    let source = sync::spawn_resuming(
        0,
        &opts.source_name,
        opts.connector,
        opts.interval,
        sync_tx,
        outbox.clone(),
        resume,
    );
    // `[notify] command`: runs live beside the outbox they are recorded in.
    let (notify_tx, mut notify_rx) = mpsc::unbounded_channel();
    let notifier = opts.config.notify_command.clone().map(|command| {
        let runs = outbox_path
            .as_deref()
            .and_then(std::path::Path::parent)
            .map(|d| d.join("notify"))
            .unwrap_or_else(|| {
                std::env::temp_dir().join(format!("tandem-notify-{}", std::process::id()))
            });
        super::notify::Notifier::spawn(outbox.clone(), command, runs, notify_tx)
    });
    let outgoing = super::Outgoing {
        outbox,
        key,
        vendor,
        user: opts.user,
        outbox_path,
    };
    let mut app = App::new(
        opts.config,
        vec![(opts.source_name, source)],
        opts.simulated,
        opts.color,
        opts.now.unwrap_or_else(Utc::now),
        outgoing,
    );
    app.model.proposed = opts.proposed;
    app.ui.read_only = opts.read_only || opts.locked;
    app.ui.read_only_locked = opts.locked;
    app.ui.frozen = opts.now.is_some();
    if let Some(cache) = cache {
        let storing = std::time::Instant::now();
        app.use_cache(cache);
        super::timing::phase("store built", storing);
    }
    if let Some(notifier) = notifier {
        app.notices = Some(super::notify::Notices::new(notifier));
        app.model.notify = Some(Default::default());
    }

    let mut input_rx = spawn_input_thread();
    // Live countdowns and freshness badges move once a second; nothing else is periodic.
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let mut dirty = true;
    let mut timing = super::timing::FrameTiming::new(opts.started);
    // The first frame before the day history's pass over every lead.
    app.hold_history();
    loop {
        if dirty {
            let snapshotting = std::time::Instant::now();
            app.refresh_snapshot();
            if !timing.drawn_any() {
                super::timing::phase("first snapshot", snapshotting);
            }
            app.notice_transitions();
            terminal.draw(|frame| app.draw(frame))?;
            timing.drawn(
                app.model.health.iter().all(|h| h.loaded),
                app.model.store.leads().len(),
            );
            dirty = false;
            app.release_history();
            app.send_ledger();
            if app.take_give_back_due() {
                crate::memory::give_back();
            }
        }
        tokio::select! {
            Some((at, ev)) = input_rx.recv() => {
                timing.input(at, &ev);
                dirty |= on_input(&mut app, ev, opts.now);
            }
            Some(ev) = sync_rx.recv() => dirty |= app.on_sync(ev),
            Some(status) = notify_rx.recv() => {
                dirty |= app.model.notify.as_ref() != Some(&status);
                app.model.notify = Some(status);
            }
            // A frozen clock does not tick.
            _ = clock.tick(), if opts.now.is_none() => {
                app.set_now(Utc::now());
                dirty = true;
            }
            message = super::panic::panicked() => return Ok(Ended::Panicked(message)),
            else => break,
        }
        // Collapse a burst (a page storm on first load, key repeat) into one frame.
        while let Ok(ev) = sync_rx.try_recv() {
            dirty |= app.on_sync(ev);
        }
        while let Ok((at, ev)) = input_rx.try_recv() {
            timing.input(at, &ev);
            dirty |= on_input(&mut app, ev, opts.now);
        }
        if app.should_quit() {
            break;
        }
    }
    timing.report();
    Ok(Ended::Quit(app.farewell()))
}

fn on_input(app: &mut App, ev: Event, frozen: Option<chrono::DateTime<Utc>>) -> bool {
    match ev {
        Event::Key(key) if key.kind != KeyEventKind::Release => {
            app.set_now(frozen.unwrap_or_else(Utc::now));
            app.on_key(key);
            true
        }
        Event::Resize(..) => true,
        _ => false,
    }
}

/// crossterm's blocking reader on its own thread, feeding the async loop. Each event is
/// stamped when read, so a key's wait for a busy loop counts in its latency.
fn spawn_input_thread() -> mpsc::UnboundedReceiver<(std::time::Instant, Event)> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::Builder::new()
        .name("tandem-input".into())
        .spawn(move || {
            while let Ok(ev) = event::read() {
                if tx.send((std::time::Instant::now(), ev)).is_err() {
                    break;
                }
            }
        })
        .expect("spawn input thread");
    rx
}
