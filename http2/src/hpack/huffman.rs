//! The HPACK Huffman code (RFC 7541 §5.2 and Appendix B).
//!
//! The code in Appendix B is *canonical*: within one code length, codes are
//! consecutive in symbol order, and each length's first code follows the last
//! code of the previous length shifted left. So the 257 code lengths below
//! (Appendix B's "len in bits" column) determine every code, and both tables
//! used here are built from them at compile time by `const fn`s:
//!
//! 1. `CODES[sym]`: the code, right-aligned, for encoding.
//! 2. `LIMIT[len]`, `BASE[len]` and `SORTED`: the canonical decoding tables.
//!    A 32-bit left-justified window `w` holds a code of length `len` when
//!    `w < LIMIT[len]` for the first such `len`; the symbol is
//!    `SORTED[BASE[len] + (w >> (32 - len)) - first_code(len)]`.
//!
//! Decoding rules (§5.2): padding is at most 7 bits, all ones (a prefix of
//! EOS); EOS itself in the data is an error.

/// Code length in bits of each symbol 0..=256 (256 is EOS), RFC 7541 Appendix B.
const LENGTHS: [u8; 257] = [
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, //
    28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, //
    6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, //
    5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, //
    13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, //
    7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, //
    15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, //
    6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, //
    20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, //
    24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, //
    22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, //
    21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, //
    26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, //
    19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, //
    20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, //
    26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, //
    30,
];

const EOS: u16 = 256;
const MIN_LEN: usize = 5;
const MAX_LEN: usize = 30;

/// Symbols sorted by (length, symbol): the canonical order.
const SORTED: [u16; 257] = {
    let mut out = [0u16; 257];
    let mut n = 0;
    let mut len = MIN_LEN;
    while len <= MAX_LEN {
        let mut sym = 0;
        while sym < 257 {
            if LENGTHS[sym] as usize == len {
                out[n] = sym as u16;
                n += 1;
            }
            sym += 1;
        }
        len += 1;
    }
    out
};

/// Per length: (first code of that length, index in `SORTED` of its first symbol,
/// count of symbols of that length).
const FIRST: [(u32, usize, usize); MAX_LEN + 1] = {
    let mut out = [(0u32, 0usize, 0usize); MAX_LEN + 1];
    let mut code: u32 = 0;
    let mut idx = 0;
    let mut len = MIN_LEN;
    while len <= MAX_LEN {
        let mut count = 0;
        let mut sym = 0;
        while sym < 257 {
            if LENGTHS[sym] as usize == len {
                count += 1;
            }
            sym += 1;
        }
        out[len] = (code, idx, count);
        idx += count;
        code = (code + count as u32) << 1;
        len += 1;
    }
    out
};

/// Left-justified exclusive upper bound of the codes of each length.
const LIMIT: [u64; MAX_LEN + 1] = {
    let mut out = [0u64; MAX_LEN + 1];
    let mut len = MIN_LEN;
    while len <= MAX_LEN {
        let (first, _, count) = FIRST[len];
        out[len] = ((first as u64) + count as u64) << (32 - len);
        len += 1;
    }
    out
};

/// Right-aligned code of each symbol.
const CODES: [u32; 257] = {
    let mut out = [0u32; 257];
    let mut len = MIN_LEN;
    while len <= MAX_LEN {
        let (first, start, count) = FIRST[len];
        let mut i = 0;
        while i < count {
            out[SORTED[start + i] as usize] = first + i as u32;
            i += 1;
        }
        len += 1;
    }
    out
};

/// A Huffman-coded string was invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HuffmanError {
    /// The data contained the EOS symbol.
    Eos,
    /// Padding was longer than 7 bits or not all ones.
    BadPadding,
}

/// Length in bytes of `src` once Huffman-coded.
pub fn encoded_len(src: &[u8]) -> usize {
    let bits: usize = src.iter().map(|&b| LENGTHS[b as usize] as usize).sum();
    bits.div_ceil(8)
}

/// Appends the Huffman coding of `src` to `dst`, padded with ones.
pub fn encode(src: &[u8], dst: &mut Vec<u8>) {
    let mut acc: u64 = 0;
    let mut nbits: u32 = 0;
    for &b in src {
        let len = LENGTHS[b as usize] as u32;
        acc = (acc << len) | CODES[b as usize] as u64;
        nbits += len;
        while nbits >= 8 {
            nbits -= 8;
            dst.push((acc >> nbits) as u8);
        }
    }
    if nbits > 0 {
        let pad = 8 - nbits;
        dst.push(((acc << pad) as u8) | ((1u8 << pad) - 1));
    }
}

/// Appends the decoding of the Huffman-coded `src` to `dst`.
pub fn decode(src: &[u8], dst: &mut Vec<u8>) -> Result<(), HuffmanError> {
    // `acc` holds `nbits` unconsumed bits, right-aligned.
    let mut acc: u64 = 0;
    let mut nbits: u32 = 0;
    let mut pos = 0;
    loop {
        while nbits <= 56 && pos < src.len() {
            acc = (acc << 8) | src[pos] as u64;
            nbits += 8;
            pos += 1;
        }
        if nbits == 0 {
            return Ok(());
        }
        // At most 7 trailing ones are padding; anything else must still decode.
        if pos == src.len() && nbits <= 7 && acc == (1u64 << nbits) - 1 {
            return Ok(());
        }
        // Left-justify the next (up to) 32 bits; missing bits read as zero.
        let window = if nbits >= 32 {
            (acc >> (nbits - 32)) & 0xffff_ffff
        } else {
            (acc << (32 - nbits)) & 0xffff_ffff
        };
        let mut len = MIN_LEN;
        while len <= MAX_LEN && window >= LIMIT[len] {
            len += 1;
        }
        if len > MAX_LEN || len as u32 > nbits {
            // Only possible at the end: a partial code that is not a valid padding.
            return Err(HuffmanError::BadPadding);
        }
        let (first, start, _) = FIRST[len];
        let sym = SORTED[start + ((window >> (32 - len)) as u32 - first) as usize];
        if sym == EOS {
            return Err(HuffmanError::Eos);
        }
        dst.push(sym as u8);
        nbits -= len as u32;
        acc &= (1u64 << nbits).wrapping_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_from_appendix_b() {
        // Spot checks straight from the RFC's table.
        assert_eq!((CODES[b'0' as usize], LENGTHS[b'0' as usize]), (0x0, 5));
        assert_eq!((CODES[b' ' as usize], LENGTHS[b' ' as usize]), (0x14, 6));
        assert_eq!((CODES[b'a' as usize], LENGTHS[b'a' as usize]), (0x3, 5));
        assert_eq!((CODES[255], LENGTHS[255]), (0x3ff_ffee, 26));
        assert_eq!((CODES[256], LENGTHS[256]), (0x3fff_ffff, 30));
        assert_eq!(CODES[0], 0x1ff8);
    }

    #[test]
    fn rfc_c4_www_example_com() {
        let wire = [
            0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff,
        ];
        let mut out = Vec::new();
        decode(&wire, &mut out).unwrap();
        assert_eq!(out, b"www.example.com");
        let mut enc = Vec::new();
        encode(b"www.example.com", &mut enc);
        assert_eq!(enc, wire);
        assert_eq!(encoded_len(b"www.example.com"), wire.len());
    }

    #[test]
    fn every_byte_round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        let mut enc = Vec::new();
        encode(&all, &mut enc);
        let mut dec = Vec::new();
        decode(&enc, &mut dec).unwrap();
        assert_eq!(dec, all);
    }

    #[test]
    fn padding_rules() {
        // 'a' = 00011 then three one-bits of padding.
        let mut out = Vec::new();
        assert_eq!(decode(&[0b0001_1111], &mut out), Ok(()));
        assert_eq!(out, b"a");
        // Padding with a zero bit is invalid.
        assert_eq!(
            decode(&[0b0001_1110], &mut Vec::new()),
            Err(HuffmanError::BadPadding)
        );
        // A full byte of ones is padding longer than 7 bits (§5.2).
        assert_eq!(
            decode(&[0b0001_1111, 0xff], &mut Vec::new()),
            Err(HuffmanError::BadPadding)
        );
        // EOS coded explicitly: 30 ones then two padding ones.
        assert_eq!(
            decode(&[0xff, 0xff, 0xff, 0xff], &mut Vec::new()),
            Err(HuffmanError::Eos)
        );
    }
}
