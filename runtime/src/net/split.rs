//! Owned read and write halves of a stream (TCP or Unix).
//!
//! Both halves share the socket; it closes when both are gone. Each half
//! keeps its own readiness slot, so the reader and the writer can wait at
//! the same time from different tasks.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::task::{Context, Poll};

use goro_netpoll::Interest;

use super::future::IoFuture;
use super::multi::RecvStream;
use super::stream::{ReadySlot, StreamCore};
use crate::io::op::Exclusive;
use crate::sync::Arc;

pub(crate) fn split(core: Arc<StreamCore>) -> (OwnedReadHalf, OwnedWriteHalf) {
    (
        OwnedReadHalf {
            core: core.clone(),
            rd: Exclusive::default(),
        },
        OwnedWriteHalf {
            core,
            wr: Exclusive::default(),
        },
    )
}

/// The reading half of a split stream.
pub struct OwnedReadHalf {
    pub(super) core: Arc<StreamCore>,
    pub(super) rd: Exclusive<ReadySlot>,
}

impl OwnedReadHalf {
    /// See [`TcpStream::read`](super::TcpStream::read).
    pub fn read(&self, buf: Vec<u8>) -> IoFuture<'_, (io::Result<usize>, Vec<u8>)> {
        self.core.read(buf)
    }

    /// See [`TcpStream::recv_multi`](super::TcpStream::recv_multi).
    pub fn recv_multi(&self) -> RecvStream<'_> {
        RecvStream::new(&self.core.fd)
    }

    /// Waits until the socket is readable.
    pub fn readable(&self) -> IoFuture<'_, io::Result<()>> {
        self.core.ready(Interest::READABLE)
    }

    /// See [`TcpStream::poll_read`](super::TcpStream::poll_read).
    pub fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.core.poll_read(self.rd.get_mut(), cx, buf)
    }
}

/// The writing half of a split stream.
pub struct OwnedWriteHalf {
    pub(super) core: Arc<StreamCore>,
    pub(super) wr: Exclusive<ReadySlot>,
}

impl OwnedWriteHalf {
    /// See [`TcpStream::write`](super::TcpStream::write).
    pub fn write(&self, buf: Vec<u8>) -> IoFuture<'_, (io::Result<usize>, Vec<u8>)> {
        self.core.write(buf)
    }

    /// See [`TcpStream::write_all`](super::TcpStream::write_all).
    pub async fn write_all(&self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
        self.core.write_all(buf).await
    }

    /// See [`TcpStream::write_vectored`](super::TcpStream::write_vectored).
    pub fn write_vectored(
        &self,
        bufs: Vec<Vec<u8>>,
    ) -> IoFuture<'_, (io::Result<usize>, Vec<Vec<u8>>)> {
        self.core.write_vectored(bufs)
    }

    /// See [`TcpStream::write_vectored_bytes`](super::TcpStream::write_vectored_bytes).
    pub fn write_vectored_bytes(
        &self,
        bufs: Vec<bytes::Bytes>,
    ) -> IoFuture<'_, (io::Result<usize>, Vec<bytes::Bytes>)> {
        self.core.write_vectored_bytes(bufs)
    }

    /// Waits until the socket is writable.
    pub fn writable(&self) -> IoFuture<'_, io::Result<()>> {
        self.core.ready(Interest::WRITABLE)
    }

    /// See [`TcpStream::poll_write`](super::TcpStream::poll_write).
    pub fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.core.poll_write(self.wr.get_mut(), cx, buf)
    }

    /// Sends FIN: the peer reads end of stream; this side can still read.
    pub fn shutdown(&self) -> io::Result<()> {
        self.core.shutdown(Shutdown::Write)
    }
}

impl fmt::Debug for OwnedReadHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedReadHalf")
            .field("fd", &self.core.fd.raw())
            .finish()
    }
}

impl fmt::Debug for OwnedWriteHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedWriteHalf")
            .field("fd", &self.core.fd.raw())
            .finish()
    }
}
