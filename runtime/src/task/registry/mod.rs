//! The registry of every live task, for shutdown and the task dump.
//!
//! Each live task holds a slot in [`Slots`] (`slots.rs` states the
//! protocol) with one task reference, the registry's. Spawning claims a
//! slot in the spawning thread's shard; completion clears it and releases
//! that reference at once, so a completed task's cell goes back to the
//! cell caches as soon as its `JoinHandle` lets go, on the thread that
//! dropped it. Neither end takes a lock (tokio's `OwnedTasks` locks a
//! sharded list on both).

pub(crate) mod slots;

use std::collections::HashMap;
use std::ptr::NonNull;

use super::{Header, drop_ref};
use crate::sync::Mutex;
use crate::sync::atomic::Ordering::Relaxed;
use slots::Slots;

pub(crate) struct Registry {
    slots: Slots<Header>,
    /// Names of the named tasks, by id. Most tasks have none, so a name
    /// lives here rather than as 8 bytes in every header; a header says
    /// whether it has one (`Header::is_named`).
    names: Mutex<HashMap<u64, Box<str>>>,
}

impl Registry {
    /// A registry with `shards` shards (one per worker, plus one for
    /// threads without a worker).
    pub(crate) fn new(shards: usize) -> Registry {
        Registry {
            slots: Slots::new(shards, drop_ref),
            names: Mutex::new(HashMap::new()),
        }
    }

    /// Records a task's name (before the task is published).
    pub(crate) fn set_name(&self, id: u64, name: Box<str>) {
        self.names.lock().insert(id, name);
    }

    /// A named task's name.
    pub(crate) fn name(&self, id: u64) -> Option<String> {
        self.names.lock().get(&id).map(|n| n.to_string())
    }

    /// Forgets a named task's name (its cell is being freed).
    pub(crate) fn forget_name(&self, id: u64) {
        self.names.lock().remove(&id);
    }

    /// Registers a new task in `shard`; its registry reference moves to the
    /// slot. Call before the task is first scheduled (its completion looks
    /// for the slot).
    pub(crate) fn push(&self, shard: usize, task: NonNull<Header>) {
        let slot = self.slots.claim(shard, task);
        // SAFETY: the caller passes a live task with a reference for us.
        let header = unsafe { task.as_ref() };
        // Relaxed: whoever completes the task got it through a run queue,
        // whose hand-over orders this store before their load.
        header.registry_slot.store(slot.as_ptr(), Relaxed);
    }

    /// The task completed (or was cancelled): its slot is freed and the
    /// registry's reference released, unless shutdown took it already.
    ///
    /// # Safety
    /// The caller holds a reference to `task` for this call.
    pub(crate) unsafe fn completed(&self, task: NonNull<Header>) {
        // SAFETY: the caller's reference keeps the header alive.
        let slot = unsafe { task.as_ref() }.registry_slot.load(Relaxed);
        if let Some(slot) = NonNull::new(slot) {
            // SAFETY: `push` stored the slot it claimed for this task on
            // this registry; the caller holds a reference.
            unsafe { self.slots.release(slot, task) };
        }
    }

    /// Calls `f` on every registered task.
    pub(crate) fn walk(&self, f: impl FnMut(&Header)) {
        self.slots.walk(f);
    }

    /// Unregisters every task and hands each (with the registry's
    /// reference) to `f`, after the registry's lock is released.
    pub(crate) fn take_all(&self, f: impl FnMut(NonNull<Header>)) {
        self.slots.take_all(f);
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.take_all(|node| {
            super::shutdown_task(node);
            // SAFETY: `take_all` handed us the registry's reference.
            unsafe { drop_ref(node) };
        });
    }
}
