//! The HPACK decoder on arbitrary header blocks, with one decoder (and so
//! one dynamic table) across the blocks of an input, as on a connection.
//! The first byte picks the list-size limit and the table size; the rest is
//! split into blocks at 0xff bytes. Decoding must never panic, the table
//! must stay within its limit, and no field past the list limit is emitted.
#![no_main]

use bytes::Bytes;
use goro_http2::hpack::Decoder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, rest)) = data.split_first() else {
        return;
    };
    let table_max = [0usize, 64, 256, 4096][(knobs & 3) as usize];
    let list_max = [0usize, 100, 4096, 65_536][((knobs >> 2) & 3) as usize];
    let mut dec = Decoder::new(4096);
    if knobs & 0x10 != 0 {
        dec.set_max_table_size(table_max);
    }
    for block in rest.split(|&b| b == 0xff) {
        let block = Bytes::copy_from_slice(block);
        let mut emitted = 0usize;
        let result = dec.decode(&block, list_max, |h| {
            emitted += h.name.len() + h.value.len() + 32;
        });
        // Fields are emitted only while the running list size is within
        // the limit, on success and on error alike.
        assert!(emitted <= list_max);
        if let Ok(outcome) = result {
            assert!(emitted <= outcome.list_size);
        }
        assert!(dec.table_size() <= 4096);
    }
});
