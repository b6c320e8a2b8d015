//! The quick comparison report behind `cargo run --release -p goro-bench`.
//!
//! Each part of the workspace contributes a module with `pub fn tables() ->
//! Vec<Table>`. A [`Table`] has one column per contender; the goro columns
//! are compared with the baseline columns as ratios (goro ÷ baseline, lower
//! is better). A part that is not built yet shows [`Cell::NotBuilt`], never a
//! number.
//!
//! Timing follows the project's rules for a noisy shared machine: contenders
//! alternate within each round ([`alternate`]), and the report gives the
//! median of the rounds.

pub mod arena;
pub mod echo;
pub mod http2;
pub mod netpoll;
pub mod scheduler;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// One measured value, or the reason there is none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    /// A median, in the table's unit.
    Value(f64),
    /// The goro part that this column measures does not exist yet.
    NotBuilt,
    /// The shape does not apply to this contender.
    NotApplicable,
}

/// One shape (a row) measured for every contender.
#[derive(Debug, Clone)]
pub struct Row {
    /// The shape's name, as in the criterion benches (`spawn_many_local`).
    pub shape: String,
    /// One cell per column of the table, in column order.
    pub cells: Vec<Cell>,
}

/// A Markdown table: shapes down, contenders across, then ratio columns.
#[derive(Debug, Clone)]
pub struct Table {
    /// Heading printed above the table.
    pub title: String,
    /// The unit of every cell (`ns/task`, `ns/alloc`, ...).
    pub unit: String,
    /// Contender names, in cell order.
    pub columns: Vec<String>,
    /// Ratio columns as (numerator column, denominator column) indices.
    pub ratios: Vec<(usize, usize)>,
    /// The measured rows.
    pub rows: Vec<Row>,
    /// Lines printed under the table (method, targets, caveats).
    pub notes: Vec<String>,
}

impl Table {
    /// Renders the table as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "### {} ({})\n", self.title, self.unit);
        let mut header = vec!["shape".to_string()];
        header.extend(self.columns.iter().cloned());
        for &(num, den) in &self.ratios {
            header.push(format!("{} ÷ {}", self.columns[num], self.columns[den]));
        }
        let _ = writeln!(out, "| {} |", header.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
        for row in &self.rows {
            let mut line = vec![row.shape.clone()];
            line.extend(row.cells.iter().map(|c| format_cell(*c)));
            for &(num, den) in &self.ratios {
                line.push(match (row.cells.get(num), row.cells.get(den)) {
                    (Some(Cell::Value(a)), Some(Cell::Value(b))) if *b > 0.0 => {
                        format!("{:.2}", a / b)
                    }
                    (Some(Cell::NotBuilt), _) | (_, Some(Cell::NotBuilt)) => {
                        "not built yet".to_string()
                    }
                    _ => "—".to_string(),
                });
            }
            let _ = writeln!(out, "| {} |", line.join(" | "));
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for note in &self.notes {
                let _ = writeln!(out, "- {note}");
            }
        }
        out
    }
}

fn format_cell(cell: Cell) -> String {
    match cell {
        Cell::Value(v) if v >= 100.0 => format!("{v:.0}"),
        Cell::Value(v) if v >= 10.0 => format!("{v:.1}"),
        Cell::Value(v) => format!("{v:.2}"),
        Cell::NotBuilt => "not built yet".to_string(),
        Cell::NotApplicable => "—".to_string(),
    }
}

/// A contender in an alternating measurement: a name and a closure that runs
/// one iteration of the shape and returns how many operations it did.
pub struct Contender<'a> {
    /// Column name.
    pub name: &'a str,
    /// Runs one iteration; returns the number of operations performed.
    pub run: Box<dyn FnMut() -> u64 + 'a>,
}

/// Runs `rounds` rounds; in each round every contender runs one iteration,
/// in turn, so slow phases of a noisy machine hit all of them alike. Returns
/// the median wall-clock nanoseconds per operation for each contender, in
/// order. One untimed warm-up iteration per contender comes first.
pub fn alternate(contenders: &mut [Contender<'_>], rounds: usize) -> Vec<f64> {
    for c in contenders.iter_mut() {
        (c.run)();
    }
    timed_rounds(contenders, rounds, false)
}

/// Like [`alternate`], but each contender's timed iteration follows an
/// untimed one on the same runtime at once, with nothing in between: the
/// timed iteration starts on a runtime that is already busy. For shapes
/// about behaviour under saturation (`spawn_many_remote_busy2`), where a
/// start from idle measures how soon the OS gives the spawning thread its
/// CPU back from the workers it woke, not the runtime.
pub fn alternate_warmed(contenders: &mut [Contender<'_>], rounds: usize) -> Vec<f64> {
    timed_rounds(contenders, rounds, true)
}

/// The rounds of [`alternate`]; with `warm_each`, an untimed iteration
/// right before every timed one.
fn timed_rounds(contenders: &mut [Contender<'_>], rounds: usize, warm_each: bool) -> Vec<f64> {
    let mut samples = vec![Vec::with_capacity(rounds); contenders.len()];
    for _ in 0..rounds {
        for (i, c) in contenders.iter_mut().enumerate() {
            if warm_each {
                (c.run)();
            }
            let start = Instant::now();
            let ops = (c.run)().max(1);
            samples[i].push(start.elapsed().as_nanos() as f64 / ops as f64);
        }
    }
    samples.into_iter().map(median).collect()
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    assert!(!values.is_empty(), "median of no samples");
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// CPU time consumed so far by this whole process (all threads), from
/// `CLOCK_PROCESS_CPUTIME_ID`.
pub fn process_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant
    // the kernel always supports.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_odd_and_even() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn not_built_cells_never_become_numbers() {
        let table = Table {
            title: "t".into(),
            unit: "ns/op".into(),
            columns: vec!["goro".into(), "tokio".into()],
            ratios: vec![(0, 1)],
            rows: vec![Row {
                shape: "s".into(),
                cells: vec![Cell::NotBuilt, Cell::Value(12.0)],
            }],
            notes: vec![],
        };
        let md = table.to_markdown();
        assert!(
            md.contains("| s | not built yet | 12.0 | not built yet |"),
            "{md}"
        );
    }

    #[test]
    fn ratio_is_goro_over_baseline() {
        let table = Table {
            title: "t".into(),
            unit: "ns/op".into(),
            columns: vec!["goro".into(), "tokio".into()],
            ratios: vec![(0, 1)],
            rows: vec![Row {
                shape: "s".into(),
                cells: vec![Cell::Value(5.0), Cell::Value(20.0)],
            }],
            notes: vec![],
        };
        assert!(table.to_markdown().contains("| 0.25 |"));
    }

    #[test]
    fn alternate_reports_per_op() {
        let mut calls = 0;
        let mut cs = [Contender {
            name: "x",
            run: Box::new(|| {
                calls += 1;
                10
            }),
        }];
        let out = alternate(&mut cs, 3);
        assert_eq!(out.len(), 1);
        assert!(out[0] >= 0.0);
        drop(cs);
        assert_eq!(calls, 4, "one warm-up plus three rounds");
    }

    #[test]
    fn alternate_warmed_runs_an_untimed_iteration_before_each_timed_one() {
        let mut calls = 0;
        let mut cs = [Contender {
            name: "x",
            run: Box::new(|| {
                calls += 1;
                10
            }),
        }];
        let out = alternate_warmed(&mut cs, 3);
        assert_eq!(out.len(), 1);
        drop(cs);
        assert_eq!(calls, 6, "two iterations per round, one timed");
    }
}
