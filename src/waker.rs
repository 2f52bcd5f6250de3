use std::io;

#[cfg(debug_assertions)]
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(debug_assertions)]
use std::sync::Arc;

use crate::sys::{self, WakerApi};
use crate::{Registry, Token};

/// Wakes a [`Poll`](crate::Poll) from another thread (or, on single-threaded
/// WASI hosts, makes its next `poll` return at once).
///
/// [`Waker::wake`] makes the `Poll` return a readable event with the
/// waker's token. Several wakes before the next `poll` coalesce into one
/// event; a wake is never lost. The waker is registered when it is created,
/// so it needs no `register` call, and it stays registered until it is
/// dropped.
///
/// Keep one `Waker` per `Poll`: debug builds panic when a second one is
/// created while the first is alive (a new one after dropping the old is
/// fine); release builds report each live waker's wake-ups under its own
/// token. To wake from many threads, share one `Waker` in an `Arc`.
///
/// A typical use is a queue of work for the event loop: other threads push
/// to the queue and call `wake`; the loop, on the waker's token, drains the
/// queue.
///
/// # Implementation notes
///
/// * epoll: an `eventfd`, written to by `wake` and read back when the event
///   is delivered.
/// * kqueue: an `EVFILT_USER` event triggered by `wake` (a pipe on OpenBSD
///   and NetBSD before 10).
/// * poll(2): the selector's own notifier (an eventfd on Linux and
///   Android, a pipe elsewhere), plus a list of the tokens of the wakers
///   woken since the last `poll`.
/// * Windows: a completion packet posted to the completion port.
/// * `wasm32-wasip2` and `wasm32-wasip1`: there is no second thread that
///   could interrupt a blocked host call, so `wake` adds the waker's token
///   to the selector's list of woken wakers and the next `poll` returns its
///   event without blocking.
///
/// # Examples
///
/// Waking a blocked `poll` from another thread:
///
/// ```
/// # #[cfg(feature = "os-poll")]
/// # fn main() -> std::io::Result<()> {
/// use std::sync::Arc;
/// use mio::{Events, Poll, Token, Waker};
///
/// const WAKE: Token = Token(10);
/// let mut poll = Poll::new()?;
/// let waker = Arc::new(Waker::new(poll.registry(), WAKE)?);
/// let remote = Arc::clone(&waker);
/// // Wake from another thread. A WASI component has only one thread: there
/// // the wake comes before the `poll`, which then returns at once.
/// #[cfg(not(target_os = "wasi"))]
/// let handle = std::thread::spawn(move || remote.wake().expect("wake failed"));
/// #[cfg(target_os = "wasi")]
/// remote.wake()?;
///
/// let mut events = Events::with_capacity(8);
/// loop {
///     poll.poll(&mut events, None)?;
///     if events.iter().any(|e| e.token() == WAKE) {
///         break;
///     }
/// }
/// #[cfg(not(target_os = "wasi"))]
/// handle.join().unwrap();
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "os-poll"))]
/// # fn main() {}
/// ```
///
/// Without threads (this also runs on the WebAssembly targets): a wake
/// before `poll` makes it return at once, and several wakes give one event.
///
/// ```
/// # #[cfg(feature = "os-poll")]
/// # fn main() -> std::io::Result<()> {
/// use mio::{Events, Poll, Token, Waker};
///
/// let mut poll = Poll::new()?;
/// let waker = Waker::new(poll.registry(), Token(0))?;
/// waker.wake()?;
/// waker.wake()?;
///
/// let mut events = Events::with_capacity(8);
/// poll.poll(&mut events, None)?;
/// let wakes: Vec<_> = events.iter().filter(|e| e.token() == Token(0)).collect();
/// assert_eq!(wakes.len(), 1);
/// assert!(wakes[0].is_readable());
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "os-poll"))]
/// # fn main() {}
/// ```
#[derive(Debug)]
pub struct Waker {
    inner: sys::Waker,
    #[cfg(debug_assertions)]
    active: Arc<AtomicBool>,
}

impl Waker {
    /// Creates the waker for the `Poll` behind `registry`; its events carry
    /// `token`.
    ///
    /// Pick a token no source uses. The waker is registered from now until
    /// it is dropped; after dropping it, a new `Waker` may be created for the
    /// same `Poll`.
    ///
    /// # Errors
    ///
    /// Fails when the OS cannot create the wake-up primitive.
    ///
    /// # Panics
    ///
    /// In debug builds, when another `Waker` for the same `Poll` is alive.
    pub fn new(registry: &Registry, token: Token) -> io::Result<Waker> {
        #[cfg(debug_assertions)]
        let active = registry.register_waker();
        let inner = <sys::Waker as WakerApi>::new(registry.selector(), token);
        #[cfg(debug_assertions)]
        if inner.is_err() {
            active.store(false, Ordering::Release);
        }
        Ok(Waker {
            inner: inner?,
            #[cfg(debug_assertions)]
            active,
        })
    }

    /// Wakes the `Poll`: the current or next call to
    /// [`Poll::poll`](crate::Poll::poll) returns with a readable event for
    /// the waker's token. Safe to call from any thread, any number of times.
    ///
    /// # Errors
    ///
    /// Fails only if the OS rejects the wake-up (which it does not in normal
    /// operation).
    pub fn wake(&self) -> io::Result<()> {
        WakerApi::wake(&self.inner)
    }
}

#[cfg(debug_assertions)]
impl Drop for Waker {
    fn drop(&mut self) {
        self.active.store(false, Ordering::Release);
    }
}
