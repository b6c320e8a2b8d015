//! `Pool`: reuse with kept capacity, batches, bounds, cross-thread release.

use std::sync::mpsc;

use goro_arena::{Pool, Recycle};

#[test]
fn released_objects_are_cleared_and_keep_capacity() {
    let pool = Pool::new(Vec::<u32>::new);
    let local = pool.local();
    let mut v = local.acquire();
    v.extend(0..1000);
    let (ptr, cap) = (v.as_ptr(), v.capacity());
    drop(v);
    assert_eq!(local.idle(), 1);
    let v = local.acquire();
    assert!(v.is_empty());
    assert_eq!(
        (v.as_ptr(), v.capacity()),
        (ptr, cap),
        "not the same buffer"
    );
    assert_eq!(pool.created(), 1);
}

#[test]
fn many_rounds_create_only_the_peak() {
    let pool = Pool::new(String::new);
    let local = pool.local();
    for round in 0..50 {
        let held: Vec<_> = (0..(round % 7) + 1).map(|_| local.acquire()).collect();
        for (i, mut s) in held.into_iter().enumerate() {
            assert!(s.is_empty());
            s.push_str(&i.to_string());
        }
    }
    assert_eq!(pool.created(), 7);
}

#[test]
fn batch_binds_and_releases_together() {
    let pool = Pool::new(Vec::<u8>::new);
    let local = pool.local();
    local.preallocate(3);
    assert_eq!((local.idle(), pool.created()), (3, 3));
    let batch = local.batch();
    let a = batch.acquire();
    let b = batch.acquire();
    a.push(1);
    b.extend_from_slice(&[2; 100]);
    assert_eq!(batch.len(), 2);
    assert_eq!(local.idle(), 1);
    batch.release();
    assert_eq!(local.idle(), 3);
    let batch = local.batch();
    for _ in 0..3 {
        assert!(batch.acquire().is_empty());
    }
    assert_eq!(pool.created(), 3);
}

#[test]
fn retention_is_bounded() {
    let pool = Pool::with_max_retained(2, Vec::<u8>::new);
    let local = pool.local();
    let held: Vec<_> = (0..5).map(|_| local.acquire()).collect();
    drop(held);
    assert_eq!(local.idle(), 2);
    local.preallocate(10);
    assert_eq!(local.idle(), 2);
}

#[test]
fn release_on_another_thread_comes_home() {
    let pool = Pool::new(|| Vec::<u64>::with_capacity(16));
    let local = pool.local();
    let mut v = local.acquire();
    v.extend(0..100);
    let ptr = v.as_ptr();
    std::thread::spawn(move || drop(v)).join().unwrap();
    // Not on the free list: in the inbox, drained by the next acquire.
    assert_eq!(local.idle(), 0);
    let v = local.acquire();
    assert!(v.is_empty());
    assert_eq!(v.as_ptr(), ptr);
    assert_eq!(pool.created(), 1);
}

#[test]
fn batch_finished_on_another_thread_comes_home_in_one_piece() {
    let pool = Pool::new(String::new);
    let local = pool.local();
    let batch = local.batch();
    for i in 0..10 {
        batch.acquire().push_str(&format!("part {i}"));
    }
    std::thread::spawn(move || {
        // A foreign thread may bind more objects to the request, too.
        batch.acquire().push_str("late");
        drop(batch);
    })
    .join()
    .unwrap();
    let again = local.batch();
    for _ in 0..11 {
        assert!(again.acquire().is_empty());
    }
    assert_eq!(pool.created(), 11);
}

#[test]
fn remote_releases_respect_the_bound() {
    let pool = Pool::with_max_retained(3, Vec::<u8>::new);
    let local = pool.local();
    let held: Vec<_> = (0..10).map(|_| local.acquire()).collect();
    std::thread::spawn(move || drop(held)).join().unwrap();
    let again: Vec<_> = (0..10).map(|_| local.acquire()).collect();
    assert_eq!(pool.created(), 17, "only 3 came back");
    drop(again);
}

#[test]
fn many_threads_release_concurrently() {
    let pool = Pool::new(Vec::<u32>::new);
    let local = pool.local();
    let threads = if cfg!(miri) { 2 } else { 4 };
    let per = if cfg!(miri) { 10 } else { 200 };
    let (tx, rx) = mpsc::channel();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (wtx, wrx) = mpsc::channel::<goro_arena::Pooled<Vec<u32>>>();
            let done = tx.clone();
            let h = std::thread::spawn(move || {
                for mut v in wrx {
                    v.push(1);
                }
                done.send(()).unwrap();
            });
            (wtx, h)
        })
        .collect();
    for round in 0..per {
        for (w, _) in &workers {
            let mut v = local.acquire();
            assert!(v.is_empty(), "round {round}: not recycled");
            v.push(0);
            w.send(v).unwrap();
        }
    }
    for (w, h) in workers {
        drop(w);
        h.join().unwrap();
    }
    for _ in 0..threads {
        rx.recv().unwrap();
    }
    // Everything came back through the inboxes: no object is lost.
    let back: Vec<_> = (0..pool.created()).map(|_| local.acquire()).collect();
    assert!(back.iter().all(|v| v.is_empty()));
    assert_eq!(
        pool.created(),
        back.len(),
        "an object was lost or duplicated"
    );
}

#[test]
fn objects_outlive_their_local_and_pool() {
    let pool = Pool::new(String::new);
    let local = pool.local();
    let s = local.acquire();
    let batch = local.batch();
    batch.acquire().push('x');
    drop(local);
    drop(pool);
    // Released after the handle is gone: freed, not leaked (Miri checks).
    drop(s);
    drop(batch);
}

#[test]
fn custom_recycle() {
    struct Parser {
        buf: Vec<u8>,
        state: u32,
    }
    impl Recycle for Parser {
        fn recycle(&mut self) {
            self.buf.clear();
            self.state = 0;
        }
    }
    let pool = Pool::new(|| Parser {
        buf: Vec::with_capacity(64),
        state: 0,
    });
    let local = pool.local();
    let mut p = local.acquire();
    p.state = 9;
    p.buf.push(1);
    p.release();
    let p = local.acquire();
    assert_eq!((p.state, p.buf.len(), p.buf.capacity() >= 64), (0, 0, true));
}
