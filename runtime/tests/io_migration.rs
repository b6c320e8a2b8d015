//! A task that moves between workers in the middle of a stream: its op was
//! submitted on one worker's ring, the task is stolen by the other worker,
//! and the completion (and, in the second half, a cancel issued from the
//! new worker) must still reach it / reach the owning ring.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::thread::{self, ThreadId};

use goro::net::{TcpListener, TcpStream, is_cancelled};

mod common;

/// Yields, with other tasks spawned to keep this worker's queue full, until
/// a thief has moved this task to another thread (bounded).
async fn migrate_from(start: ThreadId) -> bool {
    for _ in 0..20_000 {
        for _ in 0..4 {
            goro::spawn(async {
                for _ in 0..8 {
                    goro::yield_now().await;
                }
            });
        }
        goro::yield_now().await;
        if thread::current().id() != start {
            return true;
        }
    }
    false
}

/// Polls `fut` once, to submit its op on this worker's ring.
async fn poll_once<F: Future + Unpin>(fut: &mut F) -> bool {
    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *fut).poll(cx).is_pending())).await
}

fn task_migrates_between_submit_and_completion(backend: goro::IoBackend) {
    let rt = goro::Runtime::builder()
        .worker_threads(2)
        .io_backend(backend)
        .build()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let task = rt.spawn(async move {
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        let mut moves = 0;
        for round in 0..10u8 {
            // 1. Submit a read here; it is pending (nothing sent yet).
            let here = thread::current().id();
            let mut read = server.read(Vec::with_capacity(16));
            assert!(poll_once(&mut read).await);
            // 2. Get stolen by the other worker.
            if migrate_from(here).await {
                moves += 1;
            }
            // 3. Data arrives; the completion must find us on the new worker.
            let (r, _) = client.write_all(vec![round; 3]).await;
            r.unwrap();
            let (n, buf) = read.await;
            assert_eq!((n.unwrap(), buf), (3, vec![round; 3]));

            // 4. Submit another read, move again, cancel from there.
            let here = thread::current().id();
            let mut read = server.read(Vec::with_capacity(16));
            assert!(poll_once(&mut read).await);
            if migrate_from(here).await {
                moves += 1;
            }
            read.cancel();
            let (n, buf) = read.await;
            assert!(is_cancelled(&n.unwrap_err()));
            assert_eq!(buf.capacity(), 16);
        }
        moves
    });
    let moves = rt.block_on(task).unwrap();
    // Stealing is what moves the task; with 2 workers and a full queue it
    // happens every time in practice. Require most rounds to have moved.
    assert!(moves >= 10, "the task moved only {moves} times out of 20");
    let m = rt.handle().metrics();
    assert!(m.total_steals() > 0);
}

on_both_backends!(task_migrates_between_submit_and_completion,);
