//! `[notify] command`: each SLA transition (a new breach, an escalation, a breach cleared)
//! runs the command once, with one JSON object on its stdin, whatever crashes or restarts
//! and however many cockpits share the data dir.
//!
//! The app hands every complete view of the open breaches to a thread of its own, which
//! records the transitions in the outbox file (`store/outbox/notify.rs`) before running
//! anything, then runs what is due one at a time and never blocks the cockpit.
//!
//! A run is made crash-proof by a handshake. Its directory gets the payload; a wrapper is
//! started detached (its own process group, so neither `kill -9` of tandem nor Ctrl-C
//! reaches it) and waits for a `go` file; the run is claimed in the outbox; only then is
//! `go` created. The wrapper writes `started` (its pid) before the command and `status`
//! after. Whoever finds a claim whose holder died reads that directory: no `go`, the command
//! never ran (run it again); a `status`, it ran (settle it); a live wrapper, wait for it.

mod run;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

pub use run::Runner;

use crate::config::Config;
use crate::domain::sla::SlaTimer;
use crate::store::Store;
use crate::store::outbox::Outbox;
use crate::store::outbox::notify::{Notice, NoticeStatus};

/// One complete view of the clocks in breach now, and the transitions it shows.
pub struct Batch {
    pub notices: Vec<Notice>,
    /// Every clock in breach now, escalated ones included: a recorded breach not among them
    /// was cleared.
    pub open: Vec<String>,
    pub now: DateTime<Utc>,
}

/// The app's end: send views, get the status for the header.
pub struct Notifier {
    tx: Sender<Batch>,
    /// The notice keys of the last view sent: an unchanged view is not sent again.
    last: Option<BTreeSet<String>>,
}

impl Notifier {
    /// Start the thread that records and runs `command` for `outbox`'s notices, its runs'
    /// directories under `runs`. The status for the header arrives on `status`.
    pub fn spawn(
        outbox: Arc<Outbox>,
        command: String,
        runs: PathBuf,
        status: UnboundedSender<NoticeStatus>,
    ) -> Notifier {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("tandem-notify".into())
            .spawn(move || {
                let mut runner = Runner::new(&outbox, &command, &runs);
                let mut wait = Duration::ZERO;
                loop {
                    match rx.recv_timeout(wait) {
                        Ok(batch) => runner.record(&batch),
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                    while let Ok(batch) = rx.try_recv() {
                        runner.record(&batch);
                    }
                    wait = runner.round();
                    if let Ok(s) = outbox.notice_status() {
                        let _ = status.send(s);
                    }
                }
            })
            .expect("spawn the notify thread");
        Notifier { tx, last: None }
    }

    /// Send the view if it differs from the last one sent.
    pub fn offer(&mut self, batch: Batch) {
        let keys: BTreeSet<String> = batch.notices.iter().map(|n| n.key.clone()).collect();
        if self.last.as_ref() == Some(&keys) {
            return;
        }
        self.last = Some(keys);
        let _ = self.tx.send(batch);
    }
}

/// How often a lens's cockpit rebuilds the whole pipeline's clocks for notices (the
/// snapshot then holds only the lens's); without a lens the snapshot's own are used.
const LENS_BOARD_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// What the app keeps for notices.
pub struct Notices {
    pub notifier: Notifier,
    /// Under a lens: the whole pipeline's clocks, and when they were built.
    board: Option<(DateTime<Utc>, crate::domain::board::Board)>,
}

impl Notices {
    pub fn new(notifier: Notifier) -> Self {
        Notices {
            notifier,
            board: None,
        }
    }
}

impl super::App {
    /// Hand the clocks in breach now to the notifier: only from a complete load (a half-read
    /// pipeline would look like breaches cleared), and only when the view changed.
    pub fn notice_transitions(&mut self) {
        let m = &self.model;
        let complete = !m.health.is_empty() && m.health.iter().all(|h| h.loaded);
        let Some(notices) = self.notices.as_mut().filter(|_| complete) else {
            return;
        };
        let timers = if m.lensed.is_none() {
            notices.board = None;
            &m.snapshot.board.timers
        } else {
            let stale = notices
                .board
                .as_ref()
                .is_none_or(|(at, _)| m.now - *at >= LENS_BOARD_EVERY || m.now < *at);
            if stale {
                let board = crate::domain::board::Board::build(&crate::domain::board::BoardInput {
                    leads: m.store.leads(),
                    slas: &m.config.slas,
                    calendar: &m.config.calendar,
                    stages: &m.config.stages,
                });
                notices.board = Some((m.now, board));
            }
            &notices.board.as_ref().expect("just built").1.timers
        };
        let batch = view(&m.config, &m.store, &self.outgoing.key, timers, m.now);
        notices.notifier.offer(batch);
    }
}

/// The clocks in breach at `now`, and a notice for each breach and escalation. `timers`
/// are every running clock of `store` (a board's).
pub fn view(
    config: &Config,
    store: &Store,
    source: &str,
    timers: &[SlaTimer],
    now: DateTime<Utc>,
) -> Batch {
    use crate::domain::sla::SlaState;
    let (mut notices, mut open) = (Vec::new(), Vec::new());
    for t in timers {
        let state = t.state(now);
        if !state.is_breach() {
            continue;
        }
        let (Some(def), Some(lead)) = (config.slas.get(t.sla), store.lead(&t.lead_id)) else {
            continue;
        };
        let clock = format!(
            "{source}:{}:{}:{}",
            lead.id,
            def.id,
            t.started_at.timestamp_millis()
        );
        let owner = lead.owner_id.as_deref().and_then(|id| store.owner(id));
        let escalated_to = (state == SlaState::Escalated).then(|| {
            crate::domain::breach::escalated_to(
                config.team_lead(def.team),
                def.team,
                store.owners(),
            )
        });
        let payload = |kind: &str| {
            serde_json::json!({
                "kind": kind,
                "at": now.to_rfc3339(),
                "sla": def.id,
                "sla_label": crate::domain::text::clean(&def.label),
                "team": def.team.label(),
                "lead_id": lead.id,
                "lead": crate::domain::text::clean(lead.name()),
                "company": crate::domain::text::clean(lead.company.as_str()),
                "owner": owner.map(|o| crate::domain::text::clean(&o.name)),
                "acts": crate::domain::text::clean(crate::domain::breach::who_acts(def, owner)),
                "started_at": t.started_at.to_rfc3339(),
                "due_at": t.due_at.to_rfc3339(),
                "escalate_at": t.escalate_at.map(|e| e.to_rfc3339()),
                "escalated_to": escalated_to,
                "source": source,
            })
            .to_string()
        };
        notices.push(Notice {
            key: format!("breached:{clock}"),
            clock: clock.clone(),
            kind: "breached",
            payload: payload("breached"),
        });
        if state == SlaState::Escalated {
            notices.push(Notice {
                key: format!("escalated:{clock}"),
                clock: clock.clone(),
                kind: "escalated",
                payload: payload("escalated"),
            });
        }
        open.push(clock);
    }
    Batch { notices, open, now }
}
