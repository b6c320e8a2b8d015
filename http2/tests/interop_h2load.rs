//! h2load against each server binding (tokio; goro on io_uring and on epoll): 100 000 requests over 10 connections
//! with 10 streams each, and not one may fail.

#[macro_use]
mod common;

use std::process::Command;
use std::time::Duration;

use common::{Binding, Server, check, have, run};

/// The numbers of h2load's `requests:` summary line, e.g.
/// `requests: 100 total, 100 started, 100 done, 100 succeeded, 0 failed, 0 errored, 0 timeout`.
fn summary(stdout: &str) -> Vec<(String, u64)> {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("requests:"))
        .unwrap_or_else(|| panic!("no requests line in:\n{stdout}"));
    line["requests:".len()..]
        .split(',')
        .map(|part| {
            let mut it = part.split_whitespace();
            let n = it.next().and_then(|n| n.parse().ok()).expect("count");
            (it.next().expect("label").to_string(), n)
        })
        .collect()
}

fn h2load_100k_requests_no_failures(b: Binding) {
    if !have("h2load") {
        return;
    }
    let server = Server::start(b);
    let out = run(
        Command::new("h2load").args(["-n", "100000", "-c", "10", "-m", "10", &server.url("/")]),
        Duration::from_secs(300),
    );
    check(&out, "h2load");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let counts = summary(&stdout);
    let get = |k: &str| counts.iter().find(|(l, _)| l == k).map(|(_, n)| *n);
    assert_eq!(get("succeeded"), Some(100_000), "{stdout}");
    assert_eq!(get("failed"), Some(0), "{stdout}");
    assert_eq!(get("errored"), Some(0), "{stdout}");
    assert_eq!(get("timeout"), Some(0), "{stdout}");
    assert!(stdout.contains("status codes: 100000 2xx"), "{stdout}");
}

per_binding!(h2load_100k_requests_no_failures,);
