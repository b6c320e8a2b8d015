//! The example server (`examples/server.rs`, on goro's runtime) as a
//! process, on each backend: `/debug/tasks` lists a live task and
//! `/metrics` carries the runtime's metric lines next to the server's;
//! SIGTERM drains it and it exits 0.
#![cfg(feature = "goro")]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{check, have, run};

/// The example binary `cargo test` built next to this test's directory
/// (`target/<profile>/examples/server`).
fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>");
    let bin = profile_dir.join("examples").join("server");
    assert!(
        bin.exists(),
        "{} missing: cargo test builds the examples (feature goro)",
        bin.display()
    );
    bin
}

/// The server child; killed and reaped on drop.
struct Example {
    child: Child,
    base: String,
    /// Kept open: a server writing to a closed stderr would fail.
    stderr: Option<BufReader<std::process::ChildStderr>>,
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the example on a port the OS picks and reads it from the first
/// line the server prints (`... on http://127.0.0.1:PORT/ ...`).
fn start(backend: &str) -> Example {
    let mut child = Command::new(example_binary())
        .args([
            "--addr",
            "127.0.0.1:0",
            "--workers",
            "2",
            "--backend",
            backend,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the example server");
    let mut line = String::new();
    let mut stderr = BufReader::new(child.stderr.take().expect("piped stderr"));
    stderr
        .read_line(&mut line)
        .expect("read the server's first line");
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .trim_end_matches('/')
        .to_string();
    Example {
        child,
        base,
        stderr: Some(stderr),
    }
}

fn get(server: &Example, path: &str) -> String {
    let out = run(
        Command::new("curl").args([
            "-sS",
            "--http2-prior-knowledge",
            &format!("{}{path}", server.base),
        ]),
        Duration::from_secs(30),
    );
    check(&out, path);
    String::from_utf8(out.stdout).expect("UTF-8 body")
}

fn debug_tasks_and_metrics(backend: &str, backend_label: &str) {
    if !have("curl") {
        return;
    }
    let server = start(backend);
    assert_eq!(get(&server, "/"), "hello");

    // The connection serving this very request is a live task, spawned in
    // the example's accept loop.
    let tasks = get(&server, "/debug/tasks");
    let first = tasks.lines().next().unwrap_or_default();
    let live: usize = first
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no task count in {first:?}"));
    assert!(live >= 1, "{tasks}");
    assert!(tasks.contains("task "), "{tasks}");
    assert!(
        tasks.contains("spawned at") && tasks.contains("examples/server.rs"),
        "no task spawned by the example in:\n{tasks}"
    );

    let metrics = get(&server, "/metrics");
    for line in [
        "# TYPE goro_worker_polls_total counter",
        "goro_worker_polls_total{worker=\"0\"} ",
        "goro_worker_polls_total{worker=\"1\"} ",
        "goro_workers 2",
        "# TYPE goro_worker_busy_seconds_total counter",
        "goro_worker_busy_seconds_total{worker=\"1\"} ",
        "# TYPE goro_block_on_polls_total counter",
        "goro_http2_requests_total{route=\"/\"} 1",
        "goro_http2_requests_total{route=\"/debug/tasks\"} 1",
    ] {
        assert!(metrics.contains(line), "{line:?} missing in:\n{metrics}");
    }
    // GORO_IO_BACKEND overrides --backend (CI's epoll run sets it).
    let label = match std::env::var("GORO_IO_BACKEND").as_deref() {
        Ok("epoll") => "epoll",
        Ok("uring") | Ok("io_uring") => "io_uring",
        _ => backend_label,
    };
    assert!(
        metrics.contains(&format!("goro_io_backend_info{{backend=\"{label}")),
        "backend {label} not in:\n{metrics}"
    );
    let polls: u64 = metrics
        .lines()
        .filter(|l| l.starts_with("goro_worker_polls_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    assert!(polls > 0, "no task polls counted:\n{metrics}");
}

#[test]
fn example_on_io_uring_serves_tasks_and_metrics() {
    debug_tasks_and_metrics("uring", "io_uring");
}

#[test]
fn example_on_epoll_serves_tasks_and_metrics() {
    debug_tasks_and_metrics("epoll", "epoll");
}

/// SIGTERM after a request: the example stops accepting, drains its
/// connections, says so and exits 0.
fn sigterm_drains_and_exits(backend: &str) {
    let mut server = start(backend);
    if have("curl") {
        assert_eq!(get(&server, "/"), "hello");
    }
    let pid = server.child.id().to_string();
    check(
        &run(
            Command::new("kill").args(["-TERM", &pid]),
            Duration::from_secs(30),
        ),
        "kill -TERM",
    );
    // The rest of stderr: it ends when the process exits.
    let mut stderr = server.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
        let _ = tx.send(rest);
    });
    let rest = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the server did not exit after SIGTERM");
    assert!(rest.contains("all connections closed"), "{rest}");
    let status = server.child.wait().expect("wait for the server");
    assert!(status.success(), "{status}; stderr:\n{rest}");
}

#[test]
fn example_on_io_uring_drains_on_sigterm() {
    sigterm_drains_and_exits("uring");
}

#[test]
fn example_on_epoll_drains_on_sigterm() {
    sigterm_drains_and_exits("epoll");
}
