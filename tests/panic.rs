//! A panic anywhere ends the cockpit cleanly: the worker is forced to panic (the
//! `TANDEM_FAILPOINT` test hook) in a real cockpit on a pseudo-terminal (`script`), and the
//! process must exit by itself, non-zero, with one readable message and the log path after
//! the screen is restored. Before, it lived on half-alive.

use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_worker_ends_the_cockpit_with_a_message_and_a_non_zero_exit() {
    let dir = std::env::temp_dir().join(format!("tandem-panic-{:x}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("tandem.log");
    let cockpit = format!(
        "{} --contacts 100 --log-file {}",
        env!("CARGO_BIN_EXE_tandem"),
        log.display()
    );
    // `script` gives the cockpit a terminal; -e passes its exit code on.
    let mut cmd = Command::new("script");
    cmd.args(["-qfec", &cockpit, "/dev/null"])
        .env("TANDEM_FAILPOINT", "worker-panic")
        .env("TERM", "xterm")
        .env_remove("TANDEM_CONFIG")
        .env("XDG_CONFIG_HOME", "/nonexistent-tandem-test")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("script (util-linux) runs the cockpit");
    let pid = child.id();
    let out = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::task::spawn_blocking(move || child.wait_with_output().expect("wait")),
    )
    .await;
    let Ok(out) = out else {
        let _ = Command::new("kill").arg(pid.to_string()).status();
        panic!("the cockpit kept running after its worker panicked");
    };
    let out = out.unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(101), "{screen}");
    // The message comes after the alternate screen is left, so it stays readable.
    let left = screen
        .rfind("\u{1b}[?1049l")
        .expect("the screen was restored");
    let after = &screen[left..];
    assert!(
        after.contains("tandem: internal error, the cockpit stopped: failpoint worker-panic"),
        "{screen}"
    );
    assert!(
        after.contains(&format!("the log: {}", log.display())),
        "{screen}"
    );
    assert_eq!(
        screen.matches("internal error").count(),
        1,
        "one message: {screen}"
    );
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("tandem panicked"), "{logged}");
}
