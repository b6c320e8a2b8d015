//! 10,000 registered descriptors, on each backend in turn (in one test so
//! the two never hold 20,000 descriptors at once: the hard limit here).

mod common;

use std::collections::HashSet;
use std::io::Write;
use std::time::{Duration, Instant};

use goro_netpoll::{Backend, Interest, Output};

fn ten_thousand(backend: Backend) {
    let Some(mut p) = common::poller(backend) else {
        return;
    };
    let pairs: Vec<_> = (0..5000).map(|_| common::pair()).collect();
    // Both ends of every pair: 10,000 registrations.
    for (i, (a, b)) in pairs.iter().enumerate() {
        p.register(common::raw(a), Interest::READABLE, 2 * i as u64)
            .unwrap();
        p.register(common::raw(b), Interest::READABLE, 2 * i as u64 + 1)
            .unwrap();
    }
    assert_eq!(p.in_flight(), 10_000);
    let mut out = Vec::new();
    p.poll(&mut out, Some(Duration::ZERO)).unwrap();
    assert!(out.is_empty(), "nothing is readable yet");
    // Make every 37th `b` end readable by writing into its `a` end.
    let want: HashSet<u64> = (0..5000).step_by(37).map(|i| 2 * i as u64 + 1).collect();
    for &t in &want {
        let (a, _) = &pairs[(t / 2) as usize];
        (&*a).write_all(b"!").unwrap();
    }
    let mut seen = HashSet::new();
    let start = Instant::now();
    while seen.len() < want.len() {
        let mut got = Vec::new();
        p.poll(&mut got, Some(Duration::from_millis(100))).unwrap();
        for c in got {
            assert!(matches!(c.output, Output::Ready(r) if r.is_readable()));
            assert!(
                want.contains(&c.token),
                "event for an idle descriptor: {}",
                c.token
            );
            seen.insert(c.token);
        }
        assert!(
            start.elapsed() < common::LIMIT,
            "saw {} of {}",
            seen.len(),
            want.len()
        );
    }
}

#[test]
fn ten_thousand_registered_descriptors() {
    let limit = common::raise_fd_limit();
    assert!(limit >= 10_500, "fd limit {limit} too low for this test");
    ten_thousand(Backend::IoUring);
    ten_thousand(Backend::Epoll);
}
