//! Multishot operations as async streams: accept and receive.

use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::task::{Context, Poll};

use goro_netpoll::{Op, Output};

use super::fd::SocketFd;
use crate::io::op::{Rebuild, Started};

/// One multishot op, started on first poll, and started again by its
/// submission if the ring it ran on retires (`io/ring.rs` rule 6).
pub(crate) struct Multi<'a> {
    fd: &'a SocketFd,
    /// Builds the op for the descriptor (again, after a retirement).
    make: Rebuild,
    op: Option<Op>,
    sub: Option<Started>,
    ended: bool,
}

impl<'a> Multi<'a> {
    pub(crate) fn new(fd: &'a SocketFd, make: Rebuild) -> Multi<'a> {
        Multi {
            fd,
            make,
            op: Some(make(fd.raw(), Output::None)),
            sub: None,
            ended: false,
        }
    }

    /// The next shot: `None` once the op has ended.
    pub(crate) fn poll_next_shot(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(io::Result<usize>, Output)>> {
        if self.ended {
            return Poll::Ready(None);
        }
        if let Some(op) = self.op.take() {
            self.sub = Some(Started::start(op, self.fd.route(), Some(self.make)));
        }
        let Some(sub) = self.sub.as_mut() else {
            return Poll::Ready(None);
        };
        match sub.poll_shot(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => {
                self.ended = true;
                Poll::Ready(None)
            }
            Poll::Ready(Some((shot, more))) => {
                if !more {
                    self.ended = true;
                }
                Poll::Ready(Some(shot))
            }
        }
    }
}

/// Connections from a multishot accept ([`TcpListener::incoming`](super::TcpListener::incoming)):
/// one submission serves every connection. Dropping it cancels the accept.
pub struct Incoming<'a> {
    multi: Multi<'a>,
}

impl<'a> Incoming<'a> {
    pub(crate) fn new(fd: &'a SocketFd) -> Incoming<'a> {
        Incoming {
            multi: Multi::new(fd, |fd, _| Op::accept_multi(fd)),
        }
    }

    /// Polls for the next accepted socket.
    pub fn poll_next_fd(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<OwnedFd>>> {
        self.multi.poll_next_shot(cx).map(|shot| {
            shot.map(|(r, out)| match (r, out) {
                (Err(e), _) => Err(e),
                (Ok(_), Output::Socket(fd)) => Ok(fd),
                (Ok(_), _) => Err(io::Error::other("goro: accept completed without a socket")),
            })
        })
    }

    /// The next connection; `None` if the accept ended (after an error).
    pub async fn next(&mut self) -> Option<io::Result<super::TcpStream>> {
        std::future::poll_fn(|cx| self.poll_next_fd(cx))
            .await
            .map(|r| r.map(super::TcpStream::from_owned))
    }
}

impl fmt::Debug for Incoming<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Incoming").finish_non_exhaustive()
    }
}

/// Received chunks from a multishot receive over the ring's provided
/// buffers: between chunks the connection holds no user-space buffer. Each
/// chunk is a fresh `Vec` with exactly the bytes of that receive.
/// Dropping it cancels the receive.
pub struct RecvStream<'a> {
    multi: Multi<'a>,
}

impl<'a> RecvStream<'a> {
    pub(crate) fn new(fd: &'a SocketFd) -> RecvStream<'a> {
        RecvStream {
            multi: Multi::new(fd, |fd, _| Op::recv_multi(fd)),
        }
    }

    /// Polls for the next chunk; `None` at end of stream.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Vec<u8>>>> {
        loop {
            return match self.multi.poll_next_shot(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(None) | Poll::Ready(Some((Ok(0), _))) => Poll::Ready(None),
                Poll::Ready(Some((Err(e), _))) => Poll::Ready(Some(Err(e))),
                Poll::Ready(Some((Ok(_), Output::Buf(b)))) => Poll::Ready(Some(Ok(b))),
                // A shot without bytes (should not happen): look again.
                Poll::Ready(Some((Ok(_), _))) => continue,
            };
        }
    }

    /// The next chunk; `None` at end of stream.
    pub async fn next(&mut self) -> Option<io::Result<Vec<u8>>> {
        std::future::poll_fn(|cx| self.poll_next(cx)).await
    }
}

impl fmt::Debug for RecvStream<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvStream").finish_non_exhaustive()
    }
}
