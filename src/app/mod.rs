//! The app: owns the store, the UI state and the outbox, and turns events into redraws.

mod actions;
pub mod cache;
mod config_cmd;
pub mod data_dir;
mod day_history;
mod ledger;
mod lens_view;
mod logging;
pub mod notify;
mod notify_cmd;
mod outbox_cmd;
pub mod panic;
mod replay_cmd;
mod report_cmd;
mod run;
mod source;
mod timing;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

pub use config_cmd::{diff as config_diff, init as config_init, validate as config_validate};
pub use logging::{default_log_path, init_logging};
pub use notify_cmd::notify_once;
pub use outbox_cmd::{audit, outbox as outbox_list, parse_since, salvage, user};
pub use replay_cmd::{ReplayAsked, load_replay, render_replay};
pub use report_cmd::{
    Format, LensAsked, check, load_cached_report, load_report, render, report_since,
};
pub use run::{Ended, RunOptions, run};
pub use source::{ConnectError, Connected, Stack, connect, stack};

use crate::domain::handoff::Turns;
use crate::domain::lens::{self, Lens};
use crate::store::outbox::Outbox;
use std::collections::HashMap;
use std::sync::Arc;

use crate::config::Config;
use crate::domain::kpi::PeriodKind;
use crate::domain::snapshot::Snapshot;
use crate::store::Store;
use crate::sync::{OutboxEntry, SourceCommand, SourceHealth, SyncEvent};
use crate::ui::{Command, UiState, ViewCtx};

/// The actions kept for display; older ones have long been confirmed or reported.
pub(crate) const OUTBOX_HISTORY: usize = 200;

/// Where actions go: the durable outbox, the name the source's entries are filed under,
/// and who is acting.
pub struct Outgoing {
    pub outbox: Arc<Outbox>,
    pub key: String,
    /// The vendor the outbox's entries go to: what an action's writes and undo are.
    pub vendor: crate::sources::Vendor,
    /// The OS user or `user` from the config; mapped to a CRM owner by email.
    pub user: String,
    /// The file the outbox lives in: entries left at quit are sent at the next start, and
    /// the start and the quit name it. `None`: a private outbox, gone with the process.
    pub outbox_path: Option<std::path::PathBuf>,
}

/// Everything the panes read; kept apart from `UiState` so both can be borrowed at once.
pub struct Model {
    pub store: Store,
    pub snapshot: Snapshot,
    pub health: Vec<SourceHealth>,
    pub outbox: Vec<OutboxEntry>,
    pub config: Arc<Config>,
    /// The period KPIs are shown for.
    pub period: PeriodKind,
    pub simulated: bool,
    pub now: DateTime<Utc>,
    /// Unsent actions survive a quit (the outbox is a file).
    pub durable_outbox: bool,
    /// The lens every pane follows, and the part of the store it keeps (`None`: everyone).
    pub lens: Lens,
    pub lensed: Option<Store>,
    /// A person or team lens's rule: whose events its figures count.
    pub by_owner: Option<lens::ByOwner>,
    pub lens_label: String,
    /// The CRM owner the user maps to, once owners are known.
    pub me: Option<String>,
    /// Under a lens: the config without targets. Targets are team-wide, so a lens's part of
    /// the pipeline is shown without targets, judgments or pace promises.
    pub lens_config: Option<Arc<Config>>,
    /// `[notify] command`'s runs, for the header (`None`: not configured).
    pub notify: Option<crate::store::outbox::notify::NoticeStatus>,
    /// A proposed definitions file, for the what-if view (`None`: none given).
    pub proposed: Option<Arc<Config>>,
}

impl Model {
    pub fn view(&self) -> ViewCtx<'_> {
        ViewCtx {
            store: self.lensed.as_ref().unwrap_or(&self.store),
            snapshot: &self.snapshot,
            config: self.lens_config.as_deref().unwrap_or(&self.config),
            health: &self.health,
            outbox: &self.outbox,
            now: self.now,
            simulated: self.simulated,
            durable_outbox: self.durable_outbox,
            lens: &self.lens_label,
            me: self.me.as_deref(),
            everyone: &self.store,
            by_owner: self.by_owner.as_ref(),
            notify: self.notify.as_ref(),
            proposed: self.proposed.as_deref(),
            full_config: &self.config,
        }
    }
}

pub struct App {
    pub model: Model,
    pub ui: UiState,
    sources: Vec<UnboundedSender<SourceCommand>>,
    outgoing: Outgoing,
    /// The user picked a lens (or the default was set once owners were known).
    lens_chosen: bool,
    /// The snapshot must be built afresh (a lens, a deletion, new reference data).
    stale_snapshot: bool,
    /// Leads that changed or arrived since the snapshot was built, for it to follow lead
    /// by lead: index → the version the snapshot counted (the first replaced in a batch).
    /// Deals and notes likewise. `changed_records` says whether any record changed at all.
    changed_leads: HashMap<usize, Option<crate::domain::Lead>>,
    changed_records: bool,
    changed_deals: HashMap<usize, Option<crate::domain::Deal>>,
    changed_notes: HashMap<usize, Option<crate::domain::Note>>,
    /// When time alone next moves a figure (see [`crate::domain::schedule`]).
    next_change: Option<DateTime<Utc>>,
    /// Full snapshot builds so far: what a change costs is worth watching at scale.
    snapshot_builds: u64,
    quit: bool,
    /// Where every change from the sources is also written, for the next start.
    cache: Option<cache::Cache>,
    /// When today's history rows were last written.
    history_at: Option<DateTime<Utc>>,
    /// Until the first frame is drawn the day history waits (at 1M leads it is ~0.4 s of
    /// a start); `history_held` says one came due meanwhile.
    history_on_hold: bool,
    history_held: bool,
    /// A warm start's lead keys, for the source's ledger once the first frame is drawn.
    ledger_owed: Option<Vec<u64>>,
    /// What the day history last got of each lead (see `cache::day_rows`).
    history_written: Vec<u64>,
    /// A start or a full load just built and dropped large temporaries: once the next
    /// frame is drawn, give the freed memory back (see [`memory`]).
    give_back_due: bool,
    /// `[notify] command`: where transitions go (`None`: not configured).
    notices: Option<notify::Notices>,
}

impl App {
    pub fn new(
        config: Arc<Config>,
        sources: Vec<(String, UnboundedSender<SourceCommand>)>,
        simulated: bool,
        color: bool,
        now: DateTime<Utc>,
        outgoing: Outgoing,
    ) -> Self {
        let outbox = outgoing
            .outbox
            .recent(&outgoing.key, OUTBOX_HISTORY)
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "cannot read the outbox");
                Vec::new()
            });
        let mut app = Self {
            model: Model {
                store: Store::default(),
                snapshot: Snapshot::default(),
                health: sources
                    .iter()
                    .map(|(name, _)| SourceHealth::new(name))
                    .collect(),
                outbox,
                config,
                period: PeriodKind::Week,
                simulated,
                now,
                durable_outbox: outgoing.outbox_path.is_some(),
                lens: Lens::All,
                lensed: None,
                by_owner: None,
                lens_label: Lens::All.label(),
                me: None,
                lens_config: None,
                notify: None,
                proposed: None,
            },
            ui: UiState::new(color),
            sources: sources.into_iter().map(|(_, tx)| tx).collect(),
            outgoing,
            lens_chosen: false,
            stale_snapshot: true,
            changed_leads: HashMap::new(),
            changed_records: false,
            changed_deals: HashMap::new(),
            changed_notes: HashMap::new(),
            next_change: None,
            snapshot_builds: 0,
            quit: false,
            cache: None,
            history_at: None,
            history_on_hold: false,
            history_held: false,
            ledger_owed: None,
            history_written: Vec::new(),
            give_back_due: true,
            notices: None,
        };
        app.reload_turns();
        app
    }

    /// The hand-off rotation as everyone sharing the data dir has moved it.
    fn reload_turns(&mut self) {
        match self.outgoing.outbox.turns(&self.outgoing.key) {
            Ok(turns) => self.ui.turns = Turns::from_map(turns),
            Err(e) => tracing::warn!(error = %e, "cannot read the hand-off rotation"),
        }
    }

    /// Owners the config names that the CRM does not have: said once when the owners arrive
    /// (the full list with `file:line:col` is in `e`), and in the log.
    fn warn_about_config(&mut self) {
        let warnings = self.model.config.owner_warnings(self.model.store.owners());
        for w in &warnings {
            tracing::warn!("{w}");
        }
        // A notice already showing (the start's) stays; `e` lists these either way.
        if let Some(first) = warnings.first().filter(|_| self.ui.message.is_none()) {
            let more = match warnings.len() {
                1 => String::new(),
                n => format!(" (+{} more)", n - 1),
            };
            self.ui.message = Some(format!("config: {first}{more} · e for all"));
        }
    }

    /// What to tell the user after the terminal is restored.
    pub fn farewell(&self) -> Option<String> {
        let open = self.open_actions();
        if open == 0 {
            return None;
        }
        let one = open == 1;
        let them = data_dir::actions(open);
        Some(if let Some(path) = &self.outgoing.outbox_path {
            let (stay, are) = if one {
                ("stays", "is")
            } else {
                ("stay", "are")
            };
            format!(
                "tandem: {them} not yet confirmed by the CRM {stay} queued in {} and {are} sent at the next start (tandem outbox lists {})",
                path.display(),
                if one { "it" } else { "them" }
            )
        } else {
            let were = if one { "was" } else { "were" };
            format!(
                "tandem: {them} {were} not sent (no local outbox with --no-cache or the embedded simulation)"
            )
        })
    }

    fn open_actions(&self) -> usize {
        self.model
            .outbox
            .iter()
            .filter(|e| e.status.is_open())
            .count()
    }

    /// Start from the cache: its records fill the store before any source answers, and every
    /// change from then on is written back to it.
    pub fn use_cache(&mut self, opened: cache::Opened) {
        let loaded_at = opened.cached.loaded_at;
        let mut cached = opened.cached;
        // The store keeps the cache's order, so each fingerprint is at its lead's place.
        self.history_written = std::mem::take(&mut cached.day_prints);
        let keys = std::mem::take(&mut cached.lead_keys);
        self.ledger_owed = opened.cursor.is_some().then_some(keys);
        // Before any source answers, the store is exactly what the cache holds.
        self.model.store = cache::store_from(cached, &self.model.config.stages, &self.outgoing.key);
        if let Some(health) = self.model.health.first_mut() {
            // The panes show data as of the last complete load until the source answers.
            health.last_success = loaded_at;
            health.loaded = opened.cursor.is_some();
        }
        let unsent = self.open_actions();
        if let Some(path) = &self.outgoing.outbox_path {
            self.ui.message = data_dir::start_notice(opened.moved_aside.as_deref(), unsent, path);
        }
        self.cache = Some(opened.cache);
        self.stale_snapshot = true;
    }

    /// Hand a change to the cache; `write` runs only when there is one, so a cockpit
    /// without a cache never copies a page it will not keep.
    fn write_through(&self, write: impl FnOnce() -> cache::Write) {
        if let Some(cache) = &self.cache {
            cache.send(write());
        }
    }

    pub fn draw(&self, frame: &mut ratatui::Frame) {
        crate::ui::draw(frame, &self.ui, &self.model.view());
    }

    /// How many times the snapshot was built in full.
    pub fn snapshot_builds(&self) -> u64 {
        self.snapshot_builds
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Apply a sync event; returns whether the screen needs a redraw.
    pub fn on_sync(&mut self, event: SyncEvent) -> bool {
        match event {
            SyncEvent::Health(i, mut health) => match self.model.health.get_mut(i) {
                Some(slot) => {
                    // Until the source answers, the cached data's age is the freshest we know.
                    if health.last_success.is_none() {
                        health.last_success = slot.last_success;
                    }
                    let finished = health.loaded && !slot.loaded;
                    // A reconciliation read every id's modified time: its tables are gone.
                    self.give_back_due |= health.reconciled != slot.reconciled;
                    let at = health.last_success.unwrap_or(self.model.now);
                    let changed = *slot != health;
                    *slot = health;
                    if finished {
                        self.model.store.shrink_to_fit();
                        self.give_back_due = true;
                        self.write_through(|| cache::Write::Loaded(at));
                    }
                    changed
                }
                None => false,
            },
            SyncEvent::Reference {
                owners,
                deal_stages,
                ..
            } => {
                self.write_through(|| cache::Write::Reference {
                    owners: owners.clone(),
                    deal_stages: deal_stages.clone(),
                });
                let owners_changed = self.model.store.set_owners(owners);
                let changed = owners_changed | self.model.store.set_deal_stages(deal_stages);
                if owners_changed {
                    self.warn_about_config();
                }
                self.stale_snapshot |= changed;
                self.model.me = self.actor().owner_id;
                self.default_lens();
                changed
            }
            SyncEvent::Data(_, delta) => {
                self.write_through(|| cache::Write::Records {
                    leads: delta.leads.clone(),
                    deals: delta.deals.clone(),
                    notes: delta.notes.clone(),
                });
                let leads = self.model.store.upsert_leads_at(delta.leads);
                let deals = self.model.store.upsert_deals_at(delta.deals);
                let notes = self.model.store.upsert_notes_at(delta.notes);
                let changed = !leads.is_empty() | !deals.is_empty() | !notes.is_empty();
                // The first version replaced is the one the snapshot counted.
                for (i, old) in leads {
                    self.changed_leads.entry(i).or_insert(old);
                }
                for (i, old) in deals {
                    self.changed_deals.entry(i).or_insert(old);
                }
                for (i, old) in notes {
                    self.changed_notes.entry(i).or_insert(old);
                }
                self.changed_records |= changed;
                changed
            }
            SyncEvent::Removed {
                leads,
                deals,
                notes,
                ..
            } => {
                self.write_through(|| cache::Write::Removed {
                    leads: leads.clone(),
                    deals: deals.clone(),
                    notes: notes.clone(),
                });
                let changed = self.model.store.remove(&leads, &deals, &notes);
                self.stale_snapshot |= changed;
                changed
            }
            SyncEvent::Cursor(_, cursor) => {
                self.write_through(|| cache::Write::Cursor(cursor));
                false
            }
            SyncEvent::Trouble(i, what) => match self.model.health.get_mut(i) {
                Some(slot) if slot.trouble.as_ref() != Some(&what) => {
                    slot.trouble = Some(what);
                    true
                }
                _ => false,
            },
            SyncEvent::Action(id, status) => {
                let now = self.model.now;
                match self.model.outbox.iter_mut().find(|e| e.id() == id) {
                    Some(entry) if entry.status != status => {
                        entry.status = status;
                        entry.updated_at = now;
                        true
                    }
                    Some(_) => false,
                    // Queued by another cockpit sharing the data dir, or before a restart.
                    None => match self.outgoing.outbox.get(id) {
                        Ok(Some(mut entry)) => {
                            entry.status = status;
                            self.model.outbox.push(entry);
                            true
                        }
                        _ => false,
                    },
                }
            }
        }
    }

    /// Bring derived data up to date if the store changed. Call once per batch of events.
    pub fn refresh_snapshot(&mut self) {
        fn in_order<T>(changed: HashMap<usize, T>) -> Vec<(usize, T)> {
            let mut changed: Vec<_> = changed.into_iter().collect();
            changed.sort_unstable_by_key(|(i, _)| *i);
            changed
        }
        let leads = in_order(std::mem::take(&mut self.changed_leads));
        let deals = in_order(std::mem::take(&mut self.changed_deals));
        let notes = in_order(std::mem::take(&mut self.changed_notes));
        let records = std::mem::take(&mut self.changed_records);
        let changes = crate::domain::snapshot::Changes {
            leads: &leads,
            deals: &deals,
            notes: &notes,
        };
        if !self.stale_snapshot && records && matches!(self.model.lens, Lens::All) {
            // Only records changed, under no lens: the board follows the changed leads.
            let m = &mut self.model;
            m.store
                .update_snapshot(&mut m.snapshot, &changes, &m.config, m.period, m.now);
            self.after_snapshot();
            return;
        }
        if !self.stale_snapshot && !records {
            return;
        }
        self.stale_snapshot = false;
        self.model.lensed = match &self.model.lens {
            Lens::All => None,
            lens => {
                let m = &self.model;
                let catalog = &m.config.stages;
                let kept = lens::keep(
                    lens,
                    &lens::LensInput {
                        leads: m.store.leads(),
                        deals: m.store.deals(),
                        deal_stages: m.store.deal_stages(),
                        owners: m.store.owners(),
                        stage_team: &|s| catalog.team(s),
                    },
                );
                Some(m.store.lensed(&kept))
            }
        };
        self.model.lens_config = match (&self.model.lens, self.model.lens_config.take()) {
            (Lens::All, _) => None,
            (_, Some(kept)) => Some(kept),
            (_, None) => {
                let mut config = (*self.model.config).clone();
                config.targets.by_period.clear();
                Some(Arc::new(config))
            }
        };
        self.model.by_owner = lens::ByOwner::of(&self.model.lens, self.model.store.owners());
        let m = &self.model;
        let shown = m.lensed.as_ref().unwrap_or(&m.store);
        let config = m.lens_config.as_deref().unwrap_or(&m.config);
        // A person or team lens lists its current leads but counts cohorts by the owner at
        // each entry, over every lead (metrics.md §6).
        let by_owner = m.by_owner.as_ref().map(|r| (m.store.leads(), r));
        let building = std::time::Instant::now();
        self.model.snapshot = shown.snapshot_with(config, m.period, m.now, by_owner);
        self.snapshot_builds += 1;
        timing::whole_build(self.snapshot_builds, building);
        // The snapshot it replaced was as large as this one.
        self.give_back_due = true;
        self.after_snapshot();
    }

    fn after_snapshot(&mut self) {
        let m = &self.model;
        let calendar = &m.lens_config.as_deref().unwrap_or(&m.config).calendar;
        self.next_change = m.snapshot.next_change(calendar, m.now);
        self.ui.on_data_changed(&self.model.view());
        self.record_history();
    }

    /// Whether freed memory is due back to the system now (once per start or full load).
    pub fn take_give_back_due(&mut self) -> bool {
        std::mem::take(&mut self.give_back_due)
    }

    /// Advance the clock. Figures that move with time alone (leakage as clocks run out, a
    /// pro-rated target) move in place at the instants the snapshot scheduled; a new
    /// period rebuilds.
    pub fn set_now(&mut self, now: DateTime<Utc>) {
        let went_back = now < self.model.now;
        self.model.now = now;
        if went_back || self.next_change.is_some_and(|t| now >= t) {
            self.on_time_passed();
        }
    }

    fn on_time_passed(&mut self) {
        if self.stale_snapshot || self.changed_records {
            // A rebuild is due anyway.
            return;
        }
        let m = &mut self.model;
        let calendar = &m.lens_config.as_deref().unwrap_or(&m.config).calendar;
        if m.snapshot.advance(calendar, m.now) {
            self.next_change = m.snapshot.next_change(calendar, m.now);
            self.ui.on_data_changed(&self.model.view());
            self.record_history();
        } else {
            self.stale_snapshot = true;
        }
    }

    pub fn on_key(&mut self, key: ratatui::crossterm::event::KeyEvent) {
        // A key acts on what the user is looking at: derived state (the stage lists the
        // selection indexes into) catches up with every sync event applied before it.
        self.refresh_snapshot();
        let commands = self.ui.handle_key(key, &self.model.view());
        for command in commands {
            self.on_command(command);
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Quit => self.quit = true,
            Command::SetPeriod(kind) => {
                self.model.period = kind;
                self.stale_snapshot = true;
            }
            Command::Refresh => {
                for tx in &self.sources {
                    let _ = tx.send(SourceCommand::Refresh);
                }
                // The worker keeps the vendor's wait; say why nothing happens yet.
                let now = self.model.now;
                let held = self.model.health.iter().find_map(|h| {
                    let until = h.rate_limited_until.filter(|u| *u > now)?;
                    Some(format!(
                        "{} asked tandem to wait until {}: r polls then, not before",
                        h.name,
                        crate::ui::widgets::format::moment(until, now)
                    ))
                });
                if held.is_some() {
                    self.ui.message = held;
                }
            }
            Command::Submit {
                lead_id,
                lead_name,
                kind,
                turn,
            } => self.submit(lead_id, lead_name, kind, turn),
            Command::Outbox(op) => self.decide(op),
            Command::Undo(id) => self.undo(id),
            Command::NextLens => self.step_lens(true),
            Command::PrevLens => self.step_lens(false),
        }
    }
}
