use std::fmt;

use crate::sys::{self, EventApi};
use crate::Token;

/// One readiness event, as returned by [`Poll::poll`](crate::Poll::poll).
///
/// An event says that the source registered with [`token`](Event::token)
/// *may* be ready for some operations. It is a hint, not a promise: try the
/// operation, and be ready for it to return
/// [`WouldBlock`](std::io::ErrorKind::WouldBlock) anyway. Events are
/// edge-triggered on every backend: after an event, no new one arrives for
/// the same direction until an I/O call on the source has returned
/// `WouldBlock` (or the source is re-registered).
///
/// The flags beyond readable and writable (`is_error`, `is_read_closed`,
/// `is_write_closed`, `is_priority`, `is_aio`, `is_lio`) describe what the
/// operating system or host said about the source. They are as precise as
/// that platform allows, and no more: the result of the next I/O call is
/// always the authority. Portable code uses them only to decide *which*
/// operation to try first, and never skips reading or writing because a flag
/// is unset.
///
/// # What each flag means on each backend
///
/// Which kernel or host condition sets each flag, per selector (see the
/// [backend table](crate#backends) for which targets use which).
///
/// **epoll** (Linux, Android):
///
/// * readable: `EPOLLIN` or `EPOLLPRI`.
/// * writable: `EPOLLOUT`.
/// * error: `EPOLLERR` (the socket has a pending error, for example a
///   refused connect; fetch it with `take_error`).
/// * read closed: `EPOLLHUP`, or `EPOLLIN` together with `EPOLLRDHUP` (the
///   peer shut down its sending side).
/// * write closed: `EPOLLHUP`, `EPOLLERR` with `EPOLLOUT`, or `EPOLLERR`
///   alone.
/// * priority: `EPOLLPRI` (TCP urgent data, some character devices).
/// * aio, lio: never.
///
/// **kqueue** (macOS, iOS and the other Apple systems, FreeBSD, DragonFly,
/// NetBSD, OpenBSD):
///
/// * readable: an `EVFILT_READ` event (or the waker's `EVFILT_USER`).
/// * writable: an `EVFILT_WRITE` event.
/// * error: `EV_ERROR`, or `EV_EOF` with a non-zero `fflags` (the socket's
///   error code, for example a refused connect).
/// * read closed: `EV_EOF` on the read filter.
/// * write closed: `EV_EOF` on the write filter.
/// * priority: never (kqueue has no filter for out-of-band data).
/// * aio: an `EVFILT_AIO` event; lio: an `EVFILT_LIO` event (FreeBSD only).
///
/// **poll(2)** (other Unix, or any Unix built with
/// `--cfg mio_unsupported_force_poll_poll`):
///
/// * readable: `POLLIN` (on Linux and Android also `POLLRDHUP`, so that a
///   peer's shutdown reads as it does under epoll).
/// * writable: `POLLOUT`.
/// * error: `POLLERR` or `POLLNVAL` (the descriptor was closed while
///   registered).
/// * read closed: `POLLHUP`, or `POLLRDHUP` on Linux and Android.
/// * write closed: `POLLHUP`, `POLLERR` with `POLLOUT`, or `POLLERR` alone.
/// * priority: `POLLPRI`.
/// * aio, lio: never.
///
/// **AFD** (Windows; sockets polled through `\Device\Afd`, completions
/// through an I/O completion port):
///
/// * readable: data received, a connection to accept, the peer disconnected,
///   the connection aborted, or a connect failed.
/// * writable: room to send, the connection aborted, or a connect failed.
/// * error: a connect failed.
/// * read closed: the peer disconnected, the connection aborted, or a
///   connect failed.
/// * write closed: the connection aborted, or a connect failed.
/// * priority: expedited (out-of-band) data received.
/// * aio, lio: never. A named pipe (`os-ext`) reports readable and writable
///   when its overlapped read or write completes.
///
/// **wasi:io/poll** (`wasm32-wasip2`; every source has one pollable per
/// direction, from `wasi:sockets` and `wasi:io/streams`):
///
/// * readable: the read direction's pollable is ready: a connection to
///   accept, data or end of stream on a TCP input stream, a datagram, a
///   finished name lookup.
/// * writable: the write direction's pollable is ready: a finished connect,
///   room on a TCP output stream or a UDP outgoing-datagram stream.
/// * error, read closed, write closed: all three together when a
///   non-blocking connect failed (the error itself comes from `take_error`
///   or the next read or write). The host's streams say nothing about a
///   peer's shutdown before the read: it shows as readable, and the read
///   returns 0.
/// * priority, aio, lio: never.
///
/// **poll_oneoff** (`wasm32-wasip1`, on any preview-1 host):
///
/// * readable: an `fd_read` subscription fired.
/// * writable: an `fd_write` subscription fired.
/// * error: the host put an error code in that subscription's event, or
///   rejected the descriptor outright (it is then reported with the
///   directions it was armed for, so the other sources keep working).
/// * read closed, write closed: the host set `FD_READWRITE_HANGUP` on the
///   read or the write subscription.
/// * priority, aio, lio: never.
///
/// **WasmEdge** (`wasm32-wasip1` with the `wasmedge` feature) polls through
/// the same `poll_oneoff` and sets the same flags. What its socket
/// extension adds is elsewhere: sockets the module creates itself, addresses
/// and `take_error`, so a failed connect is seen as readable and writable
/// with the error left for `take_error` or the next I/O call.
///
/// On every backend an event for a [`Waker`](crate::Waker) is readable and
/// nothing else.
///
/// # Examples
///
/// ```
/// # #[cfg(all(feature = "os-poll", feature = "net"))]
/// # fn main() -> std::io::Result<()> {
/// use std::io::{self, Read};
/// use std::time::Duration;
/// use mio::net::{TcpListener, TcpStream};
/// use mio::{Events, Interest, Poll, Token};
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(8);
/// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// let mut client = TcpStream::connect(listener.local_addr()?)?;
/// poll.registry().register(&mut client, Token(1), Interest::READABLE)?;
///
/// // The server side accepts and closes at once: the client sees the end
/// // of the stream.
/// let mut accepted = None;
/// while accepted.is_none() {
///     match listener.accept() {
///         Ok((stream, _)) => accepted = Some(stream),
///         Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
///             std::thread::sleep(Duration::from_millis(1));
///         }
///         Err(e) => return Err(e),
///     }
/// }
/// drop(accepted);
///
/// let mut saw_end = false;
/// while !saw_end {
///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///     for event in &events {
///         // The flags say what to try; the read says what happened.
///         if event.is_readable() || event.is_read_closed() {
///             let mut buf = [0; 64];
///             loop {
///                 match client.read(&mut buf) {
///                     Ok(0) => { saw_end = true; break; }
///                     Ok(_) => continue,
///                     Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
///                     Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
///                         saw_end = true;
///                         break;
///                     }
///                     Err(e) => return Err(e),
///                 }
///             }
///         }
///     }
/// }
/// # Ok(())
/// # }
/// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
/// # fn main() {}
/// ```
#[repr(transparent)]
pub struct Event {
    inner: sys::Event,
}

impl Event {
    /// The token the source was registered (or last re-registered) with.
    ///
    /// Tokens are how an event finds its source: keep a map (or a `Vec`
    /// indexed by token) from token to source.
    #[must_use]
    pub fn token(&self) -> Token {
        EventApi::token(&self.inner)
    }

    /// The source may be readable: data to read, a connection to accept, a
    /// datagram, or the end of the stream (the read then returns 0).
    ///
    /// After a readable event, read until `WouldBlock`; otherwise no new
    /// readable event may come. See the [per-backend notes](Event#what-each-flag-means-on-each-backend).
    #[must_use]
    pub fn is_readable(&self) -> bool {
        EventApi::is_readable(&self.inner)
    }

    /// The source may be writable. For a `TcpStream` created with
    /// `connect`, the first writable event also means the connect finished:
    /// check `take_error` (or `peer_addr`) to see whether it succeeded.
    ///
    /// After a writable event, write until `WouldBlock` or until there is
    /// nothing left to write.
    #[must_use]
    pub fn is_writable(&self) -> bool {
        EventApi::is_writable(&self.inner)
    }

    /// The source has a pending error. Fetch it with the socket's
    /// `take_error` (where the host supports it), or let the next I/O call
    /// return it.
    ///
    /// Which conditions count as an error differs between platforms; see the
    /// [per-backend notes](Event#what-each-flag-means-on-each-backend).
    #[must_use]
    pub fn is_error(&self) -> bool {
        EventApi::is_error(&self.inner)
    }

    /// The read side is closed: the peer shut down writing, or the
    /// connection is gone. Reads return 0 or an error from now on.
    ///
    /// Not every platform can tell: on `wasm32-wasip2` a peer's shutdown is
    /// only seen by the read that returns 0. Treat an unset flag as "unknown",
    /// not as "open".
    #[must_use]
    pub fn is_read_closed(&self) -> bool {
        EventApi::is_read_closed(&self.inner)
    }

    /// The write side is closed: writes fail from now on (usually with
    /// `BrokenPipe` or `ConnectionReset`).
    ///
    /// Like [`is_read_closed`](Event::is_read_closed), this is only as exact
    /// as the platform allows.
    #[must_use]
    pub fn is_write_closed(&self) -> bool {
        EventApi::is_write_closed(&self.inner)
    }

    /// Priority (out-of-band) data is ready. Linux, Android and the poll(2)
    /// selector only; `false` elsewhere.
    #[must_use]
    pub fn is_priority(&self) -> bool {
        EventApi::is_priority(&self.inner)
    }

    /// An AIO request completed (kqueue only; `false` elsewhere).
    #[must_use]
    pub fn is_aio(&self) -> bool {
        EventApi::is_aio(&self.inner)
    }

    /// A `lio_listio` request completed (FreeBSD kqueue only).
    #[must_use]
    pub fn is_lio(&self) -> bool {
        EventApi::is_lio(&self.inner)
    }

    pub(crate) fn from_sys_event_ref(sys_event: &sys::Event) -> &Event {
        // SAFETY: `Event` is `repr(transparent)` over `sys::Event`, so the
        // two have the same layout and the reference stays valid for the
        // same lifetime.
        unsafe { &*(sys_event as *const sys::Event as *const Event) }
    }
}

/// The alternate form (`{:#?}`) also shows the platform's raw event.
impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alternate = f.alternate();
        let mut d = f.debug_struct("Event");
        d.field("token", &self.token())
            .field("readable", &self.is_readable())
            .field("writable", &self.is_writable())
            .field("error", &self.is_error())
            .field("read_closed", &self.is_read_closed())
            .field("write_closed", &self.is_write_closed())
            .field("priority", &self.is_priority())
            .field("aio", &self.is_aio())
            .field("lio", &self.is_lio());
        if alternate {
            struct Details<'a>(&'a sys::Event);
            impl fmt::Debug for Details<'_> {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    EventApi::debug_details(self.0, f)
                }
            }
            d.field("details", &Details(&self.inner));
        }
        d.finish()
    }
}
