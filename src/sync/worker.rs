//! One task per source: the first load, incremental polls, and the outbox's write-backs,
//! strictly one request at a time.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::load::{LoadProgress, full_load, load_reference};
use super::reconcile::Ledger;
use super::saga::{self, Sent};
use super::status::{ActionStatus, SLOW_REQUEST, SourceHealth};
use crate::domain::action::ActionId;
use crate::domain::{DealStage, Owner};
use crate::sources::SourceError;
use crate::sources::backoff::Backoff;
use crate::sources::port::Delta;
use crate::sources::{Connector, Cursor};
use crate::store::outbox::Outbox;

mod checks;

/// What a source tells the app loop.
#[derive(Debug)]
pub enum SyncEvent {
    Health(usize, SourceHealth),
    Reference {
        source: usize,
        owners: Vec<Owner>,
        deal_stages: Vec<DealStage>,
    },
    Data(usize, Delta),
    /// Records the vendor deleted (archived) since we loaded them.
    Removed {
        source: usize,
        leads: Vec<String>,
        deals: Vec<String>,
        notes: Vec<String>,
    },
    Action(ActionId, ActionStatus),
    /// A request failed and is being retried: what the last try met, for the header until
    /// the next health report ("no answer for 20s").
    Trouble(usize, String),
    /// Incremental sync will resume from here (after the first load and each poll that
    /// moved it); the app keeps it in the cache for a warm start.
    Cursor(usize, Cursor),
}

/// What the app asks of a source.
#[derive(Debug)]
pub enum SourceCommand {
    Refresh,
    /// The outbox holds something new to send (it is already written there).
    Send,
    /// A warm start's ledger, sent once the first frame is drawn: each cached lead's and
    /// deal's (id key, version in ms). Reconciliation and deletions wait for it.
    Ledger {
        leads: Vec<(u64, i64)>,
        deals: Vec<(u64, i64)>,
    },
}

/// Owners and deal stages change rarely, and search never reports deletions; re-read them
/// this often (and on every manual refresh) so the cockpit catches up without a restart.
const REFERENCE_EVERY: Duration = Duration::from_secs(600);

/// How often the held records are checked against the vendor's counts (a few dozen
/// requests at any portal size).
pub const RECONCILE_EVERY: Duration = Duration::from_secs(3600);

/// The longest wait between polls of a failing source (and between a request's retries):
/// polling resumes within about one interval of the vendor answering again.
const MAX_POLL_BACKOFF: Duration = Duration::from_secs(60);

pub struct Worker {
    index: usize,
    client: Connector,
    interval: Option<Duration>,
    events: mpsc::UnboundedSender<SyncEvent>,
    health: SourceHealth,
    cursor: Option<Cursor>,
    /// How far the first load got; a failed page resumes from here.
    load: LoadProgress,
    /// The durable outbox and the name this source's entries are filed under.
    outbox: Arc<Outbox>,
    outbox_key: String,
    /// An entry is waiting for a retry: the worker comes back for it without a command.
    action_waiting: bool,
    /// Owner names, for conflict messages.
    owner_names: HashMap<String, String>,
    /// Backoffs per failing thing: polls and the outbox each reset on their own success.
    poll_backoff: Backoff,
    action_backoff: Backoff,
    /// A failure or a rate limit asked us not to call before this; commands do not cut it
    /// short (a new action or `r` must not burn a failing action's attempts).
    hold_until: Option<Instant>,
    reference_at: Option<Instant>,
    /// When deletions were last reconciled. A warm start sets it: the first poll after a
    /// restart costs one search per object type (plus owners and pipelines), and the
    /// archived-id lists follow on the next round.
    deletions_at: Option<Instant>,
    /// The version of every record delivered, and when it was last checked against the
    /// vendor (see [`super::reconcile`]).
    ledger: Ledger,
    /// A warm start's ledger is still to come (`SourceCommand::Ledger`): until it is in,
    /// reconciliation would take every cached record for missing.
    awaiting_ledger: bool,
    /// The ledger sent, being built off the async threads.
    ledger_build: Option<tokio::task::JoinHandle<Ledger>>,
    reconciled_at: Option<Instant>,
}

/// Start the source's task. Dropping every sender of the returned channel stops it.
pub fn spawn(
    index: usize,
    name: &str,
    client: Connector,
    interval: Option<Duration>,
    events: mpsc::UnboundedSender<SyncEvent>,
    outbox: Arc<Outbox>,
) -> mpsc::UnboundedSender<SourceCommand> {
    spawn_resuming(index, name, client, interval, events, outbox, None)
}

/// Like [`spawn`], but for a source whose complete data the app already has (from the
/// cache): no first load, just polls from the cursor, and the ledger of what the cache
/// holds for reconciliation — given here, or `None` for one sent later as
/// [`SourceCommand::Ledger`].
pub fn spawn_resuming(
    index: usize,
    name: &str,
    client: Connector,
    interval: Option<Duration>,
    events: mpsc::UnboundedSender<SyncEvent>,
    outbox: Arc<Outbox>,
    resume: Option<(Cursor, Option<Ledger>)>,
) -> mpsc::UnboundedSender<SourceCommand> {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut worker = Worker::new(index, name, client, interval, events, outbox);
    if let Some((cursor, ledger)) = resume {
        worker.cursor = Some(cursor);
        worker.awaiting_ledger = ledger.is_none();
        worker.ledger = ledger.unwrap_or_default();
        worker.health.loaded = true;
        // Due on the round after the first poll: `REFERENCE_EVERY` ago, less one interval.
        let defer = REFERENCE_EVERY.saturating_sub(interval.unwrap_or(REFERENCE_EVERY));
        worker.deletions_at = Instant::now().checked_sub(defer).or(Some(Instant::now()));
        // What happened while tandem was closed is checked soon, but not on the first poll.
        let defer = RECONCILE_EVERY.saturating_sub(interval.unwrap_or(RECONCILE_EVERY));
        worker.reconciled_at = Instant::now().checked_sub(defer).or(Some(Instant::now()));
    }
    tokio::spawn(worker.run(rx));
    tx
}

impl Worker {
    fn new(
        index: usize,
        name: &str,
        client: Connector,
        interval: Option<Duration>,
        events: mpsc::UnboundedSender<SyncEvent>,
        outbox: Arc<Outbox>,
    ) -> Self {
        let outbox_key = client.source_key();
        let mut health = SourceHealth::new(name);
        health.revisit_target = client.revisit_target().map(str::to_string);
        let cap = interval
            .unwrap_or(MAX_POLL_BACKOFF)
            .clamp(Duration::from_secs(1), MAX_POLL_BACKOFF);
        // A request's own retries never wait longer than a poll would either.
        let mut retry = client.retry_policy().clone();
        retry.max_backoff = retry.max_backoff.min(cap);
        let trouble = events.clone();
        let hook: crate::sources::RetryHook = Arc::new(move |err, waited| {
            let _ = trouble.send(SyncEvent::Trouble(
                index,
                super::status::trouble(err, waited),
            ));
        });
        Worker {
            index,
            client: client.with_retry(retry).with_retry_hook(hook),
            interval,
            events,
            health,
            cursor: None,
            load: LoadProgress::default(),
            outbox,
            outbox_key,
            action_waiting: false,
            owner_names: HashMap::new(),
            poll_backoff: Backoff::new(Duration::from_secs(1), cap),
            action_backoff: Backoff::new(Duration::from_secs(1), MAX_POLL_BACKOFF),
            hold_until: None,
            reference_at: None,
            deletions_at: None,
            ledger: Ledger::default(),
            awaiting_ledger: false,
            ledger_build: None,
            reconciled_at: None,
        }
    }

    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<SourceCommand>) {
        // Poll immediately at start.
        let mut next_poll = Some(Instant::now());
        loop {
            let wake = next_poll;
            tokio::select! {
                biased;
                cmd = commands.recv() => match cmd {
                    None => return,
                    Some(cmd) => {
                        if self.take(cmd) {
                            next_poll = Some(self.soonest());
                        }
                    }
                },
                _ = sleep_until(wake.unwrap_or_else(far_future)), if wake.is_some() => {
                    let Some(next) = self.step_listening(&mut commands).await else {
                        return;
                    };
                    next_poll = next;
                }
            }
        }
    }

    /// Record a command; whether it asks for a step now. `Send` needs nothing more: the
    /// step reads the outbox.
    fn take(&mut self, cmd: SourceCommand) -> bool {
        match cmd {
            // A manual refresh also re-reads owners and deletions.
            SourceCommand::Refresh => {
                self.reference_at = None;
                self.deletions_at = None;
                true
            }
            SourceCommand::Send => true,
            // Taken in at the next poll, whenever that falls due.
            SourceCommand::Ledger { leads, deals } => {
                self.ledger_build = Some(tokio::task::spawn_blocking(move || {
                    Ledger::of_keyed(leads, deals)
                }));
                false
            }
        }
    }

    /// Now, unless a failure or rate limit told us to wait: then the wait stands, and the
    /// health is sent again so the caller sees the command answered.
    fn soonest(&self) -> Instant {
        let now = Instant::now();
        match self.hold_until {
            Some(until) if until > now => {
                self.publish();
                until
            }
            _ => now,
        }
    }

    /// Run one step while still reading commands: `r` and new actions are remembered, and
    /// quitting drops the step mid-wait (an entry being sent stays in the outbox, resumed at
    /// the next start). `None` means quit.
    async fn step_listening(
        &mut self,
        commands: &mut mpsc::UnboundedReceiver<SourceCommand>,
    ) -> Option<Option<Instant>> {
        let mut held = Vec::new();
        let next = {
            let step = self.step();
            tokio::pin!(step);
            loop {
                tokio::select! {
                    biased;
                    cmd = commands.recv() => match cmd {
                        None => return None,
                        Some(cmd) => held.push(cmd),
                    },
                    next = &mut step => break next,
                }
            }
        };
        // Manual refresh mode: nothing more until a command (or a retry) asks for it.
        let idle = self.interval.is_none() && self.hold_until.is_none() && !self.action_waiting;
        let mut step_now = false;
        for cmd in held {
            step_now |= self.take(cmd);
        }
        if !step_now {
            return Some(if idle { None } else { next });
        }
        Some(Some(self.soonest()))
    }

    /// One round: write back what is queued, then read (so the panes see the vendor's own
    /// record of each write). Returns when to come back; `None` waits for a command.
    async fn step(&mut self) -> Option<Instant> {
        // Test hook: the panic test forces the worker down to see the cockpit end cleanly.
        if std::env::var_os("TANDEM_FAILPOINT").is_some_and(|v| v == "worker-panic") {
            panic!("failpoint worker-panic");
        }
        if let Err(retry) = self.drain_outbox().await {
            return retry;
        }
        let result = match self.cursor.is_some() {
            false => self.first_load().await,
            true => self.poll().await,
        };
        match result {
            Ok(()) => {
                self.poll_backoff.reset();
                self.succeeded();
                Some(after_now(
                    self.interval.unwrap_or(Duration::from_secs(3600)),
                ))
            }
            Err(e) => self.failed(e, Failing::Poll),
        }
    }

    async fn poll(&mut self) -> Result<(), SourceError> {
        self.settle_ledger().await;
        if self
            .reference_at
            .is_none_or(|t| t.elapsed() >= REFERENCE_EVERY)
        {
            self.refresh_reference().await?;
        }
        // A deletion taken before the cache's ledger is in would come back with it.
        if !self.awaiting_ledger
            && self
                .deletions_at
                .is_none_or(|t| t.elapsed() >= REFERENCE_EVERY)
        {
            self.reconcile_deletions().await?;
        }
        let Some(cursor) = self.cursor.as_mut() else {
            return Ok(());
        };
        let before = cursor.clone();
        let delta = self.client.poll(cursor).await?;
        let moved = (*cursor != before).then(|| cursor.clone());
        if !delta.is_empty() {
            self.ledger.hold(&delta);
            self.send(SyncEvent::Data(self.index, delta));
        }
        if let Some(cursor) = moved {
            self.send(SyncEvent::Cursor(self.index, cursor));
        }
        if !self.awaiting_ledger
            && self
                .reconciled_at
                .is_none_or(|t| t.elapsed() >= RECONCILE_EVERY)
        {
            self.reconcile().await?;
        }
        Ok(())
    }

    /// Owners and deal stages, sent before any record so owners and won/lost show at once.
    async fn refresh_reference(&mut self) -> Result<(), SourceError> {
        let reference = load_reference(&mut self.client).await?;
        self.reference_at = Some(Instant::now());
        self.owner_names = reference
            .owners
            .iter()
            .map(|o| (o.id.clone(), o.name.clone()))
            .collect();
        self.send(SyncEvent::Reference {
            source: self.index,
            owners: reference.owners,
            deal_stages: reference.deal_stages,
        });
        Ok(())
    }

    /// The first load, resumed from the page it reached when an earlier attempt failed.
    /// `loaded` stays false until every page is in.
    async fn first_load(&mut self) -> Result<(), SourceError> {
        if self.reference_at.is_none() {
            self.refresh_reference().await?;
        }
        let (index, events) = (self.index, self.events.clone());
        let mut health = self.health.clone();
        let ledger = &mut self.ledger;
        let result = full_load(&mut self.client, &mut self.load, |delta, progress| {
            ledger.hold(&delta);
            let seen = (progress.leads, progress.total_leads);
            if (health.loaded_leads, health.loading_total) != seen {
                (health.loaded_leads, health.loading_total) = seen;
                let _ = events.send(SyncEvent::Health(index, health.clone()));
            }
            let _ = events.send(SyncEvent::Data(index, delta));
        })
        .await;
        self.health.loaded_leads = self.load.leads;
        self.health.loading_total = self.load.total_leads;
        let cursor = result?;
        self.send(SyncEvent::Cursor(self.index, cursor.clone()));
        self.cursor = Some(cursor);
        self.health.loaded = true;
        // The full load saw exactly the live records: nothing to reconcile yet.
        self.deletions_at = Some(Instant::now());
        self.reconciled_at = Some(Instant::now());
        Ok(())
    }

    /// Send what the outbox holds for this source, oldest first. `Err` means stop and come
    /// back at that time (`None`: wait for a command).
    async fn drain_outbox(&mut self) -> Result<(), Option<Instant>> {
        self.action_waiting = false;
        loop {
            let claimed = match self.outbox.claim(&self.outbox_key, Utc::now()) {
                Ok(Some(c)) => c,
                Ok(None) => return Ok(()),
                Err(e) => {
                    // The local file is busy or broken: nothing is lost, try again later.
                    tracing::warn!(error = %e, "cannot read the outbox");
                    self.action_waiting = true;
                    let delay = self.action_backoff.next_delay();
                    return Err(Some(after_now(delay)));
                }
            };
            let id = claimed.entry.id();
            let (done, total) = (claimed.steps_done, claimed.steps_total);
            // A retry keeps showing "retrying" (with its last error) until it settles.
            if !claimed.tried_before {
                self.announce(id, ActionStatus::Sending { done, total });
            }
            let sent = saga::send(
                &mut self.client,
                &self.outbox,
                &self.outbox_key,
                &claimed,
                &self.owner_names,
            )
            .await;
            match sent {
                Sent::Settled(status) => {
                    self.action_backoff.reset();
                    if status == ActionStatus::Done
                        && matches!(
                            claimed.entry.action.kind,
                            crate::domain::action::ActionKind::Restore {
                                withdraw_note: true,
                                ..
                            }
                        )
                    {
                        // A withdrawn note leaves the panes on this round, not in ten minutes.
                        self.deletions_at = None;
                    }
                    tracing::info!(
                        id,
                        verb = claimed.entry.action.verb(),
                        status = status.word(),
                        "action settled"
                    );
                    self.settle(id, status);
                }
                Sent::Conflict(what, now_seen) => {
                    tracing::info!(id, %what, "action not sent: the record changed");
                    if let Err(e) = self.outbox.conflict(id, &what, &now_seen, Utc::now()) {
                        tracing::warn!(id, error = %e, "could not record the conflict");
                    }
                    self.announce(id, ActionStatus::Conflict(what));
                }
                Sent::Retry { error, done } => {
                    tracing::warn!(id, error = %error, "action not sent yet; will retry");
                    self.action_waiting = true;
                    let status = ActionStatus::Retrying {
                        done,
                        total,
                        error: error.to_string(),
                    };
                    self.settle(id, status);
                    return Err(self.failed(error, Failing::Action));
                }
            }
        }
    }

    /// Record an entry's status in the outbox and tell the app.
    fn settle(&self, id: ActionId, status: ActionStatus) {
        if let Err(e) = self.outbox.update(id, &status, Utc::now()) {
            tracing::warn!(id, error = %e, "could not record the action's status");
        }
        self.announce(id, status);
    }

    fn announce(&self, id: ActionId, status: ActionStatus) {
        self.send(SyncEvent::Action(id, status));
    }

    fn succeeded(&mut self) {
        self.hold_until = None;
        self.health.last_success = Some(Utc::now());
        self.health.last_error = None;
        self.health.failing_since = None;
        self.health.slow = Some(self.client.take_slowest()).filter(|d| *d >= SLOW_REQUEST);
        self.health.parts = self.client.parts(None);
        self.health.join_conflicts = self.client.join_conflicts().to_vec();
        self.health.unauthorised = false;
        self.health.rate_limited_until = None;
        self.health.retry_at = None;
        self.publish();
    }

    /// Record a failure for the header and return when to try again. A refused token
    /// returns `None`: retrying cannot fix it, so polling stops (the panes keep the last good
    /// data) until the user asks for a refresh. A rate limit is waited out in full, however
    /// long: the header shows until when.
    fn failed(&mut self, e: SourceError, what: Failing) -> Option<Instant> {
        let delay = self.delay_after(&e, what);
        // A failed round says nothing about speed; the next good one measures afresh.
        self.client.take_slowest();
        self.health.failing_since.get_or_insert_with(Utc::now);
        if let SourceError::Unauthorized { message, .. } = &e {
            tracing::warn!(source = %self.health.name, error = %e, vendor = %message,
                "token refused; polling stops until a manual refresh");
        }
        let until = |d: Duration| crate::sources::wait::utc_after(Utc::now(), d);
        self.health.rate_limited_until = match &e {
            SourceError::RateLimited { .. } => delay.map(until),
            _ => None,
        };
        if let Some(delay) = delay {
            tracing::warn!(source = %self.health.name, error = %e, ?delay, "sync failed");
        }
        self.hold_until = delay.map(after_now);
        self.health.retry_at = delay.map(until);
        self.health.unauthorised = delay.is_none();
        self.health.last_error = Some(e.to_string());
        self.health.parts = self.client.parts(self.health.last_error.as_deref());
        self.publish();
        self.hold_until
    }

    /// How long to wait after `e`, from the failing thing's own backoff.
    fn delay_after(&mut self, e: &SourceError, what: Failing) -> Option<Duration> {
        match (e, what) {
            (SourceError::Unauthorized { .. }, _) => None,
            (SourceError::RateLimited { retry_after, .. }, _) => {
                Some((*retry_after).max(Duration::from_secs(1)))
            }
            (_, Failing::Poll) => Some(self.poll_backoff.next_delay()),
            (_, Failing::Action) => Some(self.action_backoff.next_delay()),
        }
    }

    fn publish(&self) {
        self.send(SyncEvent::Health(self.index, self.health.clone()));
    }

    fn send(&self, event: SyncEvent) {
        // The app has quit if this fails; the task ends when its command channel closes.
        let _ = self.events.send(event);
    }
}

/// Which thing failed, so each backs off (and recovers) on its own.
#[derive(Debug, Clone, Copy)]
enum Failing {
    Poll,
    Action,
}

fn far_future() -> Instant {
    after_now(crate::sources::wait::MAX_VENDOR_WAIT)
}

/// Now plus a wait that may come from a vendor header or the config: capped, never
/// overflowing (see [`crate::sources::wait`]).
fn after_now(wait: Duration) -> Instant {
    crate::sources::wait::instant_after(Instant::now(), wait)
}

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;
