//! A TCP echo server that load tools can drive.
//!
//! ```text
//! cargo run --release -p goro --example echo -- \
//!     --addr 127.0.0.1:7000 --workers 2 --backend uring --buf 4096
//! ```
//!
//! Echoes every byte back, sets TCP_NODELAY, runs until killed. Connections
//! come from a multishot accept; each is served by one task doing
//! owned-buffer reads and writes. `--backend` is `uring`, `epoll` or
//! `auto` (the default; `GORO_IO_BACKEND` then decides).

use std::net::SocketAddr;
use std::process::ExitCode;

use goro::net::{TcpListener, TcpStream};

struct Args {
    addr: SocketAddr,
    workers: usize,
    backend: goro::IoBackend,
    buf: usize,
}

fn usage(why: &str) -> ExitCode {
    eprintln!("echo: {why}");
    eprintln!(
        "usage: echo [--addr IP:PORT] [--workers N] [--backend uring|epoll|auto] [--buf BYTES]"
    );
    ExitCode::from(2)
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        addr: "127.0.0.1:7000".parse().map_err(|e| format!("{e}"))?,
        workers: 1,
        backend: goro::IoBackend::Auto,
        buf: 4096,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--addr" => args.addr = value.parse().map_err(|e| format!("--addr: {e}"))?,
            "--workers" => args.workers = value.parse().map_err(|e| format!("--workers: {e}"))?,
            "--buf" => args.buf = value.parse().map_err(|e| format!("--buf: {e}"))?,
            "--backend" => {
                args.backend = match value.as_str() {
                    "uring" | "io_uring" => goro::IoBackend::IoUring,
                    "epoll" => goro::IoBackend::Epoll,
                    "auto" => goro::IoBackend::Auto,
                    other => return Err(format!("--backend: unknown backend {other}")),
                }
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(args)
}

async fn serve(conn: TcpStream, size: usize) {
    if conn.set_nodelay(true).is_err() {
        return;
    }
    let mut buf = Vec::with_capacity(size);
    loop {
        buf.clear();
        let (n, b) = conn.read(buf).await;
        match n {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let (r, b) = conn.write_all(b).await;
        if r.is_err() {
            return;
        }
        buf = b;
    }
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(why) => return usage(&why),
    };
    let rt = match goro::Runtime::builder()
        .worker_threads(args.workers)
        .io_backend(args.backend)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("echo: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result: std::io::Result<()> = rt.block_on(async move {
        let listener = TcpListener::bind(args.addr)?;
        eprintln!(
            "echo: listening on {} ({} workers, {}, {} B buffers)",
            listener.local_addr()?,
            args.workers,
            goro::Handle::current().metrics().io_backend.map_or_else(
                || "I/O backend not chosen yet".to_string(),
                |b| b.to_string()
            ),
            args.buf
        );
        let mut incoming = listener.incoming();
        while let Some(conn) = incoming.next().await {
            match conn {
                Ok(conn) => {
                    goro::spawn(serve(conn, args.buf));
                }
                Err(e) => eprintln!("echo: accept: {e}"),
            }
        }
        Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo: {e}");
            ExitCode::FAILURE
        }
    }
}
