//! Request and trailer validation (RFC 9113 §8.2, §8.3): turns decoded
//! fields into an `http::Request`, or says the message is malformed, which
//! the connection answers with RST_STREAM(PROTOCOL_ERROR) (§8.1.1).

use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::uri::{Authority, PathAndQuery};
use http::{Method, Request, Uri};

use crate::hpack::Header;

/// Why a request or trailer section is malformed (§8.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// A field name with uppercase or non-token characters, or empty (§8.2.1).
    BadName,
    /// A field value with NUL, CR, LF, or surrounding whitespace (§8.2.1).
    BadValue,
    /// A connection-specific field, or TE other than "trailers" (§8.2.2).
    ConnectionSpecific,
    /// Pseudo-header after a regular field, unknown, repeated, or in trailers (§8.3).
    BadPseudo,
    /// :method, :scheme or :path missing, or :path empty or not origin-form (§8.3.1).
    MissingPseudo,
    /// A :method, :authority or :path that `http` cannot represent.
    BadUri,
    /// content-length not a number, or repeated with different values (§8.1.1).
    BadContentLength,
}

/// A request head and its declared body length.
#[derive(Debug)]
pub struct RequestHead {
    /// Method, URI (scheme, authority, path) and the regular fields.
    pub request: Request<()>,
    /// The `content-length` field, checked to be one number.
    pub content_length: Option<u64>,
}

fn check_name(name: &[u8]) -> Result<(), Malformed> {
    // §8.2.1: no uppercase, no controls, no space, no 0x7f-0xff; then the
    // token check of `http` rejects the remaining separators.
    if name.is_empty()
        || name
            .iter()
            .any(|&b| b.is_ascii_uppercase() || !(0x21..0x7f).contains(&b))
    {
        return Err(Malformed::BadName);
    }
    Ok(())
}

fn value(v: Bytes) -> Result<HeaderValue, Malformed> {
    if let (Some(first), Some(last)) = (v.first(), v.last()) {
        if matches!(first, b' ' | b'\t') || matches!(last, b' ' | b'\t') {
            return Err(Malformed::BadValue);
        }
    }
    // Rejects NUL, CR, LF and other controls except HTAB.
    HeaderValue::from_maybe_shared(v).map_err(|_| Malformed::BadValue)
}

fn is_connection_specific(name: &[u8]) -> bool {
    matches!(
        name,
        b"connection" | b"proxy-connection" | b"keep-alive" | b"transfer-encoding" | b"upgrade"
    )
}

/// Adds regular fields to `map`, enforcing §8.2; returns content-length.
fn regular(map: &mut HeaderMap, h: Header) -> Result<(), Malformed> {
    check_name(&h.name)?;
    if is_connection_specific(&h.name) {
        return Err(Malformed::ConnectionSpecific);
    }
    if &h.name[..] == b"te" && &h.value[..] != b"trailers" {
        return Err(Malformed::ConnectionSpecific);
    }
    let name = HeaderName::from_bytes(&h.name).map_err(|_| Malformed::BadName)?;
    let mut v = value(h.value)?;
    v.set_sensitive(h.sensitive);
    map.append(name, v);
    Ok(())
}

fn content_length(map: &HeaderMap) -> Result<Option<u64>, Malformed> {
    let mut found = None;
    for v in map.get_all(http::header::CONTENT_LENGTH) {
        let s = v.as_bytes();
        if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
            return Err(Malformed::BadContentLength);
        }
        let n: u64 = std::str::from_utf8(s)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(Malformed::BadContentLength)?;
        if found.is_some_and(|f| f != n) {
            return Err(Malformed::BadContentLength);
        }
        found = Some(n);
    }
    Ok(found)
}

/// Builds a request from a complete, decoded header block, as the
/// connection does for every request: §8.2 field rules, §8.3 pseudo-header
/// rules, the URI, `content-length`, and cookie crumbs joined (§8.2.3).
/// The fields are taken by value, so the decoder's `Bytes` become the
/// request's values without a copy.
///
/// ```
/// use bytes::Bytes;
/// use goro_http2::hpack::Header;
/// let field = |n: &'static str, v: &'static str| Header {
///     name: Bytes::from_static(n.as_bytes()),
///     value: Bytes::from_static(v.as_bytes()),
///     sensitive: false,
/// };
/// let fields = [field(":method", "GET"), field(":scheme", "http"), field(":path", "/a"),
///     field(":authority", "example.com"), field("accept", "*/*")];
/// let head = goro_http2::proto::request_head(fields).unwrap();
/// assert_eq!(head.request.uri(), "http://example.com/a");
/// assert_eq!(head.request.headers()["accept"], "*/*");
/// ```
pub fn request_head(fields: impl IntoIterator<Item = Header>) -> Result<RequestHead, Malformed> {
    let fields = fields.into_iter();
    let (mut method, mut scheme, mut authority, mut path) = (None, None, None, None);
    let mut map = HeaderMap::with_capacity(fields.size_hint().0);
    let mut regular_seen = false;
    for h in fields {
        if h.name.first() == Some(&b':') {
            if regular_seen {
                return Err(Malformed::BadPseudo);
            }
            let slot = match &h.name[..] {
                b":method" => &mut method,
                b":scheme" => &mut scheme,
                b":authority" => &mut authority,
                b":path" => &mut path,
                _ => return Err(Malformed::BadPseudo),
            };
            if slot.replace(h.value).is_some() {
                return Err(Malformed::BadPseudo);
            }
        } else {
            regular_seen = true;
            regular(&mut map, h)?;
        }
    }
    let method = method.ok_or(Malformed::MissingPseudo)?;
    let method = Method::from_bytes(&method).map_err(|_| Malformed::BadUri)?;
    let mut uri = Uri::builder();
    if method == Method::CONNECT {
        // §8.5: only :method and :authority.
        if scheme.is_some() || path.is_some() {
            return Err(Malformed::BadPseudo);
        }
        let authority = authority.ok_or(Malformed::MissingPseudo)?;
        uri =
            uri.authority(Authority::from_maybe_shared(authority).map_err(|_| Malformed::BadUri)?);
    } else {
        let scheme = scheme.ok_or(Malformed::MissingPseudo)?;
        let path = path.ok_or(Malformed::MissingPseudo)?;
        let origin_form = path.first() == Some(&b'/');
        let asterisk = &path[..] == b"*" && method == Method::OPTIONS;
        if !(origin_form || asterisk) {
            return Err(Malformed::MissingPseudo);
        }
        // §8.3.1: a Host that names another entity than :authority SHOULD
        // make the request malformed.
        if let (Some(a), Some(h)) = (&authority, map.get(http::header::HOST)) {
            if !a.eq_ignore_ascii_case(h.as_bytes()) {
                return Err(Malformed::BadUri);
            }
        }
        if let Some(a) = authority.or_else(|| {
            map.get(http::header::HOST)
                .map(|h| Bytes::copy_from_slice(h.as_bytes()))
        }) {
            let a = Authority::from_maybe_shared(a).map_err(|_| Malformed::BadUri)?;
            uri = uri.scheme(&scheme[..]).authority(a);
        }
        uri = uri
            .path_and_query(PathAndQuery::from_maybe_shared(path).map_err(|_| Malformed::BadUri)?);
    }
    let uri = uri.build().map_err(|_| Malformed::BadUri)?;
    let content_length = content_length(&map)?;
    join_cookies(&mut map);
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.version_mut() = http::Version::HTTP_2;
    *request.headers_mut() = map;
    Ok(RequestHead {
        request,
        content_length,
    })
}

/// §8.2.3: cookie crumbs "MUST be concatenated ... using the two-octet
/// delimiter of 0x3b, 0x20" before reaching a generic HTTP application.
fn join_cookies(map: &mut HeaderMap) {
    if map.get_all(http::header::COOKIE).iter().nth(1).is_none() {
        return; // zero or one cookie field: nothing to join
    }
    let mut joined = Vec::new();
    let mut sensitive = false;
    for (i, v) in map.get_all(http::header::COOKIE).iter().enumerate() {
        if i > 0 {
            joined.extend_from_slice(b"; ");
        }
        joined.extend_from_slice(v.as_bytes());
        sensitive |= v.is_sensitive();
    }
    // Each crumb was a valid value and "; " is too, so this cannot fail.
    if let Ok(mut v) = HeaderValue::from_bytes(&joined) {
        v.set_sensitive(sensitive);
        map.insert(http::header::COOKIE, v);
    }
}

/// Builds a trailer section (§8.1): regular fields only.
pub fn trailers(fields: impl IntoIterator<Item = Header>) -> Result<HeaderMap, Malformed> {
    let fields = fields.into_iter();
    let mut map = HeaderMap::with_capacity(fields.size_hint().0);
    for h in fields {
        if h.name.first() == Some(&b':') {
            return Err(Malformed::BadPseudo);
        }
        regular(&mut map, h)?;
    }
    Ok(map)
}

/// True for fields a response must not carry over HTTP/2 (§8.2.2); the
/// encoder drops them rather than send a malformed response.
pub fn skip_in_response(name: &HeaderName) -> bool {
    is_connection_specific(name.as_str().as_bytes())
}
