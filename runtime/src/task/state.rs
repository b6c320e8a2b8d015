//! The task state word: lifecycle bits and the reference count in one
//! `AtomicUsize`, so every transition is a single compare-and-swap.
//!
//! | bits | name | meaning |
//! |---|---|---|
//! | 0 | `RUNNING` | a thread owns the future's stage and is polling (or cancelling) it |
//! | 1 | `COMPLETE` | the stage holds the output (or nothing); the future is gone |
//! | 2 | `NOTIFIED` | a `Notified` reference sits in a run queue, or will once the poll ends |
//! | 3 | `CANCELLED` | `abort` or shutdown asked the task to stop |
//! | 4 | `JOIN_INTEREST` | a `JoinHandle` exists and owns the output once `COMPLETE` |
//! | 5 | `JOIN_WAKER` | the join-waker cell is published (read-only from then on) |
//! | 6.. | refs | one per `Notified`, `Waker`, `JoinHandle` and the registry's slot (until completion) |
//!
//! Rules (the `SAFETY:` comments in `cell.rs` and `join.rs` cite them):
//!
//! 1. Only the thread that set `RUNNING` touches the stage until it clears
//!    `RUNNING` or sets `COMPLETE`.
//! 2. `NOTIFIED` is set at most once per queue entry: a wake finding it set,
//!    or `COMPLETE` set, queues nothing (but still performs an RMW, so the
//!    next poll is ordered after the wake); a wake while `RUNNING` only sets it and
//!    the poller re-queues its own reference when the poll ends (that is a
//!    yield: the task goes to the back of the queue).
//! 3. After `COMPLETE`, the output belongs to the `JoinHandle` if
//!    `JOIN_INTEREST` was set at that instant, else the completer drops it.
//!    A `JoinHandle` clears `JOIN_INTEREST` only while `COMPLETE` is clear;
//!    if it finds `COMPLETE`, it drops the output itself.
//! 4. The join-waker cell is written by the `JoinHandle` only while both
//!    `JOIN_WAKER` and `COMPLETE` are clear; the completer reads it only if
//!    its `COMPLETE` transition saw `JOIN_WAKER` set. The waker is dropped
//!    with the cell.
//! 5. The thread that drops the last reference deallocates.

use crate::sync::atomic::AtomicUsize;
use crate::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

const RUNNING: usize = 1 << 0;
const COMPLETE: usize = 1 << 1;
const NOTIFIED: usize = 1 << 2;
const CANCELLED: usize = 1 << 3;
const JOIN_INTEREST: usize = 1 << 4;
const JOIN_WAKER: usize = 1 << 5;
const REF_SHIFT: usize = 6;
const REF_ONE: usize = 1 << REF_SHIFT;

/// The state word of one task.
#[derive(Debug)]
pub struct State(AtomicUsize);

/// A copy of the state word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot(usize);

impl Snapshot {
    /// `RUNNING` is set.
    pub fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    /// `COMPLETE` is set.
    pub fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    /// `NOTIFIED` is set.
    pub fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    /// `CANCELLED` is set.
    #[cfg_attr(not(goro_loom), allow(dead_code))] // used by the loom models
    pub fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    /// `JOIN_INTEREST` is set.
    pub fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    /// `JOIN_WAKER` is set.
    pub fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    /// The reference count.
    #[cfg_attr(not(goro_loom), allow(dead_code))] // used by the loom models
    pub fn ref_count(self) -> usize {
        self.0 >> REF_SHIFT
    }
}

/// What the poller should do before polling.
#[derive(Debug, PartialEq, Eq)]
pub enum ToRunning {
    /// Poll the future.
    Poll,
    /// Drop the future and complete with a cancellation.
    Cancel,
    /// Someone else owns the stage or it is complete: just drop the reference.
    Skip,
}

/// What the poller should do after a `Pending` poll.
#[derive(Debug, PartialEq, Eq)]
pub enum ToIdle {
    /// Idle; drop the poller's reference.
    Idle,
    /// Woken during the poll: re-queue the poller's reference (a yield).
    Requeue,
    /// Cancelled during the poll: still `RUNNING`, cancel now.
    Cancel,
}

/// What a by-value wake should do with the waker's reference.
#[derive(Debug, PartialEq, Eq)]
pub enum WakeByVal {
    /// Nothing more (the reference was released, or handed to the poller).
    Done,
    /// Submit: the waker's reference became the `Notified` one.
    Submit,
    /// The last reference was released: deallocate.
    Dealloc,
}

impl State {
    /// A new task: notified (it will be queued), with a join handle and
    /// `refs` references.
    pub fn new(refs: usize) -> State {
        State(AtomicUsize::new(
            NOTIFIED | JOIN_INTEREST | (refs * REF_ONE),
        ))
    }

    /// Reads the word.
    pub fn load(&self) -> Snapshot {
        Snapshot(self.0.load(Acquire))
    }

    fn update<R>(&self, mut f: impl FnMut(usize) -> (Option<usize>, R)) -> R {
        let mut cur = self.0.load(Acquire);
        loop {
            let (next, ret) = f(cur);
            let Some(next) = next else { return ret };
            match self.0.compare_exchange_weak(cur, next, AcqRel, Acquire) {
                Ok(_) => return ret,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Taken from a run queue: claim the stage.
    pub fn transition_to_running(&self) -> ToRunning {
        self.update(|s| {
            if s & (RUNNING | COMPLETE) != 0 {
                return (None, ToRunning::Skip);
            }
            let next = (s & !NOTIFIED) | RUNNING;
            let action = if s & CANCELLED != 0 {
                ToRunning::Cancel
            } else {
                ToRunning::Poll
            };
            (Some(next), action)
        })
    }

    /// The poll returned `Pending`.
    pub fn transition_to_idle(&self) -> ToIdle {
        self.update(|s| {
            debug_assert!(s & RUNNING != 0);
            if s & CANCELLED != 0 {
                return (None, ToIdle::Cancel);
            }
            let next = s & !RUNNING;
            let action = if s & NOTIFIED != 0 {
                ToIdle::Requeue
            } else {
                ToIdle::Idle
            };
            (Some(next), action)
        })
    }

    /// The stage now holds the output: publish it. Returns the word before.
    pub fn transition_to_complete(&self) -> Snapshot {
        let prev = Snapshot(self.0.fetch_xor(RUNNING | COMPLETE, AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete());
        prev
    }

    /// A by-reference wake. Returns true if the caller must submit a new
    /// `Notified` (whose reference this call added).
    pub fn transition_to_notified_by_ref(&self) -> bool {
        self.update(|s| {
            if s & COMPLETE != 0 {
                (None, false)
            } else if s & NOTIFIED != 0 {
                // Already queued, but still write (the same value): the
                // poller's `transition_to_running` must read-from this RMW so
                // that whatever the waker published before waking is visible
                // to the coming poll. A plain load here lost that edge (loom,
                // `wake_while_running`).
                (Some(s), false)
            } else if s & RUNNING != 0 {
                (Some(s | NOTIFIED), false)
            } else {
                (Some((s | NOTIFIED) + REF_ONE), true)
            }
        })
    }

    /// A by-value wake: the waker's reference is consumed.
    pub fn transition_to_notified_by_val(&self) -> WakeByVal {
        self.update(|s| {
            if s & RUNNING != 0 {
                // The poller holds a reference too, so this is never the last.
                debug_assert!(s >> REF_SHIFT >= 2);
                (Some((s | NOTIFIED) - REF_ONE), WakeByVal::Done)
            } else if s & (COMPLETE | NOTIFIED) != 0 {
                let next = s - REF_ONE;
                let action = if next >> REF_SHIFT == 0 {
                    WakeByVal::Dealloc
                } else {
                    WakeByVal::Done
                };
                (Some(next), action)
            } else {
                (Some(s | NOTIFIED), WakeByVal::Submit)
            }
        })
    }

    /// `abort`: returns true if the caller must submit a new `Notified` so
    /// that a worker runs the cancellation.
    pub fn transition_to_notified_and_cancel(&self) -> bool {
        self.update(|s| {
            if s & (COMPLETE | CANCELLED) != 0 {
                (None, false)
            } else if s & RUNNING != 0 {
                (Some(s | NOTIFIED | CANCELLED), false)
            } else if s & NOTIFIED != 0 {
                (Some(s | CANCELLED), false)
            } else {
                (Some((s | NOTIFIED | CANCELLED) + REF_ONE), true)
            }
        })
    }

    /// Shutdown: returns true if the caller now owns the stage (set
    /// `RUNNING`) and must cancel the future.
    pub fn transition_to_shutdown(&self) -> bool {
        self.update(|s| {
            if s & (RUNNING | COMPLETE) != 0 {
                (Some(s | CANCELLED), false)
            } else {
                (Some(s | RUNNING | CANCELLED), true)
            }
        })
    }

    /// The `JoinHandle` is dropped. `Err` if the task already completed (the
    /// handle then owns the output and must drop it).
    pub fn unset_join_interested(&self) -> Result<Snapshot, Snapshot> {
        self.update(|s| {
            debug_assert!(s & JOIN_INTEREST != 0);
            if s & COMPLETE != 0 {
                (None, Err(Snapshot(s)))
            } else {
                (Some(s & !JOIN_INTEREST), Ok(Snapshot(s)))
            }
        })
    }

    /// Publishes the join waker. `Err` if the task completed first.
    pub fn set_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.update(|s| {
            debug_assert!(s & JOIN_WAKER == 0);
            if s & COMPLETE != 0 {
                (None, Err(Snapshot(s)))
            } else {
                (Some(s | JOIN_WAKER), Ok(Snapshot(s)))
            }
        })
    }

    /// Takes the join waker back to replace it. `Err` if the task completed
    /// (the completer may be reading the cell).
    pub fn unset_join_waker(&self) -> Result<Snapshot, Snapshot> {
        self.update(|s| {
            if s & COMPLETE != 0 {
                (None, Err(Snapshot(s)))
            } else {
                (Some(s & !JOIN_WAKER), Ok(Snapshot(s)))
            }
        })
    }

    /// Adds one reference.
    pub fn ref_inc(&self) {
        let prev = self.0.fetch_add(REF_ONE, Relaxed);
        // Guard against overflow into nonsense, as `Arc` does.
        assert!(prev < usize::MAX / 2, "task reference count overflow");
    }

    /// Drops one reference; true if it was the last.
    pub fn ref_dec(&self) -> bool {
        let prev = self.0.fetch_sub(REF_ONE, AcqRel);
        debug_assert!(prev >> REF_SHIFT >= 1);
        prev >> REF_SHIFT == 1
    }
}
