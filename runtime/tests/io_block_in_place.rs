//! A read submitted on a worker's ring, then `block_in_place` hands that
//! worker's P to another thread: the read must still complete (the old
//! thread keeps its ring polled until its ops are done).

use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use goro::net::TcpListener;

mod common;

fn read_survives_block_in_place_hand_off(backend: goro::IoBackend) {
    let rt = goro::Runtime::builder()
        .worker_threads(2)
        .io_backend(backend)
        .build()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut client = std::net::TcpStream::connect(addr).unwrap();
    let task = rt.spawn(async move {
        let (server, _) = listener.accept().await.unwrap();
        let mut total = Vec::new();
        for round in 0..5u8 {
            let mut read = server.read(Vec::with_capacity(16));
            // Submit it on this worker's ring (nothing to read yet).
            let pending =
                std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut read).poll(cx).is_pending()))
                    .await;
            assert!(pending);
            // Give the P away; the data arrives while this thread blocks.
            goro::block_in_place(|| client.write_all(&[round; 4]).unwrap());
            // A watchdog, so a stranded read fails the test instead of
            // hanging it.
            let (n, buf) = goro::time::timeout(Duration::from_secs(20), read)
                .await
                .expect("the read was stranded on a ring nobody polls");
            assert_eq!(n.unwrap(), 4);
            total.extend_from_slice(&buf);
        }
        (total, client)
    });
    let (total, _client) = rt.block_on(task).unwrap();
    let want: Vec<u8> = (0..5u8).flat_map(|r| [r; 4]).collect();
    assert_eq!(total, want);
}

on_both_backends!(read_survives_block_in_place_hand_off,);
