//! 15,000 idle connections held by one server, each parked in a multishot
//! receive over the provided-buffer ring (so it holds no receive buffer),
//! with the resident memory per connection measured and bounded.
//!
//! The clients live in a child process (this test binary re-run with
//! `GORO_IDLE_CHILD` set): 15,000 client sockets plus 15,000 server sockets
//! would not fit the 20,000-descriptor limit of one process.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use goro::net::TcpListener;

const CONNS: usize = 15_000;
/// Resident user-space bytes per idle connection this test accepts: the
/// issue's target (1 KiB). Measured (28 Nov 2026): 752–763 B on io_uring,
/// 676–687 B on epoll. The bound was 1.5 KiB before, and the figure crept
/// from ~800 to ~1,010 B on io_uring without failing it.
const MAX_BYTES_PER_CONN: usize = 1024;

fn raise_fd_limit() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit for both calls.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        lim.rlim_cur = lim.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
    }
    assert!(
        lim.rlim_cur as usize > CONNS + 100,
        "fd limit {} too low",
        lim.rlim_cur
    );
}

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize
}

/// The client side, run in the child process only.
#[test]
fn idle_client_child() {
    let Ok(addr) = std::env::var("GORO_IDLE_CHILD") else {
        return; // only meaningful as the child of `idle_15k_connections`
    };
    raise_fd_limit();
    let conns: Vec<std::net::TcpStream> = (0..CONNS)
        .map(|_| std::net::TcpStream::connect(&addr).unwrap())
        .collect();
    let stdin = std::io::stdin();
    let mut line = String::new();
    println!("GORO_CHILD_CONNECTED");
    std::io::stdout().flush().unwrap();
    stdin.lock().read_line(&mut line).unwrap();
    for mut c in &conns {
        c.write_all(b"!").unwrap();
    }
    line.clear();
    stdin.lock().read_line(&mut line).unwrap(); // EOF: the parent is done
}

#[test]
fn idle_15k_connections() {
    if std::env::var("GORO_IDLE_CHILD").is_ok() {
        return;
    }
    raise_fd_limit();
    let rt = goro::Runtime::builder().worker_threads(2).build().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (accepted_tx, accepted_rx) = std::sync::mpsc::channel::<()>();
    let server = rt.spawn(async move {
        let mut incoming = listener.incoming();
        let mut conns = Vec::with_capacity(CONNS);
        for _ in 0..CONNS {
            let conn = incoming.next().await.unwrap().unwrap();
            conns.push(goro::spawn(async move {
                let mut chunks = conn.recv_multi();
                let first = chunks.next().await.unwrap().unwrap();
                assert_eq!(first, b"!");
                // Keep the connection open until every one has its byte.
                conn
            }));
        }
        accepted_tx.send(()).unwrap();
        let mut held = Vec::with_capacity(CONNS);
        for c in conns {
            held.push(c.await.unwrap());
        }
        held.len()
    });
    // Baseline after the runtime, the rings and the listener exist.
    let before = rss_bytes();
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "idle_client_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("GORO_IDLE_CHILD", addr.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("GORO_CHILD_CONNECTED") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "child exited early");
    }
    accepted_rx.recv().unwrap();
    let after = rss_bytes();
    let per_conn = after.saturating_sub(before) / CONNS;
    eprintln!(
        "idle connections: {CONNS}, RSS {} KiB -> {} KiB, {per_conn} B per connection",
        before / 1024,
        after / 1024
    );
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"go\n").unwrap();
    let held = rt.block_on(server).unwrap();
    assert_eq!(held, CONNS);
    drop(stdin);
    assert!(child.wait().unwrap().success());
    assert!(
        per_conn <= MAX_BYTES_PER_CONN,
        "{per_conn} B of RSS per idle connection (limit {MAX_BYTES_PER_CONN})"
    );
}
