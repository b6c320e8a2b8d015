//! Which ring an operation goes to, and the ring-owning threads.
//!
//! An op is submitted to the ring of the thread that starts it, if that
//! thread owns one (no system call, no lock beyond the op's mailbox);
//! otherwise to the runtime's shared ring through its inbox. Cancels,
//! abandons and descriptor releases go to the ring that owns the op,
//! directly when we are on its thread, else through its inbox (so a task
//! that migrated to another worker still reaches the right ring).

use std::cell::RefCell;
use std::sync::OnceLock;

use goro_netpoll::Op;

use super::op::OpState;
use super::ring::{Request, Ring, RingShared};
use crate::sync::Arc;

thread_local! {
    /// The ring this thread owns, if any.
    static LOCAL: RefCell<Option<Ring>> = const { RefCell::new(None) };
}

/// Submits `op` and returns the ring that owns it and the op's token.
pub(crate) fn submit(op: Op, state: Arc<OpState>) -> (Arc<RingShared>, u64) {
    let mut op = Some(op);
    let local = LOCAL.with(|l| {
        let mut guard = l.try_borrow_mut().ok()?;
        let ring = guard.as_mut()?;
        let token = ring.shared().token();
        let op = op.take()?;
        ring.submit(token, op, state.clone());
        Some((ring.shared().clone(), token))
    });
    if let Some(done) = local {
        return done;
    }
    let ring = shared_ring();
    let token = ring.token();
    if let Some(op) = op {
        ring.request(Request::Submit(token, op, state));
    }
    (ring, token)
}

/// Hands `req` to `ring`: directly if this thread owns it, else by inbox.
pub(crate) fn on_ring(ring: &Arc<RingShared>, req: Request) {
    let mut req = Some(req);
    LOCAL.with(|l| {
        let Ok(mut guard) = l.try_borrow_mut() else {
            return;
        };
        let Some(local) = guard.as_mut() else {
            return;
        };
        if !Arc::ptr_eq(local.shared(), ring) {
            return;
        }
        match req.take() {
            Some(Request::Submit(token, op, state)) => local.submit(token, op, state),
            Some(Request::Cancel(token)) => local.cancel(token),
            Some(Request::Abandon(token)) => local.abandon(token),
            Some(Request::Release(fd, keep)) => {
                local.release(fd);
                drop(keep);
            }
            None => {}
        }
    });
    if let Some(req) = req {
        ring.request(req);
    }
}

/// The ring ops go to when the starting thread owns none.
///
/// Interim design (see docs/runtime-io.md): one process-wide I/O thread
/// owns this ring and blocks in it; completions wake tasks wherever they
/// run.
fn shared_ring() -> Arc<RingShared> {
    static SHARED: OnceLock<Arc<RingShared>> = OnceLock::new();
    SHARED.get_or_init(spawn_io_thread).clone()
}

fn spawn_io_thread() -> Arc<RingShared> {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = crate::sync::spawn_named("goro-io".to_string(), move || {
        let ring = match Ring::new(ring_builder()) {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        log::info!("goro: I/O backend {}", ring.shared().info());
        let _ = tx.send(Ok(ring.shared().clone()));
        LOCAL.with(|l| *l.borrow_mut() = Some(ring));
        loop {
            let r = LOCAL.with(|l| l.borrow_mut().as_mut().map(|r| r.turn(None)));
            if let Some(Err(e)) = r {
                log::error!("goro: I/O poll failed: {e}");
            }
        }
    });
    match spawned.map_err(|e| e.to_string()).and_then(|_| {
        rx.recv()
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
    }) {
        Ok(shared) => shared,
        Err(e) => panic!("goro: cannot start the I/O thread: {e}"),
    }
}

/// The poller settings every ring uses: a buffer ring for multishot
/// receive (an idle connection then holds no receive buffer).
pub(crate) fn ring_builder() -> goro_netpoll::Builder {
    goro_netpoll::Poller::builder().buffer_ring(BUF_RING_COUNT, BUF_RING_SIZE)
}

/// Buffers in each ring's provided-buffer ring.
pub(crate) const BUF_RING_COUNT: u16 = 256;
/// Size of each of them.
pub(crate) const BUF_RING_SIZE: usize = 4096;
