//! Echo servers (goro on io_uring and on epoll, tokio current_thread and
//! multi_thread) driven by one load generator, with the server's CPU time
//! per message, messages per second and p99 latency.
//!
//! The servers run in this process on threads with distinct name
//! prefixes; a server's CPU time is the sum over its threads of the
//! on-CPU nanoseconds in `/proc/self/task/<tid>/schedstat` (the precise
//! twin of `stat`'s utime + stime, which tick at 10 ms). The load
//! generator is one mio thread: `conns` connections, each keeping `depth`
//! messages of `size` bytes in flight (depth 1 = ping-pong), and timing
//! every message from its write to the last byte of its echo.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream as MioStream;
use mio::{Events, Interest, Poll, Token};

/// A server under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    /// goro with `n` workers on io_uring.
    GoroUring(usize),
    /// goro with `n` workers on epoll.
    GoroEpoll(usize),
    /// tokio's current_thread runtime.
    TokioCurrentThread,
    /// tokio's multi_thread runtime with `n` workers.
    TokioMultiThread(usize),
}

impl Server {
    /// Column name.
    pub fn name(self) -> String {
        match self {
            Server::GoroUring(n) => format!("goro-uring({n})"),
            Server::GoroEpoll(n) => format!("goro-epoll({n})"),
            Server::TokioCurrentThread => "tokio current_thread".to_string(),
            Server::TokioMultiThread(n) => format!("tokio multi_thread({n})"),
        }
    }

    fn prefix(self) -> String {
        match self {
            Server::GoroUring(n) => format!("gu{n}"),
            Server::GoroEpoll(n) => format!("ge{n}"),
            Server::TokioCurrentThread => "tkct".to_string(),
            Server::TokioMultiThread(n) => format!("tkmt{n}"),
        }
    }
}

/// A running server; dropping it stops it.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    prefix: String,
    stop: Option<Box<dyn FnOnce()>>,
}

impl Running {
    /// On-CPU nanoseconds of the server's threads so far.
    pub fn cpu_ns(&self) -> u64 {
        threads_cpu_ns(&self.prefix)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}

/// Starts `server` on an ephemeral loopback port.
pub fn start(server: Server, buf: usize) -> io::Result<Running> {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = std_listener.local_addr()?;
    let prefix = server.prefix();
    let stop: Box<dyn FnOnce()> = match server {
        Server::GoroUring(n) | Server::GoroEpoll(n) => {
            let backend = if matches!(server, Server::GoroUring(_)) {
                goro::IoBackend::IoUring
            } else {
                goro::IoBackend::Epoll
            };
            let rt = goro::Runtime::builder()
                .worker_threads(n)
                .thread_name(prefix.clone())
                .io_backend(backend)
                .build()?;
            let listener = goro::net::TcpListener::from_std(std_listener)?;
            rt.spawn(goro_accept(listener, buf));
            Box::new(move || drop(rt))
        }
        Server::TokioCurrentThread => {
            std_listener.set_nonblocking(true)?;
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let handle = std::thread::Builder::new()
                .name(format!("{prefix}-main"))
                .spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("tokio runtime");
                    rt.block_on(async move {
                        let listener = tokio::net::TcpListener::from_std(std_listener)
                            .expect("tokio listener");
                        tokio::select! {
                            _ = tokio_accept(listener, buf) => {}
                            _ = rx => {}
                        }
                    });
                })?;
            Box::new(move || {
                let _ = tx.send(());
                let _ = handle.join();
            })
        }
        Server::TokioMultiThread(n) => {
            std_listener.set_nonblocking(true)?;
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(n)
                .thread_name(prefix.clone())
                .enable_all()
                .build()?;
            let listener = {
                let _enter = rt.enter();
                tokio::net::TcpListener::from_std(std_listener)?
            };
            rt.spawn(tokio_accept(listener, buf));
            Box::new(move || rt.shutdown_timeout(Duration::from_secs(1)))
        }
    };
    Ok(Running {
        addr,
        prefix,
        stop: Some(stop),
    })
}

async fn goro_accept(listener: goro::net::TcpListener, size: usize) {
    let mut incoming = listener.incoming();
    while let Some(Ok(conn)) = incoming.next().await {
        goro::spawn(async move {
            if conn.set_nodelay(true).is_err() {
                return;
            }
            let mut buf = Vec::with_capacity(size);
            loop {
                buf.clear();
                let (n, b) = conn.read(buf).await;
                if !matches!(n, Ok(n) if n > 0) {
                    return;
                }
                let (r, b) = conn.write_all(b).await;
                if r.is_err() {
                    return;
                }
                buf = b;
            }
        });
    }
}

async fn tokio_accept(listener: tokio::net::TcpListener, size: usize) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    while let Ok((mut conn, _)) = listener.accept().await {
        tokio::spawn(async move {
            if conn.set_nodelay(true).is_err() {
                return;
            }
            let mut buf = vec![0u8; size];
            loop {
                let n = match conn.read(&mut buf).await {
                    Ok(n) if n > 0 => n,
                    _ => return,
                };
                if conn.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        });
    }
}

/// Sum of on-CPU nanoseconds of this process's threads whose name starts
/// with `prefix`.
pub fn threads_cpu_ns(prefix: &str) -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    let mut total = 0;
    for entry in dir.flatten() {
        let path = entry.path();
        let Ok(comm) = std::fs::read_to_string(path.join("comm")) else {
            continue;
        };
        if !comm.starts_with(prefix) {
            continue;
        }
        if let Ok(s) = std::fs::read_to_string(path.join("schedstat")) {
            total += s
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    total
}

/// The load shape.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    /// Connections.
    pub conns: usize,
    /// Bytes per message.
    pub size: usize,
    /// Messages in flight per connection (1 = ping-pong).
    pub depth: usize,
    /// Messages per connection.
    pub per_conn: usize,
    /// Messages per second offered over all connections; 0 sends each
    /// message as soon as the depth allows (a closed loop, which
    /// saturates this 2-vCPU machine). A paced load leaves the server idle
    /// between messages, so its CPU per message is its own cost,
    /// wake-ups included.
    pub rate: u64,
}

impl Load {
    /// When connection `index` may send its message number `nth` (counted
    /// from 0), relative to the start; `None` when unpaced.
    fn send_at(&self, index: usize, nth: usize) -> Option<Duration> {
        (self.rate > 0).then(|| {
            let slot = nth as u64 * self.conns as u64 + index as u64;
            Duration::from_nanos(slot * 1_000_000_000 / self.rate)
        })
    }
}

/// What one run measured.
#[derive(Clone, Debug, Default)]
pub struct Measured {
    /// Messages echoed.
    pub msgs: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Server CPU time during the run.
    pub server_cpu: Duration,
    /// Every message's round trip, in nanoseconds.
    pub latencies: Vec<u64>,
}

impl Measured {
    /// Server CPU microseconds per message.
    pub fn cpu_us_per_msg(&self) -> f64 {
        self.server_cpu.as_secs_f64() * 1e6 / self.msgs.max(1) as f64
    }

    /// Server CPU time over wall time: how many CPUs the server kept busy.
    /// Near 1.0 per worker, the server never slept, and CPU per message is
    /// then the closed loop's time per message rather than the server's
    /// own cost.
    pub fn server_busy(&self) -> f64 {
        self.server_cpu.as_secs_f64() / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Messages per second.
    pub fn msgs_per_sec(&self) -> f64 {
        self.msgs as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// 99th percentile round trip, in microseconds.
    pub fn p99_us(&mut self) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        self.latencies.sort_unstable();
        let i = (self.latencies.len() * 99 / 100).min(self.latencies.len() - 1);
        self.latencies[i] as f64 / 1e3
    }
}

struct Conn {
    index: usize,
    stream: MioStream,
    sent: usize,
    out: Vec<u8>,
    out_at: usize,
    got: usize,
    in_flight: VecDeque<Instant>,
}

/// Drives `load` against `server` and measures it.
pub fn drive(server: &Running, load: Load) -> io::Result<Measured> {
    let mut poll = Poll::new()?;
    let mut conns = Vec::with_capacity(load.conns);
    for i in 0..load.conns {
        let std = std::net::TcpStream::connect(server.addr)?;
        std.set_nodelay(true)?;
        std.set_nonblocking(true)?;
        let mut stream = MioStream::from_std(std);
        poll.registry().register(
            &mut stream,
            Token(i),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        conns.push(Conn {
            index: i,
            stream,
            sent: 0,
            out: Vec::new(),
            out_at: 0,
            got: 0,
            in_flight: VecDeque::new(),
        });
    }
    let payload = vec![0x5Au8; load.size];
    let mut scratch = vec![0u8; 64 * 1024];
    let mut events = Events::with_capacity(1024);
    let mut measured = Measured {
        latencies: Vec::with_capacity(load.conns * load.per_conn),
        ..Measured::default()
    };
    let mut done = 0;
    let cpu0 = server.cpu_ns();
    let start = Instant::now();
    for c in conns.iter_mut() {
        pump(c, &payload, load, start)?;
    }
    let mut last_event = start;
    while done < load.conns {
        // Paced: wake for the earliest message that is due next.
        let next_due = conns
            .iter()
            .filter(|c| c.sent < load.per_conn && c.sent - c.got / load.size < load.depth)
            .filter_map(|c| load.send_at(c.index, c.sent))
            .min()
            .map(|at| (start + at).saturating_duration_since(Instant::now()));
        match poll.poll(
            &mut events,
            Some(next_due.unwrap_or(Duration::from_secs(10))),
        ) {
            // A signal woke the client's epoll_wait: just wait again.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => r?,
        }
        if events.is_empty() {
            if last_event.elapsed() > Duration::from_secs(10) {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "echo stalled"));
            }
            for c in conns.iter_mut() {
                pump(c, &payload, load, start)?;
            }
            continue;
        }
        last_event = Instant::now();
        for ev in events.iter() {
            let c = &mut conns[ev.token().0];
            let before = c.got / load.size;
            loop {
                match c.stream.read(&mut scratch) {
                    Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                    Ok(n) => c.got += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e),
                }
            }
            let now = Instant::now();
            for _ in before..c.got / load.size {
                if let Some(t) = c.in_flight.pop_front() {
                    measured.latencies.push((now - t).as_nanos() as u64);
                }
            }
            let finished_now = c.got / load.size >= load.per_conn;
            pump(c, &payload, load, start)?;
            if finished_now && before < load.per_conn {
                done += 1;
            }
        }
    }
    measured.elapsed = start.elapsed();
    measured.server_cpu = Duration::from_nanos(server.cpu_ns().saturating_sub(cpu0));
    measured.msgs = (load.conns * load.per_conn) as u64;
    Ok(measured)
}

/// Queues the messages that the depth allows and that are due, and writes
/// what the socket takes.
fn pump(c: &mut Conn, payload: &[u8], load: Load, start: Instant) -> io::Result<()> {
    let received = c.got / load.size;
    while c.sent < load.per_conn && c.sent - received < load.depth {
        if let Some(at) = load.send_at(c.index, c.sent) {
            if start.elapsed() < at {
                break;
            }
        }
        c.out.extend_from_slice(payload);
        c.in_flight.push_back(Instant::now());
        c.sent += 1;
    }
    while c.out_at < c.out.len() {
        match c.stream.write(&c.out[c.out_at..]) {
            Ok(n) => c.out_at += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    if c.out_at == c.out.len() {
        c.out.clear();
        c.out_at = 0;
    }
    Ok(())
}
