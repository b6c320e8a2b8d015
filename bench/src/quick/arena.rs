//! Arena rows of the quick report: goro-arena (plain `alloc`, and through a
//! `Cursor`) against bumpalo and one heap allocation per object (glibc
//! malloc through `System`, called directly so the report's counting global
//! allocator does not tax it), medians of alternating rounds. The shapes are
//! shared with `benches/arena.rs`.

use bumpalo::Bump;
use goro_arena::Arena;
use goro_arena::allocator_api2::alloc::System;

use std::time::Instant;

use super::{Cell, Contender, Row, Table, alternate, median, process_cpu_time};

/// The arena shapes, shared with `benches/arena.rs` and
/// `benches/arena_mimalloc.rs`.
#[path = "../shapes_arena.rs"]
pub mod shapes;

use shapes::*;

/// Timed rounds per shape (after one warm-up iteration each).
pub const ROUNDS: usize = 5;
const N_1M: usize = 1 << 20;
const N_WARM: usize = 10_000;
const WARM_REPEAT: usize = 50;
const REQUESTS: u64 = 1_000;
const N_VEC: usize = 10_000;
const VEC_REPEAT: usize = 20;
const THREAD_REQUESTS: u64 = 2_000;
/// Rounds for the threaded rows (cheap, and noisier than the others).
const THREAD_ROUNDS: usize = 9;

/// Columns of the shapes table.
const COLUMNS: [&str; 4] = ["goro-arena", "goro-arena cursor", "bumpalo", "Box (glibc)"];

/// Columns of the per-thread table (`with_thread_arena` lends `&Arena`, so
/// there is no cursor column).
const THREAD_COLUMNS: [&str; 3] = ["goro-arena", "bumpalo", "Box (glibc)"];

fn values(times: Vec<f64>) -> Vec<Cell> {
    times.into_iter().map(Cell::Value).collect()
}

fn bulk_row<T: Copy + 'static>(shape: &str, make: impl Fn(u64) -> T + Copy + 'static) -> Row {
    let mut arena = Arena::new();
    let mut arena_c = Arena::new();
    let mut bump = Bump::new();
    let mut seen_a = Vec::with_capacity(N_1M);
    let mut seen_c = Vec::with_capacity(N_1M);
    let mut seen_b = Vec::with_capacity(N_1M);
    let mut held = Vec::with_capacity(N_1M);
    let mut cs = [
        Contender {
            name: COLUMNS[0],
            run: Box::new(|| bulk_goro(&mut arena, N_1M, make, &mut seen_a)),
        },
        Contender {
            name: COLUMNS[1],
            run: Box::new(|| bulk_goro_cursor(&mut arena_c, N_1M, make, &mut seen_c)),
        },
        Contender {
            name: COLUMNS[2],
            run: Box::new(|| bulk_bumpalo(&mut bump, N_1M, make, &mut seen_b)),
        },
        Contender {
            name: COLUMNS[3],
            run: Box::new(|| bulk_heap(&System, N_1M, make, &mut held)),
        },
    ];
    Row {
        shape: shape.into(),
        cells: values(alternate(&mut cs, ROUNDS)),
    }
}

/// A fast-path shape on a warm arena: `WARM_REPEAT` passes of `N_WARM`
/// allocations per iteration, each contender with its own loop.
fn warm_shape_row(
    shape: &str,
    goro: fn(&mut Arena, usize) -> u64,
    goro_cursor: fn(&mut Arena, usize) -> u64,
    bumpalo: fn(&mut Bump, usize) -> u64,
    mut heap: impl FnMut() -> u64,
) -> Row {
    let mut arena = Arena::new();
    let mut arena_c = Arena::new();
    let mut bump = Bump::new();
    let mut cs = [
        Contender {
            name: COLUMNS[0],
            run: Box::new(|| (0..WARM_REPEAT).map(|_| goro(&mut arena, N_WARM)).sum()),
        },
        Contender {
            name: COLUMNS[1],
            run: Box::new(|| {
                (0..WARM_REPEAT)
                    .map(|_| goro_cursor(&mut arena_c, N_WARM))
                    .sum()
            }),
        },
        Contender {
            name: COLUMNS[2],
            run: Box::new(|| (0..WARM_REPEAT).map(|_| bumpalo(&mut bump, N_WARM)).sum()),
        },
        Contender {
            name: COLUMNS[3],
            run: Box::new(|| (0..WARM_REPEAT).map(|_| heap()).sum()),
        },
    ];
    Row {
        shape: shape.into(),
        cells: values(alternate(&mut cs, ROUNDS)),
    }
}

fn warm_row() -> Row {
    let mut held = Vec::with_capacity(N_WARM);
    warm_shape_row(
        "alloc_u64_warm (fast path, black_box each)",
        fast_goro,
        fast_goro_cursor,
        fast_bumpalo,
        move || bulk_heap(&System, N_WARM, |i| i, &mut held),
    )
}

fn sum_row() -> Row {
    let mut held = Vec::with_capacity(N_WARM);
    warm_shape_row(
        "alloc_u64_sum (fast path, addresses summed)",
        fast_sum_goro,
        fast_sum_goro_cursor,
        fast_sum_bumpalo,
        move || fast_sum_heap(&System, N_WARM, &mut held),
    )
}

fn request_row() -> Row {
    let mut arena = Arena::new();
    let mut arena_c = Arena::new();
    let mut bump = Bump::new();
    let mut seen_a = Vec::with_capacity(128);
    let mut seen_c = Vec::with_capacity(128);
    let mut seen_b = Vec::with_capacity(128);
    let mut held = HeapRequest::default();
    let mut cs = [
        Contender {
            name: COLUMNS[0],
            run: Box::new(|| {
                (0..REQUESTS)
                    .map(|s| request_goro(&mut arena, s, &mut seen_a))
                    .sum()
            }),
        },
        Contender {
            name: COLUMNS[1],
            run: Box::new(|| {
                (0..REQUESTS)
                    .map(|s| request_goro_cursor(&mut arena_c, s, &mut seen_c))
                    .sum()
            }),
        },
        Contender {
            name: COLUMNS[2],
            run: Box::new(|| {
                (0..REQUESTS)
                    .map(|s| request_bumpalo(&mut bump, s, &mut seen_b))
                    .sum()
            }),
        },
        Contender {
            name: COLUMNS[3],
            run: Box::new(|| {
                (0..REQUESTS)
                    .map(|s| request_heap(&System, s, &mut held))
                    .sum()
            }),
        },
    ];
    Row {
        shape: "request_mixed (ns/request)".into(),
        cells: values(alternate(&mut cs, ROUNDS)),
    }
}

fn vec_row() -> Row {
    let mut arena = Arena::new();
    let mut bump = Bump::new();
    let mut cs = [
        Contender {
            name: COLUMNS[0],
            run: Box::new(|| (0..VEC_REPEAT).map(|_| vec_goro(&mut arena, N_VEC)).sum()),
        },
        Contender {
            name: COLUMNS[2],
            run: Box::new(|| (0..VEC_REPEAT).map(|_| vec_bumpalo(&mut bump, N_VEC)).sum()),
        },
        Contender {
            name: "std Vec (glibc)",
            run: Box::new(|| (0..VEC_REPEAT).map(|_| vec_heap(&System, N_VEC)).sum()),
        },
    ];
    let mut cells = values(alternate(&mut cs, ROUNDS));
    // A cursor allocates objects, not collections.
    cells.insert(1, Cell::NotApplicable);
    Row {
        shape: "vec_u64_10k (ns/push; last column: std Vec)".into(),
        cells,
    }
}

/// Wall and CPU time per request per thread, for 1 and 2 worker threads,
/// alternating every (team, contender) pair within each round.
fn thread_rows() -> Vec<Row> {
    let teams = [Team::new(1), Team::new(2)];
    let jobs: [fn(u64) -> u64; 3] = [
        request_thread_arena,
        request_thread_bumpalo,
        request_thread_heap,
    ];
    // wall[team][contender], cpu[team][contender]: samples per round.
    let mut wall = vec![vec![Vec::new(); 3]; 2];
    let mut cpu = vec![vec![Vec::new(); 3]; 2];
    for round in 0..=THREAD_ROUNDS {
        for (t, team) in teams.iter().enumerate() {
            // Rotate the order: the first job after a team has slept pays
            // for waking its threads (milliseconds on a busy machine), so no
            // contender may always be first.
            for k in 0..jobs.len() {
                let c = (k + round) % jobs.len();
                let job = jobs[c];
                let cpu0 = process_cpu_time();
                let wall0 = Instant::now();
                let per_thread = team.run(THREAD_REQUESTS, job);
                let wall_ns = wall0.elapsed().as_nanos() as f64 / per_thread as f64;
                let cpu_ns = (process_cpu_time() - cpu0).as_nanos() as f64
                    / (per_thread as f64 * (t + 1) as f64);
                if round > 0 {
                    // Round 0 warms every thread's arena up.
                    wall[t][c].push(wall_ns);
                    cpu[t][c].push(cpu_ns);
                }
            }
        }
    }
    let med = |m: &Vec<Vec<Vec<f64>>>, t: usize| -> Vec<f64> {
        m[t].iter().map(|s| median(s.clone())).collect()
    };
    let (w1, w2, c1, c2) = (med(&wall, 0), med(&wall, 1), med(&cpu, 0), med(&cpu, 1));
    let ratio = |a: &[f64], b: &[f64]| (0..3).map(|i| Cell::Value(a[i] / b[i])).collect();
    vec![
        Row {
            shape: "wall, 1 thread".into(),
            cells: values(w1.clone()),
        },
        Row {
            shape: "wall, 2 threads at once".into(),
            cells: values(w2.clone()),
        },
        Row {
            shape: "wall: 2 threads ÷ 1 thread".into(),
            cells: ratio(&w2, &w1),
        },
        Row {
            shape: "CPU, 1 thread".into(),
            cells: values(c1.clone()),
        },
        Row {
            shape: "CPU, 2 threads at once".into(),
            cells: values(c2.clone()),
        },
        Row {
            shape: "CPU: 2 threads ÷ 1 thread".into(),
            cells: ratio(&c2, &c1),
        },
    ]
}

/// The arena tables of the quick report.
pub fn tables() -> Vec<Table> {
    vec![shapes_table(), thread_table()]
}

/// Allocation shapes: goro-arena (plain and through a cursor), bumpalo and
/// Box on glibc, alternating.
pub fn shapes_table() -> Table {
    Table {
        title: "Arena: allocation shapes".into(),
        unit: "ns/alloc unless noted".into(),
        columns: COLUMNS.iter().map(|c| c.to_string()).collect(),
        ratios: vec![(0, 2), (1, 2), (0, 3)],
        rows: vec![
            bulk_row("alloc_16b_1m", obj16),
            bulk_row("alloc_64b_1m", obj64),
            warm_row(),
            sum_row(),
            request_row(),
            vec_row(),
        ],
        notes: vec![
            format!(
                "Medians of {ROUNDS} alternating rounds; each round runs every contender once, back to back."
            ),
            "Arenas are reused and `reset` each iteration; Box frees every object; all contenders record each address in a reused vector.".into(),
            "goro-arena cursor: the same arena allocating through `Arena::cursor()` (finger kept in a register, written back on drop); in request_mixed only the 100 objects go through it, the vectors and strings through the arena.".into(),
            "Targets: fast path ≤ 0.9× bumpalo; request_mixed ≤ 0.9× bumpalo and ≤ 0.4× Box on mimalloc; vec growth ≤ 1.0× std Vec.".into(),
            "Box-on-mimalloc columns and instruction counts (callgrind, repeatable on a noisy machine) are in `cargo bench -p goro-bench --bench arena -- timing` and `-- callgrind`; see docs/arena.md.".into(),
        ],
    }
}

/// Per-thread request arenas: 1 and 2 worker threads at once.
pub fn thread_table() -> Table {
    Table {
        title: "Arena: per-thread request arenas".into(),
        unit: "ns/request/thread".into(),
        columns: THREAD_COLUMNS.iter().map(|c| c.to_string()).collect(),
        ratios: vec![(0, 1), (0, 2)],
        rows: thread_rows(),
        notes: vec![
            "Persistent worker threads (1 or 2) each run 2000 requests per round. goro-arena: `with_thread_arena` per request; bumpalo: a thread-local `Bump`; Box: glibc malloc. Target: 2 threads within 1.05× of 1.".into(),
            "Wall: ns per request per thread. CPU: process CPU time per request, which time-slicing does not inflate; on this 2-core machine shared with other jobs the wall rows for 2 threads also measure the neighbours, the CPU rows show whether the threads slow each other down.".into(),
        ],
    }
}
