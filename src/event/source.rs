use std::io;

use crate::{Interest, Registry, Token};

/// Something that can be registered with a [`Registry`] and report readiness.
///
/// Every socket type of `mio::net`, `mio::unix::SourceFd` and the Unix pipe
/// ends implement it. A user type that wraps
/// one of them implements `Source` by forwarding all three methods to the
/// inner source; it must never call the selector directly.
///
/// Call these methods through [`Registry::register`],
/// [`Registry::reregister`] and [`Registry::deregister`], not directly.
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
pub trait Source {
    /// Registers `self` for `interests`, with events carrying `token`.
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()>;

    /// Changes the token or interests of a registered source.
    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()>;

    /// Stops all events for `self`.
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
