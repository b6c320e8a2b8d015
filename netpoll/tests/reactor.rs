//! The shared readiness reactor (`Reactor`, `Registration`): readiness
//! edges, the tick-checked clear, stale hang-up bits, wake-ups from other
//! threads, and deregistration.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use goro_netpoll::{Direction, Op, Reactor, TryNow};

struct Flag(std::sync::atomic::AtomicBool);

impl Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

fn flag() -> (std::sync::Arc<Flag>, Waker) {
    let f = std::sync::Arc::new(Flag(std::sync::atomic::AtomicBool::new(false)));
    let w = Waker::from(f.clone());
    (f, w)
}

/// A waiting task is woken by the edge, and a clear with a snapshot taken
/// before that edge does not wipe it out.
#[test]
fn edge_wakes_the_waiter_and_survives_a_stale_clear() {
    let reactor = Reactor::new().unwrap();
    let (mut a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    b.set_nonblocking(true).unwrap();
    let reg = reactor.register(b.as_raw_fd()).unwrap();
    let ev = reg.ready_event(Direction::Read);
    let mut op = Op::recv(b.as_raw_fd(), Vec::with_capacity(8));
    assert!(matches!(
        op.try_now(&mut []),
        TryNow::WouldBlock(Direction::Read)
    ));
    reg.clear_readiness(ev);
    let (woken, waker) = flag();
    let mut cx = Context::from_waker(&waker);
    assert!(reg.poll_ready(Direction::Read, &mut cx).is_pending());
    a.write_all(b"x").unwrap();
    reactor.poll(Some(Duration::from_secs(5))).unwrap();
    assert!(woken.0.load(std::sync::atomic::Ordering::SeqCst));
    // `ev` predates the edge: clearing with it changes nothing.
    reg.clear_readiness(ev);
    assert!(matches!(
        reg.poll_ready(Direction::Read, &mut cx),
        Poll::Ready(_)
    ));
    assert!(matches!(op.try_now(&mut []), TryNow::Done(Ok(1))));
    reactor.deregister(&reg);
}

/// An unconnected TCP socket reports `EPOLLHUP`; once connected and idle,
/// an `EAGAIN` read clears that stale hang-up, so the next wait blocks
/// instead of returning at once forever.
#[test]
fn eagain_clears_a_stale_hangup() {
    let reactor = Reactor::new().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: plain socket creation; the result is checked.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0) };
    assert!(fd >= 0);
    // SAFETY: a fresh descriptor, owned by nobody else.
    let sock = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    let reg = reactor.register(sock.as_raw_fd()).unwrap();
    reactor.poll(Some(Duration::ZERO)).unwrap(); // harvests the HUP
    let mut connect = Op::connect(sock.as_raw_fd(), listener.local_addr().unwrap());
    loop {
        let ev = reg.ready_event(Direction::Write);
        match connect.try_now(&mut []) {
            TryNow::Done(r) => {
                r.unwrap();
                break;
            }
            TryNow::WouldBlock(_) => {
                reg.clear_readiness(ev);
                reactor.poll(Some(Duration::from_secs(5))).unwrap();
            }
            TryNow::Shot(..) => unreachable!(),
        };
    }
    let (_peer, _) = listener.accept().unwrap();
    let ev = reg.ready_event(Direction::Read);
    let mut recv = Op::recv(sock.as_raw_fd(), Vec::with_capacity(8));
    assert!(matches!(
        recv.try_now(&mut []),
        TryNow::WouldBlock(Direction::Read)
    ));
    reg.clear_readiness(ev);
    assert!(
        !reg.ready_event(Direction::Read).is_ready(),
        "a stale hang-up still says readable"
    );
    reactor.deregister(&reg);
}

/// `wake` ends a blocking poll from another thread.
#[test]
fn wake_ends_a_blocking_poll() {
    let reactor = std::sync::Arc::new(Reactor::new().unwrap());
    let r = reactor.clone();
    let waker = std::thread::spawn(move || r.wake());
    // Either the wake lands first (the break is sticky) or during the wait.
    assert_eq!(reactor.poll(Some(Duration::from_secs(30))).unwrap(), 0);
    waker.join().unwrap();
}

/// Deregistration wakes waiters and later edges are not delivered.
#[test]
fn deregister_wakes_waiters() {
    let reactor = Reactor::new().unwrap();
    let (mut a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    b.set_nonblocking(true).unwrap();
    let reg = reactor.register(b.as_raw_fd()).unwrap();
    let ev = reg.ready_event(Direction::Read);
    reg.clear_readiness(ev);
    let (woken, waker) = flag();
    assert!(
        reg.poll_ready(Direction::Read, &mut Context::from_waker(&waker))
            .is_pending()
    );
    reactor.deregister(&reg);
    assert!(woken.0.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(reactor.registered(), 0);
    a.write_all(b"x").unwrap();
    assert_eq!(reactor.poll(Some(Duration::ZERO)).unwrap(), 0);
    let mut buf = [0u8; 1];
    assert_eq!((&b).read(&mut buf).unwrap(), 1);
}
