//! Handing freed memory back to the system. A start from the cache or a first load builds
//! and drops large temporaries (decoded pages, the previous snapshot, change lists), and the
//! simulated portal's generation replays every journey on scratch records; glibc keeps the
//! freed pages resident inside its heap, hundreds of megabytes at a million leads, unless
//! asked to give them back. The cockpit asks once such a phase is over and a frame is on the
//! screen, so the pause (tens of milliseconds) never delays a key; the sim asks once its
//! world is generated.

use std::time::Instant;

/// Return the heap's free pages to the system, and log how much that took.
pub fn give_back() {
    let started = Instant::now();
    let returned = trim();
    tracing::debug!(
        returned,
        ms = format!("{:.1}", started.elapsed().as_secs_f64() * 1000.0),
        "free memory given back"
    );
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() -> bool {
    // SAFETY: malloc_trim only walks and releases glibc's own free lists; it takes the
    // allocator's locks like any malloc call and touches no memory the program holds.
    unsafe { libc::malloc_trim(0) == 1 }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() -> bool {
    false
}
