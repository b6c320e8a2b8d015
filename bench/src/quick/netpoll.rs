//! Netpoll rows of the quick report: 64-byte echo round trips over a Unix
//! socketpair and loopback TCP, goro-netpoll on io_uring and on epoll
//! against mio, medians of alternating rounds; plus system calls per round
//! trip from the pollers' own counters.

use std::cell::Cell as Counter;

use goro_netpoll::Backend;

use super::{Cell, Contender, Row, Table, alternate};

/// The echo shapes, shared with `benches/netpoll.rs`.
#[path = "../shapes_netpoll.rs"]
pub mod shapes;

use shapes::{GoroEcho, MioEcho};

/// Timed rounds per shape (after one warm-up iteration each).
pub const ROUNDS: usize = 7;
/// Round trips per iteration.
pub const TRIPS: u64 = 3000;

const COLUMNS: [&str; 3] = ["goro io_uring", "goro epoll", "mio"];

/// One shape measured for the three contenders: ns per round trip and
/// system calls per round trip.
fn measure<M: FnMut(u64) -> u64>(
    mut uring: Option<GoroEcho>,
    mut epoll: GoroEcho,
    mut mio_run: M,
    mio_syscalls: impl Fn() -> u64,
) -> (Vec<Cell>, Vec<Cell>) {
    let uring_trips = Counter::new(0u64);
    let epoll_trips = Counter::new(0u64);
    let mio_trips = Counter::new(0u64);
    let times = {
        let mut contenders = Vec::new();
        if let Some(u) = uring.as_mut() {
            contenders.push(Contender {
                name: COLUMNS[0],
                run: Box::new(|| {
                    uring_trips.set(uring_trips.get() + TRIPS);
                    u.round_trips(TRIPS)
                }),
            });
        }
        contenders.push(Contender {
            name: COLUMNS[1],
            run: Box::new(|| {
                epoll_trips.set(epoll_trips.get() + TRIPS);
                epoll.round_trips(TRIPS)
            }),
        });
        contenders.push(Contender {
            name: COLUMNS[2],
            run: Box::new(|| {
                mio_trips.set(mio_trips.get() + TRIPS);
                mio_run(TRIPS)
            }),
        });
        alternate(&mut contenders, ROUNDS)
    };
    let mut times = times.into_iter();
    let mut ns = Vec::new();
    let mut calls = Vec::new();
    match &uring {
        Some(u) => {
            ns.push(Cell::Value(times.next().unwrap()));
            calls.push(Cell::Value(u.syscalls() as f64 / uring_trips.get() as f64));
        }
        None => {
            ns.push(Cell::NotApplicable);
            calls.push(Cell::NotApplicable);
        }
    }
    ns.push(Cell::Value(times.next().unwrap()));
    calls.push(Cell::Value(
        epoll.syscalls() as f64 / epoll_trips.get() as f64,
    ));
    ns.push(Cell::Value(times.next().unwrap()));
    calls.push(Cell::Value(mio_syscalls() as f64 / mio_trips.get() as f64));
    (ns, calls)
}

/// The netpoll tables of the quick report.
pub fn tables() -> Vec<Table> {
    let uring_missing = GoroEcho::socketpair(Backend::IoUring).is_err();
    let mut time_rows = Vec::new();
    let mut call_rows = Vec::new();

    let mio_pair = std::cell::RefCell::new(MioEcho::socketpair().expect("mio socketpair"));
    let (ns, calls) = measure(
        GoroEcho::socketpair(Backend::IoUring).ok(),
        GoroEcho::socketpair(Backend::Epoll).expect("epoll poller"),
        |n| mio_pair.borrow_mut().round_trips(n),
        || mio_pair.borrow().syscalls,
    );
    time_rows.push(Row {
        shape: "echo_64b_socketpair".into(),
        cells: ns,
    });
    call_rows.push(Row {
        shape: "echo_64b_socketpair".into(),
        cells: calls,
    });

    let mio_tcp = std::cell::RefCell::new(MioEcho::tcp().expect("mio tcp"));
    let (ns, calls) = measure(
        GoroEcho::tcp(Backend::IoUring).ok(),
        GoroEcho::tcp(Backend::Epoll).expect("epoll poller"),
        |n| mio_tcp.borrow_mut().round_trips(n),
        || mio_tcp.borrow().syscalls,
    );
    time_rows.push(Row {
        shape: "echo_64b_tcp".into(),
        cells: ns,
    });
    call_rows.push(Row {
        shape: "echo_64b_tcp".into(),
        cells: calls,
    });

    let mut notes = vec![
        format!(
            "One thread drives both ends; {TRIPS} round trips per iteration, median of {ROUNDS} \
             alternating rounds. The figure is the poller's cost per round trip, not network latency."
        ),
        "mio is the readiness baseline with optimistic reads (read first, poll only on WouldBlock)."
            .to_string(),
    ];
    if uring_missing {
        notes.push("io_uring is unavailable on this machine: its column is empty.".to_string());
    }
    vec![
        Table {
            title: "Netpoll echo round trip".into(),
            unit: "ns/round trip".into(),
            columns: COLUMNS.iter().map(|s| s.to_string()).collect(),
            ratios: vec![(0, 2), (1, 2)],
            rows: time_rows,
            notes,
        },
        Table {
            title: "Netpoll system calls per echo round trip".into(),
            unit: "syscalls/round trip".into(),
            columns: COLUMNS.iter().map(|s| s.to_string()).collect(),
            ratios: vec![(0, 1), (0, 2)],
            rows: call_rows,
            notes: vec![
                "goro: the poller's own counter (Poller::stats); mio: counted by the shape \
                 (write, read, epoll_wait). Cross-checked with `strace -c -f` in docs/netpoll.md."
                    .to_string(),
            ],
        },
    ]
}
