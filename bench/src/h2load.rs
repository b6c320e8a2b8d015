//! Runs nghttp2's `h2load` against HTTP/2 servers started as child
//! processes, and measures what each server spends per request.
//!
//! The method is the research note's:
//! 1. Every server is its own process, so its CPU time can be read from
//!    `/proc` before and after a run ([`cpu_us`]: the threads' schedstat
//!    nanoseconds, or utime + stime of `/proc/PID/stat`).
//!    **Server CPU µs per request** is that delta ÷ requests; it is the
//!    primary figure, because it does not depend on how fast the load
//!    generator is on a shared 2-core machine.
//! 2. Contenders alternate inside every round (goro, h2, nghttpd, goro, ...)
//!    so slow phases of the machine hit all of them; the report gives the
//!    median of the rounds.
//! 3. Throughput is h2load's own `req/s` figure; the tail is the p99 of the
//!    per-request times h2load writes with `--log-file` (time from request
//!    start to the end of the response, in µs). h2load prints no
//!    percentiles itself.
//!
//! Nothing is invented: a missing tool gives [`Error::ToolMissing`] and the
//! report prints "not measured".

use std::io::{self, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::quick::{Cell, Row, Table};

mod startup;

pub use startup::{STARTUP_RUNS, first_response_ms, stripped_size};

/// Why a measurement could not be made.
#[derive(Debug)]
pub enum Error {
    /// An external program is not installed (`h2load`, `nghttpd`, `cargo`).
    ToolMissing(&'static str),
    /// Building the example servers failed.
    Build(std::process::ExitStatus),
    /// A server did not accept connections within its start-up time.
    ServerDidNotStart(&'static str),
    /// h2load ran but its output lacked the line named here.
    Output(&'static str),
    /// Any other I/O failure (spawn, /proc, temp files).
    Io(io::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::ToolMissing(t) => write!(f, "{t} not installed"),
            Error::Build(s) => write!(f, "building the example servers failed: {s}"),
            Error::ServerDidNotStart(s) => write!(f, "{s} did not start listening"),
            Error::Output(what) => write!(f, "h2load output has no {what}"),
            Error::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

/// The servers compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// goro-http2 on goro's runtime, io_uring backend (`examples/server.rs
    /// --backend uring`).
    GoroUring,
    /// goro-http2 on goro's runtime, epoll backend (`examples/server.rs
    /// --backend epoll`).
    GoroEpoll,
    /// goro-http2's core on its tokio binding (`examples/tokio_hello.rs`).
    GoroTokio,
    /// The `h2` crate on tokio (`examples/h2_tokio_hello.rs`).
    H2Tokio,
    /// nghttp2's own server, `nghttpd --no-tls` serving a file.
    Nghttpd,
    /// hyper's HTTP/2 server on goro, io_uring backend
    /// (`examples/hyper_goro_hello.rs`, the `hyper` feature).
    HyperGoroUring,
    /// The same on goro's epoll backend.
    HyperGoroEpoll,
    /// The same hyper code on tokio's multi-thread runtime with 1 worker,
    /// through hyper-util (`examples/hyper_tokio_hello.rs`).
    HyperTokio,
    /// The same on tokio's current-thread runtime.
    HyperTokioCt,
}

impl Server {
    /// Every contender, in report order.
    pub const ALL: [Server; 5] = [
        Server::GoroUring,
        Server::GoroEpoll,
        Server::GoroTokio,
        Server::H2Tokio,
        Server::Nghttpd,
    ];

    /// The runtime comparison: one HTTP/2 stack (hyper) on goro's two
    /// backends and on tokio.
    pub const HYPER: [Server; 4] = [
        Server::HyperGoroUring,
        Server::HyperGoroEpoll,
        Server::HyperTokio,
        Server::HyperTokioCt,
    ];

    /// The column name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Server::GoroUring => "goro-http2 + goro (uring)",
            Server::GoroEpoll => "goro-http2 + goro (epoll)",
            Server::GoroTokio => "goro-http2 + tokio",
            Server::H2Tokio => "h2 + tokio",
            Server::Nghttpd => "nghttpd",
            Server::HyperGoroUring => "hyper + goro (uring)",
            Server::HyperGoroEpoll => "hyper + goro (epoll)",
            Server::HyperTokio => "hyper + tokio",
            Server::HyperTokioCt => "hyper + tokio current_thread",
        }
    }
}

/// One h2load load shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    /// `-n`: total requests.
    pub requests: u64,
    /// `-c`: connections.
    pub clients: u32,
    /// `-m`: concurrent streams per connection.
    pub streams: u32,
}

impl Load {
    /// The shape's name, as the criterion benches would call it.
    pub fn shape(&self) -> String {
        format!("h2_get_hello_c{}_m{}", self.clients, self.streams)
    }
}

/// What one h2load run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Server CPU (user + system, all threads) per request, µs.
    pub cpu_us_per_req: f64,
    /// h2load's `req/s`.
    pub req_per_s: f64,
    /// 99th percentile of the per-request times in h2load's log, µs.
    pub p99_us: f64,
    /// Requests that h2load did not count as succeeded.
    pub failed: u64,
}

/// A server child process; killed and reaped on drop.
pub struct Running {
    /// Which server.
    pub server: Server,
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Child,
    _docroot: Option<TempDir>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scratch directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> io::Result<TempDir> {
        let dir = std::env::temp_dir().join(format!("goro-h2load-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// True if `prog --version` runs.
pub fn installed(prog: &str) -> bool {
    Command::new(prog)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ has a parent")
        .to_path_buf()
}

/// Builds the example servers (`cargo build --release -p goro-http2
/// --features tokio --examples`, which with the default `goro` feature
/// builds the goro `server` too; quick when they are up to date) and
/// returns the directory that holds them.
pub fn build_examples() -> Result<PathBuf, Error> {
    let root = workspace_root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "goro-http2",
            "--features",
            "tokio",
            "--examples",
        ])
        .status()
        .map_err(|_| Error::ToolMissing("cargo"))?;
    if !status.success() {
        return Err(Error::Build(status));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok(target.join("release").join("examples"))
}

/// A port that was free a moment ago (the OS picks it; the child binds it).
fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `server` on a fresh port and waits (at most 10 s) until it
/// accepts connections. The tokio servers get 1 worker thread, like
/// nghttpd's default of one.
pub fn start(server: Server, examples: &Path) -> Result<Running, Error> {
    let port = free_port()?;
    let (mut cmd, docroot) = command(server, examples, port)?;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let running = Running {
        server,
        port,
        child,
        _docroot: docroot,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    // Bounded by the deadline; the pause only spaces out connect attempts.
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(Error::ServerDidNotStart(server.name()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(running)
}

/// The command line that runs `server` on `port` with one worker thread
/// (nghttpd: its default single thread), and nghttpd's document root.
fn command(
    server: Server,
    examples: &Path,
    port: u16,
) -> Result<(Command, Option<TempDir>), Error> {
    let addr = format!("127.0.0.1:{port}");
    let backend = match server {
        Server::GoroUring => "uring",
        Server::GoroEpoll => "epoll",
        Server::GoroTokio => return Ok((tokio_example("tokio_hello", examples, &addr), None)),
        Server::H2Tokio => return Ok((tokio_example("h2_tokio_hello", examples, &addr), None)),
        Server::HyperTokio => {
            return Ok((tokio_example("hyper_tokio_hello", examples, &addr), None));
        }
        Server::HyperTokioCt => {
            let mut cmd = tokio_example("hyper_tokio_hello", examples, &addr);
            cmd.arg("current_thread");
            return Ok((cmd, None));
        }
        Server::HyperGoroUring | Server::HyperGoroEpoll => {
            let backend = match server {
                Server::HyperGoroUring => "uring",
                _ => "epoll",
            };
            let mut cmd = Command::new(examples.join("hyper_goro_hello"));
            cmd.args([addr.as_str(), "1", backend]);
            return Ok((cmd, None));
        }
        Server::Nghttpd => {
            if !installed("nghttpd") {
                return Err(Error::ToolMissing("nghttpd"));
            }
            // GET / is served from index.html: the same 5 bytes as the others.
            let dir = TempDir::new(&format!("nghttpd-{port}"))?;
            std::fs::write(dir.0.join("index.html"), b"hello")?;
            std::fs::write(dir.0.join("hello"), b"hello")?;
            let mut cmd = Command::new("nghttpd");
            cmd.arg("--no-tls")
                .arg("-d")
                .arg(&dir.0)
                .arg(port.to_string());
            return Ok((cmd, Some(dir)));
        }
    };
    let mut cmd = Command::new(examples.join("server"));
    cmd.args(["--addr", &addr, "--workers", "1", "--backend", backend]);
    Ok((cmd, None))
}

/// The tokio examples take `ADDR WORKERS`.
fn tokio_example(bin: &str, examples: &Path, addr: &str) -> Command {
    let mut cmd = Command::new(examples.join(bin));
    cmd.args([addr, "1"]);
    cmd
}

/// CPU time of process `pid` (all its threads), in µs: the sum of the
/// threads' on-CPU nanoseconds in `/proc/PID/task/*/schedstat`, or, where
/// that file is missing, utime + stime from `/proc/PID/stat`. schedstat is
/// preferred because stat counts 10 ms ticks, too coarse for a 20 000
/// request run (a few µs per request is a few ticks). Threads that exited
/// drop out of the schedstat sum; the servers here keep theirs.
pub fn cpu_us(pid: u32) -> io::Result<f64> {
    match schedstat_ns(pid) {
        Ok(ns) => Ok(ns as f64 / 1e3),
        Err(_) => stat_us(pid),
    }
}

fn schedstat_ns(pid: u32) -> io::Result<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let text = std::fs::read_to_string(task?.path().join("schedstat"))?;
        total += text
            .split_whitespace()
            .next()
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| io::Error::other("malformed schedstat"))?;
    }
    Ok(total)
}

/// utime + stime of `/proc/PID/stat` (all threads, including exited
/// ones), in µs.
pub fn stat_us(pid: u32) -> io::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) may hold spaces; fields after its ')' are
    // numbered from 3 (state), so utime (14) and stime (15) are 11 and 12.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| io::Error::other("malformed /proc stat"))?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| -> io::Result<u64> {
        fields
            .get(i)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other("missing utime/stime"))
    };
    let total = ticks(11)? + ticks(12)?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Ok(total as f64 * 1e6 / hz)
}

/// Runs h2load once against `server` and measures it.
pub fn measure(server: &Running, load: Load) -> Result<Sample, Error> {
    let log = TempDir::new("log")?;
    let log_file = log.0.join("requests.log");
    let url = format!("http://127.0.0.1:{}/", server.port);
    let pid = server.child.id();
    let before = cpu_us(pid)?;
    let out = Command::new("h2load")
        .args(["-t", "1", "-n"])
        .arg(load.requests.to_string())
        .arg("-c")
        .arg(load.clients.to_string())
        .arg("-m")
        .arg(load.streams.to_string())
        .arg(format!("--log-file={}", log_file.display()))
        .arg(&url)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|_| Error::ToolMissing("h2load"))?;
    let after = cpu_us(pid)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (req_per_s, succeeded) = parse_summary(&stdout)?;
    let mut times: Vec<f64> = std::fs::read_to_string(&log_file)?
        .lines()
        .filter_map(|l| l.split('\t').nth(2).and_then(|t| t.parse().ok()))
        .collect();
    if times.is_empty() {
        return Err(Error::Output("per-request log"));
    }
    times.sort_by(f64::total_cmp);
    let p99_us = times[(times.len() * 99).div_ceil(100).saturating_sub(1)];
    Ok(Sample {
        cpu_us_per_req: (after - before) / load.requests as f64,
        req_per_s,
        p99_us,
        failed: load.requests.saturating_sub(succeeded),
    })
}

/// h2load's `req/s` and succeeded count, from its summary lines:
/// `finished in 141.97ms, 14087.48 req/s, 346.30KB/s` and
/// `requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, ...`.
pub fn parse_summary(stdout: &str) -> Result<(f64, u64), Error> {
    let req_per_s = stdout
        .lines()
        .find(|l| l.starts_with("finished in"))
        .and_then(|l| l.split(", ").nth(1))
        .and_then(|s| s.strip_suffix(" req/s"))
        .and_then(|s| s.parse::<f64>().ok())
        .ok_or(Error::Output("`finished in ..., N req/s` line"))?;
    let succeeded = stdout
        .lines()
        .find(|l| l.starts_with("requests:"))
        .and_then(|l| l.split(", ").find(|p| p.ends_with(" succeeded")))
        .and_then(|p| p.split_whitespace().next())
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or(Error::Output("`requests: ... succeeded` line"))?;
    Ok((req_per_s, succeeded))
}

/// The median sample of each contender for one load.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The load.
    pub load: Load,
    /// Per contender, in the order given: its medians, or why none.
    pub per_server: Vec<(Server, Result<Sample, String>)>,
}

/// Starts every server once, then runs each load `rounds` times, the
/// contenders alternating inside each round, after one small warm-up run
/// each. Returns the medians per load and server. Errors only when h2load
/// itself or the example build is unavailable; a server that cannot start
/// is reported in its cell.
pub fn compare(
    servers: &[Server],
    loads: &[Load],
    rounds: usize,
) -> Result<Vec<Comparison>, Error> {
    if !installed("h2load") {
        return Err(Error::ToolMissing("h2load"));
    }
    let examples = build_examples()?;
    let running: Vec<(Server, Result<Running, Error>)> =
        servers.iter().map(|&s| (s, start(s, &examples))).collect();
    let warm = Load {
        requests: 2_000,
        clients: 4,
        streams: 4,
    };
    for (_, r) in &running {
        if let Ok(r) = r {
            let _ = measure(r, warm);
        }
    }
    let mut out = Vec::new();
    for &load in loads {
        let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); running.len()];
        let mut errors: Vec<Option<String>> = running
            .iter()
            .map(|(_, r)| r.as_ref().err().map(ToString::to_string))
            .collect();
        for _ in 0..rounds {
            for (i, (_, r)) in running.iter().enumerate() {
                let Ok(r) = r else { continue };
                match measure(r, load) {
                    Ok(s) => samples[i].push(s),
                    Err(e) => errors[i] = Some(e.to_string()),
                }
            }
        }
        let per_server = running
            .iter()
            .zip(samples.into_iter().zip(errors))
            .map(|((s, _), (got, err))| {
                let cell = match err {
                    Some(e) => Err(e),
                    None => Ok(median_sample(&got)),
                };
                (*s, cell)
            })
            .collect();
        out.push(Comparison { load, per_server });
    }
    Ok(out)
}

/// Ratio columns of every HTTP/2 table: each goro contender over h2 on
/// tokio (target ≤ 0.5 for CPU) and over nghttpd (target ≤ 1.0), and the
/// tokio binding over h2 (protocol cost alone).
const RATIOS: [(usize, usize); 5] = [(0, 3), (0, 4), (1, 3), (1, 4), (2, 3)];

/// Ratio columns of the hyper tables: hyper on goro (each backend) over
/// hyper on tokio, multi-thread and current-thread.
const HYPER_RATIOS: [(usize, usize); 4] = [(0, 2), (1, 2), (0, 3), (1, 3)];

/// The main job's HTTP/2 server section: the h2load tables (server CPU
/// µs/request first, then req/s and p99) for the loads of the issue
/// (`-c 64 -m 16`, and `-c 1 -m 1` for latency), every contender of
/// [`Server::ALL`] alternating, then start-up time and binary size.
pub fn tables(requests: u64, rounds: usize) -> Vec<Table> {
    let loads = [(64, 16), (1, 1)].map(|(clients, streams)| Load {
        requests,
        clients,
        streams,
    });
    let method = format!(
        "`h2load -t 1 -n {requests} -c C -m M --log-file=F http://127.0.0.1:PORT/`, GET / → \"hello\"; \
         servers are child processes with 1 worker thread (nghttpd: `--no-tls`, its default single \
         thread); median of {rounds} alternating rounds after a warm-up run."
    );
    let mut out = Vec::new();
    let figures: [(Heading, Pick); 3] = [
        (
            Heading {
                title: "HTTP/2 server CPU per request (h2load)",
                unit: "server CPU µs/req, lower is better",
                how: "Server process CPU (all threads: on-CPU ns from /proc/PID/task/*/schedstat), \
                      delta over the run ÷ requests. Targets: goro ≤ 0.5× h2 + tokio and ≤ 1.0× nghttpd.",
            },
            |s| s.cpu_us_per_req,
        ),
        (
            Heading {
                title: "HTTP/2 server throughput (h2load)",
                unit: "req/s, higher is better",
                how: "h2load's own req/s; h2load and the server share 2 cores, so the client bounds it too.",
            },
            |s| s.req_per_s,
        ),
        (
            Heading {
                title: "HTTP/2 request latency p99 (h2load)",
                unit: "µs, lower is better",
                how: "p99 of the per-request times in h2load's --log-file (request start to response end).",
            },
            |s| s.p99_us,
        ),
    ];
    out.extend(figure_tables(
        &Server::ALL,
        &RATIOS,
        &loads,
        rounds,
        &method,
        &figures,
    ));
    let hyper_method = format!(
        "{method} The same hyper 1.x HTTP/2 server code (`examples/hyper_goro_hello.rs`, \
         `examples/hyper_tokio_hello.rs`) on each runtime, 1 worker (tokio: multi_thread with 1 \
         worker, like the other tokio servers, and current_thread): the runtimes compared under \
         one protocol stack. Alternating among these four only."
    );
    let hyper_figures: [(Heading, Pick); 3] = [
        (
            Heading {
                title: "hyper on goro and on tokio: server CPU per request (h2load)",
                unit: "server CPU µs/req, lower is better",
                how: "Server process CPU, as above. No target in the issues: goro's runtime against \
                      tokio's under the same HTTP/2 code.",
            },
            |s| s.cpu_us_per_req,
        ),
        (
            Heading {
                title: "hyper on goro and on tokio: throughput (h2load)",
                unit: "req/s, higher is better",
                how: figures[1].0.how,
            },
            |s| s.req_per_s,
        ),
        (
            Heading {
                title: "hyper on goro and on tokio: request latency p99 (h2load)",
                unit: "µs, lower is better",
                how: figures[2].0.how,
            },
            |s| s.p99_us,
        ),
    ];
    out.extend(figure_tables(
        &Server::HYPER,
        &HYPER_RATIOS,
        &loads,
        rounds,
        &hyper_method,
        &hyper_figures,
    ));
    out.extend(startup::tables());
    out
}

/// Runs `servers` on `loads` ([`compare`]) and makes one table per figure,
/// with `ratios` between columns; "not measured" cells and notes when a
/// tool or a server is missing.
fn figure_tables(
    servers: &[Server],
    ratios: &[(usize, usize)],
    loads: &[Load],
    rounds: usize,
    method: &str,
    figures: &[(Heading, Pick)],
) -> Vec<Table> {
    let mut out = Vec::new();
    match compare(servers, loads, rounds) {
        Err(e) => {
            let rows = loads
                .iter()
                .map(|l| Row {
                    shape: l.shape(),
                    cells: vec![Cell::NotApplicable; servers.len()],
                })
                .collect::<Vec<_>>();
            for (heading, _) in figures {
                let notes = vec![method.to_string(), format!("not measured: {e}")];
                out.push(heading.table(servers, ratios, rows.clone(), notes));
            }
        }
        Ok(comparisons) => {
            let mut notes = vec![method.to_string()];
            for c in &comparisons {
                for (server, cell) in &c.per_server {
                    match cell {
                        Ok(s) if s.failed > 0 => notes.push(format!(
                            "{}: {} requests failed on {}",
                            c.load.shape(),
                            s.failed,
                            server.name()
                        )),
                        Ok(_) => {}
                        Err(e) => notes.push(format!(
                            "{}: {} not measured: {e}",
                            c.load.shape(),
                            server.name()
                        )),
                    }
                }
            }
            for (heading, pick) in figures {
                let rows = comparisons
                    .iter()
                    .map(|c| Row {
                        shape: c.load.shape(),
                        cells: c
                            .per_server
                            .iter()
                            .map(|(_, r)| {
                                r.as_ref()
                                    .map_or(Cell::NotApplicable, |s| Cell::Value(pick(s)))
                            })
                            .collect(),
                    })
                    .collect();
                out.push(heading.table(servers, ratios, rows, notes.clone()));
            }
        }
    }
    out
}

/// Reads one figure of a sample.
type Pick = fn(&Sample) -> f64;

/// A table's title, unit and how it was measured.
struct Heading {
    title: &'static str,
    unit: &'static str,
    how: &'static str,
}

impl Heading {
    /// A table with one column per server, the given ratios, and the
    /// method note first.
    fn table(
        &self,
        servers: &[Server],
        ratios: &[(usize, usize)],
        rows: Vec<Row>,
        mut notes: Vec<String>,
    ) -> Table {
        notes.insert(0, self.how.to_string());
        notes.dedup();
        Table {
            title: self.title.into(),
            unit: self.unit.into(),
            columns: servers.iter().map(|s| s.name().to_string()).collect(),
            ratios: ratios.to_vec(),
            rows,
            notes,
        }
    }
}

fn median_of(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// Each figure's median across rounds; failures are summed.
fn median_sample(samples: &[Sample]) -> Sample {
    Sample {
        cpu_us_per_req: median_of(samples.iter().map(|s| s.cpu_us_per_req).collect()),
        req_per_s: median_of(samples.iter().map(|s| s.req_per_s).collect()),
        p99_us: median_of(samples.iter().map(|s| s.p99_us).collect()),
        failed: samples.iter().map(|s| s.failed).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_of_this_process_is_read_and_grows() {
        let pid = std::process::id();
        let before = cpu_us(pid).expect("read /proc/self");
        assert!(stat_us(pid).expect("read /proc/self/stat") >= 0.0);
        // Spin until the kernel's tick-based accounting moves (bounded).
        // The assertion uses the read that ended the loop: a fresh read
        // could be lower, since the sum drops the threads of other tests
        // that exit meanwhile (seen once in CI).
        let start = Instant::now();
        let mut x = 0u64;
        let mut now = cpu_us(pid).expect("read");
        while now <= before && start.elapsed() < Duration::from_secs(5) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(1));
            now = cpu_us(pid).expect("read");
        }
        assert!(now > before, "CPU time did not grow in 5 s");
    }

    #[test]
    fn h2load_summary_is_parsed() {
        let out = "progress: 100% done\n\nfinished in 141.97ms, 14087.48 req/s, 346.30KB/s\n\
                   requests: 2000 total, 2000 started, 2000 done, 1990 succeeded, 10 failed, \
                   0 errored, 0 timeout\n";
        let (rps, ok) = parse_summary(out).expect("parses");
        assert_eq!((rps, ok), (14087.48, 1990));
        assert!(matches!(
            parse_summary("finished in 1s, 5 req/s, 1KB/s\n"),
            Err(Error::Output(_))
        ));
    }

    #[test]
    fn median_sample_takes_each_figure_separately() {
        let s = |c, r, p, f| Sample {
            cpu_us_per_req: c,
            req_per_s: r,
            p99_us: p,
            failed: f,
        };
        let m = median_sample(&[
            s(1.0, 30.0, 5.0, 0),
            s(3.0, 10.0, 6.0, 2),
            s(2.0, 20.0, 4.0, 1),
        ]);
        assert_eq!(m, s(2.0, 20.0, 5.0, 3));
    }
}
