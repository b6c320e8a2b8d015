//! `cargo run --release -p goro-bench`: the quick side-by-side comparison.
//!
//! Runs every part's short shapes against its baselines (tokio, std, peer
//! crates), prints Markdown tables with goro ÷ baseline ratios, and writes
//! them to `target/goro-report.md`. Parts that are not built yet show "not
//! built yet" in their goro cells, never a number. The full criterion suite
//! is `cargo bench -p goro-bench`. `GORO_BENCH_ONLY=<text>` keeps only the
//! sections whose name contains `<text>` (e.g. `GORO_BENCH_ONLY=http/2`).

use std::io::Write as _;
use std::time::Instant;

use goro_bench::alloc_count::{CountingAlloc, live_bytes};
use goro_bench::quick::{self, Table};

/// A report section: runs its shapes and returns its tables.
type Section = Box<dyn FnOnce() -> Vec<Table>>;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn main() {
    let started = Instant::now();
    let mut report = String::from("# goro quick comparison\n\n");
    report.push_str(&machine_line());

    let mut sections: Vec<(&str, Section)> = vec![
        (
            "Scheduler",
            Box::new(|| quick::scheduler::tables(live_bytes)),
        ),
        ("Netpoll", Box::new(quick::netpoll::tables)),
        ("Runtime I/O (echo server)", Box::new(quick::echo::tables)),
        ("Arena", Box::new(quick::arena::tables)),
        ("HTTP/2", Box::new(quick::http2::tables)),
    ];

    // GORO_BENCH_ONLY=http/2 runs only the sections whose name contains
    // that text (case-insensitive), e.g. to re-measure one part.
    if let Ok(only) = std::env::var("GORO_BENCH_ONLY") {
        let only = only.to_lowercase();
        sections.retain(|(name, _)| name.to_lowercase().contains(&only));
        report.push_str(&format!(
            "Sections matching GORO_BENCH_ONLY={only:?} only.\n\n"
        ));
    }
    for (name, run) in sections.drain(..) {
        eprintln!("== {name} ...");
        let section_start = Instant::now();
        let mut text = format!("## {name}\n\n");
        for table in run() {
            text.push_str(&table.to_markdown());
            text.push('\n');
        }
        text.push_str(&format!(
            "_{name} section took {:.1} s._\n\n",
            section_start.elapsed().as_secs_f64()
        ));
        print!("{text}");
        let _ = std::io::stdout().flush();
        report.push_str(&text);
    }
    let total = format!("Total: {:.1} s.\n", started.elapsed().as_secs_f64());
    print!("{total}");
    report.push_str(&total);

    let path = report_path();
    match std::fs::write(&path, &report) {
        Ok(()) => eprintln!("report written to {}", path.display()),
        Err(e) => {
            eprintln!("could not write {}: {e}", path.display());
            std::process::exit(1);
        }
    }
}

/// `target/goro-report.md` at the workspace root (or under CARGO_TARGET_DIR).
fn report_path() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            let bench_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
            bench_dir.parent().unwrap_or(bench_dir).join("target")
        });
    let _ = std::fs::create_dir_all(&target);
    target.join("goro-report.md")
}

fn machine_line() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "Machine: {cpus} CPUs, Linux {}, load average {} at start. Shared and noisy: \
         read ratios, not absolute figures.\n\n",
        kernel.trim(),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    )
}
