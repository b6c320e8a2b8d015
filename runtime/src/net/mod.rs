//! Networking: TCP, UDP and Unix-domain (stream and datagram) sockets driven by the runtime's
//! poller (`goro-netpoll`: io_uring or epoll).
//!
//! Two styles on every socket:
//!
//! * **owned buffers** — `read(buf) -> (io::Result<usize>, buf)`, `write`,
//!   `write_all`, `write_vectored`: the buffer travels to the kernel and
//!   back (native io_uring ops; on epoll the system call is tried first and
//!   repeated on readiness);
//! * **readiness** — `readable()`, `writable()`, `poll_read`, `poll_write`,
//!   for adapters that read into `&mut [u8]`; with the cargo feature
//!   `futures-io`, the streams and their halves also implement
//!   `futures_io::AsyncRead` / `AsyncWrite` on top of it, and with `hyper`,
//!   `hyper::rt::Read` / `Write` (see the `goro::hyper` module).
//!
//! Every operation may be dropped at any point (e.g. by
//! [`time::timeout`](crate::time::timeout)): it is abandoned and its buffer
//! freed once the kernel lets go. [`IoFuture::cancel`] instead asks for an
//! early end and reports whether the cancel won ([`is_cancelled`]).
//!
//! ```
//! use goro::net::{TcpListener, TcpStream};
//! let rt = goro::Runtime::builder().worker_threads(2).build().unwrap();
//! rt.block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0")?;
//!     let addr = listener.local_addr()?;
//!     let server = goro::spawn(async move {
//!         let (conn, _) = listener.accept().await?;
//!         let (n, buf) = conn.read(Vec::with_capacity(64)).await;
//!         n?;
//!         let (r, _) = conn.write_all(buf).await; // echo it back
//!         r
//!     });
//!     let client = TcpStream::connect(addr).await?;
//!     let (r, _) = client.write_all(b"ping".to_vec()).await;
//!     r?;
//!     let (n, buf) = client.read(Vec::with_capacity(64)).await;
//!     assert_eq!(&buf[..n?], b"ping");
//!     server.await.unwrap()
//! })
//! .unwrap();
//! ```
#![cfg(not(goro_loom))]

mod direct;
mod fd;
mod future;
#[cfg(feature = "futures-io")]
mod futures_io;
#[cfg(feature = "hyper")]
mod hyper_io;
mod multi;
mod resolve;
mod split;
mod stream;
mod tcp;
mod udp;
mod unix;
mod unix_datagram;

pub use future::IoFuture;
pub use multi::{Incoming, RecvStream};
pub use resolve::ToConnectAddrs;
pub use split::{OwnedReadHalf, OwnedWriteHalf};
pub use tcp::{TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixListener, UnixStream};
pub use unix_datagram::UnixDatagram;

/// True if `err` says an operation ended because it was cancelled
/// (`ECANCELED`), as opposed to completing with its real result.
pub fn is_cancelled(err: &std::io::Error) -> bool {
    err.raw_os_error() == Some(libc::ECANCELED)
}
