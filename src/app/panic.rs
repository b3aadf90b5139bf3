//! A panic anywhere ends the cockpit: never a half-alive process whose worker is gone while
//! the screen still draws. The hook logs the panic and wakes the app loop, which quits; the
//! terminal is restored (also when the loop's own thread is the one unwinding) and the
//! message is printed once the screen is gone. Queued actions are already in the outbox
//! file, so they stay queued either way.

use std::sync::OnceLock;

use tokio::sync::Notify;

/// The first panic's message, and the app loop's wake-up call.
static FIRST: OnceLock<String> = OnceLock::new();
static WAKE: OnceLock<Notify> = OnceLock::new();

fn wake() -> &'static Notify {
    WAKE.get_or_init(Notify::new)
}

/// Replace the panic hook for the cockpit's lifetime: log, remember, wake the loop. Nothing
/// is printed while the terminal is in raw mode on the alternate screen.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let thread = std::thread::current();
        let thread = thread.name().unwrap_or("unnamed");
        let message = format!("{what}{at} (thread {thread})");
        tracing::error!(
            panic = %message,
            backtrace = %std::backtrace::Backtrace::force_capture(),
            "tandem panicked; the cockpit stops"
        );
        let _ = FIRST.set(message);
        wake().notify_one();
    }));
}

/// Wait until something panicked; returns its message.
pub async fn panicked() -> String {
    loop {
        if let Some(message) = FIRST.get() {
            return message.clone();
        }
        wake().notified().await;
    }
}

/// Restores the terminal when dropped, on a normal return and while unwinding alike; an
/// unwinding thread also prints the panic once the screen is gone.
pub struct TerminalGuard {
    /// Printed after the panic message: where the log is, where queued actions wait.
    pub epilogue: String,
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
        if std::thread::panicking() {
            let message = FIRST.get().map_or("panic", String::as_str);
            eprintln!("{}", report(message, &self.epilogue));
        }
    }
}

/// What the user reads after a panic ended the cockpit.
pub fn report(message: &str, epilogue: &str) -> String {
    format!("tandem: internal error, the cockpit stopped: {message}\n{epilogue}")
}
