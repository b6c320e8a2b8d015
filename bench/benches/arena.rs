//! Criterion benches of goro-arena side by side with bumpalo, typed-arena
//! and one-heap-allocation-per-object (`Box`/`Vec` on glibc malloc through
//! `System`, and on mimalloc called directly), in one run. The shapes are
//! defined once in `src/shapes_arena.rs`, shared with the quick report and
//! with `benches/arena_mimalloc.rs` (the same shapes with mimalloc as the
//! global allocator).
//!
//! Three ways to run it:
//!
//! * `cargo bench -p goro-bench --bench arena -- --warm-up-time 1 --measurement-time 3`:
//!   criterion, every shape and contender;
//! * `cargo bench -p goro-bench --bench arena -- timing`: every shape with
//!   the five contenders (goro-arena, goro-arena through a `Cursor`,
//!   bumpalo, Box on glibc, Box on mimalloc) alternating within each of
//!   [`TIMING_ROUNDS`] rounds, medians in one table, then the two-thread
//!   table of the quick report;
//! * `cargo bench -p goro-bench --bench arena -- callgrind`: the same shapes
//!   counted in instructions under `valgrind --tool=callgrind`, which a noisy
//!   shared machine does not disturb (see [`callgrind`]). Skips with a
//!   message when valgrind is missing.

// criterion_group! expands to an undocumented public function.
#![allow(missing_docs)]

use std::alloc::{GlobalAlloc, Layout};
use std::ptr::NonNull;

use bumpalo::Bump;
use criterion::{Criterion, Throughput, criterion_group};
use goro_arena::Arena;
use goro_arena::allocator_api2::alloc::{AllocError, Allocator, System};
use goro_bench::quick::{Cell, Contender, Row, Table, alternate};

#[path = "../src/shapes_arena.rs"]
#[allow(dead_code)]
mod shapes;

use shapes::*;

/// mimalloc called directly (not as the global allocator), so that "Box on
/// mimalloc" runs in the same process and the same criterion run.
#[derive(Clone, Copy)]
struct Mi;

// SAFETY: forwards to mimalloc's GlobalAlloc impl, which upholds the
// contract; zero-sized requests get a dangling, aligned pointer and are
// never passed to mimalloc.
unsafe impl Allocator for Mi {
    fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        if layout.size() == 0 {
            let p =
                NonNull::new(std::ptr::without_provenance_mut(layout.align())).ok_or(AllocError)?;
            return Ok(NonNull::slice_from_raw_parts(p, 0));
        }
        // SAFETY: non-zero size.
        let p = unsafe { mimalloc::MiMalloc.alloc(layout) };
        NonNull::new(p)
            .map(|p| NonNull::slice_from_raw_parts(p, layout.size()))
            .ok_or(AllocError)
    }

    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        if layout.size() != 0 {
            // SAFETY: allocated above with this layout.
            unsafe { mimalloc::MiMalloc.dealloc(ptr.as_ptr(), layout) }
        }
    }

    unsafe fn grow(
        &self,
        ptr: NonNull<u8>,
        old: Layout,
        new: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        if old.size() == 0 || old.align() != new.align() {
            let block = self.allocate(new)?;
            // SAFETY: `old.size()` bytes are valid at `ptr`; blocks differ.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr.as_ptr(), block.as_ptr().cast(), old.size());
                self.deallocate(ptr, old);
            }
            return Ok(block);
        }
        // SAFETY: same alignment, block from `allocate` with `old`.
        let p = unsafe { mimalloc::MiMalloc.realloc(ptr.as_ptr(), old, new.size()) };
        NonNull::new(p)
            .map(|p| NonNull::slice_from_raw_parts(p, new.size()))
            .ok_or(AllocError)
    }
}

const N_1M: usize = 1 << 20;
const N_WARM: usize = 10_000;
const N_VEC: usize = 10_000;
const REQUESTS: u64 = 2_000;

fn bulk<T: Copy + 'static>(c: &mut Criterion, name: &str, make: impl Fn(u64) -> T + Copy) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(N_1M as u64));
    g.sample_size(10);
    let mut seen = Vec::with_capacity(N_1M);
    let mut arena = Arena::new();
    g.bench_function("goro_arena", |b| {
        b.iter(|| bulk_goro(&mut arena, N_1M, make, &mut seen))
    });
    let mut arena = Arena::new();
    g.bench_function("goro_arena_cursor", |b| {
        b.iter(|| bulk_goro_cursor(&mut arena, N_1M, make, &mut seen))
    });
    let mut bump = Bump::new();
    g.bench_function("bumpalo", |b| {
        b.iter(|| bulk_bumpalo(&mut bump, N_1M, make, &mut seen))
    });
    g.bench_function("typed_arena_fresh", |b| {
        b.iter(|| {
            seen.clear();
            let ta = typed_arena::Arena::new();
            for i in 0..N_1M {
                seen.push((ta.alloc(make(i as u64)) as *mut T).addr());
            }
            std::hint::black_box(&seen);
            N_1M as u64
        })
    });
    let mut held = Vec::with_capacity(N_1M);
    g.bench_function("box_system", |b| {
        b.iter(|| bulk_heap(&System, N_1M, make, &mut held))
    });
    let mut held = Vec::with_capacity(N_1M);
    g.bench_function("box_mimalloc", |b| {
        b.iter(|| bulk_heap(&Mi, N_1M, make, &mut held))
    });
    g.finish();
}

fn alloc_16b_1m(c: &mut Criterion) {
    bulk(c, "alloc_16b_1m", obj16);
}

fn alloc_64b_1m(c: &mut Criterion) {
    bulk(c, "alloc_64b_1m", obj64);
}

fn alloc_u64_warm(c: &mut Criterion) {
    let mut g = c.benchmark_group("alloc_u64_warm");
    g.throughput(Throughput::Elements(N_WARM as u64));
    let mut arena = Arena::new();
    g.bench_function("goro_arena", |b| b.iter(|| fast_goro(&mut arena, N_WARM)));
    let mut arena = Arena::new();
    g.bench_function("goro_arena_cursor", |b| {
        b.iter(|| fast_goro_cursor(&mut arena, N_WARM))
    });
    let mut bump = Bump::new();
    g.bench_function("bumpalo", |b| b.iter(|| fast_bumpalo(&mut bump, N_WARM)));
    g.finish();
}

fn alloc_u64_sum(c: &mut Criterion) {
    let mut g = c.benchmark_group("alloc_u64_sum");
    g.throughput(Throughput::Elements(N_WARM as u64));
    let mut arena = Arena::new();
    g.bench_function("goro_arena", |b| {
        b.iter(|| fast_sum_goro(&mut arena, N_WARM))
    });
    let mut arena = Arena::new();
    g.bench_function("goro_arena_cursor", |b| {
        b.iter(|| fast_sum_goro_cursor(&mut arena, N_WARM))
    });
    let mut bump = Bump::new();
    g.bench_function("bumpalo", |b| {
        b.iter(|| fast_sum_bumpalo(&mut bump, N_WARM))
    });
    g.finish();
}

fn request_mixed(c: &mut Criterion) {
    let mut g = c.benchmark_group("request_mixed");
    g.throughput(Throughput::Elements(1));
    let mut seen = Vec::with_capacity(128);
    let mut arena = Arena::new();
    let mut seed = 0u64;
    g.bench_function("goro_arena", |b| {
        b.iter(|| {
            seed += 1;
            request_goro(&mut arena, seed, &mut seen)
        })
    });
    let mut arena = Arena::new();
    g.bench_function("goro_arena_cursor", |b| {
        b.iter(|| {
            seed += 1;
            request_goro_cursor(&mut arena, seed, &mut seen)
        })
    });
    let mut bump = Bump::new();
    g.bench_function("bumpalo", |b| {
        b.iter(|| {
            seed += 1;
            request_bumpalo(&mut bump, seed, &mut seen)
        })
    });
    let mut held = HeapRequest::default();
    g.bench_function("box_system", |b| {
        b.iter(|| {
            seed += 1;
            request_heap(&System, seed, &mut held)
        })
    });
    let mut held = HeapRequest::default();
    g.bench_function("box_mimalloc", |b| {
        b.iter(|| {
            seed += 1;
            request_heap(&Mi, seed, &mut held)
        })
    });
    g.finish();
}

fn vec_u64_10k(c: &mut Criterion) {
    let mut g = c.benchmark_group("vec_u64_10k");
    g.throughput(Throughput::Elements(N_VEC as u64));
    let mut arena = Arena::new();
    g.bench_function("goro_arena", |b| b.iter(|| vec_goro(&mut arena, N_VEC)));
    let mut bump = Bump::new();
    g.bench_function("bumpalo", |b| b.iter(|| vec_bumpalo(&mut bump, N_VEC)));
    g.bench_function("std_vec_system", |b| b.iter(|| vec_std(N_VEC)));
    g.bench_function("std_vec_mimalloc", |b| b.iter(|| vec_heap(&Mi, N_VEC)));
    g.finish();
}

fn two_threads_request(c: &mut Criterion) {
    let mut g = c.benchmark_group("two_threads_request");
    // Wall time per request per thread: equal for 1 and 2 threads if the
    // threads share nothing and the machine has two idle cores.
    g.throughput(Throughput::Elements(REQUESTS));
    g.sample_size(20);
    for threads in [1usize, 2] {
        let team = Team::new(threads);
        g.bench_function(format!("goro_arena_{threads}t"), |b| {
            b.iter(|| team.run(REQUESTS, request_thread_arena))
        });
        g.bench_function(format!("bumpalo_{threads}t"), |b| {
            b.iter(|| team.run(REQUESTS, request_thread_bumpalo))
        });
        g.bench_function(format!("box_system_{threads}t"), |b| {
            b.iter(|| team.run(REQUESTS, request_thread_heap))
        });
    }
    g.finish();
}

fn pool_buffer_4k(c: &mut Criterion) {
    let mut g = c.benchmark_group("pool_buffer_4k");
    g.throughput(Throughput::Elements(1000));
    let pool = goro_arena::Pool::new(|| Vec::<u8>::with_capacity(4096));
    let local = pool.local();
    g.bench_function("goro_pool", |b| b.iter(|| pool_goro(&local, 1000)));
    g.bench_function("fresh_vec_system", |b| b.iter(|| pool_fresh(1000)));
    g.finish();
}

criterion_group!(
    benches,
    alloc_16b_1m,
    alloc_64b_1m,
    alloc_u64_warm,
    alloc_u64_sum,
    request_mixed,
    vec_u64_10k,
    two_threads_request,
    pool_buffer_4k
);

/// `criterion_main!` with two extra modes picked by a bare argument.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == callgrind::CHILD) {
        callgrind::child(&args[i + 1..]);
    } else if args.iter().any(|a| a == "callgrind") {
        callgrind::report();
    } else if args.iter().any(|a| a == "timing") {
        timing();
    } else {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
}

// ----- the shapes as jobs, for the timing and callgrind modes ---------------

/// Shapes of the timing and callgrind modes, in table order.
const SHAPES: [&str; 6] = [
    "alloc_16b_1m",
    "alloc_64b_1m",
    "alloc_u64_warm",
    "alloc_u64_sum",
    "request_mixed",
    "vec_u64_10k",
];

/// Contenders of the timing and callgrind modes, in column order. For
/// `vec_u64_10k` the two heap columns are a std-like `Vec` on that allocator,
/// and the cursor column is empty (a cursor allocates objects, not
/// collections).
const CONTENDERS: [&str; 5] = [
    "goro_arena",
    "goro_arena_cursor",
    "bumpalo",
    "box_system",
    "box_mimalloc",
];

/// Column headings for [`CONTENDERS`].
const COLUMNS: [&str; 5] = [
    "goro-arena",
    "goro-arena cursor",
    "bumpalo",
    "Box/Vec (glibc)",
    "Box/Vec (mimalloc)",
];

/// Whether `contender` has a job for `shape` (see [`CONTENDERS`]).
fn applies(shape: &str, contender: &str) -> bool {
    !(shape == "vec_u64_10k" && contender == "goro_arena_cursor")
}

/// `alloc_u64_warm` runs this many warm passes of [`N_WARM`] per iteration.
const WARM_REPEAT: usize = 50;
/// `vec_u64_10k` grows this many vectors per iteration.
const VEC_REPEAT: usize = 20;
/// `request_mixed` runs this many requests per iteration.
const REQUESTS_PER_ITER: u64 = 1_000;

/// One iteration of a shape; returns the operations it did.
type Job = Box<dyn FnMut() -> u64>;

/// The iteration of `shape` for `contender`, with its state (arena, scratch
/// vectors) built once and reused, as in the criterion benches.
fn job(shape: &str, contender: &str) -> Option<Job> {
    match shape {
        "alloc_16b_1m" => bulk_job(contender, obj16),
        "alloc_64b_1m" => bulk_job(contender, obj64),
        "alloc_u64_warm" => warm_job(contender),
        "alloc_u64_sum" => sum_job(contender),
        "request_mixed" => request_job(contender),
        "vec_u64_10k" => vec_job(contender),
        _ => None,
    }
}

fn bulk_job<T: Copy + 'static>(
    contender: &str,
    make: impl Fn(u64) -> T + Copy + 'static,
) -> Option<Job> {
    Some(match contender {
        "goro_arena" => {
            let (mut arena, mut seen) = (Arena::new(), Vec::with_capacity(N_1M));
            Box::new(move || bulk_goro(&mut arena, N_1M, make, &mut seen))
        }
        "goro_arena_cursor" => {
            let (mut arena, mut seen) = (Arena::new(), Vec::with_capacity(N_1M));
            Box::new(move || bulk_goro_cursor(&mut arena, N_1M, make, &mut seen))
        }
        "bumpalo" => {
            let (mut bump, mut seen) = (Bump::new(), Vec::with_capacity(N_1M));
            Box::new(move || bulk_bumpalo(&mut bump, N_1M, make, &mut seen))
        }
        "box_system" => {
            let mut held = Vec::with_capacity(N_1M);
            Box::new(move || bulk_heap(&System, N_1M, make, &mut held))
        }
        "box_mimalloc" => {
            let mut held = Vec::with_capacity(N_1M);
            Box::new(move || bulk_heap(&Mi, N_1M, make, &mut held))
        }
        _ => return None,
    })
}

fn warm_job(contender: &str) -> Option<Job> {
    fn repeat(mut one: impl FnMut() -> u64 + 'static) -> Job {
        Box::new(move || (0..WARM_REPEAT).map(|_| one()).sum())
    }
    Some(match contender {
        "goro_arena" => {
            let mut arena = Arena::new();
            repeat(move || fast_goro(&mut arena, N_WARM))
        }
        "goro_arena_cursor" => {
            let mut arena = Arena::new();
            repeat(move || fast_goro_cursor(&mut arena, N_WARM))
        }
        "bumpalo" => {
            let mut bump = Bump::new();
            repeat(move || fast_bumpalo(&mut bump, N_WARM))
        }
        "box_system" => {
            let mut held = Vec::with_capacity(N_WARM);
            repeat(move || bulk_heap(&System, N_WARM, |i| i, &mut held))
        }
        "box_mimalloc" => {
            let mut held = Vec::with_capacity(N_WARM);
            repeat(move || bulk_heap(&Mi, N_WARM, |i| i, &mut held))
        }
        _ => return None,
    })
}

fn sum_job(contender: &str) -> Option<Job> {
    fn repeat(mut one: impl FnMut() -> u64 + 'static) -> Job {
        Box::new(move || (0..WARM_REPEAT).map(|_| one()).sum())
    }
    Some(match contender {
        "goro_arena" => {
            let mut arena = Arena::new();
            repeat(move || fast_sum_goro(&mut arena, N_WARM))
        }
        "goro_arena_cursor" => {
            let mut arena = Arena::new();
            repeat(move || fast_sum_goro_cursor(&mut arena, N_WARM))
        }
        "bumpalo" => {
            let mut bump = Bump::new();
            repeat(move || fast_sum_bumpalo(&mut bump, N_WARM))
        }
        "box_system" => {
            let mut held = Vec::with_capacity(N_WARM);
            repeat(move || fast_sum_heap(&System, N_WARM, &mut held))
        }
        "box_mimalloc" => {
            let mut held = Vec::with_capacity(N_WARM);
            repeat(move || fast_sum_heap(&Mi, N_WARM, &mut held))
        }
        _ => return None,
    })
}

fn request_job(contender: &str) -> Option<Job> {
    fn requests(mut one: impl FnMut(u64) -> u64 + 'static) -> Job {
        Box::new(move || (0..REQUESTS_PER_ITER).map(&mut one).sum())
    }
    Some(match contender {
        "goro_arena" => {
            let (mut arena, mut seen) = (Arena::new(), Vec::with_capacity(128));
            requests(move |s| request_goro(&mut arena, s, &mut seen))
        }
        "goro_arena_cursor" => {
            let (mut arena, mut seen) = (Arena::new(), Vec::with_capacity(128));
            requests(move |s| request_goro_cursor(&mut arena, s, &mut seen))
        }
        "bumpalo" => {
            let (mut bump, mut seen) = (Bump::new(), Vec::with_capacity(128));
            requests(move |s| request_bumpalo(&mut bump, s, &mut seen))
        }
        "box_system" => {
            let mut held = HeapRequest::default();
            requests(move |s| request_heap(&System, s, &mut held))
        }
        "box_mimalloc" => {
            let mut held = HeapRequest::default();
            requests(move |s| request_heap(&Mi, s, &mut held))
        }
        _ => return None,
    })
}

fn vec_job(contender: &str) -> Option<Job> {
    fn repeat(mut one: impl FnMut() -> u64 + 'static) -> Job {
        Box::new(move || (0..VEC_REPEAT).map(|_| one()).sum())
    }
    Some(match contender {
        "goro_arena" => {
            let mut arena = Arena::new();
            repeat(move || vec_goro(&mut arena, N_VEC))
        }
        "bumpalo" => {
            let mut bump = Bump::new();
            repeat(move || vec_bumpalo(&mut bump, N_VEC))
        }
        "box_system" => repeat(|| vec_heap(&System, N_VEC)),
        "box_mimalloc" => repeat(|| vec_heap(&Mi, N_VEC)),
        _ => return None,
    })
}

/// What each row's operation is, for the tables.
fn row_name(shape: &str) -> String {
    match shape {
        "request_mixed" => "request_mixed (per request)".into(),
        "vec_u64_10k" => "vec_u64_10k (per push)".into(),
        "alloc_u64_warm" => "alloc_u64_warm (fast path, black_box each)".into(),
        "alloc_u64_sum" => "alloc_u64_sum (fast path, addresses summed)".into(),
        _ => shape.into(),
    }
}

// ----- timing mode ---------------------------------------------------------

/// Rounds of the timing mode; each runs every contender once, in turn.
const TIMING_ROUNDS: usize = 11;

/// Medians of alternating rounds for every shape and contender, then the
/// quick report's two-thread table.
fn timing() {
    let mut rows = Vec::new();
    for shape in SHAPES {
        eprintln!("timing {shape} ...");
        let mut contenders: Vec<Contender<'_>> = CONTENDERS
            .iter()
            .zip(COLUMNS)
            .filter(|(c, _)| applies(shape, c))
            .map(|(c, name)| Contender {
                name,
                run: job(shape, c).expect("every applicable contender has a job"),
            })
            .collect();
        let mut medians = alternate(&mut contenders, TIMING_ROUNDS).into_iter();
        let cells = CONTENDERS
            .iter()
            .map(|c| match applies(shape, c) {
                true => Cell::Value(medians.next().expect("one median per contender")),
                false => Cell::NotApplicable,
            })
            .collect();
        rows.push(Row {
            shape: row_name(shape),
            cells,
        });
    }
    let (floor2, floor3) = store_floors();
    let table = Table {
        title: "Arena: allocation shapes, timed".into(),
        unit: "ns per allocation unless noted".into(),
        columns: COLUMNS.iter().map(|c| c.to_string()).collect(),
        ratios: vec![(0, 2), (1, 2), (0, 3), (0, 4)],
        rows,
        notes: vec![
            format!(
                "Medians of {TIMING_ROUNDS} rounds after one warm-up; in each round the contenders run back to back in column order."
            ),
            format!(
                "Store floor, measured in the same run: a loop of 2 stores per iteration and nothing else takes {floor2:.3} ns, of 3 stores {floor3:.3} ns. alloc_u64_warm does 3 stores per allocation (value, finger, black_box slot), alloc_u64_sum 2; through a cursor the finger stays in a register, one store fewer."
            ),
        ],
    };
    println!("{}", table.to_markdown());
    eprintln!("timing two_threads_request ...");
    println!("{}", goro_bench::quick::arena::thread_table().to_markdown());
}

/// Medians (ns per iteration) of the 2- and 3-store loops, alternating.
fn store_floors() -> (f64, f64) {
    let (mut a, mut b) = ([0u64; 64], [0u64; 64]);
    let mut contenders = [
        Contender {
            name: "2 stores",
            run: Box::new(|| {
                (0..WARM_REPEAT)
                    .map(|_| store_floor_2(&mut a, N_WARM))
                    .sum()
            }),
        },
        Contender {
            name: "3 stores",
            run: Box::new(|| {
                (0..WARM_REPEAT)
                    .map(|_| store_floor_3(&mut b, N_WARM))
                    .sum()
            }),
        },
    ];
    let m = alternate(&mut contenders, TIMING_ROUNDS);
    (m[0], m[1])
}

// ----- callgrind mode --------------------------------------------------------

/// Instruction counts under `valgrind --tool=callgrind`.
///
/// The report runs this binary once per (shape, contender) and per
/// repetition count as a child under callgrind: the child builds the job,
/// runs one warm-up iteration and then `reps` measured ones. The count per
/// operation is `(Ir(reps = 2) - Ir(reps = 1)) / ops per iteration`: start-up,
/// the first chunk allocations and the warm-up cancel out, what is left is
/// one steady-state iteration, reset and slow paths included. Instruction
/// counts do not move with the machine's load, so a ratio below 1 here is
/// repeatable; it is not a time (no cache misses, no store-to-load latency).
mod callgrind {
    use std::path::PathBuf;
    use std::process::Command;

    use goro_bench::quick::{Cell, Row, Table};

    use super::{COLUMNS, CONTENDERS, SHAPES, applies, row_name};

    /// The argument that makes this binary a callgrind child.
    pub const CHILD: &str = "callgrind-child";

    /// Child side: `callgrind-child <shape> <contender> <reps>`; prints the
    /// operations of one iteration.
    pub fn child(args: &[String]) {
        let [shape, contender, reps, ..] = args else {
            panic!("usage: {CHILD} <shape> <contender> <reps>");
        };
        let reps: usize = reps.parse().expect("reps is a number");
        let mut run = super::job(shape, contender).expect("known shape and contender");
        let ops = run();
        for _ in 0..reps {
            assert_eq!(run(), ops, "every iteration does the same work");
        }
        println!("ops {ops}");
    }

    /// Instructions of one child run, and the operations it reported.
    fn run_child(shape: &str, contender: &str, reps: usize) -> Result<(u64, u64), String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let out_file: PathBuf = std::env::temp_dir().join(format!(
            "goro-arena-callgrind-{}-{shape}-{contender}-{reps}.out",
            std::process::id()
        ));
        let output = Command::new("valgrind")
            .arg("--tool=callgrind")
            .arg(format!("--callgrind-out-file={}", out_file.display()))
            .arg(exe)
            .args([CHILD, shape, contender, &reps.to_string()])
            .output()
            .map_err(|e| format!("cannot run valgrind: {e}"))?;
        let text = std::fs::read_to_string(&out_file);
        let _ = std::fs::remove_file(&out_file);
        if !output.status.success() {
            return Err(format!(
                "{shape}/{contender} failed under valgrind: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let ops = String::from_utf8_lossy(&output.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("ops ")?.trim().parse().ok())
            .ok_or("the child printed no operation count")?;
        let text = text.map_err(|e| format!("no callgrind output: {e}"))?;
        let ir = text
            .lines()
            .find_map(|l| l.strip_prefix("summary:")?.trim().parse().ok())
            .ok_or("no `summary:` line in the callgrind output")?;
        Ok((ir, ops))
    }

    /// Instructions per operation in one steady-state iteration.
    fn per_op(shape: &str, contender: &str) -> Result<f64, String> {
        let (one, ops) = run_child(shape, contender, 1)?;
        let (two, ops2) = run_child(shape, contender, 2)?;
        assert_eq!(ops, ops2, "the same job does the same work");
        Ok(two.saturating_sub(one) as f64 / ops.max(1) as f64)
    }

    /// Parent side: the table of instructions per operation.
    pub fn report() {
        match Command::new("valgrind").arg("--version").output() {
            Ok(out) if out.status.success() => eprintln!(
                "counting instructions with {}",
                String::from_utf8_lossy(&out.stdout).trim()
            ),
            _ => {
                println!(
                    "callgrind mode skipped: `valgrind` is not installed (apt-get install valgrind)."
                );
                return;
            }
        }
        let mut rows = Vec::new();
        for shape in SHAPES {
            let mut cells = Vec::new();
            for contender in CONTENDERS {
                if !applies(shape, contender) {
                    cells.push(Cell::NotApplicable);
                    continue;
                }
                eprintln!("callgrind {shape} {contender} ...");
                cells.push(match per_op(shape, contender) {
                    Ok(v) => Cell::Value(v),
                    Err(e) => {
                        eprintln!("  {e}");
                        Cell::NotApplicable
                    }
                });
            }
            rows.push(Row {
                shape: row_name(shape),
                cells,
            });
        }
        let table = Table {
            title: "Arena: instructions (callgrind)".into(),
            unit: "instructions per allocation unless noted".into(),
            columns: COLUMNS.iter().map(|c| c.to_string()).collect(),
            ratios: vec![(0, 2), (1, 2), (0, 4)],
            rows,
            notes: vec![
                "Ir of one steady-state iteration: a run with two measured iterations minus a run with one, divided by the iteration's operations (valgrind --tool=callgrind).".into(),
                "The harness is in the counts and the same for every contender: the 1M shapes record each address in a reused vector, the alloc_u64 loops spend 5 instructions per allocation on the value store, the counter and the black_box store or the sum.".into(),
            ],
        };
        println!("{}", table.to_markdown());
    }
}
