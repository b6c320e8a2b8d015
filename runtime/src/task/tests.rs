//! Task-cell tests small enough for Miri: allocation, polling, wakers,
//! join, abort, panics and drop, on a one-worker runtime.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use crate::Runtime;

fn rt() -> Runtime {
    Runtime::builder().worker_threads(1).build().unwrap()
}

struct DropCount(Arc<AtomicUsize>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn spawn_join_output_and_drop() {
    let rt = rt();
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let out = rt.block_on(async move {
        let hs: Vec<_> = (0..8u32)
            .map(|i| {
                let d = DropCount(d.clone());
                crate::spawn(async move {
                    let _d = d;
                    crate::yield_now().await;
                    vec![i; 3]
                })
            })
            .collect();
        let mut total = 0;
        for h in hs {
            total += h.await.unwrap().iter().sum::<u32>();
        }
        total
    });
    assert_eq!(out, 3 * (0..8).sum::<u32>());
    assert_eq!(drops.load(SeqCst), 8);
}

#[test]
fn detached_output_is_dropped_by_completer() {
    let rt = rt();
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    rt.block_on(async move {
        let h = crate::spawn(async move { DropCount(d) });
        drop(h);
        let probe = crate::spawn(async {});
        probe.await.unwrap();
    });
    drop(rt);
    assert_eq!(drops.load(SeqCst), 1);
}

#[test]
fn abort_and_panic() {
    let rt = rt();
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    rt.block_on(async move {
        let d = DropCount(d);
        let h = crate::spawn(async move {
            let _d = d;
            std::future::pending::<()>().await
        });
        crate::yield_now().await;
        h.abort();
        assert!(h.await.unwrap_err().is_cancelled());
        let p = crate::spawn(async { panic!("miri panic") });
        assert!(p.await.unwrap_err().is_panic());
    });
    assert_eq!(drops.load(SeqCst), 1);
}

#[test]
fn shutdown_drops_idle_tasks() {
    let rt = rt();
    let drops = Arc::new(AtomicUsize::new(0));
    for _ in 0..4 {
        let d = DropCount(drops.clone());
        drop(rt.spawn(async move {
            let _d = d;
            std::future::pending::<()>().await
        }));
    }
    rt.block_on(async {
        crate::spawn(async {}).await.unwrap();
    });
    drop(rt);
    assert_eq!(drops.load(SeqCst), 4);
}

#[test]
fn waker_clone_wake_by_val_and_ref() {
    let rt = rt();
    let v = rt.block_on(async {
        crate::spawn(async {
            let mut polls = 0;
            std::future::poll_fn(|cx| {
                polls += 1;
                if polls < 4 {
                    let w = cx.waker().clone();
                    if polls % 2 == 0 {
                        w.wake();
                    } else {
                        w.wake_by_ref();
                    }
                    std::task::Poll::Pending
                } else {
                    std::task::Poll::Ready(polls)
                }
            })
            .await
        })
        .await
        .unwrap()
    });
    assert_eq!(v, 4);
}

/// The idle-task figure of the scheduler bench depends on these sizes: a
/// task awaiting a `Notify` (its future 72 bytes) fits the 144-byte class.
#[test]
#[cfg(target_pointer_width = "64")]
fn small_tasks_fit_the_144_byte_class() {
    // The bench's future, with its std types: only its size is looked at.
    use std::sync::atomic::AtomicBool;
    async fn notified(n: &crate::chan::Notify) {
        n.notified().await
    }
    assert_eq!(std::mem::size_of::<crate::chan::Notified<'static>>(), 24);
    let notify = Arc::new(crate::chan::Notify::new());
    let go = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicUsize::new(0));
    let fut = async move {
        started.fetch_add(1, SeqCst);
        while !go.load(SeqCst) {
            notified(&notify).await;
        }
    };
    assert_eq!(std::mem::size_of_val(&fut), 72);
    assert_eq!(super::cell::cell_size(&fut), 144);
}

/// A handle polled again after it returned the output panics instead of
/// reading the stage twice.
#[test]
fn join_handle_polled_after_ready_panics() {
    let rt = rt();
    let caught = rt.block_on(async {
        let mut h = crate::spawn(async { String::from("once") });
        assert_eq!((&mut h).await.unwrap(), "once");
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let waker = std::task::Waker::noop();
            let mut cx = std::task::Context::from_waker(waker);
            let _ = std::pin::Pin::new(&mut h).poll(&mut cx);
        }))
        .is_err()
    });
    assert!(caught);
}

/// The handle stays one word (its "output taken" flag is a tag bit), and
/// `Option` of it too.
#[test]
fn join_handle_is_one_word() {
    assert_eq!(std::mem::size_of::<crate::JoinHandle<u64>>(), 8);
    assert_eq!(std::mem::size_of::<Option<crate::JoinHandle<u64>>>(), 8);
}
