//! Scheduler rows of the quick report: goro vs tokio multi_thread vs std,
//! 2 workers, per-operation medians of alternating rounds.

use super::{Cell, Contender, Row, Table, alternate, alternate_warmed};
use crate::{goro_shapes, sched_std, tokio_shapes};

/// Worker threads for every runtime, as in the shapes.
pub const WORKERS: usize = 2;
/// Timed rounds per shape (after one warm-up iteration each).
pub const ROUNDS: usize = 9;

/// Column order of the scheduler table.
const COLUMNS: [&str; 3] = ["goro", "tokio", "std threads"];

/// Measures every scheduler shape and the idle-task memory; `live_bytes`
/// reads the binary's counting allocator.
pub fn tables(live_bytes: fn() -> u64) -> Vec<Table> {
    let goro_rt = goro_shapes::runtime(WORKERS);
    let tokio_rt = tokio_shapes::runtime(WORKERS);
    let pool = sched_std::MutexPool::new(WORKERS);

    // Each entry: shape name, the goro and tokio iterations, the std
    // iteration if there is a meaningful one.
    type Run<'a> = Box<dyn FnMut() -> u64 + 'a>;
    let shapes: Vec<(&str, Run<'_>, Run<'_>, Option<Run<'_>>)> = vec![
        (
            "spawn_many_local",
            Box::new(|| goro_shapes::spawn_many_local(&goro_rt)),
            Box::new(|| tokio_shapes::spawn_many_local(&tokio_rt)),
            Some(Box::new(sched_std::spawn_join)),
        ),
        (
            "spawn_many_from_worker",
            Box::new(|| goro_shapes::spawn_many_from_worker(&goro_rt)),
            Box::new(|| tokio_shapes::spawn_many_from_worker(&tokio_rt)),
            Some(Box::new(sched_std::spawn_join)),
        ),
        (
            "spawn_many_remote_idle",
            Box::new(|| goro_shapes::spawn_many_remote_idle(&goro_rt)),
            Box::new(|| tokio_shapes::spawn_many_remote_idle(&tokio_rt)),
            Some(Box::new(|| pool.run_many(crate::sched_shapes::NUM_SPAWN))),
        ),
        (
            "spawn_many_remote_busy1",
            Box::new(|| goro_shapes::spawn_many_remote_busy1(&goro_rt, WORKERS)),
            Box::new(|| tokio_shapes::spawn_many_remote_busy1(&tokio_rt, WORKERS)),
            None,
        ),
        (
            "spawn_many_remote_busy2",
            Box::new(|| goro_shapes::spawn_many_remote_busy2(&goro_rt, WORKERS)),
            Box::new(|| tokio_shapes::spawn_many_remote_busy2(&tokio_rt, WORKERS)),
            None,
        ),
        (
            "yield_many",
            Box::new(|| goro_shapes::yield_many(&goro_rt)),
            Box::new(|| tokio_shapes::yield_many(&tokio_rt)),
            Some(Box::new(sched_std::yield_many)),
        ),
        (
            "ping_pong",
            Box::new(|| goro_shapes::ping_pong(&goro_rt)),
            Box::new(|| tokio_shapes::ping_pong(&tokio_rt)),
            None,
        ),
        (
            "ping_pong_serial",
            Box::new(|| goro_shapes::ping_pong_serial(&goro_rt)),
            Box::new(|| tokio_shapes::ping_pong_serial(&tokio_rt)),
            Some(Box::new(|| sched_std::ping_pong_serial(200))),
        ),
        (
            "timeout_churn",
            Box::new(|| goro_shapes::timeout_churn(&goro_rt)),
            Box::new(|| tokio_shapes::timeout_churn(&tokio_rt)),
            None,
        ),
        (
            "chained_spawn",
            Box::new(|| goro_shapes::chained_spawn(&goro_rt)),
            Box::new(|| tokio_shapes::chained_spawn(&tokio_rt)),
            Some(Box::new(sched_std::chained_spawn)),
        ),
    ];

    let mut rows = Vec::new();
    let mut cold_busy2: Option<Vec<f64>> = None;
    for (shape, goro_run, tokio_run, std_run) in shapes {
        let mut contenders = vec![
            Contender {
                name: "goro",
                run: goro_run,
            },
            Contender {
                name: "tokio",
                run: tokio_run,
            },
        ];
        let has_std = std_run.is_some();
        if let Some(run) = std_run {
            contenders.push(Contender {
                name: "std threads",
                run,
            });
        }
        let medians = if shape == "spawn_many_remote_busy2" {
            // Saturation is the point of this shape: time it on a runtime
            // that is already busy (criterion's back-to-back iterations do
            // the same), and show the start from idle as a row of its own.
            let cold = alternate(&mut contenders, ROUNDS);
            cold_busy2 = Some(cold);
            alternate_warmed(&mut contenders, ROUNDS)
        } else {
            alternate(&mut contenders, ROUNDS)
        };
        let std_cell = if has_std {
            Cell::Value(medians[2])
        } else {
            Cell::NotApplicable
        };
        rows.push(Row {
            shape: shape.to_string(),
            cells: vec![Cell::Value(medians[0]), Cell::Value(medians[1]), std_cell],
        });
        if let Some(cold) = cold_busy2.take() {
            rows.push(Row {
                shape: format!("{shape} (from idle)"),
                cells: vec![
                    Cell::Value(cold[0]),
                    Cell::Value(cold[1]),
                    Cell::NotApplicable,
                ],
            });
        }
    }

    let (goro_heap, goro_rss) = goro_shapes::idle_task_memory(&goro_rt, live_bytes);
    let (heap, rss) = tokio_shapes::idle_task_memory(&tokio_rt, live_bytes);
    let memory = Table {
        title: format!(
            "Memory per idle task ({} tasks awaiting a Notify)",
            crate::sched_shapes::NUM_IDLE_TASKS
        ),
        unit: "bytes/task".into(),
        columns: vec!["goro".into(), "tokio".into()],
        ratios: vec![(0, 1)],
        rows: vec![
            Row {
                shape: "heap (counting allocator)".into(),
                cells: vec![Cell::Value(goro_heap), Cell::Value(heap)],
            },
            Row {
                shape: "RSS".into(),
                cells: vec![Cell::Value(goro_rss), Cell::Value(rss)],
            },
        ],
        notes: vec!["Targets: goro ≤ 192 B heap and ≤ 256 B RSS per idle task.".into()],
    };

    let time = Table {
        title: format!("Scheduler, {WORKERS} workers"),
        unit: "ns/op, wall clock, median".into(),
        columns: COLUMNS.iter().map(|s| s.to_string()).collect(),
        ratios: vec![(0, 1)],
        rows,
        notes: vec![
            format!(
                "Median of {ROUNDS} rounds; contenders alternate within each round. \
                 An op is one task (spawn shapes), one yield, one ping-pong pair, one round trip, \
                 or one timeout armed and cancelled (timeout_churn: 64 tasks yielding under 30 s \
                 timeouts; no target, it shows the per-P timer heaps)."
            ),
            "std threads: spawn shapes = OS thread spawn+join; remote_idle = a 2-thread \
             Mutex<mpsc::Receiver> pool; yield_many = sched_yield on 200 threads; \
             ping_pong_serial = two threads over std mpsc; chained_spawn = each thread spawns the next."
                .into(),
            "spawn_many_remote_busy2 is timed right after an untimed iteration on the same \
             runtime (the workers already saturated, as in criterion's back-to-back runs); \
             the \"from idle\" row starts each timed iteration on a runtime at rest (no \
             target): there goro's spawning thread spends 2-3 ms of it waiting in the OS run \
             queue behind the workers it woke (schedstat), and tokio's figure swings between \
             3 and 70 ms from run to run."
                .into(),
            "Targets (goro ÷ tokio): spawn shapes ≤ 0.5, remote_idle ≤ 0.7, remote_busy2 ≤ 0.1, \
             yield_many ≤ 1.2, ping_pong ≤ 0.9, ping_pong_serial ≤ 0.8."
                .into(),
        ],
    };
    vec![time, memory]
}
