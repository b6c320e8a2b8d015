//! The tokio adapter for [`sched_shapes`](mod@crate::sched_shapes): tokio's multi-thread
//! runtime and its own channels, as a tokio user would write the shapes.

#![allow(missing_docs)]

use std::future::Future;

pub type Runtime = tokio::runtime::Runtime;
pub type JoinHandle<T> = tokio::task::JoinHandle<T>;
pub type OneshotTx<T> = tokio::sync::oneshot::Sender<T>;
pub type OneshotRx<T> = tokio::sync::oneshot::Receiver<T>;
pub type Notify = tokio::sync::Notify;

pub fn new(workers: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

pub fn block_on<F: Future>(rt: &Runtime, f: F) -> F::Output {
    rt.block_on(f)
}

pub fn spawn<F>(f: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(f)
}

pub fn spawn_remote<F>(rt: &Runtime, f: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    rt.spawn(f)
}

pub async fn join<T>(h: JoinHandle<T>) -> T {
    h.await.expect("task failed")
}

pub fn is_finished<T>(h: &JoinHandle<T>) -> bool {
    h.is_finished()
}

pub async fn yield_now() {
    tokio::task::yield_now().await
}

/// A yield under a 30 s timeout that never elapses: arms and cancels one
/// timer.
pub async fn yield_under_timeout() {
    let r =
        tokio::time::timeout(std::time::Duration::from_secs(30), tokio::task::yield_now()).await;
    assert!(r.is_ok());
}

pub fn oneshot<T>() -> (OneshotTx<T>, OneshotRx<T>) {
    tokio::sync::oneshot::channel()
}

pub fn oneshot_send<T>(tx: OneshotTx<T>, v: T) {
    let _ = tx.send(v);
}

pub async fn oneshot_recv<T>(rx: OneshotRx<T>) -> T {
    rx.await.expect("oneshot sender dropped")
}

pub fn bounded<T>(
    capacity: usize,
) -> (tokio::sync::mpsc::Sender<T>, tokio::sync::mpsc::Receiver<T>) {
    tokio::sync::mpsc::channel(capacity)
}

pub async fn send<T>(tx: &tokio::sync::mpsc::Sender<T>, v: T) {
    assert!(tx.send(v).await.is_ok(), "receiver dropped");
}

pub async fn recv<T>(rx: &mut tokio::sync::mpsc::Receiver<T>) -> Option<T> {
    rx.recv().await
}

pub fn notify_new() -> Notify {
    Notify::new()
}

pub async fn notified(n: &Notify) {
    n.notified().await
}

pub fn notify_waiters(n: &Notify) {
    n.notify_waiters()
}
