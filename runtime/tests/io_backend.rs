//! `Builder::io_backend` is obeyed, `GORO_IO_BACKEND` overrides it, and the
//! backend in use shows in the metrics.

use goro::net::UnixStream;
use goro::{IoBackend, Runtime};
use goro_netpoll::BackendKind;

fn expected(requested: IoBackend) -> BackendKind {
    match std::env::var("GORO_IO_BACKEND").as_deref() {
        Ok("epoll") => BackendKind::Epoll,
        Ok("uring" | "io_uring") => BackendKind::IoUring,
        _ => match requested {
            IoBackend::Epoll => BackendKind::Epoll,
            IoBackend::IoUring => BackendKind::IoUring,
            _ => auto_kind(),
        },
    }
}

/// What `Auto` picks on this machine (netpoll's probe, cached).
fn auto_kind() -> BackendKind {
    goro_netpoll::Poller::new().unwrap().backend().kind
}

fn run_on(backend: IoBackend) {
    if backend == IoBackend::IoUring
        && auto_kind() == BackendKind::Epoll
        && std::env::var("GORO_IO_BACKEND").is_err()
    {
        eprintln!("SKIP: io_uring is unavailable here");
        return;
    }
    let rt = Runtime::builder()
        .worker_threads(2)
        .io_backend(backend)
        .build()
        .unwrap();
    rt.block_on(async {
        // On a worker (its own ring) and on the block_on thread (the I/O ring).
        let on_worker = goro::spawn(async {
            let (a, b) = UnixStream::pair().unwrap();
            let (r, _) = a.write_all(b"w".to_vec()).await;
            r.unwrap();
            let (n, _) = b.read(Vec::with_capacity(4)).await;
            n.unwrap()
        });
        let (a, b) = UnixStream::pair().unwrap();
        let (r, _) = a.write_all(b"b".to_vec()).await;
        r.unwrap();
        let (n, _) = b.read(Vec::with_capacity(4)).await;
        assert_eq!(n.unwrap(), 1);
        assert_eq!(on_worker.await.unwrap(), 1);
    });
    let info = rt.handle().metrics().io_backend.expect("a ring exists");
    assert_eq!(info.kind, expected(backend), "{info}");
}

#[test]
fn epoll_when_asked() {
    run_on(IoBackend::Epoll);
}

#[test]
fn io_uring_when_asked() {
    run_on(IoBackend::IoUring);
}

#[test]
fn auto_follows_the_probe() {
    run_on(IoBackend::Auto);
}
