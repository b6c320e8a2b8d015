//! Loom model of `goro_arena::Pool`'s cross-thread hand-off (the inbox
//! protocol in the module header of `arena/src/pool/inbox.rs`), and its
//! broken twin.
#![cfg(goro_loom)]

use goro_arena::Pool;
use goro_loom_tests::harness::expect_model_failure;
use goro_loom_tests::twins;
use loom::sync::Arc;
use loom::thread;

/// An object released on another thread races the home thread's next
/// acquire: the home thread either gets a fresh object or the recycled one,
/// and in both cases sees it cleared; afterwards both objects are home,
/// distinct, and nothing was created twice.
#[test]
fn remote_release_races_home_acquire() {
    loom::model(|| {
        let pool = Pool::with_max_retained(4, || Vec::<u32>::with_capacity(1));
        let local = pool.local();
        let mut v = local.acquire();
        v.push(7);
        let remote = thread::spawn(move || {
            let mut v = v;
            v.push(8);
            drop(v); // recycled here, handed home through the inbox
        });
        // Without a yield loom schedules the home thread's acquire before
        // the remote release in every execution it tries (checked: 0 of 4
        // runs saw the hand-off); with it, both orders are explored.
        thread::yield_now();
        let a = local.acquire();
        assert!(a.is_empty(), "saw a previous user's data");
        drop(a);
        remote.join().unwrap();
        let x = local.acquire();
        let y = local.acquire();
        assert!(x.is_empty() && y.is_empty());
        assert_ne!(x.as_ptr(), y.as_ptr(), "one object handed out twice");
        assert_eq!(pool.created(), 2, "an object was lost");
    });
}

/// Two threads hand objects home at the same time (CAS contention on the
/// inbox head); the home thread drains both.
#[test]
fn concurrent_remote_releases_both_arrive() {
    loom::model(|| {
        let pool = Pool::with_max_retained(4, || Vec::<u32>::with_capacity(1));
        let local = pool.local();
        let handles: Vec<_> = (0..2u32)
            .map(|i| {
                let mut v = local.acquire();
                v.push(i);
                thread::spawn(move || drop(v))
            })
            .collect();
        // Let the releases race each other, and the home thread's drain.
        thread::yield_now();
        let x = local.acquire();
        for h in handles {
            h.join().unwrap();
        }
        assert!(x.is_empty());
        drop(x);
        // Every object made so far is home: taking that many makes none.
        let made = pool.created();
        let all: Vec<_> = (0..made).map(|_| local.acquire()).collect();
        assert!(all.iter().all(|v| v.is_empty()));
        assert_eq!(pool.created(), made, "an object was lost");
        let mut ptrs: Vec<_> = all.iter().map(|v| v.as_ptr()).collect();
        ptrs.sort();
        ptrs.dedup();
        assert_eq!(ptrs.len(), made, "one object handed out twice");
    });
}

/// A whole request batch finishes on another thread while the home thread
/// keeps serving: the batch comes home in one hand-off, every object
/// cleared.
#[test]
fn batch_released_remotely_races_home_acquire() {
    loom::model(|| {
        let pool = Pool::with_max_retained(4, String::new);
        let local = pool.local();
        let batch = local.batch();
        batch.acquire().push('a');
        batch.acquire().push('b');
        let remote = thread::spawn(move || drop(batch));
        thread::yield_now();
        let s = local.acquire();
        assert!(s.is_empty());
        drop(s);
        remote.join().unwrap();
        let all: Vec<_> = (0..3).map(|_| local.acquire()).collect();
        assert!(all.iter().all(|s| s.is_empty()));
        assert!(pool.created() <= 3, "objects were not reused");
    });
}

/// The first scenario's hand-off against the twin whose push is `Relaxed`:
/// loom must report the unordered read of the recycled value.
#[test]
fn broken_twin_is_caught() {
    let failure = expect_model_failure(|| {
        let inbox = Arc::new(twins::arena_pool::Inbox::default());
        let node = twins::arena_pool::Node::boxed(7);
        let remote = {
            let inbox = inbox.clone();
            let node = node as usize;
            thread::spawn(move || {
                let node = node as *mut twins::arena_pool::Node;
                // SAFETY: the node is this thread's until pushed.
                unsafe {
                    (*node).value.with_mut(|v| *v = 0); // recycle
                    inbox.push(node);
                }
            })
        };
        let got = loop {
            let got = inbox.take_all();
            if !got.is_null() {
                break got;
            }
            thread::yield_now();
        };
        // SAFETY: take_all made the node ours.
        let value = unsafe { (*got).value.with(|v| *v) };
        assert_eq!(value, 0);
        remote.join().unwrap();
        // SAFETY: ours, and from Box::into_raw.
        drop(unsafe { Box::from_raw(got) });
    });
    assert!(
        failure.contains("Causality violation") || failure.contains("causality"),
        "loom failed for another reason: {failure}"
    );
}
