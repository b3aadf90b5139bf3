//! One cockpit's (or one `tandem notify`'s) side of the notices: record a view, settle
//! the runs of processes that died, and run what is due, one at a time.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;

use super::Batch;
use crate::store::outbox::Outbox;
use crate::store::outbox::notify::{Orphan, Run, Settled};

/// How long a command may run before it is stopped and counted as failed.
const RUN_LIMIT: Duration = Duration::from_secs(60);
/// How long a wrapper waits for its `go` before giving up unrun.
const GO_WAIT_SECS: u32 = 30;
/// A wrapper told `go` writes `started` within moments; past this it died first.
const START_GRACE: Duration = Duration::from_secs(10);

/// The wrapper: wait for `go`, say `started`, run the command, write its status.
const WRAPPER: &str = r#"d="$1"; i=0
while [ ! -e "$d/go" ]; do
  i=$((i+1)); [ "$i" -gt "$2" ] && exit 0
  sleep 0.05
done
echo $$ > "$d/started.tmp" && mv "$d/started.tmp" "$d/started"
sh -c "$TANDEM_NOTIFY_COMMAND" < "$d/payload.json" > "$d/output" 2>&1
echo $? > "$d/status.tmp" && mv "$d/status.tmp" "$d/status"
"#;

/// Records and runs the notices of one outbox.
pub struct Runner<'a> {
    outbox: &'a Outbox,
    command: &'a str,
    runs: PathBuf,
    /// Runs adopted from a process that died, still going: checked again each round.
    watched: Vec<(Orphan, Instant)>,
}

impl<'a> Runner<'a> {
    pub fn new(outbox: &'a Outbox, command: &'a str, runs: &Path) -> Self {
        Runner {
            outbox,
            command,
            runs: runs.to_path_buf(),
            watched: Vec::new(),
        }
    }

    pub fn record(&self, batch: &Batch) {
        if let Err(e) = self
            .outbox
            .record_notices(&batch.notices, Some(&batch.open), batch.now)
        {
            tracing::warn!(error = %e, "notify: cannot record transitions");
        }
    }

    /// Runs adopted from a dead process still going.
    pub fn watching(&self) -> bool {
        !self.watched.is_empty()
    }

    /// Settle what dead processes left, run everything due; how long until the next round
    /// has something to do.
    pub fn round(&mut self) -> Duration {
        match self.outbox.orphan_notices() {
            Ok(found) => self
                .watched
                .extend(found.into_iter().map(|o| (o, Instant::now()))),
            Err(e) => tracing::warn!(error = %e, "notify: cannot read the outbox"),
        }
        let outbox = self.outbox;
        self.watched
            .retain(|(orphan, since)| !settle_orphan(outbox, orphan, *since));
        while let Ok(Some(run)) = self.outbox.next_notice(Utc::now()) {
            deliver(self.outbox, self.command, &self.runs, &run);
        }
        let due = self.outbox.next_notice_due().ok().flatten();
        match (due, self.watched.is_empty()) {
            (_, false) => Duration::from_millis(200),
            (Some(at), true) => (at - Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .clamp(Duration::from_millis(50), Duration::from_secs(30)),
            // Another process's claim may be orphaned at any time: look now and then.
            (None, true) => Duration::from_secs(30),
        }
    }
}

/// Wait before attempt `attempt + 1` after a failure: 10 s, doubling, at most 15 min.
fn backoff(attempt: i64) -> chrono::Duration {
    let secs = 10_i64.saturating_mul(1 << attempt.clamp(1, 7).saturating_sub(1));
    chrono::Duration::seconds(secs.min(900))
}

/// Prepare, claim and run one notice, then settle it.
fn deliver(outbox: &Outbox, command: &str, runs: &Path, run: &Run) {
    let dir = runs.join(format!(
        "n{}-{}-{:x}",
        run.id,
        run.attempt,
        fastrand::u32(..)
    ));
    let prepared = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("payload.json"), &run.payload));
    if let Err(e) = prepared {
        tracing::warn!(error = %e, dir = %dir.display(), "notify: cannot prepare a run");
        return;
    }
    let child = match spawn_wrapper(command, &dir) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "notify: cannot start sh");
            let _ = std::fs::remove_dir_all(&dir);
            return;
        }
    };
    let claimed = outbox
        .claim_notice(run, &dir.display().to_string())
        .unwrap_or(false);
    if !claimed {
        // Another cockpit took it: this wrapper never gets its `go` and ends unrun.
        let _ = std::fs::remove_dir_all(&dir);
        reap_later(child);
        return;
    }
    if let Err(e) = std::fs::write(dir.join("go"), b"") {
        tracing::warn!(error = %e, "notify: cannot start a run");
        let _ = outbox.settle_notice(run.id, &Settled::NotRun, Utc::now());
        reap_later(child);
        return;
    }
    let settled = wait_for(child, &dir, run.attempt);
    tracing::info!(key = %run.key, attempt = run.attempt, ?settled, "notify: ran");
    if let Err(e) = outbox.settle_notice(run.id, &settled, Utc::now()) {
        tracing::warn!(error = %e, "notify: cannot record a run");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn spawn_wrapper(command: &str, dir: &Path) -> std::io::Result<std::process::Child> {
    use std::os::unix::process::CommandExt;
    let polls = (GO_WAIT_SECS * 20).to_string();
    std::process::Command::new("sh")
        .arg("-c")
        .arg(WRAPPER)
        .arg("tandem-notify")
        .arg(dir)
        .arg(polls)
        .env("TANDEM_NOTIFY_COMMAND", command)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        // Its own group: a Ctrl-C or a kill of the cockpit does not reach it.
        .process_group(0)
        .spawn()
}

/// A wrapper that will end by itself: reaped on a thread of its own.
fn reap_later(mut child: std::process::Child) {
    std::thread::spawn(move || {
        let _ = child.wait();
    });
}

/// Wait for the run this process started, at most [`RUN_LIMIT`].
fn wait_for(mut child: std::process::Child, dir: &Path, attempt: i64) -> Settled {
    let started = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > RUN_LIMIT => {
                // SAFETY: a plain syscall; the group is the wrapper's own (`process_group(0)`).
                unsafe {
                    libc::kill(-(child.id() as i32), libc::SIGKILL);
                }
                let _ = child.wait();
                return Settled::Failed {
                    error: format!("stopped after {}s", RUN_LIMIT.as_secs()),
                    retry_at: Utc::now() + backoff(attempt),
                };
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break,
        }
    }
    from_status(dir, attempt).unwrap_or(Settled::Failed {
        error: "the command was interrupted before it finished".into(),
        retry_at: Utc::now() + backoff(attempt),
    })
}

/// The run's outcome from its `status` file, if it wrote one.
fn from_status(dir: &Path, attempt: i64) -> Option<Settled> {
    let code = std::fs::read_to_string(dir.join("status")).ok()?;
    let code = code.trim();
    if code == "0" {
        return Some(Settled::Delivered);
    }
    let output = std::fs::read_to_string(dir.join("output")).unwrap_or_default();
    let first = crate::domain::text::clean_within(output.lines().next().unwrap_or(""), 120);
    Some(Settled::Failed {
        error: if first.is_empty() {
            format!("exit {code}")
        } else {
            format!("exit {code}: {first}")
        },
        retry_at: Utc::now() + backoff(attempt),
    })
}

fn pid_alive(pid: i32) -> bool {
    // SAFETY: signal 0 only asks whether the process exists.
    pid > 0 && unsafe { libc::kill(pid, 0) } == 0
}

/// Settle a run whose claimer died, from its directory; `false` while it is still going.
fn settle_orphan(outbox: &Outbox, orphan: &Orphan, since: std::time::Instant) -> bool {
    let dir = Path::new(&orphan.run_dir);
    let settled = if orphan.run_dir.is_empty() || !dir.join("go").exists() {
        // Never told to go: the command did not run.
        Some(Settled::NotRun)
    } else if let Some(s) = from_status(dir, orphan.attempt) {
        Some(s)
    } else {
        let pid = std::fs::read_to_string(dir.join("started"))
            .ok()
            .and_then(|p| p.trim().parse::<i32>().ok());
        match pid {
            Some(pid) if pid_alive(pid) => None,
            // It wrote its status between the two reads, or died mid-run.
            Some(_) => Some(from_status(dir, orphan.attempt).unwrap_or(Settled::Failed {
                error: "the command was interrupted; it may have run".into(),
                retry_at: Utc::now() + backoff(orphan.attempt),
            })),
            None if since.elapsed() > START_GRACE => Some(Settled::NotRun),
            None => None,
        }
    };
    let Some(settled) = settled else {
        return false;
    };
    tracing::info!(key = %orphan.key, ?settled, "notify: settled a run whose claimer died");
    if let Err(e) = outbox.settle_notice(orphan.id, &settled, Utc::now()) {
        tracing::warn!(error = %e, "notify: cannot record a run");
        return false;
    }
    if !orphan.run_dir.is_empty() {
        let _ = std::fs::remove_dir_all(dir);
    }
    true
}
