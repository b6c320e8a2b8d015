//! A worker's local run queue (Go's `p.runq`): a fixed ring of 256 slots,
//! one producer (the worker that owns it), many consumers (its owner
//! popping, and stealers taking half at a time).
//!
//! The algorithm is Go's `runqput`/`runqget`/`runqgrab` with tokio's packed
//! head (`tokio/src/runtime/scheduler/multi_thread/queue.rs`): `head` holds
//! two u32 indices, `steal` (start of slots a stealer is still copying) and
//! `real` (the next slot to hand out). Go tolerates a stealer reading a slot
//! the owner is overwriting (the value is then discarded); in Rust that is a
//! data race, so the owner treats `[steal, real)` as still occupied.
//!
//! Protocol:
//! 1. Only the owner writes `tail` and the slots in `[tail, steal + CAP)`;
//!    it publishes a slot by storing `tail` with release ordering.
//! 2. A consumer claims slots by CAS on `head` (acquire), then reads them.
//!    The owner claims one slot by moving `real` (and `steal` with it when
//!    no steal is in flight).
//! 3. A stealer moves `real` by half the queue, copies `[steal, real)` out,
//!    then sets `steal = real`. While `steal != real` no other stealer
//!    starts, and the owner does not overwrite those slots (rule 1).
//! 4. Indices are u32 and wrap; slot = index % CAP. With CAP ≤ 2^16 the
//!    wrap-around cannot make an old `head` look current (the ABA hazard
//!    tokio#5041 documents for u16 indices).
//!
//! Under loom the capacity shrinks to 4 so that overflow and steal edges are
//! reached with a handful of tasks; the logic is the same.

use std::mem::MaybeUninit;

use crate::sync::UnsafeCell;
use crate::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use crate::sync::atomic::{AtomicU32, AtomicU64};

/// Slots per local queue (Go and tokio both use 256).
#[cfg(not(goro_loom))]
pub const CAPACITY: usize = 256;
/// Slots per local queue, shrunk under loom (logic unchanged).
#[cfg(goro_loom)]
pub const CAPACITY: usize = 4;

const MASK: usize = CAPACITY - 1;

fn pack(steal: u32, real: u32) -> u64 {
    ((steal as u64) << 32) | real as u64
}

fn unpack(head: u64) -> (u32, u32) {
    ((head >> 32) as u32, head as u32)
}

/// Where tasks go when the ring is full: the global queue in the runtime,
/// a plain vector in tests.
pub trait Overflow<T> {
    /// Takes a batch of tasks that no longer fit.
    fn push_batch(&self, batch: Vec<T>);
}

/// The ring. Owner-only methods are marked; calling them from two threads
/// at once breaks rule 1.
pub struct Local<T> {
    head: AtomicU64,
    tail: AtomicU32,
    buffer: Box<[UnsafeCell<MaybeUninit<T>>]>,
    /// Overflow batches; written by the owner only (load + store), read
    /// by metrics.
    overflows: AtomicU64,
}

// SAFETY: slots are accessed under the module protocol, which moves each
// `T` from one thread to another (hence `T: Send`) and never shares one.
unsafe impl<T: Send> Send for Local<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Local<T> {}

impl<T> Default for Local<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Local<T> {
    /// An empty queue.
    pub fn new() -> Local<T> {
        Local {
            head: AtomicU64::new(0),
            tail: AtomicU32::new(0),
            buffer: (0..CAPACITY)
                .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
                .collect(),
            overflows: AtomicU64::new(0),
        }
    }

    /// Number of queued tasks (approximate when read by a non-owner).
    pub fn len(&self) -> usize {
        let (_, real) = unpack(self.head.load(Acquire));
        self.tail.load(Acquire).wrapping_sub(real) as usize
    }

    /// True if no task is queued (approximate for non-owners).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Free slots, as the owner sees them (in-flight steals count as used).
    pub fn remaining(&self) -> usize {
        let (steal, _) = unpack(self.head.load(Acquire));
        CAPACITY - self.tail.load(Relaxed).wrapping_sub(steal) as usize
    }

    /// Overflow batches pushed so far (owner's count).
    pub fn overflows(&self) -> u64 {
        self.overflows.load(Relaxed)
    }

    fn write_slot(&self, index: u32, task: T) {
        let slot = &self.buffer[index as usize & MASK];
        // SAFETY: rule 1: the owner writes slots it alone may touch.
        slot.with_mut(|p| unsafe { (*p).write(task) });
    }

    fn read_slot(&self, index: u32) -> T {
        let slot = &self.buffer[index as usize & MASK];
        // SAFETY: rules 2-3: the caller claimed this slot, which the owner
        // published (release on `tail`, acquired by the claim); claiming
        // moves the value out exactly once.
        slot.with(|p| unsafe { (*p).assume_init_read() })
    }

    /// Owner: appends `task`; when full, moves half the queue plus `task`
    /// to `overflow` (Go's `runqputslow`).
    pub fn push_back(&self, mut task: T, overflow: &dyn Overflow<T>) {
        loop {
            let head = self.head.load(Acquire);
            let (steal, real) = unpack(head);
            let tail = self.tail.load(Relaxed);
            if tail.wrapping_sub(steal) < CAPACITY as u32 {
                self.write_slot(tail, task);
                self.tail.store(tail.wrapping_add(1), Release);
                return;
            }
            if steal != real {
                // A stealer is emptying the queue right now: the slots will
                // free up, but not in time for this push. Go puts the task on
                // the global queue too.
                overflow.push_batch(vec![task]);
                return;
            }
            match self.push_overflow(task, real, tail, overflow) {
                Ok(()) => return,
                // A stealer or the owner's own pop... only stealers race us:
                // retry, the queue now has room or a steal in flight.
                Err(t) => task = t,
            }
        }
    }

    fn push_overflow(
        &self,
        task: T,
        head: u32,
        tail: u32,
        overflow: &dyn Overflow<T>,
    ) -> Result<(), T> {
        let half = (CAPACITY / 2) as u32;
        debug_assert_eq!(tail.wrapping_sub(head), CAPACITY as u32);
        let new_head = head.wrapping_add(half);
        if self
            .head
            .compare_exchange(pack(head, head), pack(new_head, new_head), AcqRel, Acquire)
            .is_err()
        {
            return Err(task);
        }
        let mut batch = Vec::with_capacity(half as usize + 1);
        for i in 0..half {
            batch.push(self.read_slot(head.wrapping_add(i)));
        }
        batch.push(task);
        let n = self.overflows.load(Relaxed);
        self.overflows.store(n + 1, Relaxed);
        overflow.push_batch(batch);
        Ok(())
    }

    /// Owner: takes the oldest task.
    pub fn pop(&self) -> Option<T> {
        let mut head = self.head.load(Acquire);
        let index = loop {
            let (steal, real) = unpack(head);
            if real == self.tail.load(Relaxed) {
                return None;
            }
            let next_real = real.wrapping_add(1);
            let next = if steal == real {
                pack(next_real, next_real)
            } else {
                debug_assert_ne!(steal, next_real);
                pack(steal, next_real)
            };
            match self.head.compare_exchange(head, next, AcqRel, Acquire) {
                Ok(_) => break real,
                Err(actual) => head = actual,
            }
        };
        Some(self.read_slot(index))
    }

    /// Stealer: moves half of this queue into `dst` (which the caller owns)
    /// and returns one of the stolen tasks to run now. Gives up if another
    /// steal is in flight or `dst` is more than half full (Go's `runqsteal`).
    pub fn steal_into(&self, dst: &Local<T>) -> Option<T> {
        let dst_tail = dst.tail.load(Relaxed);
        let (dst_steal, _) = unpack(dst.head.load(Acquire));
        if dst_tail.wrapping_sub(dst_steal) > (CAPACITY / 2) as u32 {
            return None;
        }
        let n = self.grab(dst, dst_tail);
        if n == 0 {
            return None;
        }
        let n = n - 1;
        let last = dst.read_slot_owner(dst_tail.wrapping_add(n));
        if n > 0 {
            dst.tail.store(dst_tail.wrapping_add(n), Release);
        }
        Some(last)
    }

    /// Reads a slot the owner itself wrote and has not published.
    fn read_slot_owner(&self, index: u32) -> T {
        let slot = &self.buffer[index as usize & MASK];
        // SAFETY: rule 1: unpublished slots belong to the owner alone, and
        // the value is moved out exactly once.
        slot.with(|p| unsafe { (*p).assume_init_read() })
    }

    /// Claims half of this queue (rule 3) and copies it to `dst` from
    /// `dst_tail` on, unpublished. Returns how many.
    fn grab(&self, dst: &Local<T>, dst_tail: u32) -> u32 {
        let mut prev = self.head.load(Acquire);
        let (first, n) = loop {
            let (steal, real) = unpack(prev);
            if steal != real {
                return 0;
            }
            let tail = self.tail.load(Acquire);
            let n = tail.wrapping_sub(real);
            let n = n - n / 2;
            if n == 0 {
                return 0;
            }
            let next = pack(steal, real.wrapping_add(n));
            match self.head.compare_exchange(prev, next, AcqRel, Acquire) {
                Ok(_) => break (real, n),
                Err(actual) => prev = actual,
            }
        };
        debug_assert!(n as usize <= CAPACITY / 2);
        for i in 0..n {
            let task = self.read_slot(first.wrapping_add(i));
            dst.write_slot(dst_tail.wrapping_add(i), task);
        }
        // Release the claimed slots back to the owner: `steal = real`.
        let mut prev = pack(first, first.wrapping_add(n));
        loop {
            let (_, real) = unpack(prev);
            match self
                .head
                .compare_exchange(prev, pack(real, real), AcqRel, Acquire)
            {
                Ok(_) => return n,
                Err(actual) => {
                    let (steal, _) = unpack(actual);
                    debug_assert_eq!(steal, first);
                    prev = actual;
                }
            }
        }
    }
}

impl<T> Drop for Local<T> {
    fn drop(&mut self) {
        // `&mut self`: no other thread uses the queue; drop what is left.
        while let Some(task) = self.pop() {
            drop(task);
        }
    }
}

#[cfg(all(test, not(goro_loom)))]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    // Boxed entries on purpose: Miri then checks every move of ownership
    // through the ring (a leak or double drop is reported).
    #[allow(clippy::vec_box)]
    #[derive(Default)]
    struct Spill(StdMutex<Vec<Box<usize>>>);

    impl Overflow<Box<usize>> for Spill {
        fn push_batch(&self, batch: Vec<Box<usize>>) {
            self.0.lock().unwrap().extend(batch);
        }
    }

    #[test]
    fn fifo_and_overflow_half() {
        let q = Local::new();
        let spill = Spill::default();
        for i in 0..CAPACITY + 1 {
            q.push_back(Box::new(i), &spill);
        }
        // The push that found the ring full moved half of it plus itself.
        assert_eq!(spill.0.lock().unwrap().len(), CAPACITY / 2 + 1);
        assert_eq!(q.overflows(), 1);
        let first = *q.pop().unwrap();
        assert_eq!(first, CAPACITY / 2);
        let mut n = 1;
        while q.pop().is_some() {
            n += 1;
        }
        assert_eq!(n, CAPACITY / 2);
    }

    #[test]
    fn steal_takes_half() {
        let victim = Local::new();
        let thief = Local::new();
        let spill = Spill::default();
        for i in 0..10 {
            victim.push_back(Box::new(i), &spill);
        }
        let got = thief.steal_into_check(&victim);
        assert_eq!(got, 5);
        assert_eq!(victim.len(), 5);
    }

    impl Local<Box<usize>> {
        fn steal_into_check(&self, victim: &Local<Box<usize>>) -> usize {
            let first = victim.steal_into(self).map(|b| *b);
            assert_eq!(first, Some(4), "the last stolen task is returned");
            1 + self.len()
        }
    }

    #[test]
    fn concurrent_steal_sees_every_task_once() {
        let q = std::sync::Arc::new(Local::<Box<usize>>::new());
        let spill = std::sync::Arc::new(Spill::default());
        #[cfg(miri)]
        const N: usize = 40;
        #[cfg(not(miri))]
        const N: usize = 20_000;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let thief = {
            let q = q.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mine = Local::new();
                let mut got = Vec::new();
                loop {
                    let done = stop.load(std::sync::atomic::Ordering::SeqCst);
                    if let Some(t) = q.steal_into(&mine) {
                        got.push(*t);
                        while let Some(t) = mine.pop() {
                            got.push(*t);
                        }
                    } else if done {
                        return got;
                    }
                    std::thread::yield_now();
                }
            })
        };
        let mut seen = Vec::new();
        for i in 0..N {
            q.push_back(Box::new(i), &*spill);
            if i % 3 == 0 {
                if let Some(t) = q.pop() {
                    seen.push(*t);
                }
            }
        }
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        seen.extend(thief.join().unwrap());
        while let Some(t) = q.pop() {
            seen.push(*t);
        }
        seen.extend(spill.0.lock().unwrap().drain(..).map(|b| *b));
        seen.sort();
        assert_eq!(seen, (0..N).collect::<Vec<_>>());
    }
}
