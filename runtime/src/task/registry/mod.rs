//! The registry of every live task, for shutdown and the task dump.
//!
//! Tokio keeps an `OwnedTasks` list behind sharded mutexes and locks it
//! twice per task (insert, remove). Here spawning is one CAS on the
//! spawning worker's own shard head (a Treiber push), and completion touches
//! nothing: completed tasks are unlinked later, in bulk, by a sweep (each
//! worker sweeps its own shard every so often; the monitor thread sweeps
//! the remote shard and idle workers' shards), like Go's background sweep.
//!
//! Protocol:
//! 1. Pushers write their node's `registry_next` and publish the node with a
//!    release CAS on the shard head. They never touch a published node.
//! 2. Everything else (sweep, walk, take) holds `lock`. The sweeper unlinks
//!    complete nodes but never the head node (the head pointer belongs to
//!    the pushers' CAS), so the two never write the same word.
//! 3. The registry's link holds one task reference; whoever unlinks a node
//!    (sweep, take) releases it.

use std::collections::HashMap;
use std::ptr::{self, NonNull};

use super::{Header, drop_ref};
use crate::sync::Mutex;
use crate::sync::atomic::AtomicPtr;
use crate::sync::atomic::Ordering::{Acquire, Relaxed, Release};

pub(crate) struct Registry {
    shards: Box<[AtomicPtr<Header>]>,
    lock: Mutex<()>,
    /// Names of the named tasks, by id. Most tasks have none, so a name
    /// lives here rather than as 8 bytes in every header; a header says
    /// whether it has one (`Header::is_named`).
    names: Mutex<HashMap<u64, Box<str>>>,
}

impl Registry {
    pub(crate) fn new(shards: usize) -> Registry {
        Registry {
            shards: (0..shards)
                .map(|_| AtomicPtr::new(ptr::null_mut()))
                .collect(),
            lock: Mutex::new(()),
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

    /// Links a new task; its registry reference moves to the list.
    pub(crate) fn push(&self, shard: usize, task: NonNull<Header>) {
        let head = &self.shards[shard % self.shards.len()];
        // SAFETY: the caller passes a live task with a reference for us.
        let node = unsafe { task.as_ref() };
        let mut cur = head.load(Relaxed);
        loop {
            node.registry_next.store(cur, Relaxed);
            match head.compare_exchange_weak(cur, task.as_ptr(), Release, Relaxed) {
                Ok(_) => return,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Number of shards (one per worker, plus one for remote spawns).
    pub(crate) fn shards(&self) -> usize {
        self.shards.len()
    }

    /// Unlinks the completed tasks of one shard (rule 2) and releases their
    /// references after the lock is dropped (a release may run user `Drop`
    /// code). Returns the tasks still linked there. Workers sweep their
    /// own shard, so a cell is usually freed by the thread that allocated
    /// it (glibc frees across threads slowly).
    pub(crate) fn sweep_shard(&self, shard: usize) -> usize {
        // Unlinked nodes are chained through their own `registry_next`
        // (nobody reads an unlinked node's link: rule 2), so a sweep of
        // thousands allocates nothing.
        let mut released: *mut Header = ptr::null_mut();
        let mut live = 0;
        {
            let _guard = self.lock.lock();
            let mut prev = self.shards[shard].load(Acquire);
            if !prev.is_null() {
                live += 1;
                loop {
                    // SAFETY: `prev` is linked, so the list's reference keeps
                    // it alive; we hold the lock (rule 2).
                    let prev_ref = unsafe { &*prev };
                    let cur = prev_ref.registry_next.load(Acquire);
                    let Some(cur_ptr) = NonNull::new(cur) else {
                        break;
                    };
                    // SAFETY: as above.
                    let cur_ref = unsafe { cur_ptr.as_ref() };
                    if cur_ref.state.load().is_complete() {
                        prev_ref
                            .registry_next
                            .store(cur_ref.registry_next.load(Acquire), Release);
                        cur_ref.registry_next.store(released, Relaxed);
                        released = cur;
                    } else {
                        live += 1;
                        prev = cur;
                    }
                }
            }
        }
        while let Some(node) = NonNull::new(released) {
            // SAFETY: unlinked above; our chain's reference (rule 3) keeps
            // it alive until the drop below, so read the link first.
            released = unsafe { node.as_ref() }.registry_next.load(Relaxed);
            // SAFETY: rule 3: unlinking gave us the list's reference.
            unsafe { drop_ref(node) };
        }
        live
    }

    /// Calls `f` on every linked task, under the lock.
    pub(crate) fn walk(&self, mut f: impl FnMut(&Header)) {
        let _guard = self.lock.lock();
        for head in self.shards.iter() {
            let mut cur = head.load(Acquire);
            while let Some(node) = NonNull::new(cur) {
                // SAFETY: linked nodes are alive (rule 3) and the lock keeps
                // the sweeper away.
                let node = unsafe { node.as_ref() };
                f(node);
                cur = node.registry_next.load(Acquire);
            }
        }
    }

    /// Unlinks every task and hands each (with the list's reference) to `f`,
    /// after the lock is released.
    pub(crate) fn take_all(&self, mut f: impl FnMut(NonNull<Header>)) {
        let mut chains = Vec::new();
        {
            let _guard = self.lock.lock();
            for head in self.shards.iter() {
                chains.push(head.swap(ptr::null_mut(), Acquire));
            }
        }
        for mut cur in chains {
            while let Some(node) = NonNull::new(cur) {
                // SAFETY: the list's reference keeps the node alive until
                // `f` releases it; read the link first.
                cur = unsafe { node.as_ref() }.registry_next.load(Acquire);
                f(node);
            }
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.take_all(|node| {
            super::shutdown_task(node);
            // SAFETY: rule 3.
            unsafe { drop_ref(node) };
        });
    }
}
