//! Timers: order and the test clock (deterministic), timeout, interval,
//! and accuracy on an idle runtime.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use goro::Runtime;
use goro::time::{self, Instant};

fn rt() -> Runtime {
    Runtime::builder().worker_threads(2).build().unwrap()
}

#[test]
fn timers_fire_in_deadline_order_with_paused_clock() {
    let rt = rt();
    let order = rt.block_on(async {
        time::pause();
        let order = Arc::new(Mutex::new(Vec::new()));
        let created = Arc::new(AtomicUsize::new(0));
        let mut hs = Vec::new();
        for ms in [50u64, 10, 40, 20, 30] {
            let order = order.clone();
            let created = created.clone();
            hs.push(goro::spawn(async move {
                // The deadline is fixed here, on the paused clock; the
                // first poll arms the timer, and only then is it counted,
                // so the stepping below never skips an unarmed timer.
                let mut sleep = pin!(time::sleep(Duration::from_millis(ms)));
                poll_fn(|cx| {
                    assert!(sleep.as_mut().poll(cx).is_pending());
                    Poll::Ready(())
                })
                .await;
                created.fetch_add(1, SeqCst);
                sleep.await;
                order.lock().unwrap().push(ms);
            }));
        }
        // Let every sleeper arm its timer, then step timer by timer.
        while created.load(SeqCst) < 5 {
            goro::yield_now().await;
        }
        let mut fired = 0;
        while fired < 5 {
            if time::advance_to_next() {
                fired += 1;
                // Let the woken task record itself before the next step.
                let want = fired;
                while order.lock().unwrap().len() < want {
                    goro::yield_now().await;
                }
            } else {
                goro::yield_now().await;
            }
        }
        for h in hs {
            h.await.unwrap();
        }
        order.lock().unwrap().clone()
    });
    assert_eq!(order, [10, 20, 30, 40, 50]);
}

#[test]
fn paused_clock_moves_only_on_advance() {
    let rt = rt();
    rt.block_on(async {
        time::pause();
        let t0 = Instant::now();
        let sleeper = goro::spawn(time::sleep(Duration::from_secs(3600)));
        goro::yield_now().await;
        assert!(!sleeper.is_finished());
        time::advance(Duration::from_secs(1800));
        goro::yield_now().await;
        assert!(!sleeper.is_finished());
        time::advance(Duration::from_secs(1800));
        sleeper.await.unwrap();
        assert_eq!(Instant::now() - t0, Duration::from_secs(3600));
    });
}

#[test]
fn timeout_elapses_and_passes() {
    let rt = rt();
    rt.block_on(async {
        time::pause();
        let slow = goro::spawn(time::timeout(
            Duration::from_secs(1),
            std::future::pending::<()>(),
        ));
        goro::yield_now().await;
        time::advance(Duration::from_secs(1));
        assert!(slow.await.unwrap().is_err());
        let fast = time::timeout(Duration::from_secs(1), async { 3 }).await;
        assert_eq!(fast, Ok(3));
    });
}

#[test]
fn interval_ticks_on_period() {
    let rt = rt();
    rt.block_on(async {
        time::pause();
        let start = Instant::now();
        let ticker = goro::spawn(async move {
            let mut iv = time::interval(Duration::from_millis(100));
            let mut ticks = Vec::new();
            for _ in 0..4 {
                ticks.push(iv.tick().await - start);
            }
            ticks
        });
        while !ticker.is_finished() {
            if !time::advance_to_next() {
                goro::yield_now().await;
            }
        }
        let ticks = ticker.await.unwrap();
        let ms: Vec<u128> = ticks.iter().map(|d| d.as_millis()).collect();
        assert_eq!(ms, [0, 100, 200, 300]);
    });
}

/// Real clock: a 2 ms sleep on an idle runtime wakes within 1 ms of its
/// deadline (median of 21, to ride out a loaded machine's outliers).
#[test]
#[cfg_attr(miri, ignore)]
fn idle_runtime_timer_accuracy() {
    let rt = rt();
    let mut late: Vec<Duration> = (0..21)
        .map(|_| {
            rt.block_on(async {
                goro::spawn(async {
                    let deadline = Instant::now() + Duration::from_millis(2);
                    time::sleep_until(deadline).await;
                    Instant::now() - deadline
                })
                .await
                .unwrap()
            })
        })
        .collect();
    late.sort();
    assert!(
        late[10] < Duration::from_millis(1),
        "median lateness {:?}",
        late[10]
    );
}
