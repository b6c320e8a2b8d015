//! Edge cases driven by the Python `h2` package (`tests/py/h2_edge.py`),
//! one test per case: each starts a server, runs the script against it and
//! requires its exit status 0.
#![cfg(feature = "tokio")]

mod common;

use std::process::Command;
use std::time::Duration;

use common::{Server, check, have_python_h2, run};

fn case(name: &str) {
    if !have_python_h2() {
        return;
    }
    let server = Server::start();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/h2_edge.py");
    let out = run(
        Command::new("python3")
            .arg(script)
            .arg(server.addr.port().to_string())
            .arg(name),
        Duration::from_secs(60),
    );
    check(&out, name);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("ok {name}")
    );
}

#[test]
fn python_ping_ack() {
    case("ping_ack");
}

#[test]
fn python_window_update_overflow_connection_is_flow_control_goaway() {
    case("window_update_overflow_connection");
}

#[test]
fn python_window_update_overflow_stream_is_flow_control_reset() {
    case("window_update_overflow_stream");
}

#[test]
fn python_bad_headers_are_protocol_error_resets() {
    case("bad_headers");
}

#[test]
fn python_rst_storm_on_closed_streams_is_ignored() {
    case("rst_storm_closed_streams");
}

#[test]
fn python_rapid_reset_storm_is_survived() {
    case("rapid_reset_storm");
}

#[test]
fn python_continuation_flood_is_enhance_your_calm() {
    case("continuation_flood");
}

#[test]
fn python_bad_initial_window_setting_is_flow_control_goaway() {
    case("bad_initial_window_setting");
}

#[test]
fn python_client_goaway_still_drains_open_streams() {
    case("client_goaway_drains");
}
