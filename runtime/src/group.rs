//! A scoped task group: tasks that must not outlive their owner.

use std::future::Future;

use crate::task::{JoinError, JoinHandle};

/// A set of tasks that is aborted when dropped.
///
/// ```
/// let rt = goro::Runtime::new().unwrap();
/// let sum = rt.block_on(async {
///     let mut group = goro::TaskGroup::new();
///     for i in 0..4u32 {
///         group.spawn(async move { i * 10 });
///     }
///     let mut sum = 0;
///     while let Some(r) = group.join_next().await {
///         sum += r.unwrap();
///     }
///     sum
/// });
/// assert_eq!(sum, 60);
/// ```
#[derive(Debug)]
pub struct TaskGroup<T> {
    tasks: Vec<JoinHandle<T>>,
}

impl<T> Default for TaskGroup<T> {
    fn default() -> Self {
        TaskGroup { tasks: Vec::new() }
    }
}

impl<T: Send + 'static> TaskGroup<T> {
    /// An empty group.
    pub fn new() -> Self {
        Self::default()
    }

    /// Spawns a task into the group (on the current runtime).
    ///
    /// # Panics
    /// Outside a runtime.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F)
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.tasks.push(crate::spawn(future));
    }

    /// Number of tasks not yet joined.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// True if every task has been joined.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Waits for the oldest remaining task; `None` once the group is empty.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        if self.tasks.is_empty() {
            return None;
        }
        let handle = self.tasks.remove(0);
        Some(handle.await)
    }

    /// Aborts every task in the group.
    pub fn abort_all(&self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl<T> Drop for TaskGroup<T> {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
