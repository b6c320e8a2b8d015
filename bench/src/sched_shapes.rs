//! The scheduler shapes, written once for every runtime.
//!
//! `sched_shapes!(adapter)` expands to functions that run one iteration of
//! each shape on `adapter::Runtime` and return the number of operations
//! done. An adapter is a module with the same function names over its
//! runtime: `new`, `block_on`, `spawn` (from inside a task), `spawn_remote`
//! (from a thread outside the runtime), `join`, `yield_now`,
//! `yield_under_timeout`, `oneshot` /
//! `oneshot_send` / `oneshot_recv`, `bounded` / `send` / `recv`, and
//! `notify_new` / `notified` / `notify_waiters`. See [`crate::sched_tokio`].
//!
//! The shapes follow tokio's `benches/rt_multi_threaded.rs`, plus
//! `spawn_many_from_worker` (the truly local spawn path: tokio's
//! `spawn_many_local` spawns from the `block_on` thread, which is remote for
//! tokio) and `ping_pong_serial`.

/// Tasks spawned per iteration by the spawn shapes.
pub const NUM_SPAWN: u64 = 10_000;
/// Remote spawns per iteration under saturation (`spawn_many_remote_busy2`).
pub const NUM_SPAWN_BUSY2: u64 = 1_000;
/// Tasks in `yield_many`.
pub const NUM_YIELD_TASKS: u64 = 200;
/// Yields per task in `yield_many`.
pub const YIELDS_PER_TASK: u64 = 1_000;
/// Pairs in `ping_pong`.
pub const NUM_PINGS: u64 = 1_000;
/// Round trips in `ping_pong_serial`.
pub const NUM_ROUND_TRIPS: u64 = 1_000;
/// Depth of `chained_spawn`.
pub const CHAIN_DEPTH: u64 = 1_000;
/// Tasks in `timeout_churn`.
pub const NUM_TIMEOUT_TASKS: u64 = 64;
/// Timed-out-never yields per task in `timeout_churn`.
pub const TIMEOUTS_PER_TASK: u64 = 200;
/// Idle tasks in the memory-per-task shape.
pub const NUM_IDLE_TASKS: u64 = 100_000;

/// Burns about `micros` µs of CPU without yielding: a task doing real work.
pub fn stall(micros: u64) {
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_micros(micros) {
        std::hint::spin_loop();
    }
}

/// Expands to the shape functions over one adapter module.
#[macro_export]
macro_rules! sched_shapes {
    ($a:path) => {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
        use $a as adapter;
        use $crate::sched_shapes::*;

        /// The runtime under test.
        pub type Runtime = adapter::Runtime;

        /// Builds the runtime with `workers` worker threads.
        pub fn runtime(workers: usize) -> Runtime {
            adapter::new(workers)
        }

        /// 10k spawns from the `block_on` future, then join them all.
        pub fn spawn_many_local(rt: &Runtime) -> u64 {
            adapter::block_on(rt, async {
                let handles: Vec<_> = (0..NUM_SPAWN).map(|_| adapter::spawn(async {})).collect();
                for h in handles {
                    adapter::join(h).await;
                }
            });
            NUM_SPAWN
        }

        /// 10k spawns from inside a task on a worker, then join them all.
        pub fn spawn_many_from_worker(rt: &Runtime) -> u64 {
            adapter::block_on(rt, async {
                let outer = adapter::spawn(async {
                    let handles: Vec<_> =
                        (0..NUM_SPAWN).map(|_| adapter::spawn(async {})).collect();
                    for h in handles {
                        adapter::join(h).await;
                    }
                });
                adapter::join(outer).await;
            });
            NUM_SPAWN
        }

        /// 10k spawns from a thread outside the runtime, then join them.
        pub fn spawn_many_remote_idle(rt: &Runtime) -> u64 {
            let handles: Vec<_> = (0..NUM_SPAWN)
                .map(|_| adapter::spawn_remote(rt, async {}))
                .collect();
            adapter::block_on(rt, async {
                for h in handles {
                    adapter::join(h).await;
                }
            });
            NUM_SPAWN
        }

        /// Remote spawns while 2 × workers tasks loop yielding and stalling.
        pub fn spawn_many_remote_busy1(rt: &Runtime, workers: usize) -> u64 {
            let stop = Arc::new(AtomicBool::new(false));
            let busy: Vec<_> = (0..2 * workers)
                .map(|_| {
                    let stop = stop.clone();
                    adapter::spawn_remote(rt, async move {
                        while !stop.load(Relaxed) {
                            adapter::yield_now().await;
                            stall(10);
                        }
                    })
                })
                .collect();
            let ops = spawn_many_remote_idle(rt);
            stop.store(true, Relaxed);
            adapter::block_on(rt, async {
                for h in busy {
                    adapter::join(h).await;
                }
            });
            ops
        }

        fn respawn_busy(stop: Arc<AtomicBool>) {
            drop(adapter::spawn(async move {
                if !stop.load(Relaxed) {
                    stall(10);
                    respawn_busy(stop);
                }
            }));
        }

        /// 1k remote spawns while tasks keep re-spawning themselves with
        /// 10 µs stalls: how long does the global queue make them wait?
        pub fn spawn_many_remote_busy2(rt: &Runtime, workers: usize) -> u64 {
            let stop = Arc::new(AtomicBool::new(false));
            for _ in 0..2 * workers {
                let stop = stop.clone();
                drop(adapter::spawn_remote(rt, async move { respawn_busy(stop) }));
            }
            let handles: Vec<_> = (0..NUM_SPAWN_BUSY2)
                .map(|_| adapter::spawn_remote(rt, async {}))
                .collect();
            adapter::block_on(rt, async {
                for h in handles {
                    adapter::join(h).await;
                }
            });
            stop.store(true, Relaxed);
            NUM_SPAWN_BUSY2
        }

        /// 64 tasks × 200 yields, each under a 30 s `timeout`: every
        /// iteration arms a timer and cancels it (a server's per-request
        /// deadline). Returns the number of timeouts.
        pub fn timeout_churn(rt: &Runtime) -> u64 {
            adapter::block_on(rt, async {
                let handles: Vec<_> = (0..NUM_TIMEOUT_TASKS)
                    .map(|_| {
                        adapter::spawn(async {
                            for _ in 0..TIMEOUTS_PER_TASK {
                                adapter::yield_under_timeout().await;
                            }
                        })
                    })
                    .collect();
                for h in handles {
                    adapter::join(h).await;
                }
            });
            NUM_TIMEOUT_TASKS * TIMEOUTS_PER_TASK
        }

        /// 200 tasks × 1 000 yields; returns the number of yields.
        pub fn yield_many(rt: &Runtime) -> u64 {
            adapter::block_on(rt, async {
                let handles: Vec<_> = (0..NUM_YIELD_TASKS)
                    .map(|_| {
                        adapter::spawn(async {
                            for _ in 0..YIELDS_PER_TASK {
                                adapter::yield_now().await;
                            }
                        })
                    })
                    .collect();
                for h in handles {
                    adapter::join(h).await;
                }
            });
            NUM_YIELD_TASKS * YIELDS_PER_TASK
        }

        /// 1 000 pairs: each task spawns a partner and exchanges one value
        /// each way over two oneshots.
        pub fn ping_pong(rt: &Runtime) -> u64 {
            adapter::block_on(rt, async {
                let handles: Vec<_> = (0..NUM_PINGS)
                    .map(|_| {
                        adapter::spawn(async {
                            let (tx1, rx1) = adapter::oneshot::<()>();
                            let (tx2, rx2) = adapter::oneshot::<()>();
                            let partner = adapter::spawn(async move {
                                adapter::oneshot_recv(rx1).await;
                                adapter::oneshot_send(tx2, ());
                            });
                            adapter::oneshot_send(tx1, ());
                            adapter::oneshot_recv(rx2).await;
                            adapter::join(partner).await;
                        })
                    })
                    .collect();
                for h in handles {
                    adapter::join(h).await;
                }
            });
            NUM_PINGS
        }

        /// Two tasks, 1 000 sequential round trips over capacity-1 channels.
        pub fn ping_pong_serial(rt: &Runtime) -> u64 {
            adapter::block_on(rt, async {
                let (ping_tx, mut ping_rx) = adapter::bounded::<u64>(1);
                let (pong_tx, mut pong_rx) = adapter::bounded::<u64>(1);
                let echo = adapter::spawn(async move {
                    while let Some(v) = adapter::recv(&mut ping_rx).await {
                        adapter::send(&pong_tx, v).await;
                    }
                });
                let driver = adapter::spawn(async move {
                    for i in 0..NUM_ROUND_TRIPS {
                        adapter::send(&ping_tx, i).await;
                        let back = adapter::recv(&mut pong_rx).await;
                        assert_eq!(back, Some(i));
                    }
                });
                adapter::join(driver).await;
                adapter::join(echo).await;
            });
            NUM_ROUND_TRIPS
        }

        fn chain(left: u64, done: adapter::OneshotTx<()>) {
            drop(adapter::spawn(async move {
                if left == 0 {
                    adapter::oneshot_send(done, ());
                } else {
                    chain(left - 1, done);
                }
            }));
        }

        /// A chain of 1 000 tasks, each spawning the next.
        pub fn chained_spawn(rt: &Runtime) -> u64 {
            adapter::block_on(rt, async {
                let (tx, rx) = adapter::oneshot::<()>();
                chain(CHAIN_DEPTH, tx);
                adapter::oneshot_recv(rx).await;
            });
            CHAIN_DEPTH
        }

        /// Spawns 100k tasks that await a notification, measures the heap
        /// (`live_bytes`) and RSS while they wait, then releases them.
        /// Returns (heap bytes per task, RSS bytes per task).
        pub fn idle_task_memory(rt: &Runtime, live_bytes: fn() -> u64) -> (f64, f64) {
            let notify = Arc::new(adapter::notify_new());
            let go = Arc::new(AtomicBool::new(false));
            let started = Arc::new(AtomicU64::new(0));
            let heap_before = live_bytes();
            let rss_before = $crate::rss_bytes();
            let handles: Vec<_> = (0..NUM_IDLE_TASKS)
                .map(|_| {
                    let (notify, go, started) = (notify.clone(), go.clone(), started.clone());
                    adapter::spawn_remote(rt, async move {
                        started.fetch_add(1, Relaxed);
                        while !go.load(Relaxed) {
                            adapter::notified(&notify).await;
                        }
                    })
                })
                .collect();
            while started.load(Relaxed) < NUM_IDLE_TASKS {
                std::thread::yield_now();
            }
            // The handles' own memory is the caller's, not the task's.
            let handle_bytes = (handles.capacity() * std::mem::size_of_val(&handles[0])) as u64;
            let heap = live_bytes().saturating_sub(heap_before + handle_bytes);
            let rss = $crate::rss_bytes().saturating_sub(rss_before);
            go.store(true, Relaxed);
            adapter::block_on(rt, async {
                let mut left = handles;
                while !left.is_empty() {
                    adapter::notify_waiters(&notify);
                    adapter::yield_now().await;
                    let mut still = Vec::new();
                    for h in left {
                        if adapter::is_finished(&h) {
                            adapter::join(h).await;
                        } else {
                            still.push(h);
                        }
                    }
                    left = still;
                }
            });
            let n = NUM_IDLE_TASKS as f64;
            (heap as f64 / n, rss as f64 / n)
        }
    };
}
