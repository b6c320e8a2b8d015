//! nghttp (nghttp2's client) against each server binding (tokio; goro on io_uring and on epoll): many concurrent
//! streams on one connection, an upload echoed back, and `-u` (HTTP/1.1 `Upgrade: h2c`).

#[macro_use]
mod common;

use std::process::Command;
use std::time::Duration;

use common::{Binding, Server, TempDir, check, have, pattern, run};

/// Responses nghttp reports with `-v`: one `:status: 200` line each.
fn statuses(stdout: &[u8]) -> usize {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| l.trim_end().ends_with(":status: 200"))
        .count()
}

fn nghttp_100_concurrent_streams(b: Binding) {
    if !have("nghttp") {
        return;
    }
    let server = Server::start(b);
    // -m 100: the same URI 100 times, all streams opened at once (the
    // server advertises 100 concurrent streams). nghttp also sends
    // PRIORITY frames for its dependency tree, which must be accepted.
    let out = run(
        Command::new("nghttp").args(["-n", "-v", "-m", "100", &server.url("/")]),
        Duration::from_secs(60),
    );
    check(&out, "nghttp -m 100");
    assert_eq!(statuses(&out.stdout), 100);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("RST_STREAM"), "unexpected reset:\n{text}");
    assert!(!text.contains("GOAWAY") || text.contains("error_code=NO_ERROR"));
}

fn nghttp_echo_upload(b: Binding) {
    if !have("nghttp") {
        return;
    }
    let server = Server::start(b);
    let dir = TempDir::new(&format!("nghttp-echo-{b:?}"));
    let body = pattern(1 << 20);
    let src = dir.0.join("in.bin");
    std::fs::write(&src, &body).expect("write body");
    let out = run(
        Command::new("nghttp")
            .arg("-d")
            .arg(&src)
            .arg(server.url("/echo")),
        Duration::from_secs(60),
    );
    check(&out, "nghttp -d /echo");
    assert!(out.stdout == body, "echo differs from the upload");
}

/// `nghttp -u` starts with `Upgrade: h2c`: a GET whose response comes on
/// stream 1, and an upload (nghttp then upgrades with `OPTIONS *` and
/// sends the POST as a new stream).
fn nghttp_upgrade(b: Binding) {
    if !have("nghttp") {
        return;
    }
    let server = Server::start(b);
    let out = run(
        Command::new("nghttp").args(["-u", "-v", &server.url("/")]),
        Duration::from_secs(30),
    );
    check(&out, "nghttp -u");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("HTTP Upgrade success"), "{text}");
    assert!(text.contains("recv (stream_id=1) :status: 200"), "{text}");
    let dir = TempDir::new(&format!("nghttp-upgrade-{b:?}"));
    let src = dir.0.join("in.bin");
    std::fs::write(&src, b"after upgrade").expect("write body");
    let out = run(
        Command::new("nghttp")
            .arg("-u")
            .arg("-d")
            .arg(&src)
            .arg(server.url("/echo")),
        Duration::from_secs(30),
    );
    check(&out, "nghttp -u -d /echo");
    assert_eq!(out.stdout, b"after upgrade");
}

per_binding!(
    nghttp_100_concurrent_streams,
    nghttp_echo_upload,
    nghttp_upgrade,
);
