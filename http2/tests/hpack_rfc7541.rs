//! RFC 7541 Appendix C examples, dynamic table size updates, and decoder
//! error cases.

use bytes::Bytes;
use goro_http2::hpack::huffman::HuffmanError;
use goro_http2::hpack::{DecodeError, Decoder, Encoder};

fn unhex(s: &str) -> Bytes {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn decode(dec: &mut Decoder, wire: &str) -> Vec<(String, String)> {
    let mut got = Vec::new();
    dec.decode(&unhex(wire), usize::MAX, |h| {
        got.push((
            String::from_utf8(h.name.to_vec()).unwrap(),
            String::from_utf8(h.value.to_vec()).unwrap(),
        ))
    })
    .unwrap();
    got
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

const REQ1: &[(&str, &str)] = &[
    (":method", "GET"),
    (":scheme", "http"),
    (":path", "/"),
    (":authority", "www.example.com"),
];
const REQ2: &[(&str, &str)] = &[
    (":method", "GET"),
    (":scheme", "http"),
    (":path", "/"),
    (":authority", "www.example.com"),
    ("cache-control", "no-cache"),
];
const REQ3: &[(&str, &str)] = &[
    (":method", "GET"),
    (":scheme", "https"),
    (":path", "/index.html"),
    (":authority", "www.example.com"),
    ("custom-key", "custom-value"),
];

#[test]
fn c3_requests_without_huffman() {
    let mut dec = Decoder::new(4096);
    assert_eq!(
        decode(&mut dec, "828684410f7777772e6578616d706c652e636f6d"),
        pairs(REQ1)
    );
    assert_eq!(dec.table_size(), 57);
    assert_eq!(
        decode(&mut dec, "828684be58086e6f2d6361636865"),
        pairs(REQ2)
    );
    assert_eq!(dec.table_size(), 110);
    let c33 = "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565";
    assert_eq!(decode(&mut dec, c33), pairs(REQ3));
    assert_eq!(dec.table_size(), 164);
}

#[test]
fn c4_requests_with_huffman() {
    let mut dec = Decoder::new(4096);
    assert_eq!(
        decode(&mut dec, "828684418cf1e3c2e5f23a6ba0ab90f4ff"),
        pairs(REQ1)
    );
    assert_eq!(decode(&mut dec, "828684be5886a8eb10649cbf"), pairs(REQ2));
    let c43 = "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf";
    assert_eq!(decode(&mut dec, c43), pairs(REQ3));
    assert_eq!(dec.table_size(), 164);
}

#[test]
fn c4_first_request_encodes_exactly() {
    let mut enc = Encoder::default();
    let mut block = Vec::new();
    enc.encode(
        REQ1.iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes(), false)),
        &mut block,
    );
    assert_eq!(
        Bytes::from(block),
        unhex("828684418cf1e3c2e5f23a6ba0ab90f4ff")
    );
}

const RESP1: &[(&str, &str)] = &[
    (":status", "302"),
    ("cache-control", "private"),
    ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
    ("location", "https://www.example.com"),
];
const RESP2: &[(&str, &str)] = &[
    (":status", "307"),
    ("cache-control", "private"),
    ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
    ("location", "https://www.example.com"),
];
const RESP3: &[(&str, &str)] = &[
    (":status", "200"),
    ("cache-control", "private"),
    ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
    ("location", "https://www.example.com"),
    ("content-encoding", "gzip"),
    (
        "set-cookie",
        "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
    ),
];

#[test]
fn c5_responses_without_huffman_evict() {
    // A 256-byte table: the third response forces evictions.
    let mut dec = Decoder::new(256);
    let c51 = "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d";
    assert_eq!(decode(&mut dec, c51), pairs(RESP1));
    assert_eq!(dec.table_size(), 222);
    assert_eq!(decode(&mut dec, "4803333037c1c0bf"), pairs(RESP2));
    assert_eq!(dec.table_size(), 222);
    let c53 = "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b2076657273696f6e3d31";
    assert_eq!(decode(&mut dec, c53), pairs(RESP3));
    assert_eq!(dec.table_size(), 215);
}

#[test]
fn c6_responses_with_huffman_evict() {
    let mut dec = Decoder::new(256);
    let c61 = "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3";
    assert_eq!(decode(&mut dec, c61), pairs(RESP1));
    assert_eq!(decode(&mut dec, "4883640effc1c0bf"), pairs(RESP2));
    let c63 = "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007";
    assert_eq!(decode(&mut dec, c63), pairs(RESP3));
    assert_eq!(dec.table_size(), 215);
}

#[test]
fn size_update_must_be_at_start_and_within_the_setting() {
    let mut dec = Decoder::new(4096);
    // 0x3f 0xe1 0x1f = size update to 4096: allowed at the start.
    assert!(dec.decode(&unhex("3fe11f 82"), 1 << 20, |_| {}).is_ok());
    // After a field it is an error (§4.2).
    assert_eq!(
        dec.decode(&unhex("82 3fe11f"), 1 << 20, |_| {}),
        Err(DecodeError::SizeUpdateNotAtStart)
    );
    // 4097 exceeds the acknowledged setting (§6.3).
    assert_eq!(
        dec.decode(&unhex("3fe21f"), 1 << 20, |_| {}),
        Err(DecodeError::SizeUpdateTooLarge)
    );
}

#[test]
fn shrinking_the_setting_requires_an_update_and_evicts() {
    let mut dec = Decoder::new(4096);
    decode(&mut dec, "828684410f7777772e6578616d706c652e636f6d");
    assert_eq!(dec.table_size(), 57);
    dec.set_max_table_size(0);
    assert_eq!(
        dec.decode(&unhex("82"), 1 << 20, |_| {}),
        Err(DecodeError::MissingSizeUpdate)
    );
    // Size update to 0 (0x20) empties the table; index 62 is then invalid.
    assert_eq!(decode(&mut dec, "20 82"), pairs(&[(":method", "GET")]));
    assert_eq!(dec.table_size(), 0);
    assert_eq!(
        dec.decode(&unhex("be"), 1 << 20, |_| {}),
        Err(DecodeError::InvalidIndex)
    );
}

#[test]
fn encoder_signals_peer_table_size_changes() {
    let mut enc = Encoder::default();
    let mut dec = Decoder::new(4096);
    let fields = [(&b"x-a"[..], &b"1"[..], false)];
    let mut block = Vec::new();
    enc.encode(fields, &mut block);
    dec.decode(&Bytes::from(block), 1 << 20, |_| {}).unwrap();
    assert!(dec.table_size() > 0);
    // The peer shrinks to 0 then grows back to 100 between two blocks:
    // the next block must signal 0, then 100 (§4.2).
    enc.set_max_table_size(0);
    enc.set_max_table_size(100);
    dec.set_max_table_size(0);
    dec.set_max_table_size(100);
    let mut block = Vec::new();
    enc.encode(fields, &mut block);
    assert_eq!(&block[..2], &[0x20, 0x3f]);
    let mut got = Vec::new();
    dec.decode(&Bytes::from(block), 1 << 20, |h| got.push(h))
        .unwrap();
    assert_eq!(&got[0].name[..], b"x-a");
}

#[test]
fn malformed_blocks_are_errors_not_panics() {
    let mut dec = Decoder::new(4096);
    for (wire, err) in [
        ("80", DecodeError::InvalidIndex),              // index 0
        ("ff00", DecodeError::InvalidIndex),            // index 127: empty dynamic table
        ("40", DecodeError::Truncated),                 // literal without a name
        ("4005616263", DecodeError::Truncated),         // name length 5, 3 bytes
        ("400180", DecodeError::Truncated),             // value missing
        ("ffffffffff0f", DecodeError::IntegerOverflow), // index beyond 32 bits
    ] {
        assert_eq!(
            dec.decode(&unhex(wire), 1 << 20, |_| {}),
            Err(err),
            "{wire}"
        );
    }
    // §5.2, each a Huffman-coded name: a full byte of ones (padding longer
    // than 7 bits); 'a' then padding with a zero bit (not a prefix of EOS);
    // EOS itself, 30 ones, then two padding ones.
    for (wire, err) in [
        ("4081ff0161", HuffmanError::BadPadding),
        ("40811e0161", HuffmanError::BadPadding),
        ("4084ffffffff0161", HuffmanError::Eos),
    ] {
        assert_eq!(
            dec.decode(&unhex(wire), 1 << 20, |_| {}),
            Err(DecodeError::Huffman(err)),
            "{wire}"
        );
    }
}

#[test]
fn index_space_ends_at_the_last_dynamic_entry() {
    // §2.3.3: with one dynamic entry, index 62 is valid and 63 is not,
    // whether it names a whole field (§6.1) or only a literal's name (§6.2).
    let mut dec = Decoder::new(4096);
    assert_eq!(
        decode(&mut dec, "400178 0179"),
        pairs(&[("x", "y")]) // literal with incremental indexing, new name
    );
    assert_eq!(decode(&mut dec, "be"), pairs(&[("x", "y")]));
    for wire in ["bf", "7f00 0179", "0f30 0179"] {
        assert_eq!(
            dec.decode(&unhex(wire), 1 << 20, |_| {}),
            Err(DecodeError::InvalidIndex),
            "{wire}"
        );
    }
}

#[test]
fn duplicate_dynamic_entries_are_not_an_error() {
    // §2.3.2: the same field inserted twice makes two entries.
    let mut dec = Decoder::new(4096);
    let got = decode(&mut dec, "400178 0179 400178 0179 be bf");
    assert_eq!(got, pairs(&[("x", "y"); 4]));
    assert_eq!(dec.table_size(), 2 * (1 + 1 + 32));
}

#[test]
fn never_indexed_literals_are_kept_so() {
    // §6.2.3 (C.2.3 example): decoded as sensitive, not inserted; and our
    // encoder sends a sensitive field as a never-indexed literal every time
    // (0001xxxx), leaving its table untouched (§7.1.3).
    let mut dec = Decoder::new(4096);
    let mut got = Vec::new();
    dec.decode(&unhex("100870617373776f726406736563726574"), 1 << 20, |h| {
        got.push(h)
    })
    .unwrap();
    assert_eq!(
        (&got[0].name[..], &got[0].value[..]),
        (&b"password"[..], &b"secret"[..])
    );
    assert!(got[0].sensitive);
    assert_eq!(dec.table_size(), 0);
    let mut enc = Encoder::default();
    for _ in 0..2 {
        let mut block = Vec::new();
        enc.encode([(&b"authorization"[..], &b"secret"[..], true)], &mut block);
        assert_eq!(block[0] & 0xf0, 0x10, "{block:x?}");
        let mut got = Vec::new();
        dec.decode(&Bytes::from(block), 1 << 20, |h| got.push(h))
            .unwrap();
        assert!(got[0].sensitive);
        assert_eq!(dec.table_size(), 0, "never indexed");
    }
}

#[test]
fn header_list_limit_is_enforced_while_decoding() {
    // One 4000-byte entry inserted, then referenced 1000 times: 4 MB decoded
    // from about 4 KB of wire. The limit stops emission at the first field
    // past it, and the whole block is still decoded (table stays in step).
    let mut enc = Encoder::new(8192);
    let mut block = Vec::new();
    let big = vec![b'a'; 1000];
    enc.encode([(&b"x-big"[..], &big[..], false)], &mut block);
    block.extend(std::iter::repeat_n(0xbe, 1000)); // index 62, the new entry
    let block = Bytes::from(block);
    let mut dec = Decoder::new(4096);
    let mut emitted = 0usize;
    let out = dec
        .decode(&block, 16 << 10, |h| {
            emitted += h.name.len() + h.value.len()
        })
        .unwrap();
    assert!(out.oversized);
    assert!(
        emitted <= 16 << 10,
        "emitted {emitted} bytes past the 16 KiB limit"
    );
    assert!(out.list_size > 1_000_000);
}
