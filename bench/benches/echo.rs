//! Criterion benches of goro's TCP echo server against tokio's: 100
//! connections, 64 B and 4 KiB messages, ping-pong and pipelined (depth
//! 16), goro on io_uring and epoll at 1 and 2 workers against tokio
//! current_thread and multi_thread(2), all in one run. Criterion times
//! wall clock per message; the server CPU per message (the figure the
//! targets are about) is printed by the quick report (`cargo run --release
//! -p goro-bench`). The shapes live in `goro_bench::echo`.

// criterion_group! expands to an undocumented public function.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use goro_bench::echo::{Load, Server, drive, start};

fn echo_benches(c: &mut Criterion) {
    let servers = [
        Server::GoroUring(1),
        Server::GoroEpoll(1),
        Server::TokioCurrentThread,
        Server::GoroUring(2),
        Server::GoroEpoll(2),
        Server::TokioMultiThread(2),
    ];
    let running: Vec<_> = servers.iter().map(|s| (*s, start(*s, 4096))).collect();
    for (name, size, depth, per_conn) in [
        ("echo_64b_100conn_pingpong", 64, 1, 20),
        ("echo_64b_100conn_pipelined16", 64, 16, 64),
        ("echo_4k_100conn_pingpong", 4096, 1, 20),
        ("echo_4k_100conn_pipelined16", 4096, 16, 32),
    ] {
        let load = Load {
            conns: 100,
            size,
            depth,
            per_conn,
            // Closed loop: criterion times whole runs.
            rate: 0,
        };
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements((load.conns * load.per_conn) as u64));
        g.sample_size(10);
        for (server, r) in &running {
            let Ok(r) = r else { continue };
            g.bench_function(server.name(), |b| {
                b.iter(|| drive(r, load).expect("echo run"))
            });
        }
        g.finish();
    }
}

criterion_group!(benches, echo_benches);
criterion_main!(benches);
