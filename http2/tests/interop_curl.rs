//! curl against each server binding (tokio; goro on io_uring and on epoll) over loopback: h2c with prior
//! knowledge, h2c by HTTP/1.1 `Upgrade: h2c` (`--http2` on an http URL), and a plain HTTP/1.1 request refused.

#[macro_use]
mod common;

use std::process::Command;
use std::time::Duration;

use common::{Binding, Server, TempDir, check, have, pattern, run};

/// Runs curl with `args` on `path`, the HTTP version and status appended to
/// its output, and fails the test (`what`) if curl failed.
fn curl(server: &Server, what: &str, args: &[&str], path: &str) -> std::process::Output {
    let out = run(
        Command::new("curl")
            .args(args)
            .args(["-w", "\n%{http_version} %{response_code}"])
            .arg(server.url(path)),
        Duration::from_secs(30),
    );
    check(&out, what);
    out
}

fn curl_get_hello(b: Binding) {
    if !have("curl") {
        return;
    }
    let server = Server::start(b);
    let out = curl(
        &server,
        "curl GET /",
        &["-sS", "--http2-prior-knowledge"],
        "/",
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\n2 200");
}

fn curl_echo_3mb_byte_exact(b: Binding) {
    if !have("curl") {
        return;
    }
    let server = Server::start(b);
    let dir = TempDir::new(&format!("curl-echo-{b:?}"));
    let body = pattern(3 << 20);
    let (src, dst) = (dir.0.join("in.bin"), dir.0.join("out.bin"));
    std::fs::write(&src, &body).expect("write body");
    let out = run(
        Command::new("curl")
            .args(["-sS", "--http2-prior-knowledge", "-o"])
            .arg(&dst)
            .args(["-w", "%{http_version} %{response_code}", "--data-binary"])
            .arg(format!("@{}", src.display()))
            .arg(server.url("/echo")),
        Duration::from_secs(60),
    );
    check(&out, "curl POST /echo");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2 200");
    let echoed = std::fs::read(&dst).expect("read echo");
    assert_eq!(echoed.len(), body.len());
    assert!(echoed == body, "echo differs from the upload");
}

/// `curl --http2` without prior knowledge sends `Upgrade: h2c`; the
/// response must come back over HTTP/2 on stream 1 after a 101.
fn curl_upgrade_get_hello(b: Binding) {
    if !have("curl") {
        return;
    }
    let server = Server::start(b);
    let out = curl(&server, "curl --http2 GET /", &["-sv", "--http2"], "/");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\n2 200");
    let trace = String::from_utf8_lossy(&out.stderr);
    for line in [
        "> Upgrade: h2c",
        "< HTTP/1.1 101 Switching Protocols",
        "< HTTP/2 200",
    ] {
        assert!(trace.contains(line), "no {line:?} in:\n{trace}");
    }
}

/// An upgrade request with a body: the body is read before switching and
/// reaches the handler as stream 1's body.
fn curl_upgrade_post_echo(b: Binding) {
    if !have("curl") {
        return;
    }
    let server = Server::start(b);
    let out = curl(
        &server,
        "curl --http2 POST /echo",
        &["-sv", "--http2", "--data-binary", "upgraded body"],
        "/echo",
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "upgraded body\n2 200");
    let trace = String::from_utf8_lossy(&out.stderr);
    assert!(
        trace.contains("< HTTP/1.1 101 Switching Protocols"),
        "{trace}"
    );
}

/// A plain HTTP/1.1 request gets a 426 naming h2c, and the connection
/// closes.
fn curl_http1_is_refused(b: Binding) {
    if !have("curl") {
        return;
    }
    let server = Server::start(b);
    let out = curl(&server, "curl --http1.1 GET /", &["-sv", "--http1.1"], "/");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.ends_with("\n1.1 426"), "{stdout}");
    let trace = String::from_utf8_lossy(&out.stderr);
    assert!(trace.contains("< Upgrade: h2c"), "{trace}");
    assert!(trace.contains("< Connection: close"), "{trace}");
}

per_binding!(
    curl_get_hello,
    curl_echo_3mb_byte_exact,
    curl_upgrade_get_hello,
    curl_upgrade_post_echo,
    curl_http1_is_refused,
);
