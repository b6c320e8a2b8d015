//! A provided-buffer ring (`IORING_REGISTER_PBUF_RING`, Linux 5.19).
//!
//! # Layout and protocol
//!
//! 1. `entries` (a power of two) ring slots of 16 bytes each, in a
//!    page-aligned anonymous mapping the kernel reads; the 16-bit tail lives
//!    in the reserved field of slot 0 (the kernel ABI).
//! 2. `entries` buffers of `size` bytes each, in one allocation; buffer id
//!    `i` is bytes `i*size .. (i+1)*size`.
//! 3. We own the tail, the kernel owns the head. Publishing a buffer writes
//!    its slot at `tail & mask`, then stores `tail + 1` with release ordering
//!    so the kernel sees the slot before the new tail.
//! 4. The kernel hands a buffer to a multishot receive and names its id in
//!    the CQE; from then until we publish it again only we touch it. We copy
//!    the bytes out and republish at once, so the ring never runs dry unless
//!    more than `entries` receives complete within one `poll`; if it does, the
//!    receive ends with ENOBUFS and the driver re-arms it.
//!
//! The memory must outlive every request that may pick a buffer: the driver
//! drops the ring only after the ring's requests are finished, or leaks it.

use std::io;
use std::ptr::NonNull;

use io_uring::IoUring;
use io_uring::types::BufRingEntry;

/// The buffer group id used by the poller's one ring.
pub(crate) const GROUP: u16 = 0;

#[derive(Debug)]
pub(crate) struct BufRing {
    slots: NonNull<BufRingEntry>,
    map_len: usize,
    mask: u16,
    tail: u16,
    size: usize,
    bufs: Box<[u8]>,
}

impl BufRing {
    /// Maps, fills and registers a ring of `entries` buffers of `size` bytes.
    pub(crate) fn register(ring: &IoUring, entries: u16, size: usize) -> io::Result<BufRing> {
        if !entries.is_power_of_two() || entries > 32768 || size == 0 || size > u32::MAX as usize {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        }
        let map_len = entries as usize * std::mem::size_of::<BufRingEntry>();
        // SAFETY: an anonymous private mapping; the result is checked.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let slots = NonNull::new(ptr.cast::<BufRingEntry>()).expect("mmap returned null");
        let mut this = BufRing {
            slots,
            map_len,
            mask: entries - 1,
            tail: 0,
            size,
            bufs: vec![0u8; entries as usize * size].into_boxed_slice(),
        };
        for bid in 0..entries {
            this.publish(bid);
        }
        // SAFETY: the mapping and the buffers live as long as `this`, and the
        // driver keeps `this` until the ring is unregistered or destroyed (or
        // leaks it), per the module header.
        let registered = unsafe {
            ring.submitter()
                .register_buf_ring_with_flags(slots.as_ptr() as u64, entries, GROUP, 0)
        };
        registered.map(|()| this)
    }

    /// Rule 3: writes buffer `bid` into the next slot and moves the tail.
    fn publish(&mut self, bid: u16) {
        let index = (self.tail & self.mask) as usize;
        // SAFETY: `index <= mask` is inside the mapping, which we own.
        let slot = unsafe { &mut *self.slots.as_ptr().add(index) };
        // SAFETY: `bid < entries`, so the buffer is inside `bufs`.
        let addr = unsafe { self.bufs.as_mut_ptr().add(bid as usize * self.size) };
        slot.set_addr(addr as u64);
        slot.set_len(self.size as u32);
        slot.set_bid(bid);
        self.tail = self.tail.wrapping_add(1);
        // SAFETY: the tail field lies inside slot 0 of our mapping and the
        // kernel reads it only atomically.
        unsafe {
            let tail = BufRingEntry::tail(self.slots.as_ptr()) as *mut u16;
            crate::sync::store_release_u16(tail, self.tail);
        }
    }

    /// Rule 4: copies `len` bytes out of buffer `bid` and republishes it.
    pub(crate) fn take(&mut self, bid: u16, len: usize) -> Vec<u8> {
        assert!(
            bid <= self.mask,
            "kernel named a buffer id we never published"
        );
        let start = bid as usize * self.size;
        let len = len.min(self.size);
        let data = self.bufs[start..start + len].to_vec();
        self.publish(bid);
        data
    }
}

impl Drop for BufRing {
    fn drop(&mut self) {
        // SAFETY: the mapping was created in `register` with this length and
        // no request can pick from it any more (module header).
        unsafe { libc::munmap(self.slots.as_ptr().cast(), self.map_len) };
    }
}
