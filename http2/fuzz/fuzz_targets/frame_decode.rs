//! The frame decoder on arbitrary bytes: heads and payloads one after the
//! other, as a connection reads them. Parsing must never panic, and every
//! frame that parses must encode to a frame that parses and encodes to the
//! same bytes again. (Not `parse(encode(f)) == f`: padding is dropped on
//! encode, so a padded DATA frame's flow-control length changes.)
#![no_main]

use bytes::Bytes;
use goro_http2::frame::{Frame, HEAD_LEN, Head};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    // Bounded by the input: each round consumes at least HEAD_LEN bytes.
    while rest.len() >= HEAD_LEN {
        let head = Head::parse(rest[..HEAD_LEN].try_into().expect("9 bytes"));
        rest = &rest[HEAD_LEN..];
        let take = (head.len as usize).min(rest.len());
        let head = Head { len: take as u32, ..head };
        let payload = Bytes::copy_from_slice(&rest[..take]);
        rest = &rest[take..];
        if let Ok(frame) = Frame::parse(head, payload) {
            let out = frame.encode();
            let mut wire = Vec::new();
            out.write_to(&mut wire);
            let again_head = Head::parse(wire[..HEAD_LEN].try_into().expect("9 bytes"));
            let again = Frame::parse(again_head, Bytes::copy_from_slice(&wire[HEAD_LEN..]))
                .expect("an encoded frame parses");
            let mut wire_again = Vec::new();
            again.encode().write_to(&mut wire_again);
            assert_eq!(wire, wire_again);
        }
    }
});
