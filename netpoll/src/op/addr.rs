//! Socket addresses in kernel layout, both ways: what `connect` and
//! `sendmsg` read (an IPv4/IPv6 [`SocketAddr`] or a Unix-domain address),
//! and what `recvmsg` writes back ([`PeerAddr`]).
//!
//! A [`RawAddr`] is always boxed by the op that uses it, so the kernel's
//! pointer to it stays valid however the op moves (op table rule 1).

use std::ffi::OsStr;
use std::fmt;
use std::mem;
use std::net::SocketAddr;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::SocketAddr as UnixAddr;
use std::path::Path;

/// `offsetof(struct sockaddr_un, sun_path)`: a Unix address this long (or
/// shorter) has no name.
const SUN_PATH_AT: usize = mem::offset_of!(libc::sockaddr_un, sun_path);

/// A socket address in kernel layout.
#[derive(Clone, Copy)]
pub(crate) struct RawAddr {
    pub(crate) storage: libc::sockaddr_storage,
    pub(crate) len: libc::socklen_t,
}

impl RawAddr {
    /// Room for any address, for the kernel to fill (`recvmsg`'s name).
    pub(crate) fn empty() -> Box<RawAddr> {
        Box::new(RawAddr {
            // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
            storage: unsafe { mem::zeroed() },
            len: mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t,
        })
    }

    pub(crate) fn new(addr: SocketAddr) -> Box<RawAddr> {
        let mut raw = RawAddr::empty();
        let len = match addr {
            SocketAddr::V4(a) => {
                let sin = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: a.port().to_be(),
                    sin_addr: libc::in_addr {
                        s_addr: u32::from_ne_bytes(a.ip().octets()),
                    },
                    sin_zero: [0; 8],
                };
                // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
                unsafe {
                    (&raw mut raw.storage)
                        .cast::<libc::sockaddr_in>()
                        .write(sin)
                };
                mem::size_of::<libc::sockaddr_in>()
            }
            SocketAddr::V6(a) => {
                let sin6 = libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: a.port().to_be(),
                    sin6_flowinfo: a.flowinfo(),
                    sin6_addr: libc::in6_addr {
                        s6_addr: a.ip().octets(),
                    },
                    sin6_scope_id: a.scope_id(),
                };
                // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
                unsafe {
                    (&raw mut raw.storage)
                        .cast::<libc::sockaddr_in6>()
                        .write(sin6)
                };
                mem::size_of::<libc::sockaddr_in6>()
            }
        };
        raw.len = len as libc::socklen_t;
        raw
    }

    /// A Unix-domain address: a path (NUL-terminated, as std and libc
    /// write it), a Linux abstract name (a leading NUL, no terminator), or
    /// unnamed (the family alone, which `sendmsg` refuses with `EINVAL`).
    /// std's `SocketAddr` has already checked that the name fits.
    pub(crate) fn unix(addr: &UnixAddr) -> Box<RawAddr> {
        let mut raw = RawAddr::empty();
        // SAFETY: sockaddr_un is plain data; all-zero is a valid value.
        let mut sun: libc::sockaddr_un = unsafe { mem::zeroed() };
        sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
        let (name, terminator): (&[u8], usize) = if let Some(path) = addr.as_pathname() {
            (path.as_os_str().as_bytes(), 1)
        } else if let Some(name) = addr.as_abstract_name() {
            (name, 0)
        } else {
            (&[], 0)
        };
        let lead = usize::from(addr.as_abstract_name().is_some());
        let room = sun.sun_path.len();
        // std never builds a longer one; clamp rather than overrun anyway.
        let name = &name[..name.len().min(room - lead - terminator)];
        for (dst, &b) in sun.sun_path[lead..].iter_mut().zip(name) {
            *dst = b as libc::c_char;
        }
        let len = SUN_PATH_AT + lead + name.len() + if name.is_empty() { 0 } else { terminator };
        // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_un.
        unsafe {
            (&raw mut raw.storage)
                .cast::<libc::sockaddr_un>()
                .write(sun)
        };
        raw.len = len as libc::socklen_t;
        raw
    }

    pub(crate) fn as_ptr(&self) -> *const libc::sockaddr {
        (&raw const self.storage).cast()
    }

    pub(crate) fn as_mut_ptr(&mut self) -> *mut libc::sockaddr {
        (&raw mut self.storage).cast()
    }

    fn family(&self) -> libc::c_int {
        if (self.len as usize) < mem::size_of::<libc::sa_family_t>() {
            return libc::AF_UNSPEC;
        }
        libc::c_int::from(self.storage.ss_family)
    }
}

/// The sender of a datagram, as the kernel reported it (`recvmsg`'s name);
/// see [`Op::recv_from`](crate::Op::recv_from). Read it as the kind of
/// socket it came from: [`as_inet`](Self::as_inet) for UDP,
/// [`as_unix`](Self::as_unix) for Unix-domain datagrams.
pub struct PeerAddr(Box<RawAddr>);

impl PeerAddr {
    pub(crate) fn new(raw: Box<RawAddr>) -> PeerAddr {
        PeerAddr(raw)
    }

    /// An IPv4 or IPv6 address; `None` for any other family.
    ///
    /// ```
    /// # use goro_netpoll::{Op, Output, Poller};
    /// # use std::os::fd::AsRawFd;
    /// let a = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// let b = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// b.set_nonblocking(true)?;
    /// a.send_to(b"hi", b.local_addr()?)?;
    /// let mut p = Poller::new()?;
    /// p.submit(Op::recv_from(b.as_raw_fd(), Vec::with_capacity(8)), 1)?;
    /// let mut done = Vec::new();
    /// while done.is_empty() {
    ///     p.poll(&mut done, None)?;
    /// }
    /// let Output::Datagram(buf, from) = done.remove(0).output else { unreachable!() };
    /// assert_eq!((&buf[..], from.as_inet()), (&b"hi"[..], Some(a.local_addr()?)));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn as_inet(&self) -> Option<SocketAddr> {
        let raw = &self.0;
        match raw.family() {
            libc::AF_INET if raw.len as usize >= mem::size_of::<libc::sockaddr_in>() => {
                // SAFETY: the family says the kernel wrote a sockaddr_in, and
                // sockaddr_storage is larger than and aligned for it.
                let sin = unsafe { &*(&raw const raw.storage).cast::<libc::sockaddr_in>() };
                let ip = std::net::Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
                Some(SocketAddr::from((ip, u16::from_be(sin.sin_port))))
            }
            libc::AF_INET6 if raw.len as usize >= mem::size_of::<libc::sockaddr_in6>() => {
                // SAFETY: as above, for sockaddr_in6.
                let sin6 = unsafe { &*(&raw const raw.storage).cast::<libc::sockaddr_in6>() };
                Some(SocketAddr::V6(std::net::SocketAddrV6::new(
                    sin6.sin6_addr.s6_addr.into(),
                    u16::from_be(sin6.sin6_port),
                    sin6.sin6_flowinfo,
                    sin6.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }

    /// A Unix-domain address: a path, an abstract name, or unnamed (an
    /// unbound sender or a `socketpair` peer, which the kernel reports with
    /// no name at all). `None` for an IP address.
    pub fn as_unix(&self) -> Option<UnixAddr> {
        let raw = &self.0;
        match raw.family() {
            libc::AF_UNIX | libc::AF_UNSPEC => {}
            _ => return None,
        }
        // SAFETY: AF_UNIX (or no name at all): the kernel wrote at most a
        // sockaddr_un, and sockaddr_storage is larger than and aligned for it.
        let sun = unsafe { &*(&raw const raw.storage).cast::<libc::sockaddr_un>() };
        let path_len = (raw.len as usize)
            .saturating_sub(SUN_PATH_AT)
            .min(sun.sun_path.len());
        // `c_char` is `i8` or `u8` by target; either way one byte.
        let bytes: Vec<u8> = sun.sun_path[..path_len].iter().map(|&c| c as u8).collect();
        let addr = match bytes.first() {
            // No name. std has no constructor for it, but an empty pathname
            // is exactly the unnamed address (its length stops before the path).
            None => UnixAddr::from_pathname(""),
            // Linux abstract namespace: a leading NUL, then the name.
            Some(0) => UnixAddr::from_abstract_name(&bytes[1..]),
            // A path, NUL-terminated or not.
            Some(_) => {
                let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
                UnixAddr::from_pathname(Path::new(OsStr::from_bytes(&bytes[..end])))
            }
        };
        // Both constructors accept anything the kernel can report.
        addr.ok()
    }
}

impl fmt::Debug for PeerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(a) = self.as_inet() {
            return f.debug_tuple("PeerAddr").field(&a).finish();
        }
        match self.as_unix() {
            Some(a) => f.debug_tuple("PeerAddr").field(&a).finish(),
            None => write!(f, "PeerAddr(family {})", self.0.family()),
        }
    }
}

impl fmt::Debug for RawAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawAddr")
            .field("family", &self.family())
            .field("len", &self.len)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    //! Encoding and decoding without a system call (Miri runs these).
    use super::*;

    fn round_trip_unix(addr: &UnixAddr) -> UnixAddr {
        PeerAddr::new(RawAddr::unix(addr)).as_unix().unwrap()
    }

    #[test]
    fn inet_round_trips() {
        for s in ["127.0.0.1:4242", "[::1]:7", "[fe80::1%3]:9"] {
            let a: SocketAddr = s.parse().unwrap();
            let peer = PeerAddr::new(RawAddr::new(a));
            assert_eq!(peer.as_inet(), Some(a));
            assert!(peer.as_unix().is_none());
        }
    }

    #[test]
    fn unix_path_is_nul_terminated_and_round_trips() {
        let a = UnixAddr::from_pathname("/tmp/goro.sock").unwrap();
        let raw = RawAddr::unix(&a);
        assert_eq!(raw.len as usize, SUN_PATH_AT + "/tmp/goro.sock".len() + 1);
        let back = round_trip_unix(&a);
        assert_eq!(back.as_pathname(), Some(Path::new("/tmp/goro.sock")));
        assert!(PeerAddr::new(raw).as_inet().is_none());
    }

    #[test]
    fn unix_abstract_and_unnamed_round_trip() {
        let a = UnixAddr::from_abstract_name(b"goro\0name").unwrap();
        let raw = RawAddr::unix(&a);
        assert_eq!(raw.len as usize, SUN_PATH_AT + 1 + 9);
        assert_eq!(
            round_trip_unix(&a).as_abstract_name(),
            Some(&b"goro\0name"[..])
        );
        let unnamed = UnixAddr::from_pathname("").unwrap();
        assert!(unnamed.is_unnamed());
        assert_eq!(RawAddr::unix(&unnamed).len as usize, SUN_PATH_AT);
        assert!(round_trip_unix(&unnamed).is_unnamed());
    }

    #[test]
    fn no_name_reads_as_unnamed_unix() {
        // What the kernel reports for an unbound Unix sender: length 0.
        let mut raw = RawAddr::empty();
        raw.len = 0;
        let peer = PeerAddr::new(raw);
        assert!(peer.as_unix().unwrap().is_unnamed());
        assert!(peer.as_inet().is_none());
    }
}
