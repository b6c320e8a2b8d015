//! Netpoll rows of the quick report: 64-byte echo round trips over a Unix
//! socketpair, loopback TCP, and 64 socketpairs at once; goro-netpoll on
//! io_uring and on epoll against mio, medians of alternating rounds; plus
//! system calls per round trip from the pollers' own counters.

use std::cell::Cell as Counter;

use goro_netpoll::Backend;

use super::{Cell, Contender, Row, Table, alternate};

/// The echo shapes, shared with `benches/netpoll.rs`.
#[path = "../shapes_netpoll.rs"]
pub mod shapes;

use shapes::{EchoShape, GoroEcho, GoroEchoMany, MioEcho, MioEchoMany};

/// Timed rounds per shape (after one warm-up iteration each).
pub const ROUNDS: usize = 7;
/// Round trips per iteration.
pub const TRIPS: u64 = 3008;

const COLUMNS: [&str; 3] = ["goro io_uring", "goro epoll", "mio"];

/// One contender of a shape: the shape and the round trips it has run.
struct Runner<S> {
    shape: S,
    trips: Counter<u64>,
}

impl<S: EchoShape> Runner<S> {
    fn new(shape: S) -> Self {
        Runner {
            shape,
            trips: Counter::new(0),
        }
    }

    fn contender<'a>(&'a mut self, name: &'a str) -> Contender<'a> {
        let Runner { shape, trips } = self;
        Contender {
            name,
            run: Box::new(move || {
                let n = shape.round_trips(TRIPS);
                trips.set(trips.get() + n);
                n
            }),
        }
    }

    fn syscalls_per_trip(&self) -> Cell {
        Cell::Value(self.shape.syscalls() as f64 / self.trips.get().max(1) as f64)
    }
}

/// One shape measured for the three contenders: (ns per round trip,
/// system calls per round trip), one cell per column.
fn measure<G: EchoShape, M: EchoShape>(
    uring: Option<G>,
    epoll: G,
    mio: M,
) -> (Vec<Cell>, Vec<Cell>) {
    let mut uring = uring.map(Runner::new);
    let mut epoll = Runner::new(epoll);
    let mut mio = Runner::new(mio);
    let times = {
        let mut contenders = Vec::new();
        if let Some(u) = uring.as_mut() {
            contenders.push(u.contender(COLUMNS[0]));
        }
        contenders.push(epoll.contender(COLUMNS[1]));
        contenders.push(mio.contender(COLUMNS[2]));
        alternate(&mut contenders, ROUNDS)
    };
    let mut times = times.into_iter();
    let mut ns = Vec::new();
    let mut calls = Vec::new();
    match &uring {
        Some(u) => {
            ns.push(Cell::Value(times.next().unwrap()));
            calls.push(u.syscalls_per_trip());
        }
        None => {
            ns.push(Cell::NotApplicable);
            calls.push(Cell::NotApplicable);
        }
    }
    for runner_calls in [epoll.syscalls_per_trip(), mio.syscalls_per_trip()] {
        ns.push(Cell::Value(times.next().unwrap()));
        calls.push(runner_calls);
    }
    (ns, calls)
}

/// The netpoll tables of the quick report.
pub fn tables() -> Vec<Table> {
    let uring_missing = GoroEcho::socketpair(Backend::IoUring).is_err();
    let mut time_rows = Vec::new();
    let mut call_rows = Vec::new();
    let mut push = |shape: &str, (ns, calls): (Vec<Cell>, Vec<Cell>)| {
        time_rows.push(Row {
            shape: shape.into(),
            cells: ns,
        });
        call_rows.push(Row {
            shape: shape.into(),
            cells: calls,
        });
    };

    push(
        "echo_64b_socketpair",
        measure(
            GoroEcho::socketpair(Backend::IoUring).ok(),
            GoroEcho::socketpair(Backend::Epoll).expect("epoll poller"),
            MioEcho::socketpair().expect("mio socketpair"),
        ),
    );
    push(
        "echo_64b_tcp",
        measure(
            GoroEcho::tcp(Backend::IoUring).ok(),
            GoroEcho::tcp(Backend::Epoll).expect("epoll poller"),
            MioEcho::tcp().expect("mio tcp"),
        ),
    );
    push(
        "echo_64b_64pairs",
        measure(
            GoroEchoMany::socketpairs(Backend::IoUring).ok(),
            GoroEchoMany::socketpairs(Backend::Epoll).expect("epoll poller"),
            MioEchoMany::socketpairs().expect("mio socketpairs"),
        ),
    );

    let mut notes = vec![
        format!(
            "One thread drives both ends; {TRIPS} round trips per iteration, median of {ROUNDS} \
             alternating rounds. The figure is the poller's cost per round trip, not network latency."
        ),
        format!(
            "echo_64b_64pairs: {} socketpairs at once; goro submits a send and a receive per pair \
             and then polls once per half (one io_uring_enter on io_uring).",
            shapes::PAIRS
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
