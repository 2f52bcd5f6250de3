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
/// event; a wake is never lost.
///
/// Only one `Waker` may exist per `Poll` at a time; debug builds panic on a
/// second one. To wake from many threads, share one `Waker` in an `Arc`.
///
/// # Examples
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
#[derive(Debug)]
pub struct Waker {
    inner: sys::Waker,
    #[cfg(debug_assertions)]
    active: Arc<AtomicBool>,
}

impl Waker {
    /// Creates the waker for the `Poll` behind `registry`.
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

    /// Wakes the `Poll`.
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
