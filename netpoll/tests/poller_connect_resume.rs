//! `Op::connect_resume`: waiting for a connect already under way, on both
//! backends.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd};
use std::time::Duration;

use goro_netpoll::{Backend, Op, OpId, Poller};

#[macro_use]
mod common;
use common::{poller, raw, tcp_socket, wait_token};

/// A listener whose accept queue holds one connection (`listen(fd, 0)`),
/// so a second connect's SYN is dropped until the first is accepted.
fn tiny_listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: `l` is a bound TCP socket; listen(2) only changes its backlog.
    assert_eq!(unsafe { libc::listen(l.as_raw_fd(), 0) }, 0);
    let addr = l.local_addr().unwrap();
    (l, addr)
}

/// Polls for `wait`; asserts nothing completed meanwhile.
fn nothing_within(p: &mut Poller, wait: Duration, what: &str) {
    let mut got = Vec::new();
    p.poll(&mut got, Some(wait)).unwrap();
    assert!(got.is_empty(), "{what}: {:?}", got[0].result);
}

/// A connect op cancelled mid-handshake leaves the kernel connecting; a
/// resume then completes when the handshake does, and the socket works.
fn resume_after_a_cancelled_connect(backend: Backend) {
    let Some(mut p) = poller(backend) else { return };
    let (listener, addr) = tiny_listener();
    let _filler = TcpStream::connect(addr).unwrap();
    let client = tcp_socket();
    let id: OpId = p.submit(Op::connect(raw(&client), addr), 1).unwrap();
    let mut stash = Vec::new();
    nothing_within(&mut p, Duration::from_millis(50), "the SYN was not dropped");
    p.cancel(id);
    let cancelled = wait_token(&mut p, 1, &mut stash).result.unwrap_err();
    assert_eq!(cancelled.raw_os_error(), Some(libc::ECANCELED));

    p.submit(Op::connect_resume(raw(&client)), 2).unwrap();
    nothing_within(
        &mut p,
        Duration::from_millis(50),
        "resumed before the handshake",
    );
    // Room in the accept queue: the client's next SYN (after about a
    // second) is answered.
    drop(listener.accept().unwrap());
    assert_eq!(wait_token(&mut p, 2, &mut stash).result.unwrap(), 0);

    let (mut server, peer) = listener.accept().unwrap();
    // SAFETY: `client` stays open for the whole block; ManuallyDrop keeps
    // the std stream from closing it.
    let mut client_std =
        std::mem::ManuallyDrop::new(unsafe { TcpStream::from_raw_fd(raw(&client)) });
    assert_eq!(peer, client_std.local_addr().unwrap());
    client_std.set_nonblocking(false).unwrap();
    server.write_all(b"up").unwrap();
    let mut two = [0u8; 2];
    client_std.read_exact(&mut two).unwrap();
    assert_eq!(&two, b"up");
}

/// A resume on a socket that never connected fails with ENOTCONN instead
/// of reporting a connection (such a socket is writable too).
fn resume_without_a_connect_is_not_connected(backend: Backend) {
    let Some(mut p) = poller(backend) else { return };
    let s = tcp_socket();
    p.submit(Op::connect_resume(raw(&s)), 1).unwrap();
    let e = wait_token(&mut p, 1, &mut Vec::new()).result.unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOTCONN));
}

/// A connect refused after it was started reports the refusal.
fn resume_reports_a_refused_connect(backend: Backend) {
    let Some(mut p) = poller(backend) else { return };
    let (listener, addr) = tiny_listener();
    let _filler = TcpStream::connect(addr).unwrap();
    let client = tcp_socket();
    let id = p.submit(Op::connect(raw(&client), addr), 1).unwrap();
    let mut stash = Vec::new();
    p.cancel(id);
    let cancelled = wait_token(&mut p, 1, &mut stash).result.unwrap_err();
    assert_eq!(cancelled.raw_os_error(), Some(libc::ECANCELED));
    p.submit(Op::connect_resume(raw(&client)), 2).unwrap();
    // The listener goes away: the client's next SYN gets a reset.
    drop(listener);
    let e = wait_token(&mut p, 2, &mut stash).result.unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ECONNREFUSED));
}

both_backends!(
    resume_after_a_cancelled_connect,
    resume_without_a_connect_is_not_connected,
    resume_reports_a_refused_connect,
);
