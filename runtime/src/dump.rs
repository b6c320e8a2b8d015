//! The task dump (Go's goroutine dump): every live task with its id, name,
//! spawn location, state, age and time since its last poll.

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use crate::sched::Shared;
use crate::sync::atomic::Ordering::Relaxed;

/// What a task is doing at the moment of the dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Waiting for a wake-up.
    Idle,
    /// Woken, in a run queue.
    Scheduled,
    /// Being polled right now.
    Running,
}

/// One task in a [`Dump`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TaskInfo {
    /// Task id.
    pub id: u64,
    /// Name given at spawn, if any.
    pub name: Option<String>,
    /// Where it was spawned (`#[track_caller]`).
    pub location: &'static Location<'static>,
    /// Its state.
    pub state: TaskState,
    /// Time since spawn (coarse: sysmon's clock, ~ms).
    pub age: Duration,
    /// Time since its last poll began; `None` if never polled.
    pub since_last_poll: Option<Duration>,
}

/// A snapshot of every live task.
#[derive(Debug, Clone)]
pub struct Dump {
    /// The tasks, newest first within each worker's list.
    pub tasks: Vec<TaskInfo>,
}

pub(crate) fn capture(shared: &Shared) -> Dump {
    shared.timers.refresh_coarse();
    // Wrapping u32 milliseconds: differences stay right across the wrap.
    let now = shared.coarse_now_ms() as u32;
    let mut tasks = Vec::new();
    shared.registry.walk(|h| {
        let s = h.state.load();
        if s.is_complete() {
            return;
        }
        let state = if s.is_running() {
            TaskState::Running
        } else if s.is_notified() {
            TaskState::Scheduled
        } else {
            TaskState::Idle
        };
        let last = h.last_poll_ms.load(Relaxed);
        tasks.push(TaskInfo {
            id: h.id(),
            name: if h.is_named() {
                shared.registry.name(h.id())
            } else {
                None
            },
            location: h.location,
            state,
            age: Duration::from_millis(u64::from(now.wrapping_sub(h.spawned_ms))),
            since_last_poll: (last != 0 || s.is_running())
                .then(|| Duration::from_millis(u64::from(now.wrapping_sub(last)))),
        });
    });
    Dump { tasks }
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in &self.tasks {
            write!(f, "task {} [{:?}", t.id, t.state)?;
            if let Some(d) = t.since_last_poll {
                write!(f, ", last poll {} ms ago", d.as_millis())?;
            }
            write!(f, ", age {} ms]", t.age.as_millis())?;
            if let Some(n) = &t.name {
                write!(f, " {n:?}")?;
            }
            writeln!(f, "\n    spawned at {}", t.location)?;
        }
        Ok(())
    }
}
