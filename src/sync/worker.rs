//! One task per source: the first load, incremental polls, and the outbox's write-backs,
//! strictly one request at a time.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::backoff::Backoff;
use super::load::{full_load, load_reference};
use super::status::{ActionStatus, SourceHealth};
use crate::domain::action::{Action, ActionId};
use crate::domain::{DealStage, Owner};
use crate::sources::SourceError;
use crate::sources::hubspot::{Cursor, Delta, HubSpot, Kind};

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
    },
    Action(ActionId, ActionStatus),
}

/// What the app asks of a source.
#[derive(Debug)]
pub enum SourceCommand {
    Refresh,
    Apply(Action),
}

/// Give up on an action after this many transient failures in a row; it is shown as failed
/// with the last error, never silently dropped.
const MAX_ACTION_ATTEMPTS: u32 = 6;

/// Owners and deal stages change rarely, and search never reports deletions; re-read them
/// this often (and on every manual refresh) so the cockpit catches up without a restart.
const REFERENCE_EVERY: Duration = Duration::from_secs(600);

pub struct Worker {
    index: usize,
    client: HubSpot,
    interval: Option<Duration>,
    events: mpsc::UnboundedSender<SyncEvent>,
    health: SourceHealth,
    cursor: Option<Cursor>,
    outbox: VecDeque<(Action, u32)>,
    backoff: Backoff,
    /// The last step failed and is worth retrying, even in manual-refresh mode.
    last_failed: bool,
    /// A rate limit asked us not to call before this.
    not_before: Option<Instant>,
    reference_at: Option<Instant>,
}

/// Start the source's task. Dropping every sender of the returned channel stops it.
pub fn spawn(
    index: usize,
    name: &str,
    client: HubSpot,
    interval: Option<Duration>,
    events: mpsc::UnboundedSender<SyncEvent>,
) -> mpsc::UnboundedSender<SourceCommand> {
    let (tx, rx) = mpsc::unbounded_channel();
    let worker = Worker::new(index, name, client, interval, events);
    tokio::spawn(worker.run(rx));
    tx
}

impl Worker {
    fn new(
        index: usize,
        name: &str,
        client: HubSpot,
        interval: Option<Duration>,
        events: mpsc::UnboundedSender<SyncEvent>,
    ) -> Self {
        Worker {
            index,
            client,
            interval,
            events,
            health: SourceHealth::new(name),
            cursor: None,
            outbox: VecDeque::new(),
            backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(60)),
            last_failed: false,
            not_before: None,
            reference_at: None,
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
                    Some(SourceCommand::Refresh) => {
                        // A manual refresh also re-reads owners and deletions.
                        self.reference_at = None;
                        next_poll = Some(self.soonest());
                    }
                    Some(SourceCommand::Apply(action)) => {
                        self.send(SyncEvent::Action(action.id, ActionStatus::Pending));
                        self.outbox.push_back((action, 0));
                        next_poll = Some(self.soonest());
                    }
                },
                _ = sleep_until(wake.unwrap_or_else(far_future)), if wake.is_some() => {
                    next_poll = self.step().await;
                    if self.interval.is_none() && !self.last_failed && self.outbox.is_empty() {
                        next_poll = None;
                    }
                }
            }
        }
    }

    /// Now, unless a rate limit told us to wait.
    fn soonest(&self) -> Instant {
        let now = Instant::now();
        self.not_before.map_or(now, |t| t.max(now))
    }

    /// One round: write back what is queued, then read (so the panes see the vendor's own
    /// record of each write). Returns when to come back; `None` waits for a command.
    async fn step(&mut self) -> Option<Instant> {
        if let Err(retry) = self.drain_outbox().await {
            return retry.map(|delay| Instant::now() + delay);
        }
        let result = match self.cursor.is_some() {
            false => self.first_load().await,
            true => self.poll().await,
        };
        match result {
            Ok(()) => {
                self.last_failed = false;
                self.not_before = None;
                self.backoff.reset();
                self.health.last_success = Some(Utc::now());
                self.health.last_error = None;
                self.health.unauthorised = false;
                self.publish();
                Some(Instant::now() + self.interval.unwrap_or(Duration::from_secs(3600)))
            }
            Err(e) => self.failed(e).map(|delay| Instant::now() + delay),
        }
    }

    async fn poll(&mut self) -> Result<(), SourceError> {
        if self
            .reference_at
            .is_none_or(|t| t.elapsed() >= REFERENCE_EVERY)
        {
            self.refresh_reference().await?;
            self.reconcile_deletions().await?;
        }
        let Some(cursor) = self.cursor.as_mut() else {
            return Ok(());
        };
        let delta = self.client.poll(cursor).await?;
        if !delta.is_empty() {
            self.send(SyncEvent::Data(self.index, delta));
        }
        Ok(())
    }

    /// Deleted contacts and deals leave the panes (search never reports them).
    async fn reconcile_deletions(&mut self) -> Result<(), SourceError> {
        let leads = self.client.archived_ids(Kind::Contacts).await?;
        let deals = self.client.archived_ids(Kind::Deals).await?;
        if !leads.is_empty() || !deals.is_empty() {
            self.send(SyncEvent::Removed {
                source: self.index,
                leads,
                deals,
            });
        }
        Ok(())
    }

    /// Owners and deal stages, sent before any record so owners and won/lost show at once.
    async fn refresh_reference(&mut self) -> Result<(), SourceError> {
        let reference = load_reference(&mut self.client).await?;
        self.reference_at = Some(Instant::now());
        self.send(SyncEvent::Reference {
            source: self.index,
            owners: reference.owners,
            deal_stages: reference.deal_stages,
        });
        Ok(())
    }

    async fn first_load(&mut self) -> Result<(), SourceError> {
        let (index, events) = (self.index, self.events.clone());
        let mut loaded = 0usize;
        let mut health = self.health.clone();
        self.refresh_reference().await?;
        let cursor = full_load(&mut self.client, |delta| {
            loaded += delta.leads.len();
            if health.loaded_leads != loaded {
                health.loaded_leads = loaded;
                let _ = events.send(SyncEvent::Health(index, health.clone()));
            }
            let _ = events.send(SyncEvent::Data(index, delta));
        })
        .await?;
        self.health.loaded_leads = loaded;
        self.cursor = Some(cursor);
        self.health.loaded = true;
        Ok(())
    }

    /// Apply queued actions in order. `Err` means stop: retry after the delay, or (`None`)
    /// wait for a command.
    async fn drain_outbox(&mut self) -> Result<(), Option<Duration>> {
        while let Some((action, attempts)) = self.outbox.front().cloned() {
            let result = self.client.apply(&action, attempts > 0).await;
            match result {
                Ok(()) => {
                    self.outbox.pop_front();
                    tracing::info!(id = action.id, verb = action.verb(), "action confirmed");
                    self.send(SyncEvent::Action(action.id, ActionStatus::Done));
                }
                Err(e @ SourceError::Unauthorized { .. }) => {
                    // No queued write can succeed with this token: say so for each of them.
                    for (queued, _) in std::mem::take(&mut self.outbox) {
                        tracing::warn!(id = queued.id, "action refused: token rejected");
                        self.send(SyncEvent::Action(
                            queued.id,
                            ActionStatus::Failed(e.to_string()),
                        ));
                    }
                    return Err(self.failed(e));
                }
                Err(e) if e.is_transient() && attempts + 1 < MAX_ACTION_ATTEMPTS => {
                    tracing::warn!(id = action.id, error = %e, "action failed; will retry");
                    if let Some(front) = self.outbox.front_mut() {
                        front.1 += 1;
                    }
                    return Err(self.failed(e));
                }
                Err(e) => {
                    self.outbox.pop_front();
                    tracing::warn!(id = action.id, error = %e, "action refused");
                    self.send(SyncEvent::Action(
                        action.id,
                        ActionStatus::Failed(e.to_string()),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Record a failure for the header and return how long to back off. A refused token
    /// returns `None`: retrying cannot fix it, so polling stops (the panes keep the last good
    /// data) until the user asks for a refresh.
    fn failed(&mut self, e: SourceError) -> Option<Duration> {
        let delay = match &e {
            SourceError::Unauthorized { message, .. } => {
                tracing::warn!(source = %self.health.name, error = %e, vendor = %message,
                    "token refused; polling stops until a manual refresh");
                None
            }
            SourceError::RateLimited { retry_after } => {
                let wait = (*retry_after).max(Duration::from_secs(1));
                self.not_before = Some(Instant::now() + wait);
                Some(wait)
            }
            _ => Some(self.backoff.next_delay()),
        };
        if delay.is_some() {
            tracing::warn!(source = %self.health.name, error = %e, "sync failed");
        }
        self.last_failed = delay.is_some();
        self.health.unauthorised = delay.is_none();
        self.health.last_error = Some(e.to_string());
        self.publish();
        delay
    }

    fn publish(&self) {
        self.send(SyncEvent::Health(self.index, self.health.clone()));
    }

    fn send(&self, event: SyncEvent) {
        // The app has quit if this fails; the task ends when its command channel closes.
        let _ = self.events.send(event);
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::Config;
    use crate::sim::{self, SimHandle, SimOptions};
    use crate::sources::Secret;
    use crate::sources::hubspot::Mapping;

    async fn frozen_sim() -> SimHandle {
        let mut opts = SimOptions::new(7, 20);
        opts.now = Some("2026-11-20T15:02:00Z".parse().unwrap());
        sim::start(opts).await.expect("sim starts")
    }

    fn worker(sim: &SimHandle, token: &str) -> Worker {
        let mapping = Mapping::new(Arc::new(Config::builtin().stages), Vec::new());
        let client = HubSpot::new(&sim.base_url, Secret::new(token), mapping).unwrap();
        let (events, _) = mpsc::unbounded_channel();
        Worker::new(0, "HubSpot", client, Some(Duration::from_secs(1)), events)
    }

    #[tokio::test]
    async fn a_refused_token_schedules_no_retry() {
        let sim = frozen_sim().await;
        let mut w = worker(&sim, "pat-wrong-secret");
        assert_eq!(w.step().await, None, "no poll is scheduled after a 401");
        assert!(w.health.unauthorised);
        assert!(!w.last_failed, "manual-refresh mode does not retry either");
        sim.shutdown().await;
    }

    #[tokio::test]
    async fn an_unreachable_server_is_retried_later() {
        let sim = frozen_sim().await;
        let mut w = worker(&sim, &sim.token.clone());
        sim.shutdown().await;
        assert!(w.step().await.is_some(), "a connection failure is retried");
        assert!(!w.health.unauthorised);
        let error = w.health.last_error.expect("the failure is shown");
        assert!(
            error.contains("cannot connect to http://127.0.0.1:"),
            "{error}"
        );
    }
}
