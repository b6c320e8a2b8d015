//! HPACK integer representation (RFC 7541 §5.1).

use super::decoder::DecodeError;

/// Largest integer accepted: RFC 7541 §5.1 lets a decoder bound integers, and
/// nothing in HTTP/2 needs more than 32 bits.
const MAX_INT: usize = u32::MAX as usize;

/// Appends `value` with an N-bit prefix; `flags` fills the bits above the prefix.
pub fn encode_int(dst: &mut Vec<u8>, prefix_bits: u8, flags: u8, value: usize) {
    let max_prefix = (1usize << prefix_bits) - 1;
    if value < max_prefix {
        dst.push(flags | value as u8);
        return;
    }
    dst.push(flags | max_prefix as u8);
    let mut rest = value - max_prefix;
    while rest >= 128 {
        dst.push((rest % 128) as u8 | 0x80);
        rest /= 128;
    }
    dst.push(rest as u8);
}

/// Reads an integer with an N-bit prefix starting at `buf[*pos]`, advancing `pos`.
pub fn decode_int(buf: &[u8], pos: &mut usize, prefix_bits: u8) -> Result<usize, DecodeError> {
    let max_prefix = (1usize << prefix_bits) - 1;
    let first = *buf.get(*pos).ok_or(DecodeError::Truncated)?;
    *pos += 1;
    let mut value = first as usize & max_prefix;
    if value < max_prefix {
        return Ok(value);
    }
    let mut shift = 0u32;
    loop {
        let b = *buf.get(*pos).ok_or(DecodeError::Truncated)?;
        *pos += 1;
        if shift > 28 {
            return Err(DecodeError::IntegerOverflow);
        }
        value += ((b & 0x7f) as usize) << shift;
        if value > MAX_INT {
            return Err(DecodeError::IntegerOverflow);
        }
        if b & 0x80 == 0 {
            return Ok(value);
        }
        shift += 7;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_c1_examples() {
        let mut v = Vec::new();
        encode_int(&mut v, 5, 0, 10);
        assert_eq!(v, [0b01010]);
        v.clear();
        encode_int(&mut v, 5, 0, 1337);
        assert_eq!(v, [31, 0b1001_1010, 0b0000_1010]);
        v.clear();
        encode_int(&mut v, 8, 0, 42);
        assert_eq!(v, [42]);
        let mut pos = 0;
        assert_eq!(decode_int(&[31, 0x9a, 0x0a], &mut pos, 5), Ok(1337));
        assert_eq!(pos, 3);
    }

    #[test]
    fn overflow_and_truncation() {
        let mut pos = 0;
        assert_eq!(
            decode_int(&[0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], &mut pos, 7),
            Err(DecodeError::IntegerOverflow)
        );
        pos = 0;
        assert_eq!(
            decode_int(&[0x7f, 0x80], &mut pos, 7),
            Err(DecodeError::Truncated)
        );
        pos = 0;
        // Endless continuation bytes are cut off after 5, not read forever.
        let long = [0x7f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80];
        assert_eq!(
            decode_int(&long, &mut pos, 7),
            Err(DecodeError::IntegerOverflow)
        );
    }
}
