//! `recv` and `send` on a socket, made through `syscall(2)`.
//!
//! glibc's `recv` and `send` are thread-cancellation points: each call
//! switches asynchronous cancellation on and off around the system call
//! (`__pthread_enable/disable_asynccancel`), which with the wrappers cost
//! about 130 instructions per echoed message in goro's echo server
//! (callgrind). Nothing here or in goro cancels threads, and Go's runtime
//! makes the raw call too. The results are libc's: the byte count, or -1
//! with `errno` set (`io::Error::last_os_error`).

use std::os::fd::RawFd;

/// Receives up to `len` bytes from `fd` into `buf` (`recv(2)`).
///
/// # Safety
/// `buf` must be valid for writes of `len` bytes for the whole call.
///
/// ```
/// use std::io::Write;
/// use std::os::fd::AsRawFd;
/// let (mut a, b) = std::os::unix::net::UnixStream::pair()?;
/// a.write_all(b"hi")?;
/// let mut buf = [0u8; 8];
/// // SAFETY: `buf` is 8 writable bytes for the whole call.
/// let n = unsafe { goro_netpoll::socket::recv(b.as_raw_fd(), buf.as_mut_ptr(), buf.len(), 0) };
/// assert_eq!(&buf[..n as usize], b"hi");
/// # Ok::<(), std::io::Error>(())
/// ```
#[inline]
pub unsafe fn recv(fd: RawFd, buf: *mut u8, len: usize, flags: i32) -> isize {
    // SAFETY: the caller's contract for `buf`; null source address and
    // length, as glibc's `recv` passes.
    unsafe {
        libc::syscall(
            libc::SYS_recvfrom,
            fd,
            buf,
            len,
            flags,
            std::ptr::null_mut::<libc::sockaddr>(),
            std::ptr::null_mut::<libc::socklen_t>(),
        ) as isize
    }
}

/// Sends `len` bytes of `buf` on `fd` (`send(2)`); pass `MSG_NOSIGNAL` to
/// get `EPIPE` rather than `SIGPIPE` from a closed peer.
///
/// # Safety
/// `buf` must be valid for reads of `len` bytes for the whole call.
///
/// ```
/// use std::io::Read;
/// use std::os::fd::AsRawFd;
/// let (a, mut b) = std::os::unix::net::UnixStream::pair()?;
/// let msg = b"hi";
/// // SAFETY: `msg` is 2 readable bytes for the whole call.
/// let n = unsafe {
///     goro_netpoll::socket::send(a.as_raw_fd(), msg.as_ptr(), msg.len(), libc::MSG_NOSIGNAL)
/// };
/// assert_eq!(n, 2);
/// let mut got = [0u8; 2];
/// b.read_exact(&mut got)?;
/// assert_eq!(&got, msg);
/// # Ok::<(), std::io::Error>(())
/// ```
#[inline]
pub unsafe fn send(fd: RawFd, buf: *const u8, len: usize, flags: i32) -> isize {
    // SAFETY: the caller's contract for `buf`; no destination address, as
    // glibc's `send` passes.
    unsafe {
        libc::syscall(
            libc::SYS_sendto,
            fd,
            buf,
            len,
            flags,
            std::ptr::null::<libc::sockaddr>(),
            0 as libc::socklen_t,
        ) as isize
    }
}

/// Reads an `int` socket option (`getsockopt(2)`), such as `SO_TYPE` or
/// `SO_ERROR` (which it also clears).
pub(crate) fn int_option(fd: RawFd, level: i32, name: i32) -> std::io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `len` are valid for the call, and `len` is the
    // size of `value`.
    let ret = unsafe { libc::getsockopt(fd, level, name, (&raw mut value).cast(), &mut len) };
    if ret < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(value)
}
