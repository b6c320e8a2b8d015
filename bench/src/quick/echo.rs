//! Quick echo tables: server CPU per message (first), messages per second,
//! p99 and how busy the server was, for goro on io_uring and epoll against
//! tokio, at 1 and 2 workers, 100 connections, 64 B and 4 KiB, ping-pong
//! and pipelined.
//! Contenders alternate within each round; cells are medians of rounds.

use super::{Cell, Row, Table, median};
use crate::echo::{Load, Server, drive, start};

const CONNS: usize = 100;
const ROUNDS: usize = 5;

/// The contenders, in column order.
fn servers() -> Vec<Server> {
    vec![
        Server::GoroUring(1),
        Server::GoroEpoll(1),
        Server::TokioCurrentThread,
        Server::GoroUring(2),
        Server::GoroEpoll(2),
        Server::TokioMultiThread(2),
    ]
}

fn shapes() -> Vec<(&'static str, Load)> {
    let load = |size, depth, per_conn, rate| Load {
        conns: CONNS,
        size,
        depth,
        per_conn,
        rate,
    };
    vec![
        ("echo_64b_100conn_pingpong", load(64, 1, 50, 0)),
        ("echo_64b_100conn_pipelined16", load(64, 16, 320, 0)),
        ("echo_4k_100conn_pingpong", load(4096, 1, 50, 0)),
        ("echo_4k_100conn_pipelined16", load(4096, 16, 160, 0)),
        // Below saturation: the server sleeps between messages, so CPU
        // per message is its own cost, wake-ups included.
        (
            "echo_64b_100conn_pingpong_paced20k",
            load(64, 1, 50, 20_000),
        ),
    ]
}

/// The three echo tables.
pub fn tables() -> Vec<Table> {
    let servers = servers();
    let columns: Vec<String> = servers.iter().map(|s| s.name()).collect();
    let running: Vec<Option<crate::echo::Running>> =
        servers.iter().map(|s| start(*s, 4096).ok()).collect();
    let mut cpu_rows = Vec::new();
    let mut rate_rows = Vec::new();
    let mut p99_rows = Vec::new();
    let mut busy_rows = Vec::new();
    for (shape, load) in shapes() {
        let mut cpu = vec![Vec::new(); servers.len()];
        let mut rate = vec![Vec::new(); servers.len()];
        let mut p99 = vec![Vec::new(); servers.len()];
        let mut busy = vec![Vec::new(); servers.len()];
        for _ in 0..ROUNDS {
            for (i, r) in running.iter().enumerate() {
                let Some(r) = r else { continue };
                if let Ok(mut m) = drive(r, load) {
                    cpu[i].push(m.cpu_us_per_msg());
                    rate[i].push(m.msgs_per_sec());
                    p99[i].push(m.p99_us());
                    busy[i].push(m.server_busy());
                }
            }
        }
        let cells = |v: Vec<Vec<f64>>| -> Vec<Cell> {
            v.into_iter()
                .map(|s| {
                    if s.is_empty() {
                        Cell::NotApplicable
                    } else {
                        Cell::Value(median(s))
                    }
                })
                .collect()
        };
        cpu_rows.push(Row {
            shape: shape.to_string(),
            cells: cells(cpu),
        });
        rate_rows.push(Row {
            shape: shape.to_string(),
            cells: cells(rate),
        });
        p99_rows.push(Row {
            shape: shape.to_string(),
            cells: cells(p99),
        });
        busy_rows.push(Row {
            shape: shape.to_string(),
            cells: cells(busy),
        });
    }
    drop(running);
    let ratios = vec![(0, 2), (1, 2), (3, 5), (4, 5)];
    let notes = vec![
        format!(
            "{CONNS} connections from one mio client thread in this process; servers on \
             threads of their own; contenders alternate, median of {ROUNDS} rounds."
        ),
        "Server CPU = on-CPU ns of the server's threads from /proc/self/task/*/schedstat."
            .to_string(),
        "Targets: goro-uring ≤ 0.85× tokio (current_thread at 1 worker, multi_thread at 2); \
         goro-epoll ≤ 1.0×; p99 no worse than tokio's."
            .to_string(),
    ];
    vec![
        Table {
            title: "Echo server CPU per message".to_string(),
            unit: "µs/msg, lower is better".to_string(),
            columns: columns.clone(),
            ratios: ratios.clone(),
            rows: cpu_rows,
            notes: notes.clone(),
        },
        Table {
            title: "Echo throughput".to_string(),
            unit: "msgs/s, higher is better".to_string(),
            columns: columns.clone(),
            ratios: ratios.clone(),
            rows: rate_rows,
            notes: Vec::new(),
        },
        Table {
            title: "Echo p99 round trip".to_string(),
            unit: "µs, lower is better".to_string(),
            columns: columns.clone(),
            ratios: ratios.clone(),
            rows: p99_rows,
            notes: Vec::new(),
        },
        Table {
            title: "Echo server CPUs busy".to_string(),
            unit: "server CPU time ÷ wall time".to_string(),
            columns,
            ratios,
            rows: busy_rows,
            notes: vec![
                "Near 1.0 per worker the server never slept: the client and the server then \
                 share this machine's two vCPUs to the full, and CPU per message follows the \
                 closed loop's throughput (each side's send also pays the kernel's loopback \
                 delivery to the other), not the server's own cost alone."
                    .to_string(),
            ],
        },
    ]
}
