use std::io;
use std::net::{Shutdown, SocketAddr};

use crate::io_source::IoSource;
use crate::sys;

/// A non-blocking TCP stream between a local and a remote socket.
///
/// Created by [`TcpStream::connect`], [`TcpListener::accept`] or
/// [`TcpStream::from_std`]. It implements [`Read`](std::io::Read) and
/// [`Write`](std::io::Write) (also for `&TcpStream`), and every call returns
/// at once: with data, with `WouldBlock`, or with an error. Register it with
/// a [`Poll`](crate::Poll) to learn when to call again.
///
/// # Reading and writing
///
/// Readiness is edge-triggered, so after a readable event read until
/// `WouldBlock` (or until a read returns 0: the peer closed its side), and
/// after a writable event write until `WouldBlock` or until the data is
/// gone. Data left unsent when a write returns `WouldBlock` is the caller's
/// to keep and send on the next writable event. `write` may write only part
/// of the buffer; `write_all` retries until done but fails with `WouldBlock`
/// halfway, so an event loop normally calls `write` and tracks how much was
/// sent.
///
/// # Connecting
///
/// [`connect`](TcpStream::connect) returns before the connection exists.
/// The first writable event says the attempt finished, one way or the
/// other; [`take_error`](TcpStream::take_error) or
/// [`peer_addr`](TcpStream::peer_addr) tells which. Reads and writes before
/// that return `WouldBlock` (or `NotConnected` on some systems).
///
/// # Platform notes
///
/// On Unix and Windows this wraps the operating system's socket. On
/// `wasm32-wasip2` it is a `wasi:sockets` TCP socket with its input and
/// output streams; `peek` and the `TCP_NODELAY` methods are refused there.
/// On `wasm32-wasip1` streams come from [`TcpListener::accept`] on a
/// listener the host hands over, or (with the `wasmedge` feature) from
/// `connect`; see [the crate documentation](crate#what-each-host-refuses)
/// for what each host refuses.
///
/// [`TcpListener::accept`]: crate::net::TcpListener::accept
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "os-poll")]
/// # fn main() -> std::io::Result<()> {
/// use std::io::Write;
/// use std::time::Duration;
/// use mio::net::TcpStream;
/// use mio::{Events, Interest, Poll, Token};
///
/// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let mut stream = TcpStream::connect(listener.local_addr()?)?;
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(8);
/// poll.registry().register(&mut stream, Token(0), Interest::WRITABLE)?;
/// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
/// // Writable: the connection is established (or failed, see take_error).
/// if let Some(err) = stream.take_error()? {
///     return Err(err);
/// }
/// stream.write_all(b"hello")?;
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "os-poll"))]
/// # fn main() {}
/// ```
pub struct TcpStream {
    pub(crate) inner: IoSource<sys::tcp::TcpStream>,
}

impl TcpStream {
    /// Starts connecting to `addr` without blocking.
    ///
    /// The connection completes in the background: register the stream for
    /// [`Interest::WRITABLE`](crate::Interest::WRITABLE), and on the writable event check
    /// [`TcpStream::take_error`] (a failed connect reports its error there)
    /// and [`TcpStream::peer_addr`] (which fails with `NotConnected` while
    /// the connect is still in progress).
    ///
    /// # Errors
    ///
    /// The OS's error for creating the socket or starting the connect. A
    /// refused or unreachable peer is usually *not* reported here but on
    /// the stream, once the attempt finishes.
    ///
    /// # Examples
    ///
    /// A connect to a port nobody listens on fails after the fact:
    ///
    /// ```
    /// # #[cfg(all(feature = "os-poll", feature = "net"))]
    /// # fn main() -> std::io::Result<()> {
    /// use std::time::Duration;
    /// use mio::net::TcpStream;
    /// use mio::{Events, Interest, Poll, Token};
    ///
    /// // Find a free port, then stop listening on it.
    /// let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    ///
    /// let mut poll = Poll::new()?;
    /// let mut events = Events::with_capacity(4);
    /// let mut stream = match TcpStream::connect(addr) {
    ///     Ok(stream) => stream,
    ///     // Some systems refuse a loopback connect at once.
    ///     Err(e) => { println!("refused at once: {e}"); return Ok(()); }
    /// };
    /// poll.registry().register(&mut stream, Token(0), Interest::WRITABLE)?;
    ///
    /// let outcome = loop {
    ///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
    ///     if events.is_empty() {
    ///         panic!("the connect to {addr} neither failed nor succeeded in 5 s");
    ///     }
    ///     match stream.take_error() {
    ///         Ok(Some(e)) | Err(e) => break Err(e),
    ///         Ok(None) => match stream.peer_addr() {
    ///             Ok(_) => break Ok(()),
    ///             Err(e) if e.kind() == std::io::ErrorKind::NotConnected => continue,
    ///             Err(e) => break Err(e),
    ///         },
    ///     }
    /// };
    /// assert!(outcome.is_err(), "nobody listens on {addr}");
    /// # Ok(())
    /// # }
    /// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
    /// # fn main() {}
    /// ```
    pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        sys::tcp::connect(addr).map(TcpStream::from_sys)
    }

    /// Wraps a stream created with the standard library.
    ///
    /// The stream must already be in non-blocking mode
    /// (`set_nonblocking(true)`); this function does not change it. A stream
    /// whose connect is still in progress is fine.
    pub fn from_std(stream: std::net::TcpStream) -> TcpStream {
        TcpStream::from_sys(sys::tcp::stream_from_std(stream))
    }

    pub(crate) fn from_sys(stream: sys::tcp::TcpStream) -> TcpStream {
        TcpStream {
            inner: IoSource::new(stream),
        }
    }

    /// The address of the remote peer.
    ///
    /// # Errors
    ///
    /// `NotConnected` while a connect is in progress or after it failed.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// The local address of the socket.
    ///
    /// # Errors
    ///
    /// The OS's error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Shuts down the read half, the write half, or both.
    ///
    /// Shutting down the write half sends the peer an end of stream (its
    /// reads return 0) while this side can still read the peer's answer.
    /// # Errors
    ///
    /// The OS's error (for example `NotConnected`).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm when `true`).
    ///
    /// # Errors
    ///
    /// The OS's error; `Unsupported` where the host has no such option.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_nodelay(nodelay)
    }

    /// Reads `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// The OS's error; `Unsupported` where the host has no such option.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.nodelay()
    }

    /// Sets `IP_TTL` (the hop limit of outgoing packets).
    ///
    /// # Errors
    ///
    /// The OS's error; `Unsupported` where the host has no such option.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_ttl(ttl)
    }

    /// Reads `IP_TTL`.
    ///
    /// # Errors
    ///
    /// The OS's error; `Unsupported` where the host has no such option.
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.ttl()
    }

    /// Takes the pending socket error (`SO_ERROR`), clearing it. After a
    /// writable event on a connecting stream, `Some` means the connect failed.
    ///
    /// # Errors
    ///
    /// The OS's error for reading the option.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }

    /// Reads data without removing it from the receive queue.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when nothing is queued; `Unsupported` on hosts that
    /// cannot peek (WASI 0.2).
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_read(|inner| inner.peek(buf))
    }

    /// Runs a custom I/O operation (for example a `recvmsg` on the raw
    /// descriptor) with the same readiness bookkeeping as the built-in
    /// reads and writes. `f` must return `WouldBlock` exactly when the
    /// operation would block; wrapping anything else here is a bug.
    ///
    /// # Errors
    ///
    /// Whatever `f` returns.
    pub fn try_io<F, T>(&self, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>,
    {
        self.inner.do_io(|_| f())
    }
}

impl_source!(TcpStream);
impl_debug_inner!(TcpStream);
impl_read!(TcpStream);
impl_write!(TcpStream);
