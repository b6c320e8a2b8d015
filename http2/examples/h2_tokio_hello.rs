//! The baseline for `tokio_hello`: the same routes on the `h2` crate and
//! tokio, SETTINGS_MAX_HEADER_LIST_SIZE 64 KiB as in the research note.
//!
//! `cargo run --release -p goro-http2 --features tokio --example h2_tokio_hello -- 127.0.0.1:18091 1`

use bytes::Bytes;
use http::Response;

async fn connection(tcp: tokio::net::TcpStream) -> Result<(), h2::Error> {
    let mut conn = h2::server::Builder::new()
        .max_header_list_size(64 << 10)
        .handshake(tcp)
        .await?;
    while let Some(req) = conn.accept().await {
        let (req, mut respond) = req?;
        tokio::spawn(async move {
            let echo = req.uri().path() == "/echo";
            let mut body = req.into_body();
            if echo {
                let mut send = respond.send_response(Response::new(()), false)?;
                while let Some(chunk) = body.data().await {
                    let chunk = chunk?;
                    body.flow_control().release_capacity(chunk.len())?;
                    send.send_data(chunk, false)?;
                }
                send.send_data(Bytes::new(), true)?;
            } else {
                let resp = Response::builder()
                    .header("content-type", "text/plain")
                    .body(())
                    .expect("static");
                let mut send = respond.send_response(resp, false)?;
                send.send_data(Bytes::from_static(b"hello"), true)?;
            }
            Ok::<_, h2::Error>(())
        });
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:18091".into());
    let workers: usize = args.next().and_then(|w| w.parse().ok()).unwrap_or(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        eprintln!("h2 (tokio) listening on {addr}");
        loop {
            let (tcp, _) = listener.accept().await?;
            tcp.set_nodelay(true)?;
            tokio::spawn(connection(tcp));
        }
    })
}
