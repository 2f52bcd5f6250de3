use std::io;

use crate::{Interest, Registry, Token};

/// Something that can be registered with a [`Registry`] and report readiness.
///
/// Every socket type of `mio::net`, `mio::unix::SourceFd`, the Unix pipe
/// ends and `mio::windows::NamedPipe` implement it. A user type that wraps
/// one of them implements `Source` by forwarding all three methods to the
/// inner source; it must never call the selector directly. Those are the
/// only implementations that can exist: the selectors of this crate know
/// only the crate's own source types, so a type that is not built on one of
/// them cannot be made a source (on Unix, a raw descriptor can be
/// registered through `unix::SourceFd`).
///
/// Call these methods through [`Registry::register`],
/// [`Registry::reregister`] and [`Registry::deregister`], not directly: the
/// `Registry` methods are what the rest of the documentation describes (and
/// they log registrations with the `log` feature).
///
/// `Box<T>` is a source when `T` is, so sources of different types can be
/// kept together as `Box<dyn Source>`.
///
/// # Dropping a source
///
/// Dropping a registered source deregisters it. On Unix and Windows the OS
/// forgets a closed descriptor or socket on its own; on the WebAssembly
/// targets the source removes itself from the selector. An explicit
/// [`Registry::deregister`] before the drop does the same and reports
/// errors.
///
/// # Examples
///
/// ```
/// # #[cfg(all(feature = "os-poll", feature = "net"))]
/// # mod example {
/// use std::io;
/// use mio::event::Source;
/// use mio::net::TcpStream;
/// use mio::{Interest, Registry, Token};
///
/// pub struct Connection {
///     socket: TcpStream,
///     // ... buffers, state
/// }
///
/// impl Source for Connection {
///     fn register(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
///         self.socket.register(registry, token, interests)
///     }
///     fn reregister(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
///         self.socket.reregister(registry, token, interests)
///     }
///     fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
///         self.socket.deregister(registry)
///     }
/// }
/// # }
/// ```
///
/// Sources of different types behind one trait object:
///
/// ```
/// # #[cfg(all(feature = "os-poll", feature = "net"))]
/// # fn main() -> std::io::Result<()> {
/// use mio::event::Source;
/// use mio::net::{TcpListener, UdpSocket};
/// use mio::{Interest, Poll, Token};
///
/// let poll = Poll::new()?;
/// let mut sources: Vec<Box<dyn Source>> = vec![
///     Box::new(TcpListener::bind("127.0.0.1:0".parse().unwrap())?),
///     Box::new(UdpSocket::bind("127.0.0.1:0".parse().unwrap())?),
/// ];
/// for (i, source) in sources.iter_mut().enumerate() {
///     poll.registry().register(source, Token(i), Interest::READABLE)?;
/// }
/// for source in sources.iter_mut() {
///     poll.registry().deregister(source)?;
/// }
/// # Ok(())
/// # }
/// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
/// # fn main() {}
/// ```
pub trait Source {
    /// Registers `self` for `interests`, with events carrying `token`.
    ///
    /// Called by [`Registry::register`]; an implementation forwards to the
    /// source it wraps.
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()>;

    /// Changes the token or interests of a registered source.
    ///
    /// Called by [`Registry::reregister`]; an implementation forwards to
    /// the source it wraps.
    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()>;

    /// Stops all events for `self`.
    ///
    /// Called by [`Registry::deregister`]; an implementation forwards to
    /// the source it wraps.
    fn deregister(&mut self, registry: &Registry) -> io::Result<()>;
}

impl<T> Source for Box<T>
where
    T: Source + ?Sized,
{
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        (**self).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        (**self).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        (**self).deregister(registry)
    }
}
