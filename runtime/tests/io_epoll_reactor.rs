//! The epoll backend's runtime-wide reactor (docs/runtime-io.md): one epoll
//! set per runtime, each socket registered in it once, one idle worker
//! blocked in `epoll_wait` and woken by a remote spawn, and timers that
//! fire on time while it blocks.
//!
//! The proofs read `/proc`: `/proc/self/fd` links (`anon_inode:[eventpoll]`
//! per epoll set), `/proc/self/fdinfo/<epfd>` (one `tfd:` line per
//! registered descriptor) and `/proc/self/task/<tid>/syscall` (the system
//! call a blocked thread sits in). The tests of this file run one at a time
//! (`SERIAL`): the descriptor counts are process-wide.

use std::collections::BTreeSet;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use goro::net::{TcpListener, TcpStream};
use goro::{IoBackend, Runtime};
use goro_netpoll::BackendKind;

static SERIAL: Mutex<()> = Mutex::new(());

/// A bound on every wait in this file.
const LIMIT: Duration = Duration::from_secs(10);

fn epoll_runtime(workers: usize, name: &str) -> Option<Runtime> {
    let rt = Runtime::builder()
        .worker_threads(workers)
        .thread_name(name)
        .io_backend(IoBackend::Epoll)
        .build()
        .unwrap();
    match rt.handle().metrics().io_backend {
        Some(info) if info.kind == BackendKind::Epoll => Some(rt),
        other => {
            eprintln!("SKIP: the runtime runs {other:?} (GORO_IO_BACKEND overrides)");
            None
        }
    }
}

/// The descriptors of this process that are epoll sets.
fn epoll_fds() -> BTreeSet<i32> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let target = std::fs::read_link(e.path()).ok()?;
            (target.to_str()? == "anon_inode:[eventpoll]")
                .then(|| e.file_name().to_str()?.parse().ok())
                .flatten()
        })
        .collect()
}

/// The descriptors registered in epoll set `epfd` (its `tfd:` lines).
fn registered_in(epfd: i32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/self/fdinfo/{epfd}"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            l.strip_prefix("tfd:")?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

/// The thread ids of the `n` threads named `<prefix>-worker-*`, once they
/// have all started (bounded wait). Names are cut to 15 bytes by Linux.
fn worker_tids(prefix: &str, n: usize) -> Vec<String> {
    let until = Instant::now() + LIMIT;
    loop {
        let tids = named_tids(prefix);
        if tids.len() == n {
            return tids;
        }
        assert!(Instant::now() < until, "workers {prefix}: {tids:?}");
        std::thread::yield_now();
    }
}

fn named_tids(prefix: &str) -> Vec<String> {
    let mut want = format!("{prefix}-worker-");
    want.truncate(15);
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|e| {
            let tid = e.ok()?.file_name().to_str()?.to_string();
            let comm = std::fs::read_to_string(format!("/proc/self/task/{tid}/comm")).ok()?;
            comm.trim().starts_with(&want).then_some(tid)
        })
        .collect()
}

/// The system call thread `tid` is blocked in, if any.
fn blocked_in(tid: &str) -> Option<i64> {
    let s = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall")).ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn is_epoll_wait(nr: i64) -> bool {
    [
        libc::SYS_epoll_wait,
        libc::SYS_epoll_pwait,
        libc::SYS_epoll_pwait2,
    ]
    .contains(&nr)
}

/// How many of `tids` sit in an epoll wait, and how many in a futex.
fn census(tids: &[String]) -> (usize, usize) {
    let calls: Vec<i64> = tids.iter().filter_map(|t| blocked_in(t)).collect();
    let epoll = calls.iter().filter(|&&n| is_epoll_wait(n)).count();
    let futex = calls.iter().filter(|&&n| n == libc::SYS_futex).count();
    (epoll, futex)
}

/// Waits (bounded) until every worker is parked: one in epoll, the rest on
/// a futex; panics if two are ever seen in epoll at once.
fn wait_all_parked(tids: &[String]) {
    let until = Instant::now() + LIMIT;
    loop {
        let (epoll, futex) = census(tids);
        assert!(epoll <= 1, "{epoll} workers blocked in epoll at once");
        if epoll == 1 && epoll + futex == tids.len() {
            return;
        }
        assert!(Instant::now() < until, "workers never all parked");
        std::thread::yield_now();
    }
}

#[test]
fn one_epoll_set_per_runtime() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let before = epoll_fds();
    let Some(rt) = epoll_runtime(4, "ep-one") else {
        return;
    };
    // I/O from every worker and from the block_on thread.
    rt.block_on(async {
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                goro::spawn(async {
                    let (a, b) = goro::net::UnixStream::pair().unwrap();
                    let (r, _) = a.write_all(b"x".to_vec()).await;
                    r.unwrap();
                    let (n, _) = b.read(Vec::with_capacity(4)).await;
                    n.unwrap()
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), 1);
        }
    });
    let after = epoll_fds();
    let new: Vec<_> = after.difference(&before).collect();
    assert_eq!(
        new.len(),
        1,
        "epoll sets added by a 4-worker runtime: {new:?}"
    );
    drop(rt);
    assert_eq!(epoll_fds(), before, "the epoll set closes with the runtime");
}

#[test]
fn socket_used_from_two_workers_is_registered_once() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let before = epoll_fds();
    let Some(rt) = epoll_runtime(2, "ep-two") else {
        return;
    };
    let epfd = *epoll_fds()
        .difference(&before)
        .next()
        .expect("the runtime's epoll set");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    rt.block_on(async move {
        let conn = Arc::new(TcpStream::connect(addr).await.unwrap());
        let (peer, _) = listener.accept().await.unwrap();
        // Two tasks that are running at the same moment are on two workers:
        // each spins (bounded) until the other has started.
        let started = Arc::new(AtomicUsize::new(0));
        let threads = Arc::new(Mutex::new(BTreeSet::new()));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let (conn, started, threads) = (conn.clone(), started.clone(), threads.clone());
                goro::spawn(async move {
                    started.fetch_add(1, Ordering::SeqCst);
                    let until = Instant::now() + LIMIT;
                    while started.load(Ordering::SeqCst) < 2 {
                        assert!(Instant::now() < until, "the other task never ran");
                        std::hint::spin_loop();
                    }
                    let me = std::thread::current().name().unwrap().to_string();
                    threads.lock().unwrap().insert(me);
                    let (r, _) = conn.write_all(b"y".to_vec()).await;
                    r.unwrap();
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            threads.lock().unwrap().len(),
            2,
            "both workers used the socket"
        );
        let mut got = Vec::new();
        while got.len() < 2 {
            let (n, b) = peer.read(Vec::with_capacity(8)).await;
            assert!(n.unwrap() > 0);
            got.extend_from_slice(&b);
        }
        assert_eq!(got, b"yy");
        let fd = conn.as_raw_fd();
        let regs = registered_in(epfd);
        assert_eq!(
            regs.iter().filter(|&&r| r == fd).count(),
            1,
            "fd {fd} in the one epoll set: {regs:?}"
        );
        // The listener, the connection and the peer: each once.
        let mut sorted = regs.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            sorted.len(),
            regs.len(),
            "a descriptor registered twice: {regs:?}"
        );
        drop(conn);
        assert!(
            !registered_in(epfd).contains(&fd),
            "deregistered before it closed"
        );
    });
}

#[test]
fn remote_spawn_wakes_the_worker_blocked_in_epoll() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let Some(rt) = epoll_runtime(1, "ep-wake") else {
        return;
    };
    let tids = worker_tids("ep-wake", 1);
    for round in 0..5 {
        wait_all_parked(&tids);
        let (tx, rx) = std::sync::mpsc::channel();
        rt.spawn(async move {
            tx.send(round).unwrap();
        });
        assert_eq!(rx.recv_timeout(LIMIT), Ok(round), "the spawn never ran");
    }
}

fn timer_on_time(workers: usize, name: &str) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let Some(rt) = epoll_runtime(workers, name) else {
        return;
    };
    let tids = worker_tids(name, workers);
    // Some I/O first, so the reactor has registrations and waiters.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let _pending = rt.spawn(async move {
        let (conn, _) = listener.accept().await.unwrap();
        let _ = conn.read(Vec::with_capacity(4)).await;
    });
    let _client = std::net::TcpStream::connect(addr).unwrap();
    wait_all_parked(&tids);
    let after = Duration::from_millis(200);
    let (tx, rx) = std::sync::mpsc::channel();
    let start = Instant::now();
    rt.spawn(async move {
        goro::time::sleep(after).await;
        tx.send(Instant::now()).unwrap();
    });
    // While the sleep is pending every worker parks again, one in epoll.
    wait_all_parked(&tids);
    let fired = rx.recv_timeout(LIMIT).expect("the timer never fired");
    let took = fired - start;
    assert!(took >= after, "fired early: {took:?}");
    // Generous for a loaded 2-vCPU box, far below "never".
    assert!(
        took < after + Duration::from_millis(500),
        "fired late: {took:?}"
    );
}

#[test]
fn timer_fires_on_time_while_the_only_worker_blocks_in_epoll() {
    timer_on_time(1, "ep-tm1");
}

#[test]
fn timer_fires_on_time_while_one_of_two_workers_blocks_in_epoll() {
    timer_on_time(2, "ep-tm2");
}
