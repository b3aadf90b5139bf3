//! The simulated CRM+MAP: a real HTTP server on loopback speaking HubSpot's API shapes.
//!
//! tandem's HubSpot connector talks to this server exactly as it talks to api.hubapi.com, so
//! the whole cockpit can be developed, demoed and tested without a portal. The world is
//! generated from a seed (same seed + same frozen `now` ⇒ byte-identical responses) and,
//! unless frozen, keeps evolving with the clock so a watching client sees the funnel move.
//! A live world is anchored to the start of an hour and its evolution depends only on the
//! seed, the size, that anchor and the clock's reading: two starts within the same hour
//! serve the same records at the same instant.
//!
//! Layout: [`rng`] (deterministic PRNG), `world` (objects, generation, evolution, write rules),
//! `api` (routes, auth, rate limits, faults). See `api/faults.rs` for the `/_sim` controls.

mod api;
pub mod rng;
mod world;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use api::{AppState, FaultPlan, RateLimiter, Stats};

/// Which vendors' APIs a simulated world is spoken to as. The server answers every
/// profile's endpoints on one base URL; the profile picks the connectors that read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Profile {
    /// HubSpot as the CRM and the MAP.
    #[default]
    Hubspot,
    /// Salesforce as the CRM alone.
    Salesforce,
    /// Salesforce as the CRM, Marketo as the MAP, joined.
    SalesforceMarketo,
}

/// The client id the simulated Marketo identity service knows (the secret is the token).
pub const MARKETO_CLIENT_ID: &str = api::marketo::gate::CLIENT_ID;
/// The simulated Marketo's nurture list.
pub const MARKETO_NURTURE_LIST: u64 = api::marketo::NURTURE_LIST;

impl Profile {
    /// What the first line of `tandem sim` says it serves.
    pub fn serves(self) -> &'static str {
        match self {
            Profile::Hubspot => "HubSpot CRM v3",
            Profile::Salesforce => "Salesforce REST (HubSpot CRM v3 alongside)",
            Profile::SalesforceMarketo => "Salesforce REST and Marketo REST",
        }
    }
}

/// How to build and serve a simulated portal.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Where to listen, e.g. `127.0.0.1:0` for a free port.
    pub addr: SocketAddr,
    /// Bearer token clients must present; `None` derives `sim-<hex>` from the seed.
    pub token: Option<String>,
    pub seed: u64,
    /// Initial number of contacts.
    pub contacts: usize,
    /// `Some` ⇒ the world is generated relative to this instant and frozen (it changes only
    /// through API writes); `None` ⇒ the real clock, with background evolution.
    pub now: Option<DateTime<Utc>>,
    /// A live world's anchor: its history is generated up to here, and it evolves from here
    /// to the clock. `None` ⇒ the start of the current UTC hour. Ignored when frozen.
    pub start: Option<DateTime<Utc>>,
    /// Requests allowed per rolling 10 s window before 429 (HubSpot Pro: 190).
    pub burst_limit: u32,
    /// Evolution step interval when not frozen.
    pub tick: Duration,
    /// Keep every client request for `GET /_sim/requests` (tests of request shapes).
    pub journal: bool,
    /// The vendors the embedded world is read as.
    pub profile: Profile,
    /// How long a Marketo access token lives (Marketo: an hour).
    pub token_ttl: Duration,
    /// Marketo calls per 20 s; `None`: 100, scaled with `burst_limit`.
    pub marketo_calls: Option<u32>,
    /// The most HubSpot's search index trails a write: each modified record stays out of
    /// search results for its own share of this (uneven, as the real index is), so search
    /// can show a record after one modified later than it. Zero: search is current.
    pub index_lag: Duration,
}

impl SimOptions {
    pub fn new(seed: u64, contacts: usize) -> Self {
        SimOptions {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: None,
            seed,
            contacts,
            now: None,
            start: None,
            burst_limit: 190,
            tick: Duration::from_secs(3),
            journal: false,
            profile: Profile::default(),
            token_ttl: Duration::from_secs(3600),
            marketo_calls: None,
            index_lag: Duration::ZERO,
        }
    }
}

/// A running simulator. Dropping it leaves the server running until the runtime ends; call
/// [`SimHandle::shutdown`] to stop it cleanly.
pub struct SimHandle {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    pub token: String,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Generate the world, bind, and start serving (plus evolving, unless frozen).
pub async fn start(opts: SimOptions) -> std::io::Result<SimHandle> {
    let listener = tokio::net::TcpListener::bind(opts.addr).await?;
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    let token = opts
        .token
        .clone()
        .unwrap_or_else(|| format!("sim-{:016x}", rng::mix(opts.seed ^ 0x0074_6f6b_656e)));
    let frozen = opts.now.is_some();
    let anchor = opts
        .now
        .or(opts.start)
        .unwrap_or_else(|| world::time::hour_start(Utc::now()));
    let (seed, contacts) = (opts.seed, opts.contacts);
    // Generation is plain CPU work (~0.1 s per 1,000 contacts in debug builds): keep it off
    // the async worker threads. A live world then catches up from its anchor to the clock.
    let world = tokio::task::spawn_blocking(move || {
        let mut w = world::generate(seed, contacts, anchor, frozen);
        world::advance(&mut w, Utc::now());
        crate::memory::give_back();
        w
    })
    .await
    .map_err(std::io::Error::other)?;
    tracing::info!(
        %addr,
        seed = opts.seed,
        contacts = opts.contacts,
        deals = world.table(world::ObjType::Deals).len(),
        notes = world.table(world::ObjType::Notes).len(),
        frozen,
        "sim: world generated"
    );
    let state = Arc::new(AppState {
        world: std::sync::RwLock::new(world),
        token: token.clone(),
        base_url: base_url.clone(),
        limiter: Mutex::new(RateLimiter::new(opts.burst_limit)),
        faults: Mutex::new(FaultPlan::default()),
        stats: Stats::default(),
        journal: opts.journal.then(|| Mutex::new(Vec::new())),
        soql_cursors: Default::default(),
        marketo: api::marketo::gate::MarketoState::new(
            opts.burst_limit,
            opts.marketo_calls,
            opts.token_ttl,
        ),
        index_lag: opts.index_lag,
    });
    let (stop, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();

    let mut rx = stop_rx.clone();
    let app = api::router(state.clone());
    tasks.push(tokio::spawn(async move {
        let shutdown = async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "sim: server stopped with an error");
        }
    }));

    if !frozen {
        let mut rx = stop_rx;
        let tick = opts.tick.max(Duration::from_millis(10));
        tasks.push(tokio::spawn(async move {
            let mut every = tokio::time::interval(tick);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            every.tick().await; // the first tick is immediate
            loop {
                tokio::select! {
                    _ = every.tick() => {
                        let mut w = state.world_mut();
                        world::advance(&mut w, Utc::now());
                    }
                    _ = rx.wait_for(|s| *s) => break,
                }
            }
        }));
    }
    tracing::info!(%base_url, "sim: listening");
    Ok(SimHandle {
        addr,
        base_url,
        token,
        stop,
        tasks,
    })
}

impl SimHandle {
    /// Stop accepting requests, finish in-flight ones (bounded), and stop evolving.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        tracing::info!(addr = %self.addr, "sim: stopped");
    }
}
