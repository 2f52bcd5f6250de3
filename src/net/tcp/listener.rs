use std::net::SocketAddr;
use std::io;

use crate::io_source::IoSource;
use crate::net::TcpStream;
use crate::sys;

/// A non-blocking TCP socket server, listening for connections.
///
/// Register it for [`Interest::READABLE`](crate::Interest::READABLE); on each readable event, call
/// [`TcpListener::accept`] until it returns `WouldBlock`. One event can stand
/// for many waiting connections, and the next event comes only after an
/// `accept` returned `WouldBlock`.
///
/// Accepted streams are non-blocking and not registered; register each
/// with its own token.
///
/// On `wasm32-wasip1` without the `wasmedge` feature a module cannot
/// create a listener ([`bind`](TcpListener::bind) returns `Unsupported`):
/// take the one the host pre-opens with
/// [`from_std`](TcpListener::from_std), for example from wasmtime's
/// `-S tcplisten=ADDR` (descriptor 3).
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "os-poll")]
/// # fn main() -> std::io::Result<()> {
/// use std::time::Duration;
/// use mio::net::{TcpListener, TcpStream};
/// use mio::{Events, Interest, Poll, Token};
///
/// let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(8);
/// poll.registry().register(&mut listener, Token(0), Interest::READABLE)?;
///
/// let _client = TcpStream::connect(listener.local_addr()?)?;
/// loop {
///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///     match listener.accept() {
///         Ok((_stream, peer)) => {
///             println!("accepted {peer}");
///             break;
///         }
///         Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
///         Err(e) => return Err(e),
///     }
/// }
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "os-poll"))]
/// # fn main() {}
/// ```
///
/// An accept loop that drains the backlog on every event:
///
/// ```
/// # #[cfg(all(feature = "os-poll", feature = "net"))]
/// # fn main() -> std::io::Result<()> {
/// use std::io;
/// use std::time::Duration;
/// use mio::net::{TcpListener, TcpStream};
/// use mio::{Events, Interest, Poll, Token};
///
/// let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(8);
/// poll.registry().register(&mut listener, Token(0), Interest::READABLE)?;
///
/// let addr = listener.local_addr()?;
/// let _clients = [TcpStream::connect(addr)?, TcpStream::connect(addr)?];
///
/// let mut accepted = Vec::new();
/// while accepted.len() < 2 {
///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///     loop {
///         match listener.accept() {
///             Ok((mut stream, _peer)) => {
///                 let token = Token(1 + accepted.len());
///                 poll.registry().register(&mut stream, token, Interest::READABLE)?;
///                 accepted.push(stream);
///             }
///             Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
///             Err(e) => return Err(e),
///         }
///     }
/// }
/// # Ok(())
/// # }
/// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
/// # fn main() {}
/// ```
pub struct TcpListener {
    pub(crate) inner: IoSource<sys::tcp::TcpListener>,
}

impl TcpListener {
    /// Binds a new listener to `addr` and starts listening.
    ///
    /// On Unix the socket gets `SO_REUSEADDR`, so a restarted server can
    /// bind its port at once; the backlog is 1024.
    ///
    /// # Errors
    ///
    /// The OS's error for creating, binding or listening (for example
    /// `AddrInUse`); `Unsupported` on hosts without sockets.
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        sys::tcp::bind(addr).map(TcpListener::from_sys)
    }

    /// Wraps a listener created with the standard library.
    ///
    /// The listener must already be in non-blocking mode
    /// (`set_nonblocking(true)`); this function does not change it, so that
    /// it stays infallible, as in mio.
    pub fn from_std(listener: std::net::TcpListener) -> TcpListener {
        TcpListener::from_sys(sys::tcp::listener_from_std(listener))
    }

    pub(crate) fn from_sys(listener: sys::tcp::TcpListener) -> TcpListener {
        TcpListener {
            inner: IoSource::new(listener),
        }
    }

    /// Accepts a new connection. The returned stream is non-blocking and
    /// not registered.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when no connection is waiting; otherwise the OS's error.
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        self.inner
            .do_read(sys::tcp::accept)
            .map(|(stream, addr)| (TcpStream::from_sys(stream), addr))
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// The OS's error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Sets `IP_TTL` for sockets accepted from this listener.
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

    /// Takes the pending socket error (`SO_ERROR`), clearing it.
    ///
    /// # Errors
    ///
    /// The OS's error for reading the option.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }
}

impl_source!(TcpListener);
impl_debug_inner!(TcpListener);
