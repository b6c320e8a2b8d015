//! curl against each server binding (tokio; goro on io_uring and on epoll) over loopback (h2c, prior knowledge).

#[macro_use]
mod common;

use std::process::Command;
use std::time::Duration;

use common::{Binding, Server, TempDir, check, have, pattern, run};

fn curl_get_hello(b: Binding) {
    if !have("curl") {
        return;
    }
    let server = Server::start(b);
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

per_binding!(curl_get_hello, curl_echo_3mb_byte_exact,);
