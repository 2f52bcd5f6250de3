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
/// Sources (sockets, pipes, a [`Waker`](crate::Waker), anything that
/// implements [`event::Source`](crate::event::Source)) are registered
/// through [`Poll::registry`]. [`Poll::poll`] then blocks until at least one
/// of them is ready, the timeout expires, or a `Waker` wakes it, and fills an
/// [`Events`] buffer with what happened.
///
/// # Examples
///
/// A client and a server on the loopback interface, driven by one `Poll`:
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
///
/// # Edge-triggered readiness
///
/// Every backend of this crate reports readiness *edge-triggered*: once an
/// event for a direction has been returned, the next event for that
/// direction comes only after an operation on the source returned
/// [`io::ErrorKind::WouldBlock`] (or its readiness changed again, or the
/// source was re-registered). So after a readable event, read until
/// `WouldBlock`; after a writable event, write until `WouldBlock` or until
/// there is nothing left to write. A loop that reads once per event and
/// waits again can wait forever with data still buffered.
///
/// The pattern for one readable stream:
///
/// ```
/// # #[cfg(all(feature = "os-poll", feature = "net"))]
/// # fn main() -> std::io::Result<()> {
/// use std::io::{self, Read, Write};
/// use std::time::Duration;
/// use mio::net::{TcpListener, TcpStream};
/// use mio::{Events, Interest, Poll, Token};
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(8);
/// let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// poll.registry().register(&mut listener, Token(0), Interest::READABLE)?;
/// let mut client = TcpStream::connect(listener.local_addr()?)?;
/// poll.registry().register(&mut client, Token(1), Interest::WRITABLE)?;
///
/// let mut server_side = None;
/// let mut received = Vec::new();
/// let mut sent = false;
/// while received.len() < 6 {
///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///     for event in &events {
///         match event.token() {
///             Token(0) => loop {
///                 // Accept until WouldBlock: more than one may be waiting.
///                 match listener.accept() {
///                     Ok((mut stream, _)) => {
///                         poll.registry().register(&mut stream, Token(2), Interest::READABLE)?;
///                         server_side = Some(stream);
///                     }
///                     Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
///                     Err(e) => return Err(e),
///                 }
///             },
///             Token(1) if !sent => {
///                 client.write_all(b"ping\r\n")?;
///                 sent = true;
///             }
///             Token(2) => {
///                 let stream = server_side.as_mut().unwrap();
///                 let mut buf = [0; 4];
///                 // Read until WouldBlock, not just once.
///                 loop {
///                     match stream.read(&mut buf) {
///                         Ok(0) => break,
///                         Ok(n) => received.extend_from_slice(&buf[..n]),
///                         Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
///                         Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
///                         Err(e) => return Err(e),
///                     }
///                 }
///             }
///             _ => {}
///         }
///     }
/// }
/// assert_eq!(received, b"ping\r\n");
/// # Ok(())
/// # }
/// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
/// # fn main() {}
/// ```
///
/// # Events are hints
///
/// An event may be spurious: the operation it suggests can still return
/// `WouldBlock`, for example because another thread got the data first or
/// because the platform reports conservatively. Conversely an event can
/// carry more than was asked for: the flags for errors and closed
/// directions arrive whatever the interests. Handle every outcome of the
/// I/O call, and treat the event only as a reason to try.
///
/// # Registering sources
///
/// A source is registered with one `Registry` at a time, under a token the
/// caller picks. [`Registry::reregister`] changes the token or interests;
/// [`Registry::deregister`] removes it. Tokens need not be unique across
/// sources, but events can only be told apart by token, so in practice each
/// source gets its own. A token may be reused as soon as its source is
/// deregistered; events already in an [`Events`] buffer may still name the
/// old source, so handle an unknown token gracefully.
///
/// A source must be registered before it can produce events; I/O on an
/// unregistered non-blocking source works but is never reported.
///
/// # Timeouts
///
/// A timeout is rounded *up* to the selector's resolution (one millisecond
/// for epoll, poll(2) and Windows, one nanosecond for kqueue and both WASI
/// selectors), so a short non-zero timeout never turns into a busy loop. `None` waits forever; `Some(Duration::ZERO)` never blocks and only
/// collects what is ready now. There are no timers beyond this: an event
/// loop that needs them computes the next deadline and passes the time left
/// as the timeout.
///
/// # Threads
///
/// `Poll::poll` takes `&mut self`, so one thread polls. Other threads can
/// register, re-register and deregister sources at any time, also while
/// `poll` is blocked, through a [`Registry`] cloned with
/// [`Registry::try_clone`], and can wake the poller with a
/// [`Waker`](crate::Waker). On the WebAssembly targets there is only one
/// thread; everything happens between calls to `poll`.
///
/// # Dropping
///
/// Dropping a `Poll` closes its selector (and with it every clone of its
/// `Registry` stops producing events). The sources registered with it are
/// not closed; they remain ordinary non-blocking sockets.
///
/// # Portability
///
/// Code that follows the rules above (drain until `WouldBlock`, one
/// `Registry` per source, re-register after changing interests, handle
/// spurious events) behaves the same on Linux, the BSDs and macOS, Windows
/// and WASI. The differences between the selectors are in what the extra
/// event flags can say (see [`Event`](crate::event::Event#what-each-flag-means-on-each-backend))
/// and in which socket operations a host supports (see
/// [the crate documentation](crate#what-each-host-refuses)).
///
/// # Implementation notes
///
/// Once the `Events` buffer exists, `poll` allocates nothing, with one
/// exception: on `wasm32-wasip2` a `wasi:io/poll` call over two or more
/// pollables gets its list of ready indices back in memory the host
/// allocates in the component (the canonical ABI returns every list that
/// way), one small allocation per such call. What one call does:
///
/// * epoll and kqueue: one `epoll_wait` or `kevent` call into the
///   `Events` buffer.
/// * poll(2): one `poll` over the armed descriptors; a registration from
///   another thread interrupts it through the selector's notifier (an
///   eventfd on Linux and Android, a pipe elsewhere).
/// * Windows: the armed sockets have AFD poll requests outstanding; `poll`
///   dequeues their completions from the completion port
///   (`GetQueuedCompletionStatusEx`) and issues new requests on the next
///   call.
/// * `wasm32-wasip2`: with a zero timeout, or a `Waker` woken, a
///   non-blocking readiness check of each armed pollable; otherwise one
///   `wasi:io/poll` call over the armed pollables and a clock pollable for
///   the timeout (or a block on the single pollable when there is only
///   one).
/// * `wasm32-wasip1`: one `poll_oneoff` over the armed descriptors and a
///   clock subscription for the timeout.
pub struct Poll {
    registry: Registry,
}

/// Registers [`event::Source`](crate::event::Source)s with a [`Poll`].
///
/// Every `Poll` owns one `Registry`, reached with [`Poll::registry`]. A
/// `Registry` can be cloned with [`Registry::try_clone`] and used from any
/// thread, also while another thread is blocked in [`Poll::poll`]: a new
/// registration takes effect for that blocked call too.
///
/// # Examples
///
/// Register a listener, and later change what it is registered for:
///
/// ```
/// # #[cfg(all(feature = "os-poll", feature = "net"))]
/// # fn main() -> std::io::Result<()> {
/// use mio::net::UdpSocket;
/// use mio::{Interest, Poll, Token};
///
/// let poll = Poll::new()?;
/// let registry = poll.registry();
/// let mut socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
///
/// registry.register(&mut socket, Token(3), Interest::READABLE)?;
/// registry.reregister(&mut socket, Token(3), Interest::READABLE | Interest::WRITABLE)?;
/// registry.deregister(&mut socket)?;
/// # Ok(())
/// # }
/// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
/// # fn main() {}
/// ```
pub struct Registry {
    selector: sys::Selector,
    /// Whether a `Waker` exists for this `Poll` (checked in debug builds).
    #[cfg(all(debug_assertions, feature = "os-poll"))]
    has_waker: Arc<AtomicBool>,
}

impl Poll {
    cfg_os_poll! {
        /// Creates a new `Poll` with the platform's selector (see the
        /// [backend table](crate#backends)).
        ///
        /// On Unix and Windows this opens an OS object (an epoll or kqueue
        /// descriptor, a pipe for poll(2), a completion port), closed again
        /// when the `Poll` is dropped. On the WebAssembly targets it only
        /// allocates the selector's bookkeeping.
        ///
        /// # Errors
        ///
        /// Fails when the OS cannot create the selector (for example when the
        /// process is out of file descriptors).
        ///
        /// # Examples
        ///
        /// ```
        /// # #[cfg(feature = "os-poll")]
        /// # fn main() -> std::io::Result<()> {
        /// use std::time::Duration;
        /// use mio::{Events, Poll};
        ///
        /// let mut poll = Poll::new()?;
        /// let mut events = Events::with_capacity(64);
        ///
        /// // Nothing is registered: this returns after the timeout.
        /// poll.poll(&mut events, Some(Duration::from_millis(10)))?;
        /// assert!(events.is_empty());
        /// # Ok(())
        /// # }
        /// # #[cfg(not(feature = "os-poll"))]
        /// # fn main() {}
        /// ```
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
    ///
    /// The reference borrows the `Poll`; to register from another thread,
    /// clone it with [`Registry::try_clone`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(all(feature = "os-poll", feature = "net"))]
    /// # fn main() -> std::io::Result<()> {
    /// use mio::net::TcpListener;
    /// use mio::{Interest, Poll, Token};
    ///
    /// let poll = Poll::new()?;
    /// let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// poll.registry().register(&mut listener, Token(0), Interest::READABLE)?;
    /// # Ok(())
    /// # }
    /// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
    /// # fn main() {}
    /// ```
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
    /// `events` holds at most [`Events::capacity`] events after the call;
    /// events that did not fit are kept by the selector (their directions
    /// stay armed) and come back from the next call.
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
    ///
    /// # Examples
    ///
    /// Waiting with a deadline: the loop passes the time left, so it ends
    /// when the data arrives or the deadline passes, whichever is first.
    ///
    /// ```
    /// # #[cfg(all(feature = "os-poll", feature = "net"))]
    /// # fn main() -> std::io::Result<()> {
    /// use std::time::{Duration, Instant};
    /// use mio::net::UdpSocket;
    /// use mio::{Events, Interest, Poll, Token};
    ///
    /// let mut poll = Poll::new()?;
    /// let mut events = Events::with_capacity(8);
    /// let mut receiver = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// poll.registry().register(&mut receiver, Token(0), Interest::READABLE)?;
    ///
    /// let sender = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// sender.send_to(b"hi", receiver.local_addr()?)?;
    ///
    /// let deadline = Instant::now() + Duration::from_secs(5);
    /// let mut got = None;
    /// while got.is_none() {
    ///     let left = deadline.saturating_duration_since(Instant::now());
    ///     if left.is_zero() {
    ///         break;
    ///     }
    ///     poll.poll(&mut events, Some(left))?;
    ///     if events.iter().any(|e| e.token() == Token(0)) {
    ///         let mut buf = [0; 16];
    ///         if let Ok((n, from)) = receiver.recv_from(&mut buf) {
    ///             got = Some((buf[..n].to_vec(), from));
    ///         }
    ///     }
    /// }
    /// let (data, from) = got.expect("no datagram within 5 seconds");
    /// assert_eq!(data, b"hi");
    /// assert_eq!(from, sender.local_addr()?);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
    /// # fn main() {}
    /// ```
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
    /// A source is registered with at most one `Registry` at a time.
    /// Register again with [`Registry::reregister`], never twice with
    /// `register`. Debug builds refuse a second `register` on every
    /// backend. Release builds refuse it on the selectors that keep their
    /// registrations in the process (poll(2), Windows, every WASI
    /// selector), and epoll refuses it for the same `Poll` (`EEXIST`).
    /// Otherwise the kernel takes it: kqueue treats a second `register`
    /// with the same `Poll` like `reregister`, and with epoll or kqueue a
    /// source registered with two `Poll`s is reported by both. These checks
    /// belong to the crate's own source types; `unix::SourceFd` hands its
    /// descriptor to the selector as it is, so only the selector's own
    /// check applies to it, in every build (epoll and poll(2) refuse a
    /// descriptor twice in one `Poll`).
    ///
    /// `interests` names the directions to report ([`Interest::READABLE`],
    /// [`Interest::WRITABLE`], or both); errors and closed directions are
    /// reported whatever is asked for. A source that is already ready when
    /// it is registered produces an event at the next `poll`, so nothing is
    /// missed between creating a socket and registering it.
    ///
    /// # Errors
    ///
    /// The selector's error, or `AlreadyExists` when the source is
    /// registered already (see above for where that is checked).
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
    /// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    ///
    /// let mut stream = TcpStream::connect(listener.local_addr()?)?;
    /// poll.registry().register(&mut stream, Token(7), Interest::READABLE | Interest::WRITABLE)?;
    ///
    /// // Once connected, the stream is writable.
    /// let mut events = Events::with_capacity(4);
    /// loop {
    ///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
    ///     if events.iter().any(|e| e.token() == Token(7) && e.is_writable()) {
    ///         break;
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
    /// # fn main() {}
    /// ```
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
    /// Re-registering also arms the source again: if it is ready, the next
    /// `poll` reports it, even when that readiness was reported before. This
    /// is the way to get a fresh event for a source whose I/O does not go
    /// through this crate (a `unix::SourceFd` under the poll(2) selector).
    ///
    /// # Errors
    ///
    /// The selector's error, or `NotFound` when the source is not registered
    /// with this `Registry`.
    ///
    /// # Examples
    ///
    /// A connection that has nothing more to send stops asking for
    /// writable events:
    ///
    /// ```
    /// # #[cfg(all(feature = "os-poll", feature = "net"))]
    /// # fn main() -> std::io::Result<()> {
    /// use mio::net::{TcpListener, TcpStream};
    /// use mio::{Interest, Poll, Token};
    ///
    /// let poll = Poll::new()?;
    /// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// let mut stream = TcpStream::connect(listener.local_addr()?)?;
    ///
    /// let registry = poll.registry();
    /// registry.register(&mut stream, Token(1), Interest::READABLE | Interest::WRITABLE)?;
    /// // ... the output buffer is empty now:
    /// registry.reregister(&mut stream, Token(1), Interest::READABLE)?;
    /// # Ok(())
    /// # }
    /// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
    /// # fn main() {}
    /// ```
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
    /// clearer and reports errors. Events for the source that an earlier
    /// `poll` already put into an [`Events`] buffer stay there. After
    /// deregistering, the source can be registered again, with this or
    /// another `Registry`.
    ///
    /// # Errors
    ///
    /// The selector's error, or `NotFound` when the source is not registered.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(all(feature = "os-poll", feature = "net"))]
    /// # fn main() -> std::io::Result<()> {
    /// use std::time::Duration;
    /// use mio::net::UdpSocket;
    /// use mio::{Events, Interest, Poll, Token};
    ///
    /// let mut poll = Poll::new()?;
    /// let mut socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// poll.registry().register(&mut socket, Token(0), Interest::WRITABLE)?;
    /// poll.registry().deregister(&mut socket)?;
    ///
    /// // The socket is writable, but no longer reported.
    /// let mut events = Events::with_capacity(4);
    /// poll.poll(&mut events, Some(Duration::from_millis(20)))?;
    /// assert!(events.is_empty());
    /// # Ok(())
    /// # }
    /// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
    /// # fn main() {}
    /// ```
    pub fn deregister<S>(&self, source: &mut S) -> io::Result<()>
    where
        S: Source + ?Sized,
    {
        trace!("deregistering event source from poller");
        source.deregister(self)
    }

    /// A new handle to the same registry, usable from another thread.
    ///
    /// Both handles register with the same `Poll`; a source registered
    /// through either is reported by that `Poll`, and may be re-registered
    /// or deregistered through either.
    ///
    /// # Errors
    ///
    /// Fails when the OS cannot duplicate the selector's handle.
    ///
    /// # Examples
    ///
    /// Registering from another thread while the poller waits:
    ///
    /// ```
    /// # #[cfg(all(feature = "os-poll", feature = "net", not(target_family = "wasm")))]
    /// # fn main() -> std::io::Result<()> {
    /// use std::thread;
    /// use std::time::Duration;
    /// use mio::net::UdpSocket;
    /// use mio::{Events, Interest, Poll, Token};
    ///
    /// let mut poll = Poll::new()?;
    /// let registry = poll.registry().try_clone()?;
    ///
    /// let helper = thread::spawn(move || -> std::io::Result<UdpSocket> {
    ///     let mut socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    ///     registry.register(&mut socket, Token(5), Interest::WRITABLE)?;
    ///     Ok(socket)
    /// });
    ///
    /// let mut events = Events::with_capacity(4);
    /// loop {
    ///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
    ///     if events.iter().any(|e| e.token() == Token(5)) {
    ///         break;
    ///     }
    /// }
    /// let _socket = helper.join().unwrap()?;
    /// # Ok(())
    /// # }
    /// # #[cfg(not(all(feature = "os-poll", feature = "net", not(target_family = "wasm"))))]
    /// # fn main() {}
    /// ```
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
