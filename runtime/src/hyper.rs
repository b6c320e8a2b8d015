//! hyper on goro (cargo feature `hyper`): the executor and timer hyper's
//! connections ask for, to go with the `hyper::rt::Read`/`Write` impls on
//! [`TcpStream`](crate::net::TcpStream), [`UnixStream`](crate::net::UnixStream)
//! and their owned halves.
//!
//! hyper is runtime-agnostic: it does I/O through its own `Read`/`Write`
//! traits, spawns HTTP/2 stream tasks through an [`Executor`], and arms
//! timeouts (header read timeout, keep-alive pings) through a [`Timer`].
//! tokio users get these from `hyper-util` (`TokioIo`, `TokioExecutor`,
//! `TokioTimer`); here the sockets implement the I/O traits themselves, so
//! there is no wrapper type, and this module supplies the other two.
//!
//! ```
//! use std::convert::Infallible;
//! use goro::hyper::{GoroExecutor, GoroTimer};
//! use goro::net::{TcpListener, TcpStream};
//! use hyper::{Request, Response, body::Incoming, service::service_fn};
//!
//! let rt = goro::Runtime::builder().worker_threads(2).build().unwrap();
//! rt.block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0")?;
//!     let addr = listener.local_addr()?;
//!     goro::spawn(async move {
//!         let (conn, _) = listener.accept().await.unwrap();
//!         let hello = service_fn(|_req: Request<Incoming>| async {
//!             Ok::<_, Infallible>(Response::new(String::from("hello from goro")))
//!         });
//!         hyper::server::conn::http2::Builder::new(GoroExecutor::new())
//!             .timer(GoroTimer::new())
//!             .serve_connection(conn, hello)
//!             .await
//!     });
//!     let stream = TcpStream::connect(addr).await?;
//!     let (mut client, conn) =
//!         hyper::client::conn::http2::handshake::<_, _, String>(GoroExecutor::new(), stream)
//!             .await
//!             .unwrap();
//!     goro::spawn(conn);
//!     let resp = client.send_request(Request::new(String::new())).await.unwrap();
//!     assert_eq!(resp.status(), 200);
//!     Ok::<(), std::io::Error>(())
//! })
//! .unwrap();
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use hyper::rt::{Executor, Sleep, Timer};

use crate::runtime::Handle;

/// Spawns the tasks hyper asks for (HTTP/2 streams and connection
/// drivers) on a goro runtime. Cheap to clone.
#[derive(Clone)]
pub struct GoroExecutor {
    /// `None`: the runtime of whichever task calls `execute`.
    handle: Option<Handle>,
}

impl GoroExecutor {
    /// Spawns on the runtime the calling task runs on, at each `execute`
    /// (hyper calls it from the connection's task).
    ///
    /// ```
    /// let _exec = goro::hyper::GoroExecutor::new();
    /// ```
    pub fn new() -> GoroExecutor {
        GoroExecutor { handle: None }
    }

    /// Spawns on the given runtime, from whatever thread hyper calls.
    ///
    /// ```
    /// let rt = goro::Runtime::builder().worker_threads(1).build().unwrap();
    /// let _exec = goro::hyper::GoroExecutor::with_handle(rt.handle().clone());
    /// ```
    pub fn with_handle(handle: Handle) -> GoroExecutor {
        GoroExecutor {
            handle: Some(handle),
        }
    }
}

impl Default for GoroExecutor {
    fn default() -> Self {
        GoroExecutor::new()
    }
}

impl fmt::Debug for GoroExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoroExecutor")
            .field("bound", &self.handle.is_some())
            .finish()
    }
}

impl<F> Executor<F> for GoroExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    /// The task runs detached; hyper tracks its own work.
    ///
    /// # Panics
    ///
    /// Made with [`new`](GoroExecutor::new) and called outside a goro
    /// runtime.
    fn execute(&self, fut: F) {
        match &self.handle {
            Some(h) => drop(h.spawn(fut)),
            None => drop(crate::spawn(fut)),
        }
    }
}

/// hyper's timers on goro's clock: [`goro::time::sleep`](crate::time::sleep)
/// underneath, and `now()` from [`goro::time::Instant`](crate::time::Instant),
/// so hyper's timeouts follow a [paused](crate::time::pause) clock in tests.
#[derive(Clone, Copy, Debug, Default)]
pub struct GoroTimer;

impl GoroTimer {
    /// The timer; it keeps no state of its own.
    ///
    /// ```
    /// let _timer = goro::hyper::GoroTimer::new();
    /// ```
    pub fn new() -> GoroTimer {
        GoroTimer
    }
}

impl Timer for GoroTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        Box::pin(crate::time::sleep(duration))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(crate::time::sleep_until(crate::time::Instant::from_std(
            deadline,
        )))
    }

    fn now(&self) -> Instant {
        crate::time::Instant::now().into_std()
    }
}

/// goro's sleep is hyper's `Sleep` as it is (it is `Send + Sync`).
impl Sleep for crate::time::Sleep {}
