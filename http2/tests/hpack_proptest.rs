//! Property tests: any header list survives encode → decode, across table
//! size changes; the decoder never panics on arbitrary bytes.

use bytes::Bytes;
use goro_http2::hpack::{Decoder, Encoder};
use proptest::prelude::*;

fn field() -> impl Strategy<Value = (Vec<u8>, Vec<u8>, bool)> {
    (
        prop_oneof![
            Just(b":status".to_vec()),
            Just(b"content-type".to_vec()),
            Just(b"set-cookie".to_vec()),
            proptest::collection::vec(b'a'..=b'z', 1..12),
        ],
        proptest::collection::vec(any::<u8>(), 0..40),
        any::<bool>(),
    )
}

proptest! {
    #[test]
    fn round_trip_with_table_size_changes(
        blocks in proptest::collection::vec(
            (proptest::collection::vec(field(), 0..12), proptest::option::of(0usize..5000)),
            1..8,
        )
    ) {
        let mut enc = Encoder::default();
        let mut dec = Decoder::new(4096);
        for (fields, new_size) in blocks {
            if let Some(size) = new_size {
                // SETTINGS_HEADER_TABLE_SIZE sent by the decoder's side and acknowledged.
                enc.set_max_table_size(size.min(4096));
                dec.set_max_table_size(size.min(4096));
            }
            let mut block = Vec::new();
            enc.encode(fields.iter().map(|(n, v, s)| (&n[..], &v[..], *s)), &mut block);
            let mut got = Vec::new();
            dec.decode(&Bytes::from(block), usize::MAX, |h| got.push((h.name.to_vec(), h.value.to_vec(), h.sensitive))).unwrap();
            prop_assert_eq!(got, fields);
            prop_assert!(dec.table_size() <= 4096);
        }
    }

    #[test]
    fn decoder_never_panics(wire in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut dec = Decoder::new(4096);
        let _ = dec.decode(&Bytes::from(wire), 4096, |_| {});
        prop_assert!(dec.table_size() <= 4096);
    }

    #[test]
    fn huffman_round_trip(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut enc = Vec::new();
        goro_http2::hpack::huffman::encode(&data, &mut enc);
        prop_assert_eq!(enc.len(), goro_http2::hpack::huffman::encoded_len(&data));
        let mut dec = Vec::new();
        goro_http2::hpack::huffman::decode(&enc, &mut dec).unwrap();
        prop_assert_eq!(dec, data);
    }
}
