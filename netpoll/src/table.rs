//! The operation table: every operation the poller has accepted and not yet
//! finished, keyed by a generation-tagged id.
//!
//! # Protocol
//!
//! 1. An operation enters the table on submit and stays there, owning its
//!    buffers, until its *final* completion (a completion without "more")
//!    has been processed. On io_uring that is the CQE without
//!    `IORING_CQE_F_MORE`; on epoll it is the emulated completion. Nothing
//!    else frees an entry: not a cancel, not an abandon, not a submit error
//!    after the SQE was queued (tokio#8185).
//! 2. An id is `generation << 32 | index`. Removing an entry bumps its slot's
//!    generation, so a late completion carrying an old id finds a different
//!    generation and is ignored: it can never reach an operation that reused
//!    the slot (tokio#8112).
//! 3. Index `u32::MAX` is never allocated; the backends use it for their own
//!    tags (the waker's read, cancel requests).
//! 4. `abandoned` entries are still in flight but nobody wants their result:
//!    their final completion frees the buffers (and closes any descriptor the
//!    kernel created for them) instead of reporting it.
//! 5. An entry may hold the descriptor its op names (`Op::keep_open`); the
//!    reference drops with the entry, so under rule 1 the number stays open
//!    until the final completion, abandoned or not.

use std::fmt;

use crate::shared_fd::SharedFd;

/// Identifies one submitted operation for as long as it is in flight.
///
/// Ids carry a generation: an id of a finished operation never names a later
/// one, even if the later one reuses the same slot.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct OpId(u64);

impl OpId {
    pub(crate) const fn new(index: u32, generation: u32) -> OpId {
        OpId(((generation as u64) << 32) | index as u64)
    }

    /// The raw value carried in `user_data` / `epoll_data`.
    pub fn as_u64(self) -> u64 {
        self.0
    }

    pub(crate) fn from_u64(raw: u64) -> OpId {
        OpId(raw)
    }

    pub(crate) fn index(self) -> u32 {
        self.0 as u32
    }

    pub(crate) fn generation(self) -> u32 {
        (self.0 >> 32) as u32
    }
}

impl fmt::Debug for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpId({}#{})", self.index(), self.generation())
    }
}

/// Tag for internal requests: index `u32::MAX` is never allocated (rule 3).
pub(crate) const fn internal_tag(n: u32) -> u64 {
    ((n as u64) << 32) | u32::MAX as u64
}

/// One in-flight operation.
#[derive(Debug)]
pub(crate) struct Entry<T> {
    pub(crate) op: T,
    pub(crate) token: u64,
    /// A cancel has been requested (the final completion is still awaited).
    pub(crate) cancelling: bool,
    /// The owner gave the operation up (rule 4).
    pub(crate) abandoned: bool,
    /// The op's descriptor, held open while the entry lives (rule 5).
    #[expect(dead_code, reason = "held only to be dropped with the entry")]
    pub(crate) keep: Option<SharedFd>,
}

#[derive(Debug)]
struct Slot<T> {
    generation: u32,
    entry: Option<Entry<T>>,
}

/// A slab of entries with generation-tagged ids.
#[derive(Debug)]
pub(crate) struct Table<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    live: usize,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
        }
    }
}

impl<T> Table<T> {
    /// Adds an operation, with the descriptor it holds open (rule 5);
    /// returns its id.
    pub(crate) fn insert(&mut self, op: T, token: u64, keep: Option<SharedFd>) -> OpId {
        let entry = Entry {
            op,
            token,
            cancelling: false,
            abandoned: false,
            keep,
        };
        self.live += 1;
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            debug_assert!(slot.entry.is_none());
            slot.entry = Some(entry);
            return OpId::new(index, slot.generation);
        }
        let index = u32::try_from(self.slots.len())
            .ok()
            .filter(|&i| i != u32::MAX)
            .expect("operation table full: 2^32 - 1 operations in flight");
        self.slots.push(Slot {
            generation: 0,
            entry: Some(entry),
        });
        OpId::new(index, 0)
    }

    /// The entry `id` names, if it is still in flight (rule 2).
    pub(crate) fn get_mut(&mut self, id: OpId) -> Option<&mut Entry<T>> {
        let slot = self.slots.get_mut(id.index() as usize)?;
        if slot.generation != id.generation() {
            return None;
        }
        slot.entry.as_mut()
    }

    /// Whether `id` is still in flight.
    pub(crate) fn contains(&self, id: OpId) -> bool {
        self.slots
            .get(id.index() as usize)
            .is_some_and(|s| s.generation == id.generation() && s.entry.is_some())
    }

    /// Removes the entry after its final completion; bumps the generation.
    pub(crate) fn remove(&mut self, id: OpId) -> Option<Entry<T>> {
        let slot = self.slots.get_mut(id.index() as usize)?;
        if slot.generation != id.generation() {
            return None;
        }
        let entry = slot.entry.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(id.index());
        self.live -= 1;
        Some(entry)
    }

    /// Number of operations in flight.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Ids of every operation in flight.
    pub(crate) fn ids(&self) -> Vec<OpId> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.entry.is_some())
            .map(|(i, s)| OpId::new(i as u32, s.generation))
            .collect()
    }

    /// Forgets every entry without dropping it: used only when the kernel may
    /// still own their memory and will never report back (a poller dropped
    /// while operations refused to finish). Leaking is the safe choice.
    pub(crate) fn leak_all(&mut self) {
        for slot in &mut self.slots {
            if let Some(entry) = slot.entry.take() {
                std::mem::forget(entry);
            }
        }
        self.live = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[derive(Debug, Clone)]
    enum Step {
        Submit,
        /// Complete the n-th live op (modulo), with "more" or final.
        Complete(usize, bool),
        /// Deliver a completion for the n-th id ever issued (may be stale).
        Late(usize),
        Cancel(usize),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            3 => Just(Step::Submit),
            3 => (any::<usize>(), any::<bool>()).prop_map(|(n, m)| Step::Complete(n, m)),
            2 => any::<usize>().prop_map(Step::Late),
            1 => any::<usize>().prop_map(Step::Cancel),
        ]
    }

    proptest! {
        // No failure files: keeps the test runnable under Miri's isolation.
        // Miri runs ~1000x slower: fewer and shorter cases there, same logic.
        #![proptest_config(ProptestConfig {
            failure_persistence: None,
            cases: if cfg!(miri) { 4 } else { 256 },
            ..ProptestConfig::default()
        })]
        /// Random submit / cancel / complete / late-completion interleavings:
        /// the table always agrees with a model map, stale ids never reach a
        /// live entry, and every op is removed exactly once.
        #[test]
        fn table_matches_model(steps in proptest::collection::vec(step(), 1..if cfg!(miri) { 40 } else { 200 })) {
            let mut table: Table<u64> = Table::default();
            let mut model: HashMap<OpId, u64> = HashMap::new();
            let mut issued: Vec<OpId> = Vec::new();
            let mut next = 0u64;
            for s in steps {
                match s {
                    Step::Submit => {
                        let id = table.insert(next, next, None);
                        prop_assert!(!model.contains_key(&id), "live id reissued");
                        model.insert(id, next);
                        issued.push(id);
                        next += 1;
                    }
                    Step::Complete(n, more) => {
                        let live: Vec<OpId> = model.keys().copied().collect();
                        if live.is_empty() { continue; }
                        let id = live[n % live.len()];
                        let e = table.get_mut(id).expect("live op missing");
                        prop_assert_eq!(e.op, model[&id]);
                        if !more {
                            let e = table.remove(id).expect("live op missing on remove");
                            prop_assert_eq!(Some(e.op), model.remove(&id));
                            prop_assert!(table.get_mut(id).is_none());
                        }
                    }
                    Step::Late(n) => {
                        if issued.is_empty() { continue; }
                        let id = issued[n % issued.len()];
                        match table.get_mut(id) {
                            Some(e) => prop_assert_eq!(Some(&e.op), model.get(&id)),
                            None => prop_assert!(!model.contains_key(&id)),
                        }
                    }
                    Step::Cancel(n) => {
                        if issued.is_empty() { continue; }
                        let id = issued[n % issued.len()];
                        if let Some(e) = table.get_mut(id) {
                            e.cancelling = true;
                        }
                    }
                }
                prop_assert_eq!(table.len(), model.len());
                let mut ids = table.ids();
                ids.sort_by_key(|i| i.as_u64());
                let mut want: Vec<OpId> = model.keys().copied().collect();
                want.sort_by_key(|i| i.as_u64());
                prop_assert_eq!(ids, want);
            }
        }
    }

    #[test]
    fn stale_id_after_reuse_is_ignored() {
        let mut t: Table<&str> = Table::default();
        let a = t.insert("a", 1, None);
        t.remove(a).unwrap();
        let b = t.insert("b", 2, None);
        assert_eq!(a.index(), b.index(), "slot should be reused");
        assert!(t.get_mut(a).is_none());
        assert!(t.remove(a).is_none());
        assert_eq!(t.get_mut(b).unwrap().op, "b");
    }
}
