//! Start-up time (exec to first answered request) and stripped binary size
//! of each HTTP/2 server: Go's selling points, a few ms and a few MB.

use super::*;

/// Runs before a start-up measurement: how long from `exec` to the first
/// answered request, median of this many runs.
pub const STARTUP_RUNS: usize = 11;

/// Time from spawning `server` to the end of the first response it
/// serves, in ms: the child is spawned, then connected to every 200 µs
/// until a connection is accepted and a `GET /` on it is answered (a frame
/// with END_STREAM on stream 1). The server's files are built beforehand,
/// so this is process start, runtime start, bind and one request.
pub fn first_response_ms(server: Server, examples: &Path) -> Result<f64, Error> {
    let port = free_port()?;
    let (mut cmd, docroot) = command(server, examples, port)?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let request = hello_request();
    let started = Instant::now();
    let child = cmd.spawn()?;
    let _running = Running {
        server,
        port,
        child,
        _docroot: docroot,
    };
    let deadline = started + Duration::from_secs(10);
    loop {
        if matches!(ask(port, &request), Ok(true)) {
            return Ok(started.elapsed().as_secs_f64() * 1e3);
        }
        if Instant::now() > deadline {
            return Err(Error::ServerDidNotStart(server.name()));
        }
        // Spaces out connection attempts while the child starts.
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// The client preface, our SETTINGS and `GET /` on stream 1, as one write.
fn hello_request() -> Vec<u8> {
    use goro_http2::frame::{Frame, Settings, StreamId};
    let mut wire = goro_http2::proto::PREFACE.to_vec();
    Frame::Settings(Settings::default())
        .encode()
        .write_to(&mut wire);
    let fields = [
        (":method", "GET"),
        (":scheme", "http"),
        (":path", "/"),
        (":authority", "127.0.0.1"),
    ];
    let mut block = Vec::new();
    goro_http2::hpack::Encoder::default().encode(
        fields
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)),
        &mut block,
    );
    Frame::Headers {
        stream: StreamId(1),
        fragment: block.into(),
        end_stream: true,
        end_headers: true,
        priority: None,
    }
    .encode()
    .write_to(&mut wire);
    wire
}

/// Connects, sends `request` and reads frames until stream 1 ends: true
/// if it did, an error if the server is not listening yet.
fn ask(port: u16, request: &[u8]) -> io::Result<bool> {
    let mut tcp = TcpStream::connect(("127.0.0.1", port))?;
    tcp.set_read_timeout(Some(Duration::from_secs(5)))?;
    tcp.write_all(request)?;
    let mut got: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        // Whole frames at the front: 9-byte head (length, type, flags, stream).
        while got.len() >= 9 {
            let len = usize::from(got[0]) << 16 | usize::from(got[1]) << 8 | usize::from(got[2]);
            if got.len() < 9 + len {
                break;
            }
            let (kind, flags) = (got[3], got[4]);
            let stream = u32::from_be_bytes([got[5], got[6], got[7], got[8]]) & 0x7fff_ffff;
            if stream == 1 && flags & 0x1 != 0 && kind <= 1 {
                return Ok(true);
            }
            got.drain(..9 + len);
        }
        match tcp.read(&mut chunk)? {
            0 => return Ok(false),
            n => got.extend_from_slice(&chunk[..n]),
        }
    }
}

/// The size of `server`'s executable after `strip` (its symbols and debug
/// lines removed), in bytes. nghttpd's is the distribution's (already
/// stripped) file, which links libnghttp2, libev, OpenSSL and others
/// dynamically; the Rust servers link everything but libc statically.
pub fn stripped_size(server: Server, examples: &Path) -> Result<u64, Error> {
    let path = match server {
        Server::GoroUring | Server::GoroEpoll => examples.join("server"),
        Server::GoroTokio => examples.join("tokio_hello"),
        Server::H2Tokio => examples.join("h2_tokio_hello"),
        Server::HyperGoroUring | Server::HyperGoroEpoll => examples.join("hyper_goro_hello"),
        Server::HyperTokio | Server::HyperTokioCt => examples.join("hyper_tokio_hello"),
        Server::Nghttpd => std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .map(|dir| dir.join("nghttpd"))
            .find(|p| p.exists())
            .ok_or(Error::ToolMissing("nghttpd"))?,
    };
    let dir = TempDir::new("strip")?;
    let out = dir.0.join("stripped");
    let status = Command::new("strip")
        .arg("-o")
        .arg(&out)
        .arg(&path)
        .stderr(Stdio::null())
        .status()
        .map_err(|_| Error::ToolMissing("strip"))?;
    if !status.success() {
        return Err(Error::Io(io::Error::other(format!(
            "strip failed: {status}"
        ))));
    }
    Ok(std::fs::metadata(&out)?.len())
}

/// Start-up time and stripped size of each server (Go's selling points:
/// a few ms, a few MB).
pub(super) fn tables() -> Vec<Table> {
    let startup = Heading {
        title: "HTTP/2 server start-up: exec to first response",
        unit: "ms, lower is better",
        how: "Spawn the server binary, connect every 200 µs and send `GET /` until answered; \
              wall time from spawn to the end of the response, median of alternating runs.",
    };
    let size = Heading {
        title: "HTTP/2 server binary size, stripped",
        unit: "MiB, lower is better",
        how: "`strip -o` of each example binary (release profile: thin LTO, 1 codegen unit); the \
              goro columns are one binary (`examples/server.rs`). nghttpd's is the distribution's \
              file and links libnghttp2, libev, OpenSSL and more dynamically.",
    };
    let examples = match build_examples() {
        Ok(e) => e,
        Err(e) => {
            let row = Row {
                shape: format!("not measured: {e}"),
                cells: vec![Cell::NotApplicable; Server::ALL.len()],
            };
            return vec![startup.table(&Server::ALL, &super::RATIOS, vec![row], Vec::new())];
        }
    };
    let mut notes = Vec::new();
    let mut cell = |server: Server, what: &str, r: Result<f64, Error>| match r {
        Ok(v) => Cell::Value(v),
        Err(e) => {
            notes.push(format!("{} {what}: {e}", server.name()));
            Cell::NotApplicable
        }
    };
    // Runs alternate between servers, as the h2load rounds do.
    let mut runs: Vec<Vec<f64>> = vec![Vec::new(); Server::ALL.len()];
    let mut failed: Vec<Option<Error>> = Server::ALL.iter().map(|_| None).collect();
    for _ in 0..STARTUP_RUNS {
        for (i, &server) in Server::ALL.iter().enumerate() {
            if failed[i].is_none() {
                match first_response_ms(server, &examples) {
                    Ok(ms) => runs[i].push(ms),
                    Err(e) => failed[i] = Some(e),
                }
            }
        }
    }
    let startup_cells: Vec<Cell> = Server::ALL
        .iter()
        .zip(runs.into_iter().zip(failed))
        .map(|(&s, (v, err))| cell(s, "start-up", err.map_or_else(|| Ok(median_of(v)), Err)))
        .collect();
    let sizes: Vec<Cell> = Server::ALL
        .iter()
        .map(|&s| {
            cell(
                s,
                "size",
                stripped_size(s, &examples).map(|b| b as f64 / (1 << 20) as f64),
            )
        })
        .collect();
    let startup_notes = notes
        .iter()
        .filter(|n| n.contains("start-up"))
        .cloned()
        .collect();
    let size_notes = notes
        .iter()
        .filter(|n| n.contains("size"))
        .cloned()
        .collect();
    vec![
        startup.table(
            &Server::ALL,
            &super::RATIOS,
            vec![Row {
                shape: format!("exec_to_first_response (median of {STARTUP_RUNS})"),
                cells: startup_cells,
            }],
            startup_notes,
        ),
        size.table(
            &Server::ALL,
            &super::RATIOS,
            vec![Row {
                shape: "stripped_binary".into(),
                cells: sizes,
            }],
            size_notes,
        ),
    ]
}
