//! Dropping a poller with operations in flight: no hang, no descriptor or
//! memory leak (run under valgrind for the memory part, see docs/netpoll.md).
//! One test per binary, so the descriptor count is not disturbed by others.

mod common;

use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use goro_netpoll::{Backend, Op, Poller};

fn drop_with_ops_in_flight(backend: Backend) {
    let before = common::open_fds();
    let pairs: Vec<_> = (0..64).map(|_| common::pair()).collect();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let Some(mut p) = common::poller_with(Poller::builder().backend(backend).buffer_ring(8, 256))
    else {
        return;
    };
    for (i, (a, _)) in pairs.iter().enumerate() {
        p.submit(
            Op::recv(common::raw(a), Vec::with_capacity(1 << 16)),
            i as u64,
        )
        .unwrap();
    }
    p.submit(Op::recv_multi(common::raw(&pairs[0].1)), 100)
        .unwrap();
    p.submit(Op::accept_multi(listener.as_raw_fd()), 101)
        .unwrap();
    p.submit(Op::timeout(Duration::from_secs(3600)), 102)
        .unwrap();
    p.register(
        common::raw(&pairs[1].1),
        goro_netpoll::Interest::WRITABLE,
        103,
    )
    .unwrap();
    let mut out = Vec::new();
    p.poll(&mut out, Some(Duration::ZERO)).unwrap(); // all in the kernel now
    // A connection accepted by the kernel but never handed out must be
    // closed by the drop, not leaked.
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let start = Instant::now();
    drop(p);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "drop took {:?}",
        start.elapsed()
    );
    drop(out);
    drop(client);
    drop(listener);
    drop(pairs);
    assert_eq!(common::open_fds(), before, "descriptors leaked");
}

#[test]
fn drop_in_flight_both_backends() {
    drop_with_ops_in_flight(Backend::IoUring);
    drop_with_ops_in_flight(Backend::Epoll);
}
