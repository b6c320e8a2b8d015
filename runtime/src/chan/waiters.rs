//! A FIFO list of parked futures, shared by the channel primitives.
//!
//! Every waiting future owns a slot id. Waking pops from the front and
//! marks the slot notified; a future that is dropped after being notified
//! but before acting on it passes the notification on (so a wake-up is
//! never swallowed by a cancelled waiter). All methods run under the
//! owning primitive's mutex.

use std::collections::{HashMap, VecDeque};
use std::task::Waker;

#[derive(Default)]
pub(crate) struct Waiters {
    next_id: u64,
    order: VecDeque<u64>,
    slots: HashMap<u64, Slot>,
}

struct Slot {
    waker: Waker,
    notified: bool,
}

impl Waiters {
    /// Registers a new waiter; returns its id.
    pub(crate) fn push(&mut self, waker: &Waker) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.order.push_back(id);
        self.slots.insert(
            id,
            Slot {
                waker: waker.clone(),
                notified: false,
            },
        );
        id
    }

    /// Replaces a waiter's waker if it changed.
    pub(crate) fn update(&mut self, id: u64, waker: &Waker) {
        if let Some(slot) = self.slots.get_mut(&id) {
            if !slot.waker.will_wake(waker) {
                slot.waker = waker.clone();
            }
        }
    }

    /// True if `id` was notified (and forgets it).
    pub(crate) fn take_notified(&mut self, id: u64) -> bool {
        match self.slots.get(&id) {
            Some(slot) if slot.notified => {
                self.slots.remove(&id);
                true
            }
            _ => false,
        }
    }

    /// Notifies the oldest un-notified waiter; false if there is none.
    pub(crate) fn notify_one(&mut self) -> bool {
        while let Some(id) = self.order.pop_front() {
            if let Some(slot) = self.slots.get_mut(&id) {
                slot.notified = true;
                slot.waker.wake_by_ref();
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
        match self.slots.remove(&id) {
            Some(slot) => {
                if !slot.notified {
                    self.order.retain(|&o| o != id);
                }
                slot.notified
            }
            None => false,
        }
    }
}
