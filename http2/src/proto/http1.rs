//! Just enough HTTP/1.1 (RFC 9112) to read the request that asks for
//! `Upgrade: h2c`: a strict request-head parser and the base64url decoder
//! for `HTTP2-Settings`. Nothing here is served as HTTP/1.1.
//!
//! Strictness, because the head is read only to be converted: CRLF line
//! ends only (a bare CR or LF is malformed), no obs-fold, no whitespace
//! between a field name and its colon (RFC 9112 §5.1), no control octets
//! in values, version `HTTP/1.x` with one digit each. The caller bounds the
//! head's size before calling [`parse`].

use bytes::Bytes;

/// A parsed request head. Field names are lowercased; values are trimmed
/// of optional whitespace. All slices share the caller's buffer.
#[derive(Debug)]
pub(crate) struct Head {
    pub method: Bytes,
    pub target: Bytes,
    /// The minor version of `HTTP/1.x`, or `None` for any other version.
    pub minor: Option<u8>,
    pub fields: Vec<(Bytes, Bytes)>,
}

impl Head {
    /// Every value of field `name` (lowercase).
    pub fn values<'a>(&'a self, name: &'a [u8]) -> impl Iterator<Item = &'a Bytes> + 'a {
        self.fields
            .iter()
            .filter(move |(n, _)| &n[..] == name)
            .map(|(_, v)| v)
    }

    /// True if the comma-separated token lists of field `name` hold `token`
    /// (compared case-insensitively).
    pub fn has_token(&self, name: &[u8], token: &[u8]) -> bool {
        self.values(name)
            .flat_map(|v| v.split(|&b| b == b','))
            .any(|t| trim(t).eq_ignore_ascii_case(token))
    }
}

/// The head is not HTTP/1.x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

/// Where the head ends (the index after its blank line), if it is complete
/// in `buf`. `from` is where a previous search stopped, so a head read in
/// pieces is scanned once.
pub(crate) fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(3);
    buf[start..]
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| start + i + 4)
}

/// Parses a complete head, `head` ending with its blank line.
pub(crate) fn parse(head: Bytes) -> Result<Head, Malformed> {
    let body = head.slice(..head.len() - 4); // without the final blank line
    let mut lines = Lines {
        rest: body,
        done: false,
    };
    let request_line = lines.next().ok_or(Malformed)??;
    let mut parts = request_line.splitn(3, |&b| b == b' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(Malformed);
    };
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(Malformed);
    }
    if target.is_empty() || !target.iter().all(|&b| (0x21..0x7f).contains(&b)) {
        return Err(Malformed);
    }
    let minor = match version {
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', d] if d.is_ascii_digit() => Some(d - b'0'),
        [b'H', b'T', b'T', b'P', b'/', a, b'.', d] if a.is_ascii_digit() && d.is_ascii_digit() => {
            None
        }
        _ => return Err(Malformed),
    };
    let method = request_line.slice_ref(method);
    let target = request_line.slice_ref(target);
    let mut fields = Vec::new();
    for line in lines {
        let line = line?;
        let colon = line.iter().position(|&b| b == b':').ok_or(Malformed)?;
        let name = &line[..colon];
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Err(Malformed); // also rejects obs-fold and "name :"
        }
        let value = trim(&line[colon + 1..]);
        if value.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Err(Malformed);
        }
        let name = Bytes::from(name.to_ascii_lowercase());
        fields.push((name, line.slice_ref(value)));
    }
    Ok(Head {
        method,
        target,
        minor,
        fields,
    })
}

/// CRLF-separated lines; a stray CR or LF inside a line is an error.
struct Lines {
    rest: Bytes,
    done: bool,
}

impl Iterator for Lines {
    type Item = Result<Bytes, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let line = match self.rest.windows(2).position(|w| w == b"\r\n") {
            Some(i) => {
                let line = self.rest.split_to(i);
                let _ = self.rest.split_to(2);
                line
            }
            None => {
                self.done = true;
                std::mem::take(&mut self.rest)
            }
        };
        if line.iter().any(|&b| b == b'\r' || b == b'\n') {
            return Some(Err(Malformed));
        }
        Some(Ok(line))
    }
}

/// RFC 9110 §5.6.2 token characters.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Strips optional whitespace (SP, HTAB) from both ends.
pub(crate) fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Decodes base64url (RFC 4648 §5), the `token68` of `HTTP2-Settings`.
/// Trailing `=` padding is accepted when correct, though RFC 7540 §3.2.1
/// says it is omitted; unused low bits must be zero.
pub(crate) fn base64url(s: &[u8]) -> Option<Vec<u8>> {
    let s = match s.iter().position(|&b| b == b'=') {
        Some(p) => {
            let pad = &s[p..];
            if s.len() % 4 != 0 || pad.len() > 2 || pad.iter().any(|&b| b != b'=') {
                return None;
            }
            &s[..p]
        }
        None => s,
    };
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in s {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (acc == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_decodes_with_and_without_padding() {
        assert_eq!(base64url(b"").unwrap(), b"");
        assert_eq!(base64url(b"AAMAAABkAAQAoAAAAAIAAAAA").unwrap().len(), 18);
        assert_eq!(base64url(b"_-8").unwrap(), [0xff, 0xef]);
        assert_eq!(base64url(b"_-8=").unwrap(), [0xff, 0xef]);
        assert_eq!(base64url(b"QQ").unwrap(), b"A");
        assert!(base64url(b"QR").is_none(), "non-zero unused bits");
        assert!(base64url(b"Q").is_none());
        assert!(base64url(b"+/8").is_none(), "standard alphabet");
        assert!(base64url(b"QQ=").is_none(), "bad padding");
        assert!(base64url(b"Q=Q=").is_none());
    }

    #[test]
    fn parses_a_strict_head() {
        let raw = b"GET /a?b HTTP/1.1\r\nHost: x\r\nUpgrade:  h2c \r\n\r\n";
        let end = head_end(raw, 0).unwrap();
        assert_eq!(end, raw.len());
        let h = parse(Bytes::from_static(raw)).unwrap();
        assert_eq!(&h.method[..], b"GET");
        assert_eq!(&h.target[..], b"/a?b");
        assert_eq!(h.minor, Some(1));
        assert_eq!(h.fields[1], (Bytes::from("upgrade"), Bytes::from("h2c")));
        assert!(h.has_token(b"upgrade", b"H2C"));
        for bad in [
            &b"GET / HTTP/1.1\r\nHost : x\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
            b"GET / HTTP/1.1\nHost: x\r\n\r\n",
            b"GET  / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n",
            b"GET / HTTX/1.1\r\n\r\n",
        ] {
            assert!(parse(Bytes::copy_from_slice(bad)).is_err(), "{bad:?}");
        }
        let h2 = parse(Bytes::from_static(b"GET / HTTP/2.0\r\n\r\n")).unwrap();
        assert_eq!(h2.minor, None);
    }

    #[test]
    fn head_end_resumes() {
        let raw = b"GET / HTTP/1.1\r\n\r\nrest";
        assert_eq!(head_end(&raw[..17], 0), None);
        assert_eq!(head_end(raw, 17), Some(18));
    }
}
