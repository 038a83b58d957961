//! Running the binary in tests: a clean environment, a free port, a child killed when dropped,
//! and waiting until it answers.

// Each test file uses the parts it needs.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// The `tidings` binary with no `TIDINGS_` variable of the test's environment.
pub fn tidings(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidings"));
    cmd.current_dir(dir).env("RUST_LOG", "warn");
    // Only what each test sets may configure the binary.
    for (k, _) in std::env::vars() {
        if k.starts_with("TIDINGS_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process, killed (SIGKILL) when dropped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `tidings <command> --data-dir <data> --listen 127.0.0.1:<free port>` in `dir`, quiet;
/// returns the child and its URL (not yet waited for).
pub fn start_site(dir: &Path, command: &str, data: &str) -> (Running, String) {
    let port = free_port();
    let child = tidings(dir)
        .args([
            command,
            "--data-dir",
            data,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start tidings");
    (Running(child), format!("http://127.0.0.1:{port}"))
}

/// Everything a finished command printed, standard output then standard error.
pub fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Waits (up to 30 s) until the server at `url` says it is ready.
pub async fn wait_ready(url: &str) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Ok(res) = reqwest::get(format!("{url}/readyz")).await {
            if res.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not become ready");
}
