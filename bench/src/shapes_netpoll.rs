//! Echo round-trip shapes for goro-netpoll and its mio baseline, written
//! once and shared by the criterion bench (`benches/netpoll.rs`) and the
//! quick report (`quick/netpoll.rs`), which both include this file.
//!
//! One round trip, on one thread: the client sends a 64-byte message, the
//! server side receives it and sends it back, the client receives it. Both
//! ends live in the same process and the same poller, so the figure is the
//! poller's own cost per round trip (system calls, bookkeeping), not network
//! latency. Buffers are reused: no allocation in the steady state.
//!
//! - goro (either backend): the owned-buffer completion API. Each half is
//!   "submit send + submit recv, poll until both complete": on io_uring one
//!   `io_uring_enter` runs both (the recv finds the data the send just
//!   queued); on epoll the send and recv run at submit (optimistic), then a
//!   zero-timeout `epoll_pwait2` hands the completions out.
//! - mio: readiness, optimistic: write, then read until `WouldBlock`, and
//!   only then `Poll::poll`. System calls are counted by the shape itself.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;

use goro_netpoll::{Backend, Completion, Op, Poller};

/// Message size of every echo shape.
pub const MSG: usize = 64;

/// What the report needs from every echo shape.
pub trait EchoShape {
    /// Runs about `n` round trips; returns how many ran.
    fn round_trips(&mut self, n: u64) -> u64;
    /// System calls made so far.
    fn syscalls(&self) -> u64;
}

impl EchoShape for GoroEcho {
    fn round_trips(&mut self, n: u64) -> u64 {
        GoroEcho::round_trips(self, n)
    }
    fn syscalls(&self) -> u64 {
        GoroEcho::syscalls(self)
    }
}

impl EchoShape for GoroEchoMany {
    fn round_trips(&mut self, n: u64) -> u64 {
        GoroEchoMany::round_trips(self, n)
    }
    fn syscalls(&self) -> u64 {
        GoroEchoMany::syscalls(self)
    }
}

#[allow(private_bounds)]
impl<S: MioStream> EchoShape for MioEcho<S> {
    fn round_trips(&mut self, n: u64) -> u64 {
        MioEcho::round_trips(self, n)
    }
    fn syscalls(&self) -> u64 {
        self.syscalls
    }
}

impl EchoShape for MioEchoMany {
    fn round_trips(&mut self, n: u64) -> u64 {
        MioEchoMany::round_trips(self, n)
    }
    fn syscalls(&self) -> u64 {
        MioEchoMany::syscalls(self)
    }
}

/// A connected pair of non-blocking stream sockets: (client, server).
fn unix_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let (a, b) = UnixStream::pair()?;
    a.set_nonblocking(true)?;
    b.set_nonblocking(true)?;
    Ok((a.into(), b.into()))
}

/// A connected loopback TCP pair with `TCP_NODELAY`: (client, server).
fn tcp_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    for s in [&client, &server] {
        s.set_nodelay(true)?;
        s.set_nonblocking(true)?;
    }
    Ok((client, server))
}

/// goro-netpoll echo over either backend.
pub struct GoroEcho {
    poller: Poller,
    client: OwnedFd,
    server: OwnedFd,
    /// The client's message buffer and the server's receive buffer, handed
    /// to each operation and back.
    msg: Option<Vec<u8>>,
    spare: Option<Vec<u8>>,
    done: Vec<Completion>,
}

impl GoroEcho {
    /// Over a Unix socketpair.
    pub fn socketpair(backend: Backend) -> io::Result<GoroEcho> {
        let (client, server) = unix_pair()?;
        GoroEcho::new(backend, client, server)
    }

    /// Over loopback TCP.
    pub fn tcp(backend: Backend) -> io::Result<GoroEcho> {
        let (client, server) = tcp_pair()?;
        GoroEcho::new(backend, client.into(), server.into())
    }

    fn new(backend: Backend, client: OwnedFd, server: OwnedFd) -> io::Result<GoroEcho> {
        Ok(GoroEcho {
            poller: Poller::builder().backend(backend).build()?,
            client,
            server,
            msg: Some(vec![0x5a; MSG]),
            spare: Some(Vec::with_capacity(MSG)),
            done: Vec::with_capacity(4),
        })
    }

    /// Sends `buf` from `from` and receives it at `to` into `into`; returns
    /// (the sent buffer, the received one).
    fn half(&mut self, from: i32, to: i32, buf: Vec<u8>, mut into: Vec<u8>) -> (Vec<u8>, Vec<u8>) {
        into.clear();
        self.poller
            .submit(Op::send(from, buf), 1)
            .expect("submit send");
        self.poller
            .submit(Op::recv(to, into), 2)
            .expect("submit recv");
        let (mut sent, mut got) = (None, None);
        while sent.is_none() || got.is_none() {
            self.poller.poll(&mut self.done, None).expect("poll");
            for c in self.done.drain(..) {
                let n = c.result.expect("echo op failed");
                let buf = c.output.into_buf().expect("buffer back");
                if c.token == 1 {
                    assert_eq!(n, MSG, "short send");
                    sent = Some(buf);
                } else {
                    assert_eq!(n, MSG, "short receive");
                    got = Some(buf);
                }
            }
        }
        (sent.unwrap(), got.unwrap())
    }

    /// Runs `n` round trips; returns `n`.
    pub fn round_trips(&mut self, n: u64) -> u64 {
        let (client, server) = (self.client.as_raw_fd(), self.server.as_raw_fd());
        for _ in 0..n {
            let msg = self.msg.take().expect("message buffer");
            let spare = self.spare.take().expect("spare buffer");
            let (msg_back, at_server) = self.half(client, server, msg, spare);
            let (server_buf, at_client) = self.half(server, client, at_server, msg_back);
            self.msg = Some(at_client);
            self.spare = Some(server_buf);
        }
        n
    }

    /// System calls the poller has made so far.
    pub fn syscalls(&self) -> u64 {
        self.poller.stats().syscalls
    }
}

/// A stream mio can register.
trait MioStream: Read + Write + mio::event::Source {}
impl MioStream for mio::net::UnixStream {}
impl MioStream for mio::net::TcpStream {}

/// The mio baseline: edge-triggered readiness, optimistic reads.
pub struct MioEcho<S> {
    poll: mio::Poll,
    events: mio::Events,
    client: S,
    server: S,
    buf: [u8; MSG],
    /// System calls made by the shape (write, read, epoll_wait).
    pub syscalls: u64,
}

impl MioEcho<mio::net::UnixStream> {
    /// Over a Unix socketpair.
    pub fn socketpair() -> io::Result<Self> {
        let (a, b) = mio::net::UnixStream::pair()?;
        MioEcho::new(a, b)
    }
}

impl MioEcho<mio::net::TcpStream> {
    /// Over loopback TCP.
    pub fn tcp() -> io::Result<Self> {
        let (a, b) = tcp_pair()?;
        MioEcho::new(
            mio::net::TcpStream::from_std(a),
            mio::net::TcpStream::from_std(b),
        )
    }
}

#[allow(private_bounds)]
impl<S: MioStream> MioEcho<S> {
    fn new(mut client: S, mut server: S) -> io::Result<Self> {
        let poll = mio::Poll::new()?;
        poll.registry()
            .register(&mut client, mio::Token(0), mio::Interest::READABLE)?;
        poll.registry()
            .register(&mut server, mio::Token(1), mio::Interest::READABLE)?;
        Ok(MioEcho {
            poll,
            events: mio::Events::with_capacity(16),
            client,
            server,
            buf: [0x5a; MSG],
            syscalls: 0,
        })
    }

    /// Writes the buffer from one end and reads it fully at the other.
    fn half(&mut self, client_to_server: bool) {
        let (from, to) = if client_to_server {
            (&mut self.client, &mut self.server)
        } else {
            (&mut self.server, &mut self.client)
        };
        self.syscalls += 1;
        assert_eq!(from.write(&self.buf).expect("write"), MSG, "short write");
        let mut got = 0;
        while got < MSG {
            self.syscalls += 1;
            match to.read(&mut self.buf[got..]) {
                Ok(0) => panic!("peer closed"),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.syscalls += 1;
                    self.poll.poll(&mut self.events, None).expect("poll");
                }
                Err(e) => panic!("read: {e}"),
            }
        }
    }

    /// Runs `n` round trips; returns `n`.
    pub fn round_trips(&mut self, n: u64) -> u64 {
        for _ in 0..n {
            self.half(true);
            self.half(false);
        }
        n
    }
}

/// Socket pairs in the many-connection shapes.
pub const PAIRS: usize = 64;

/// Per pair: the client's message buffer and the server's spare buffer
/// (each lent to one operation at a time).
type PairBufs = (Option<Vec<u8>>, Option<Vec<u8>>);

/// goro-netpoll echo over [`PAIRS`] socketpairs at once: each half submits
/// one send and one receive per pair, then polls until all of them are
/// back. On io_uring a whole half is one `io_uring_enter`; this is the
/// batching the completion API exists for.
pub struct GoroEchoMany {
    poller: Poller,
    pairs: Vec<(OwnedFd, OwnedFd)>,
    bufs: Vec<PairBufs>,
    done: Vec<Completion>,
}

impl GoroEchoMany {
    /// [`PAIRS`] Unix socketpairs on one poller.
    pub fn socketpairs(backend: Backend) -> io::Result<GoroEchoMany> {
        let pairs = (0..PAIRS)
            .map(|_| unix_pair())
            .collect::<io::Result<Vec<_>>>()?;
        let bufs = (0..PAIRS)
            .map(|_| (Some(vec![0x5a; MSG]), Some(Vec::with_capacity(MSG))))
            .collect();
        Ok(GoroEchoMany {
            poller: Poller::builder().backend(backend).build()?,
            pairs,
            bufs,
            done: Vec::with_capacity(2 * PAIRS),
        })
    }

    /// One half for every pair: `forward` is client → server.
    fn half_all(&mut self, forward: bool) {
        for (i, (client, server)) in self.pairs.iter().enumerate() {
            let (from, to) = if forward {
                (client, server)
            } else {
                (server, client)
            };
            let (msg, spare) = &mut self.bufs[i];
            let (out, mut into) = if forward {
                (msg.take().unwrap(), spare.take().unwrap())
            } else {
                (spare.take().unwrap(), msg.take().unwrap())
            };
            into.clear();
            let token = (i as u64) << 1;
            self.poller
                .submit(Op::send(from.as_raw_fd(), out), token)
                .expect("send");
            self.poller
                .submit(Op::recv(to.as_raw_fd(), into), token | 1)
                .expect("recv");
        }
        let mut left = 2 * PAIRS;
        while left > 0 {
            self.poller.poll(&mut self.done, None).expect("poll");
            for c in self.done.drain(..) {
                assert_eq!(c.result.expect("echo op failed"), MSG, "short transfer");
                let buf = c.output.into_buf().expect("buffer back");
                let i = (c.token >> 1) as usize;
                let is_recv = c.token & 1 == 1;
                // After the forward half the server holds the message (in its
                // receive buffer) and the client's send buffer is spare; the
                // backward half swaps them back.
                let slot = &mut self.bufs[i];
                if is_recv == forward {
                    slot.1 = Some(buf);
                } else {
                    slot.0 = Some(buf);
                }
                left -= 1;
            }
        }
    }

    /// Runs `n` round trips (rounded up to whole turns of [`PAIRS`]).
    pub fn round_trips(&mut self, n: u64) -> u64 {
        let turns = n.div_ceil(PAIRS as u64);
        for _ in 0..turns {
            self.half_all(true);
            self.half_all(false);
        }
        turns * PAIRS as u64
    }

    /// System calls the poller has made so far.
    pub fn syscalls(&self) -> u64 {
        self.poller.stats().syscalls
    }
}

/// The mio baseline over [`PAIRS`] socketpairs: each pair in turn writes and
/// reads at the other end, optimistically (on a socketpair the data is there
/// at once, so `Poll::poll` is never reached: the best case for readiness).
pub struct MioEchoMany {
    inner: Vec<MioEcho<mio::net::UnixStream>>,
}

impl MioEchoMany {
    /// [`PAIRS`] Unix socketpairs (each with its own registration).
    pub fn socketpairs() -> io::Result<MioEchoMany> {
        let inner = (0..PAIRS)
            .map(|_| MioEcho::socketpair())
            .collect::<io::Result<Vec<_>>>()?;
        Ok(MioEchoMany { inner })
    }

    /// Runs `n` round trips (rounded up to whole turns of [`PAIRS`]).
    pub fn round_trips(&mut self, n: u64) -> u64 {
        let turns = n.div_ceil(PAIRS as u64);
        for _ in 0..turns {
            for e in &mut self.inner {
                e.half(true);
            }
            for e in &mut self.inner {
                e.half(false);
            }
        }
        turns * PAIRS as u64
    }

    /// System calls made by the shape.
    pub fn syscalls(&self) -> u64 {
        self.inner.iter().map(|e| e.syscalls).sum()
    }
}
