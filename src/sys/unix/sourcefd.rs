//! `SourceFd`: register any raw file descriptor.

use std::io;
use std::os::fd::RawFd;

use crate::event::Source;
use crate::{Interest, Registry, Token};

/// Adapter that registers a raw file descriptor the caller keeps owning.
///
/// The descriptor must stay open while registered, and should be in
/// non-blocking mode. Deregister it before closing it.
///
/// With the portable poll(2) selector (`--cfg mio_unsupported_force_poll_poll`
/// or a Unix without epoll and kqueue) a reported direction of a `SourceFd`
/// stays quiet until [`Registry::reregister`] is called for it, because
/// reads and writes on a raw descriptor do not pass through this crate.
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use std::os::fd::AsRawFd;
/// use mio::net::TcpListener;
/// use mio::unix::SourceFd;
/// use mio::{Interest, Poll, Token};
///
/// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// listener.set_nonblocking(true)?;
/// let poll = Poll::new()?;
/// let fd = listener.as_raw_fd();
/// poll.registry().register(&mut SourceFd(&fd), Token(0), Interest::READABLE)?;
/// poll.registry().deregister(&mut SourceFd(&fd))?;
/// # let _ = TcpListener::from_std(listener);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct SourceFd<'a>(pub &'a RawFd);

impl Source for SourceFd<'_> {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        registry.selector().register(*self.0, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        registry.selector().reregister(*self.0, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        registry.selector().deregister(*self.0)
    }
}
