//! curl against the tokio binding over loopback (h2c, prior knowledge).
#![cfg(feature = "tokio")]

mod common;

use std::process::Command;
use std::time::Duration;

use common::{Server, TempDir, check, have, pattern, run};

#[test]
fn curl_get_hello() {
    if !have("curl") {
        return;
    }
    let server = Server::start();
    let out = run(
        Command::new("curl").args([
            "-sS",
            "--http2-prior-knowledge",
            "-w",
            "\n%{http_version} %{response_code}",
            &server.url("/"),
        ]),
        Duration::from_secs(30),
    );
    check(&out, "curl GET /");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\n2 200");
}

#[test]
fn curl_echo_3mb_byte_exact() {
    if !have("curl") {
        return;
    }
    let server = Server::start();
    let dir = TempDir::new("curl-echo");
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
