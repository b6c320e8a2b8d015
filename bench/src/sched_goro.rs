//! The goro adapter for [`sched_shapes`](mod@crate::sched_shapes): goro's runtime and its own
//! channels (`goro::chan`), as a goro user would write the shapes.

#![allow(missing_docs)]

use std::future::Future;

pub type Runtime = goro::Runtime;
pub type JoinHandle<T> = goro::JoinHandle<T>;
pub type OneshotTx<T> = goro::chan::oneshot::Sender<T>;
pub type OneshotRx<T> = goro::chan::oneshot::Receiver<T>;
pub type Notify = goro::chan::Notify;

pub fn new(workers: usize) -> Runtime {
    goro::Runtime::builder()
        .worker_threads(workers)
        .build()
        .expect("goro runtime")
}

pub fn block_on<F: Future>(rt: &Runtime, f: F) -> F::Output {
    rt.block_on(f)
}

pub fn spawn<F>(f: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    goro::spawn(f)
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
    goro::yield_now().await
}

/// A yield under a 30 s timeout that never elapses: arms and cancels one
/// timer.
pub async fn yield_under_timeout() {
    let r = goro::time::timeout(std::time::Duration::from_secs(30), goro::yield_now()).await;
    assert!(r.is_ok());
}

pub fn oneshot<T>() -> (OneshotTx<T>, OneshotRx<T>) {
    goro::chan::oneshot::channel()
}

pub fn oneshot_send<T>(tx: OneshotTx<T>, v: T) {
    let _ = tx.send(v);
}

pub async fn oneshot_recv<T>(rx: OneshotRx<T>) -> T {
    rx.await.expect("oneshot sender dropped")
}

pub fn bounded<T>(capacity: usize) -> (goro::chan::mpsc::Sender<T>, goro::chan::mpsc::Receiver<T>) {
    goro::chan::mpsc::channel(capacity)
}

pub async fn send<T>(tx: &goro::chan::mpsc::Sender<T>, v: T) {
    assert!(tx.send(v).await.is_ok(), "receiver dropped");
}

pub async fn recv<T>(rx: &mut goro::chan::mpsc::Receiver<T>) -> Option<T> {
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
