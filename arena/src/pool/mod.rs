//! [`Pool`]: typed objects that keep their heap capacity across requests.
//!
//! # Lifecycle
//!
//! ```text
//!   preallocate ──> acquire ──> bind ──> use ──> release ──> batch reset
//!   Local::         Local::     Batch::          drop(Pooled) Recycle::recycle
//!   preallocate     acquire     acquire          drop(Batch)  on every object,
//!                                                             one hand-off home
//! ```
//!
//! * A [`Pool<T>`] holds the factory and the limits; it is cheap to clone and
//!   share. Each worker thread takes a [`Local`] handle (`pool.local()`),
//!   which owns that thread's **free list**: acquiring and releasing on the
//!   home thread touch only that list — no lock, no atomic RMW (one relaxed
//!   load of the owner token and a reference-count increment for the handle).
//! * A [`Pooled<T>`] (one object) or a [`Batch<T>`] (every object bound to
//!   one request) is `Send`: a request may finish on another thread (a GMP
//!   runtime migrates tasks). Released there, the objects are recycled on
//!   that thread and handed back to their home through the lock-free
//!   [inbox] (one CAS per object, or per whole batch). The home
//!   thread drains its inbox when its free list runs dry.
//! * Released objects are cleared with [`Recycle::recycle`] (`Vec::clear`:
//!   contents gone, capacity kept), never re-created.
//! * Retention is bounded: at most `max_retained` idle objects per home
//!   (free list plus inbox); extra releases are freed.
//!
//! Use an [`Arena`](crate::Arena) for many short-lived values of many types
//! that die together; use a `Pool` for a few long-lived, expensive-to-grow
//! objects of one type (buffers, maps, parsers) reused by request after
//! request.

mod inbox;
mod recycle;

use core::cell::Cell;
use core::fmt;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::ptr::{self, NonNull};

pub use recycle::Recycle;

use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::{Arc, UnsafeCell, thread_token};
use inbox::{Inbox, Node, free_chain};

/// Idle objects kept per home by default.
const DEFAULT_MAX_RETAINED: usize = 1024;

/// What every home of one pool shares.
struct Shared<T> {
    factory: Box<dyn Fn() -> T + Send + Sync>,
    max_retained: usize,
    created: AtomicUsize,
}

/// The owner thread's free list (touched by that thread only).
struct FreeList<T> {
    head: *mut Node<T>,
    len: usize,
}

/// One `Local`'s state, shared with the objects it lent out.
struct Home<T> {
    /// `thread_token()` of the owning thread; 0 once the `Local` is gone.
    owner: AtomicUsize,
    /// Only the owner thread touches it (checked through `owner`).
    free: UnsafeCell<FreeList<T>>,
    inbox: Inbox<T>,
    shared: Arc<Shared<T>>,
}

// SAFETY: `free` is touched only by the thread whose token is in `owner`
// (or with `&mut` in drop); nodes cross threads only through the inbox
// protocol; values are `Send`.
unsafe impl<T: Send> Send for Home<T> {}
// SAFETY: as above; shared access from other threads goes through atomics.
unsafe impl<T: Send> Sync for Home<T> {}

impl<T: Recycle> Home<T> {
    #[inline]
    fn is_owner_thread(&self) -> bool {
        self.owner.load(Ordering::Relaxed) == thread_token()
    }

    fn create(&self) -> NonNull<Node<T>> {
        self.shared.created.fetch_add(1, Ordering::Relaxed);
        Node::boxed((self.shared.factory)())
    }

    /// Pops an idle object, draining the inbox if the free list is empty.
    ///
    /// # Safety
    ///
    /// Called on the owner thread.
    unsafe fn pop_local(&self) -> Option<NonNull<Node<T>>> {
        // SAFETY: owner thread (caller), so the access is unique.
        self.free.with_mut(|free| unsafe {
            let free = &mut *free;
            if free.head.is_null() {
                let (chain, n) = self.inbox.take_all();
                free.head = chain;
                free.len = n;
            }
            let node = NonNull::new(free.head)?;
            free.head = Node::next(node);
            free.len -= 1;
            Some(node)
        })
    }

    /// Takes back a chain of recycled nodes.
    ///
    /// # Safety
    ///
    /// The caller owns the chain `first ..= last` of `n` nodes, all of which
    /// came from this home's pool.
    unsafe fn give_back(&self, first: NonNull<Node<T>>, last: NonNull<Node<T>>, n: usize) {
        let max = self.shared.max_retained;
        // SAFETY: we own the chain (caller). Terminate it: a node's stale
        // link from an earlier list must not be followed.
        unsafe { Node::set_next(last, ptr::null_mut()) };
        if self.is_owner_thread() {
            // SAFETY: owner thread: unique access to the free list; we own
            // the chain (caller).
            self.free.with_mut(|free| unsafe {
                let free = &mut *free;
                let mut cur = first.as_ptr();
                while let Some(node) = NonNull::new(cur) {
                    if free.len >= max {
                        free_chain(cur);
                        return;
                    }
                    cur = Node::next(node);
                    Node::set_next(node, free.head);
                    free.head = node.as_ptr();
                    free.len += 1;
                }
            });
        } else {
            // SAFETY: we own the chain (caller), which ends at `last`.
            unsafe {
                if let Err(chain) = self.inbox.push_chain(first, last, n, max) {
                    free_chain(chain.as_ptr());
                }
            }
        }
    }
}

impl<T> Drop for Home<T> {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: every lent object is back (each held an Arc).
        self.free
            .with_mut(|free| unsafe { free_chain((*free).head) });
    }
}

/// A typed object pool with per-thread free lists.
///
/// ```
/// use goro_arena::Pool;
///
/// let pool = Pool::new(|| Vec::<u8>::with_capacity(4096));
/// let local = pool.local(); // this thread's free list
/// {
///     let mut buf = local.acquire();
///     buf.extend_from_slice(b"request 1");
/// } // released: cleared, capacity kept
/// let buf = local.acquire();
/// assert!(buf.is_empty() && buf.capacity() >= 4096);
/// assert_eq!(pool.created(), 1); // the same Vec came back
/// ```
pub struct Pool<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Clone for Pool<T> {
    fn clone(&self) -> Self {
        Pool {
            shared: self.shared.clone(),
        }
    }
}

impl<T: Recycle + Send + 'static> Pool<T> {
    /// A pool that makes new objects with `factory`, keeping at most 1024
    /// idle objects per thread.
    pub fn new(factory: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Pool::with_max_retained(DEFAULT_MAX_RETAINED, factory)
    }

    /// A pool keeping at most `max_retained` idle objects per thread
    /// (local free list plus objects handed back from other threads).
    pub fn with_max_retained(
        max_retained: usize,
        factory: impl Fn() -> T + Send + Sync + 'static,
    ) -> Self {
        Pool {
            shared: Arc::new(Shared {
                factory: Box::new(factory),
                max_retained,
                created: AtomicUsize::new(0),
            }),
        }
    }

    /// This thread's handle: its own free list and inbox.
    pub fn local(&self) -> Local<T> {
        Local {
            home: Arc::new(Home {
                owner: AtomicUsize::new(thread_token()),
                free: UnsafeCell::new(FreeList {
                    head: ptr::null_mut(),
                    len: 0,
                }),
                inbox: Inbox::new(),
                shared: self.shared.clone(),
            }),
            _not_send: PhantomData,
        }
    }

    /// Objects the factory has made so far (across all threads).
    pub fn created(&self) -> usize {
        self.shared.created.load(Ordering::Relaxed)
    }

    /// The per-thread bound on idle objects.
    pub fn max_retained(&self) -> usize {
        self.shared.max_retained
    }
}

impl<T> fmt::Debug for Pool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("max_retained", &self.shared.max_retained)
            .field("created", &self.shared.created.load(Ordering::Relaxed))
            .finish()
    }
}

/// One thread's handle on a [`Pool`]: its free list. Not `Send`: the free
/// list belongs to the thread that made the handle.
pub struct Local<T: Recycle + Send + 'static> {
    home: Arc<Home<T>>,
    _not_send: PhantomData<*const ()>,
}

impl<T: Recycle + Send + 'static> Local<T> {
    /// An idle object (from this thread's free list or its inbox), or a new
    /// one from the factory.
    #[inline]
    pub fn acquire(&self) -> Pooled<T> {
        // SAFETY: a `Local` lives on its owner thread (it is not `Send`).
        let node = unsafe { self.home.pop_local() }.unwrap_or_else(|| self.home.create());
        Pooled {
            node,
            home: self.home.clone(),
        }
    }

    /// Starts binding objects to one request; see [`Batch`].
    pub fn batch(&self) -> Batch<T> {
        Batch {
            home: self.home.clone(),
            head: Cell::new(ptr::null_mut()),
            tail: Cell::new(ptr::null_mut()),
            len: Cell::new(0),
        }
    }

    /// Makes objects until `n` are idle on this thread (never past the
    /// retention bound).
    pub fn preallocate(&self, n: usize) {
        let n = n.min(self.home.shared.max_retained);
        while self.idle() < n {
            let node = self.home.create();
            // SAFETY: a fresh node is ours; owner thread.
            unsafe { self.home.give_back(node, node, 1) };
        }
    }

    /// Idle objects on this thread's free list (not counting its inbox).
    pub fn idle(&self) -> usize {
        // SAFETY: owner thread: unique access.
        self.home.free.with(|free| unsafe { (*free).len })
    }

    /// The pool this handle belongs to.
    pub fn pool(&self) -> Pool<T> {
        Pool {
            shared: self.home.shared.clone(),
        }
    }
}

impl<T: Recycle + Send + 'static> Drop for Local<T> {
    fn drop(&mut self) {
        // Objects still lent out now go to the inbox and are freed with the
        // home; the idle ones are freed now.
        self.home.owner.store(0, Ordering::Relaxed);
        // SAFETY: still on the owner thread; nobody else touches `free`.
        self.home.free.with_mut(|free| unsafe {
            let free = &mut *free;
            free_chain(free.head);
            free.head = ptr::null_mut();
            free.len = 0;
        });
    }
}

impl<T: Recycle + Send + 'static> fmt::Debug for Local<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Local").field("idle", &self.idle()).finish()
    }
}

/// One pooled object; released (recycled and returned home) on drop, on
/// whatever thread that happens.
pub struct Pooled<T: Recycle + Send + 'static> {
    node: NonNull<Node<T>>,
    home: Arc<Home<T>>,
}

// SAFETY: the guard owns its node (inbox rule 1); `T: Send`, and releasing
// from another thread goes through the inbox protocol.
unsafe impl<T: Recycle + Send + 'static> Send for Pooled<T> {}
// SAFETY: `&Pooled<T>` only gives `&T`.
unsafe impl<T: Recycle + Send + Sync + 'static> Sync for Pooled<T> {}

impl<T: Recycle + Send + 'static> Pooled<T> {
    /// Releases the object now (same as dropping the guard).
    pub fn release(self) {}
}

impl<T: Recycle + Send + 'static> Deref for Pooled<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: the guard owns the node; the borrow is tied to `&self`.
        unsafe { self.node.as_ref() }.value.with(|v| unsafe { &*v })
    }
}

impl<T: Recycle + Send + 'static> DerefMut for Pooled<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard owns the node; the borrow is tied to `&mut self`.
        unsafe { self.node.as_ref() }
            .value
            .with_mut(|v| unsafe { &mut *v })
    }
}

impl<T: Recycle + Send + 'static> Drop for Pooled<T> {
    fn drop(&mut self) {
        // SAFETY: the guard owns the node; recycle on this thread, then hand
        // the one-node chain home.
        unsafe {
            self.node.as_ref().value.with_mut(|v| (*v).recycle());
            self.home.give_back(self.node, self.node, 1);
        }
    }
}

impl<T: Recycle + Send + fmt::Debug + 'static> fmt::Debug for Pooled<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The objects bound to one request: acquire as many as the request needs,
/// then release them all at once — each is recycled and the whole batch goes
/// home in one step (one CAS from another thread).
///
/// ```
/// use goro_arena::Pool;
///
/// let pool = Pool::new(String::new);
/// let local = pool.local();
/// let request = local.batch();
/// let a = request.acquire();
/// let b = request.acquire();
/// a.push_str("header");
/// b.push_str("body");
/// let request = std::thread::spawn(move || {
///     // The request finishes on another thread.
///     assert_eq!(request.len(), 2);
///     request
/// })
/// .join()
/// .unwrap();
/// drop(request); // batch reset: both strings cleared and returned
/// ```
pub struct Batch<T: Recycle + Send + 'static> {
    home: Arc<Home<T>>,
    head: Cell<*mut Node<T>>,
    tail: Cell<*mut Node<T>>,
    len: Cell<usize>,
}

// SAFETY: the batch owns its nodes; `T: Send`; release from another thread
// goes through the inbox protocol. (`Cell`s keep it `!Sync`.)
unsafe impl<T: Recycle + Send + 'static> Send for Batch<T> {}

impl<T: Recycle + Send + 'static> Batch<T> {
    /// Binds one more object to the request. On the home thread it comes
    /// from the free list; elsewhere it is made new (and joins the home's
    /// free list on release).
    #[allow(clippy::mut_from_ref)]
    pub fn acquire(&self) -> &mut T {
        let node = if self.home.is_owner_thread() {
            // SAFETY: on the owner thread.
            unsafe { self.home.pop_local() }
        } else {
            None
        }
        .unwrap_or_else(|| self.home.create());
        // SAFETY: the node is ours; link it into the batch chain.
        unsafe { Node::set_next(node, self.head.get()) };
        if self.head.get().is_null() {
            self.tail.set(node.as_ptr());
        }
        self.head.set(node.as_ptr());
        self.len.set(self.len.get() + 1);
        // SAFETY: each node is lent once and stays put until the batch is
        // dropped, which needs every borrow of `&self` to have ended.
        unsafe { node.as_ref() }
            .value
            .with_mut(|v| unsafe { &mut *v })
    }

    /// Objects bound so far.
    pub fn len(&self) -> usize {
        self.len.get()
    }

    /// Whether no object is bound.
    pub fn is_empty(&self) -> bool {
        self.len.get() == 0
    }

    /// Releases every bound object now (same as dropping the batch).
    pub fn release(self) {}
}

impl<T: Recycle + Send + 'static> Drop for Batch<T> {
    fn drop(&mut self) {
        let (Some(first), Some(last)) =
            (NonNull::new(self.head.get()), NonNull::new(self.tail.get()))
        else {
            return;
        };
        let mut cur = first.as_ptr();
        while let Some(node) = NonNull::new(cur) {
            // SAFETY: the batch owns its chain; no borrow of a value is left.
            unsafe {
                node.as_ref().value.with_mut(|v| (*v).recycle());
                cur = Node::next(node);
            }
        }
        // SAFETY: we own the chain `first ..= last` of `len` nodes.
        unsafe { self.home.give_back(first, last, self.len.get()) };
    }
}
