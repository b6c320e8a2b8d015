//! std baselines for the scheduler shapes: what the same work costs with OS
//! threads and a naive thread pool, for scale. Each function runs one
//! iteration and returns the number of operations done.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

/// Threads spawned and joined per iteration (OS threads cost ~100 µs each, so
/// fewer than the runtimes' 10k tasks; the report is per operation).
pub const NUM_THREADS: u64 = 500;
/// Threads in the `sched_yield` shape.
pub const NUM_YIELD_THREADS: u64 = 200;
/// `sched_yield` calls per thread.
pub const YIELDS_PER_THREAD: u64 = 100;
/// Depth of the chained thread spawn.
pub const CHAIN_DEPTH: u64 = 200;

/// OS thread spawn + join.
pub fn spawn_join() -> u64 {
    let handles: Vec<_> = (0..NUM_THREADS).map(|_| thread::spawn(|| {})).collect();
    for h in handles {
        h.join().expect("thread panicked");
    }
    NUM_THREADS
}

type Job = Box<dyn FnOnce() + Send>;

/// A naive pool: `workers` threads pulling boxed jobs from one
/// `Mutex<mpsc::Receiver>`, the shape a remote spawn is compared with.
pub struct MutexPool {
    tx: Option<mpsc::Sender<Job>>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl MutexPool {
    /// Starts the pool.
    pub fn new(workers: usize) -> MutexPool {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = (0..workers)
            .map(|_| {
                let rx = rx.clone();
                thread::spawn(move || {
                    loop {
                        let job = rx.lock().expect("pool lock").recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
            })
            .collect();
        MutexPool {
            tx: Some(tx),
            threads,
        }
    }

    /// Submits `n` empty jobs and waits for all of them.
    pub fn run_many(&self, n: u64) -> u64 {
        let (done_tx, done_rx) = mpsc::channel::<()>();
        for _ in 0..n {
            let done = done_tx.clone();
            let job: Job = Box::new(move || {
                let _ = done.send(());
            });
            self.tx
                .as_ref()
                .expect("pool open")
                .send(job)
                .expect("pool alive");
        }
        for _ in 0..n {
            done_rx.recv().expect("job completes");
        }
        n
    }
}

impl Drop for MutexPool {
    fn drop(&mut self) {
        self.tx.take();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// 200 threads × 100 `sched_yield` calls; returns the number of yields.
pub fn yield_many() -> u64 {
    let handles: Vec<_> = (0..NUM_YIELD_THREADS)
        .map(|_| {
            thread::spawn(|| {
                for _ in 0..YIELDS_PER_THREAD {
                    thread::yield_now();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread panicked");
    }
    NUM_YIELD_THREADS * YIELDS_PER_THREAD
}

/// Two OS threads, `round_trips` round trips over `std::sync::mpsc`.
pub fn ping_pong_serial(round_trips: u64) -> u64 {
    let (ping_tx, ping_rx) = mpsc::channel::<u64>();
    let (pong_tx, pong_rx) = mpsc::channel::<u64>();
    let echo = thread::spawn(move || {
        while let Ok(v) = ping_rx.recv() {
            if pong_tx.send(v).is_err() {
                return;
            }
        }
    });
    for i in 0..round_trips {
        ping_tx.send(i).expect("echo alive");
        assert_eq!(pong_rx.recv().expect("echo replies"), i);
    }
    drop(ping_tx);
    echo.join().expect("echo thread");
    round_trips
}

fn chain(left: u64, done: mpsc::Sender<()>) {
    thread::spawn(move || {
        if left == 0 {
            let _ = done.send(());
        } else {
            chain(left - 1, done);
        }
    });
}

/// Each thread spawns the next, 200 deep.
pub fn chained_spawn() -> u64 {
    let (tx, rx) = mpsc::channel();
    chain(CHAIN_DEPTH, tx);
    rx.recv().expect("chain completes");
    CHAIN_DEPTH
}
