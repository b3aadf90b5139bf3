//! The terminal loop: wait for an event, apply every event already queued, draw once.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use tokio::sync::mpsc;

use super::App;
use crate::config::Config;
use crate::sources::hubspot::HubSpot;
use crate::sync::{self, SyncEvent};

pub struct RunOptions {
    pub config: Arc<Config>,
    pub hubspot: HubSpot,
    pub source_name: String,
    /// `None`: poll only on `r`.
    pub interval: Option<Duration>,
    pub simulated: bool,
    pub color: bool,
    /// The local cache, already read: the cockpit opens on it.
    pub cache: Option<super::cache::Opened>,
    /// Where actions are written before they are sent.
    pub outbox: Arc<crate::store::outbox::Outbox>,
    /// The outbox is a file (entries survive a quit or crash).
    pub durable: bool,
    pub user: String,
    /// Start with every action disabled.
    pub read_only: bool,
}

/// Run the cockpit until the user quits; returns what to tell the user afterwards (actions
/// still queued). The terminal is restored by the caller and by ratatui's panic hook.
pub async fn run(
    terminal: &mut DefaultTerminal,
    opts: RunOptions,
) -> std::io::Result<Option<String>> {
    let (sync_tx, mut sync_rx) = mpsc::unbounded_channel::<SyncEvent>();
    let cursor = opts.cache.as_ref().and_then(|c| c.cursor.clone());
    let key = crate::store::source_key("hubspot", opts.hubspot.base_url());
    let source = sync::spawn_resuming(
        0,
        &opts.source_name,
        opts.hubspot,
        opts.interval,
        sync_tx,
        opts.outbox.clone(),
        cursor,
    );
    let outgoing = super::Outgoing {
        outbox: opts.outbox,
        key,
        user: opts.user,
        durable: opts.durable,
    };
    let mut app = App::new(
        opts.config,
        vec![(opts.source_name, source)],
        opts.simulated,
        opts.color,
        Utc::now(),
        outgoing,
    );
    app.ui.read_only = opts.read_only;
    if let Some(cache) = opts.cache {
        app.use_cache(cache);
    }

    let mut input_rx = spawn_input_thread();
    // Live countdowns and freshness badges move once a second; nothing else is periodic.
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let mut dirty = true;
    loop {
        if dirty {
            app.refresh_snapshot();
            terminal.draw(|frame| app.draw(frame))?;
            dirty = false;
        }
        tokio::select! {
            Some(ev) = input_rx.recv() => dirty |= on_input(&mut app, ev),
            Some(ev) = sync_rx.recv() => dirty |= app.on_sync(ev),
            _ = clock.tick() => {
                app.set_now(Utc::now());
                dirty = true;
            }
            else => break,
        }
        // Collapse a burst (a page storm on first load, key repeat) into one frame.
        while let Ok(ev) = sync_rx.try_recv() {
            dirty |= app.on_sync(ev);
        }
        while let Ok(ev) = input_rx.try_recv() {
            dirty |= on_input(&mut app, ev);
        }
        if app.should_quit() {
            break;
        }
    }
    Ok(app.farewell())
}

fn on_input(app: &mut App, ev: Event) -> bool {
    match ev {
        Event::Key(key) if key.kind != KeyEventKind::Release => {
            app.set_now(Utc::now());
            app.on_key(key);
            true
        }
        Event::Resize(..) => true,
        _ => false,
    }
}

/// crossterm's blocking reader on its own thread, feeding the async loop.
fn spawn_input_thread() -> mpsc::UnboundedReceiver<Event> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::Builder::new()
        .name("tandem-input".into())
        .spawn(move || {
            while let Ok(ev) = event::read() {
                if tx.send(ev).is_err() {
                    break;
                }
            }
        })
        .expect("spawn input thread");
    rx
}
