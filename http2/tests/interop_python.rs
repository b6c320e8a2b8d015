//! Edge cases driven by the Python `h2` package (`tests/py/h2_edge.py`),
//! one test per case: each starts a server, runs the script against it and
//! requires its exit status 0.

#[macro_use]
mod common;

use std::process::Command;
use std::time::Duration;

use common::{Binding, Server, check, have_python_h2, run};

fn case(b: Binding, name: &str) {
    if !have_python_h2() {
        return;
    }
    let server = Server::start(b);
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

/// One test function per case, each instantiated per binding.
macro_rules! cases {
    ($($test:ident => $case:literal),* $(,)?) => {
        $(fn $test(b: Binding) { case(b, $case) })*
        per_binding!($($test),*);
    };
}

cases!(
    python_ping_ack => "ping_ack",
    python_window_update_overflow_connection_is_flow_control_goaway => "window_update_overflow_connection",
    python_window_update_overflow_stream_is_flow_control_reset => "window_update_overflow_stream",
    python_bad_headers_are_protocol_error_resets => "bad_headers",
    python_rst_storm_on_closed_streams_is_ignored => "rst_storm_closed_streams",
    python_rapid_reset_storm_is_survived => "rapid_reset_storm",
    python_continuation_flood_is_enhance_your_calm => "continuation_flood",
    python_bad_initial_window_setting_is_flow_control_goaway => "bad_initial_window_setting",
    python_client_goaway_still_drains_open_streams => "client_goaway_drains",
);
