use std::time::Duration;
use std::{fmt, io};

#[cfg(all(debug_assertions, feature = "os-poll"))]
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(all(debug_assertions, feature = "os-poll"))]
use std::sync::Arc;

use crate::event::Source;
use crate::sys::{self, SelectorApi};
use crate::{Events, Interest, Token};

/// The event loop's core: waits for readiness of registered sources.
///
/// Sources are registered through [`Poll::registry`]; [`Poll::poll`] then
/// blocks until at least one of them is ready, the timeout expires, or a
/// [`Waker`](crate::Waker) wakes it.
///
/// # Edge-triggered readiness
///
/// Every backend of this crate reports readiness *edge-triggered*: once an
/// event for a direction has been returned, the next event for that
/// direction comes only after an operation on the source returned
/// [`io::ErrorKind::WouldBlock`] (or its readiness changed again). So after a
/// readable event, read until `WouldBlock`; after a writable event, write
/// until `WouldBlock` or until there is nothing left to write.
///
/// Events are hints: a spurious event is possible, and every operation must
/// be prepared to get `WouldBlock`.
///
/// # Timeouts
///
/// A timeout is rounded *up* to the selector's resolution (one millisecond
/// for epoll and poll(2), one nanosecond for kqueue), so a short non-zero
/// timeout never turns into a busy loop. `None` waits forever; `Some(Duration::ZERO)` never blocks.
///
/// # Portability
///
/// Code that follows the rules above (drain until `WouldBlock`, one
/// `Registry` per source, re-register after changing interests) behaves the
/// same on Linux, the BSDs and macOS, Windows and WASI.
///
/// # Examples
///
/// ```
/// # #[cfg(all(feature = "os-poll", feature = "net"))]
/// # fn main() -> std::io::Result<()> {
/// use std::time::Duration;
/// use mio::net::{TcpListener, TcpStream};
/// use mio::{Events, Interest, Poll, Token};
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(16);
///
/// let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// poll.registry().register(&mut listener, Token(0), Interest::READABLE)?;
/// let mut stream = TcpStream::connect(listener.local_addr()?)?;
/// poll.registry().register(&mut stream, Token(1), Interest::WRITABLE)?;
///
/// let mut connected = false;
/// while !connected {
///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///     connected = events.iter().any(|e| e.token() == Token(1) && e.is_writable());
/// }
/// # Ok(())
/// # }
/// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
/// # fn main() {}
/// ```
pub struct Poll {
    registry: Registry,
}

/// Registers [`event::Source`](crate::event::Source)s with a [`Poll`].
///
/// A `Registry` can be cloned with [`Registry::try_clone`] and used from any
/// thread, also while another thread is blocked in [`Poll::poll`].
pub struct Registry {
    selector: sys::Selector,
    /// Whether a `Waker` exists for this `Poll` (checked in debug builds).
    #[cfg(all(debug_assertions, feature = "os-poll"))]
    has_waker: Arc<AtomicBool>,
}

impl Poll {
    cfg_os_poll! {
        /// Creates a new `Poll` with the platform's selector.
        ///
        /// # Errors
        ///
        /// Fails when the OS cannot create the selector (for example when the
        /// process is out of file descriptors).
        pub fn new() -> io::Result<Poll> {
            sys::Selector::new().map(|selector| Poll {
                registry: Registry {
                    selector,
                    #[cfg(debug_assertions)]
                    has_waker: Arc::new(AtomicBool::new(false)),
                },
            })
        }
    }

    /// The registry of this `Poll`, used to register sources.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Waits for readiness events and stores them in `events`.
    ///
    /// `events` is cleared first. The call returns once at least one event
    /// is ready, after `timeout` (rounded up to the selector's resolution), or
    /// when a [`Waker`](crate::Waker) is woken. It may also return early with
    /// no events.
    ///
    /// Errors are returned without retrying, as in mio: on Unix a signal
    /// delivered to the polling thread while it waits (with a handler
    /// installed without `SA_RESTART`) ends the call with
    /// [`io::ErrorKind::Interrupted`], whatever is left of the timeout. A
    /// loop that should not stop for signals polls again on `Interrupted`;
    /// one that uses a signal to break out of `poll(None)` can rely on it.
    ///
    /// # Errors
    ///
    /// * [`io::ErrorKind::Interrupted`]: a signal interrupted the wait (see
    ///   above).
    /// * [`io::ErrorKind::InvalidInput`]: `events` has no room
    ///   ([`Events::with_capacity(0)`](Events::with_capacity)): nothing
    ///   could be reported, so nothing is consumed and the call returns at
    ///   once, on every backend (as epoll does).
    /// * Any other error of the underlying selector, as an [`io::Error`].
    pub fn poll(&mut self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        if events.capacity() == 0 {
            return Err(zero_capacity());
        }
        self.registry.selector.select(events.sys(), timeout)
    }
}

/// The error of a `poll` into an `Events` without room. Kept out of line:
/// `poll`'s common path is one comparison.
#[cold]
#[inline(never)]
fn zero_capacity() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "`Poll::poll` needs an `Events` with room for at least one event \
         (it was created with `Events::with_capacity(0)`)",
    )
}

impl fmt::Debug for Poll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poll").finish_non_exhaustive()
    }
}

impl Registry {
    /// Registers `source` for `interests`; its events will carry `token`.
    ///
    /// A source is registered with at most one `Registry` at a time (debug
    /// builds check this and return an error naming the problem). Register
    /// again with [`Registry::reregister`], never twice with `register`.
    ///
    /// # Errors
    ///
    /// The selector's error, or `AlreadyExists` ("I/O source already
    /// registered with a `Registry`") when the source is registered already.
    pub fn register<S>(&self, source: &mut S, token: Token, interests: Interest) -> io::Result<()>
    where
        S: Source + ?Sized,
    {
        trace!(
            "registering event source with poller: token={:?}, interests={:?}",
            token,
            interests
        );
        source.register(self, token, interests)
    }

    /// Changes the token and/or interests of a registered source.
    ///
    /// # Errors
    ///
    /// The selector's error, or `NotFound` when the source is not registered
    /// with this `Registry`.
    pub fn reregister<S>(&self, source: &mut S, token: Token, interests: Interest) -> io::Result<()>
    where
        S: Source + ?Sized,
    {
        trace!(
            "reregistering event source with poller: token={:?}, interests={:?}",
            token,
            interests
        );
        source.reregister(self, token, interests)
    }

    /// Removes `source`: no more events are returned for it.
    ///
    /// Dropping a source also deregisters it, but deregistering explicitly is
    /// clearer and reports errors.
    ///
    /// # Errors
    ///
    /// The selector's error, or `NotFound` when the source is not registered.
    pub fn deregister<S>(&self, source: &mut S) -> io::Result<()>
    where
        S: Source + ?Sized,
    {
        trace!("deregistering event source from poller");
        source.deregister(self)
    }

    /// A new handle to the same registry, usable from another thread.
    ///
    /// # Errors
    ///
    /// Fails when the OS cannot duplicate the selector's handle.
    pub fn try_clone(&self) -> io::Result<Registry> {
        self.selector.try_clone().map(|selector| Registry {
            selector,
            #[cfg(all(debug_assertions, feature = "os-poll"))]
            has_waker: Arc::clone(&self.has_waker),
        })
    }

    // Without `os-poll`, only debug-build registration checks use it.
    #[cfg_attr(not(feature = "os-poll"), allow(dead_code))]
    pub(crate) fn selector(&self) -> &sys::Selector {
        &self.selector
    }

    /// Records that a `Waker` now exists for this `Poll` (debug builds).
    ///
    /// # Panics
    ///
    /// If a `Waker` already exists: only one may be active per `Poll`.
    #[cfg(all(debug_assertions, feature = "os-poll"))]
    pub(crate) fn register_waker(&self) -> Arc<AtomicBool> {
        assert!(
            !self.has_waker.swap(true, Ordering::AcqRel),
            "Only a single `Waker` can be active per `Poll` instance"
        );
        Arc::clone(&self.has_waker)
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry").finish_non_exhaustive()
    }
}
