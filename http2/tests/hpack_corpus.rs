//! Every story of the hpack-test-case corpus: decode each encoder's wire
//! case after case (one dynamic table per story), and encode the raw-data
//! stories, decoding them again with our decoder.

mod support;

use std::path::{Path, PathBuf};

use bytes::Bytes;
use goro_http2::hpack::{Decoder, Encoder};
use support::json::{self, Json};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/hpack-test-case"
);

fn corpus_dir(sub: &str) -> PathBuf {
    let dir = Path::new(CORPUS).join(sub);
    assert!(
        dir.is_dir(),
        "the HPACK corpus is missing: expected {} (see shared/data/README.md)",
        dir.display()
    );
    dir
}

fn stories(sub: &str) -> Vec<(PathBuf, Json)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no stories in {sub}");
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let j = json::parse(&text);
            (p, j)
        })
        .collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn expected(case: &Json) -> Vec<(Vec<u8>, Vec<u8>)> {
    case.get("headers")
        .unwrap()
        .as_arr()
        .iter()
        .map(|h| {
            let (k, v) = &h.as_obj()[0];
            (k.as_bytes().to_vec(), v.as_str().as_bytes().to_vec())
        })
        .collect()
}

fn decode_all(dec: &mut Decoder, wire: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut got = Vec::new();
    let out = dec
        .decode(&Bytes::copy_from_slice(wire), usize::MAX, |h| {
            got.push((h.name.to_vec(), h.value.to_vec()))
        })
        .unwrap();
    assert!(!out.oversized);
    got
}

fn decode_encoder_stories(sub: &str) -> usize {
    let mut cases = 0;
    for (path, story) in stories(sub) {
        let mut dec = Decoder::new(4096);
        for (n, case) in story.get("cases").unwrap().as_arr().iter().enumerate() {
            if let Some(size) = case.get("header_table_size") {
                dec.set_max_table_size(size.as_num() as usize);
            }
            let wire = unhex(case.get("wire").unwrap().as_str());
            let got = decode_all(&mut dec, &wire);
            assert_eq!(got, expected(case), "{} case {n}", path.display());
            cases += 1;
        }
    }
    cases
}

#[test]
fn decodes_nghttp2_stories() {
    assert!(decode_encoder_stories("nghttp2") > 100);
}

#[test]
fn decodes_nghttp2_change_table_size_stories() {
    assert!(decode_encoder_stories("nghttp2-change-table-size") > 100);
}

#[test]
fn decodes_go_hpack_stories() {
    assert!(decode_encoder_stories("go-hpack") > 100);
}

#[test]
fn decodes_python_hpack_stories() {
    assert!(decode_encoder_stories("python-hpack") > 100);
}

#[test]
fn encodes_raw_data_stories_and_round_trips() {
    let mut cases = 0;
    let (mut raw, mut wire) = (0usize, 0usize);
    for (path, story) in stories("raw-data") {
        let mut enc = Encoder::default();
        let mut dec = Decoder::new(4096);
        for (n, case) in story.get("cases").unwrap().as_arr().iter().enumerate() {
            let want = expected(case);
            let mut block = Vec::new();
            enc.encode(
                want.iter().map(|(k, v)| (&k[..], &v[..], false)),
                &mut block,
            );
            let got = decode_all(&mut dec, &block);
            assert_eq!(got, want, "{} case {n}", path.display());
            raw += want.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
            wire += block.len();
            cases += 1;
        }
    }
    assert!(cases > 100);
    // Compression must actually happen: the dynamic table and Huffman coding
    // together shrink the corpus to well under half (nghttp2 reaches ~25%).
    assert!(wire * 2 < raw, "wire {wire} vs raw {raw}");
}
