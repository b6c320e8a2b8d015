//! A FIFO list of parked futures, shared by the channel primitives.
//!
//! Every waiting future owns a slot id. Waking pops from the front and
//! marks the slot notified; a future that is dropped after being notified
//! but before acting on it passes the notification on (so a wake-up is
//! never swallowed by a cancelled waiter). All methods run under the
//! owning primitive's mutex.
//!
//! Storage is a slab (24 bytes a slot) plus a queue of 8-byte ids; ids
//! carry a generation so a reused slot is never mistaken for its previous
//! tenant. A removed waiter's id stays in the queue and is skipped when
//! reached; the queue is compacted when stale ids outnumber live ones, so
//! removal is O(1) amortised (100k tasks dropping their waits at shutdown
//! must not cost 100k²).
//!
//! Past [`GROW_FROM`] entries both grow by a quarter instead of doubling:
//! a primitive with 100k waiters then holds about 12 % slack rather than
//! up to half again as much (the 100k-idle-task measurement in
//! docs/runtime.md counts it), at the price of a copy every quarter
//! rather than every doubling, still O(1) amortised.

use std::collections::VecDeque;
use std::task::Waker;

const NONE: u32 = u32::MAX;
/// Entries from which growth is by a quarter (see the header).
const GROW_FROM: usize = 1024;

/// How many entries to reserve before pushing onto a collection holding
/// `len` of `cap`: `None` while there is room, or while doubling (std's
/// own growth) is still cheap in memory.
fn grow_by(len: usize, cap: usize) -> Option<usize> {
    (len == cap && len >= GROW_FROM).then_some(len / 4)
}

enum Slot {
    Free { next: u32 },
    Waiting { waker: Waker, generation: u32 },
    Notified { generation: u32 },
}

pub(crate) struct Waiters {
    slots: Vec<Slot>,
    free: u32,
    order: VecDeque<u64>,
    generation: u32,
    live: usize,
}

impl Default for Waiters {
    fn default() -> Self {
        Waiters {
            slots: Vec::new(),
            free: NONE,
            order: VecDeque::new(),
            generation: 0,
            live: 0,
        }
    }
}

fn split(id: u64) -> (usize, u32) {
    ((id & 0xffff_ffff) as usize, (id >> 32) as u32)
}

impl Waiters {
    /// Registers a new waiter; returns its id.
    pub(crate) fn push(&mut self, waker: &Waker) -> u64 {
        // Never 0, so no id is ever 0 (`Notified` uses 0 as "none").
        self.generation = self.generation.checked_add(1).unwrap_or(1);
        let generation = self.generation;
        let slot = Slot::Waiting {
            waker: waker.clone(),
            generation,
        };
        let index = if self.free != NONE {
            let index = self.free;
            if let Slot::Free { next } = self.slots[index as usize] {
                self.free = next;
            }
            self.slots[index as usize] = slot;
            index
        } else {
            if let Some(more) = grow_by(self.slots.len(), self.slots.capacity()) {
                self.slots.reserve_exact(more);
            }
            self.slots.push(slot);
            (self.slots.len() - 1) as u32
        };
        let id = (u64::from(generation) << 32) | u64::from(index);
        if let Some(more) = grow_by(self.order.len(), self.order.capacity()) {
            self.order.reserve_exact(more);
        }
        self.order.push_back(id);
        self.live += 1;
        id
    }

    fn release(&mut self, index: usize) {
        self.slots[index] = Slot::Free { next: self.free };
        self.free = index as u32;
        self.live -= 1;
        if self.order.len() > 2 * self.live + 16 {
            let slots = &self.slots;
            self.order.retain(|&id| {
                let (i, g) = split(id);
                matches!(slots[i], Slot::Waiting { generation, .. } if generation == g)
            });
        }
    }

    /// Replaces a waiter's waker if it changed.
    pub(crate) fn update(&mut self, id: u64, waker: &Waker) {
        let (i, g) = split(id);
        if let Some(Slot::Waiting {
            waker: w,
            generation,
        }) = self.slots.get_mut(i)
        {
            if *generation == g && !w.will_wake(waker) {
                *w = waker.clone();
            }
        }
    }

    /// True if `id` was notified (and forgets it).
    pub(crate) fn take_notified(&mut self, id: u64) -> bool {
        let (i, g) = split(id);
        match self.slots.get(i) {
            Some(Slot::Notified { generation }) if *generation == g => {
                self.release(i);
                true
            }
            _ => false,
        }
    }

    /// Notifies the oldest un-notified waiter; false if there is none.
    pub(crate) fn notify_one(&mut self) -> bool {
        while let Some(id) = self.order.pop_front() {
            let (i, g) = split(id);
            let slot = &mut self.slots[i];
            if matches!(slot, Slot::Waiting { generation, .. } if *generation == g) {
                let old = std::mem::replace(slot, Slot::Notified { generation: g });
                if let Slot::Waiting { waker, .. } = old {
                    waker.wake();
                }
                return true;
            }
        }
        false
    }

    /// Notifies every waiter.
    pub(crate) fn notify_all(&mut self) {
        while self.notify_one() {}
    }

    /// A waiter goes away. Returns true if it had been notified and not
    /// consumed it (the caller then passes the notification on).
    pub(crate) fn remove(&mut self, id: u64) -> bool {
        let (i, g) = split(id);
        let notified = match self.slots.get(i) {
            Some(Slot::Waiting { generation, .. }) if *generation == g => false,
            Some(Slot::Notified { generation }) if *generation == g => true,
            _ => return false,
        };
        self.release(i);
        notified
    }
}
