//! What [`TcpStream::connect`](super::TcpStream::connect) accepts: socket
//! addresses, and host names resolved without stalling a worker.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Addresses to connect to: a [`SocketAddr`] (or its V4/V6 forms), an
/// `(IpAddr, u16)` pair, a slice of addresses, or a `"host:port"` string
/// or `(host, port)` pair. Literal addresses (`"127.0.0.1:80"`, `"[::1]:80"`)
/// are parsed without a system call; a host name is looked up with the
/// system resolver (`getaddrinfo`, which blocks) inside
/// [`block_in_place`](crate::block_in_place), so the worker's queued
/// tasks move to another thread meanwhile (Go's cgo resolver does the
/// same with its P). Sealed: implemented for the types listed here.
///
/// ```
/// # let rt = goro::Runtime::new().unwrap();
/// # rt.block_on(async {
/// use goro::net::{TcpListener, TcpStream};
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// let port = listener.local_addr()?.port();
/// let a = TcpStream::connect(listener.local_addr()?).await?;
/// let b = TcpStream::connect(format!("127.0.0.1:{port}")).await?;
/// let c = TcpStream::connect(("localhost", port)).await?;
/// # drop((a, b, c));
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub trait ToConnectAddrs: sealed::Sealed {
    /// The addresses, in the order to try them.
    #[doc(hidden)]
    fn connect_addrs(self) -> io::Result<Vec<SocketAddr>>;
}

mod sealed {
    pub trait Sealed {}
}

/// `"host:port"`: a literal address needs no lookup; anything else goes
/// to std's parser and resolver (which also rejects a missing or bad
/// port), off the worker's P.
fn parse_or_lookup(s: &str) -> io::Result<Vec<SocketAddr>> {
    if let Ok(addr) = s.parse::<SocketAddr>() {
        return Ok(vec![addr]);
    }
    crate::block_in_place(|| std::net::ToSocketAddrs::to_socket_addrs(s).map(Iterator::collect))
}

/// `(host, port)`: a literal IP needs no lookup.
fn host_port(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    match host.parse::<IpAddr>() {
        Ok(ip) => Ok(vec![SocketAddr::new(ip, port)]),
        Err(_) => crate::block_in_place(|| {
            std::net::ToSocketAddrs::to_socket_addrs(&(host, port)).map(Iterator::collect)
        }),
    }
}

/// Types std already converts into one `SocketAddr`.
macro_rules! one_addr {
    ($($t:ty),* $(,)?) => {$(
        impl sealed::Sealed for $t {}
        impl ToConnectAddrs for $t {
            fn connect_addrs(self) -> io::Result<Vec<SocketAddr>> {
                Ok(vec![SocketAddr::from(self)])
            }
        }
    )*};
}

one_addr!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16),
);

/// `"host:port"` strings.
macro_rules! host_and_port {
    ($($t:ty),* $(,)?) => {$(
        impl sealed::Sealed for $t {}
        impl ToConnectAddrs for $t {
            fn connect_addrs(self) -> io::Result<Vec<SocketAddr>> {
                parse_or_lookup(&self)
            }
        }
    )*};
}

host_and_port!(&str, String, &String);

impl sealed::Sealed for &[SocketAddr] {}
impl ToConnectAddrs for &[SocketAddr] {
    fn connect_addrs(self) -> io::Result<Vec<SocketAddr>> {
        Ok(self.to_vec())
    }
}

impl sealed::Sealed for (&str, u16) {}
impl ToConnectAddrs for (&str, u16) {
    fn connect_addrs(self) -> io::Result<Vec<SocketAddr>> {
        host_port(self.0, self.1)
    }
}

impl sealed::Sealed for (String, u16) {}
impl ToConnectAddrs for (String, u16) {
    fn connect_addrs(self) -> io::Result<Vec<SocketAddr>> {
        host_port(&self.0, self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_parse_without_a_lookup() {
        let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let v6: SocketAddr = "[::1]:443".parse().unwrap();
        assert_eq!("127.0.0.1:80".connect_addrs().unwrap(), [v4]);
        assert_eq!("[::1]:443".to_string().connect_addrs().unwrap(), [v6]);
        assert_eq!(("::1", 443).connect_addrs().unwrap(), [v6]);
        assert_eq!((Ipv4Addr::LOCALHOST, 80).connect_addrs().unwrap(), [v4]);
        assert_eq!([v4, v6][..].connect_addrs().unwrap(), [v4, v6]);
    }

    #[test]
    fn bad_input_is_invalid_input() {
        for bad in ["no-port", "host:notaport", "host:70000"] {
            let e = bad.connect_addrs().unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "getaddrinfo is foreign code")]
    fn localhost_resolves() {
        // /etc/hosts: no network needed.
        let addrs = ("localhost", 8080).connect_addrs().unwrap();
        assert!(!addrs.is_empty());
        assert!(
            addrs
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == 8080)
        );
    }
}
