//! `UnixStream::write_vectored_bytes`: shared `Bytes` go out without a
//! copy and come back as the same buffers, on both I/O backends.

use bytes::Bytes;
use goro::IoBackend;
use goro::net::UnixStream;

mod common;
use common::runtime;

fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u64).wrapping_mul(0x9E37_79B9) as u8 ^ (i >> 13) as u8)
        .collect()
}

fn small_parts_in_one_write(backend: IoBackend) {
    let rt = runtime(1, backend);
    rt.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let body = Bytes::from(b"shared body".to_vec());
        let parts = vec![
            Bytes::from_static(b"hdr:"),
            body.slice(0..6),
            body.slice(6..),
        ];
        let ptrs: Vec<*const u8> = parts.iter().map(|p| p.as_ptr()).collect();
        let (n, back) = a.write_vectored_bytes(parts).await;
        assert_eq!(n.unwrap(), 15);
        // The op hands back the very buffers it was given: no copy.
        let back_ptrs: Vec<*const u8> = back.iter().map(|p| p.as_ptr()).collect();
        assert_eq!(back_ptrs, ptrs);
        let (n, buf) = b.read(Vec::with_capacity(32)).await;
        assert_eq!(&buf[..n.unwrap()], b"hdr:shared body");
    });
}

/// 2 MiB in 64 KiB slices of one shared buffer, resumed after partial
/// writes, read concurrently and checked byte for byte.
fn large_payload_byte_exact(backend: IoBackend) {
    const TOTAL: usize = 2 << 20;
    let rt = runtime(2, backend);
    rt.block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let data = Bytes::from(pattern(TOTAL));
        let sent = data.clone();
        let writer = goro::spawn(async move {
            let mut parts: Vec<Bytes> = (0..TOTAL)
                .step_by(64 << 10)
                .map(|at| sent.slice(at..(at + (64 << 10)).min(TOTAL)))
                .collect();
            while !parts.is_empty() {
                let (n, mut back) = a.write_vectored_bytes(parts).await;
                let mut n = n.unwrap();
                assert!(n > 0);
                // Drop what went out whole; cut the part that went out in
                // half (a slice of the same buffer, still no copy).
                while let Some(first) = back.first() {
                    if n < first.len() {
                        back[0] = first.slice(n..);
                        break;
                    }
                    n -= first.len();
                    back.remove(0);
                }
                parts = back;
            }
            a.shutdown(std::net::Shutdown::Write).unwrap();
        });
        let mut got = Vec::with_capacity(TOTAL);
        loop {
            let (n, buf) = b.read(Vec::with_capacity(64 << 10)).await;
            if n.unwrap() == 0 {
                break;
            }
            got.extend_from_slice(&buf);
        }
        writer.await.unwrap();
        assert_eq!(got.len(), TOTAL);
        assert!(got[..] == data[..], "the bytes differ");
    });
}

on_both_backends!(small_parts_in_one_write, large_payload_byte_exact);
