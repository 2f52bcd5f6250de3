//! [`NameResolver`], the public face of the non-blocking name lookup of the
//! WASI 0.2 and 0.3 backends; each backend's `dns::Lookup` does the lookup.

use std::net::IpAddr;
use std::{fmt, io};

use super::backend::dns::Lookup;
use crate::io_source::IoSource;
use crate::{event, Interest, Registry, Token};

/// A name lookup in progress, registrable with a [`Poll`](crate::Poll).
///
/// `wasi:sockets` resolves names in the host, without blocking the
/// component: start a lookup with [`NameResolver::new`], register it for
/// [`Interest::READABLE`], and call [`NameResolver::addresses`] when it is
/// reported readable (or whenever; it returns
/// [`WouldBlock`](io::ErrorKind::WouldBlock) until the host has the
/// answer). Like every source, it is edge-triggered.
///
/// The lookup needs the host's permission (`wasmtime run -S
/// allow-ip-name-lookup`); `name` is a host name or an IP address literal,
/// without a port.
///
/// # Examples
///
/// ```no_run
/// # fn main() -> std::io::Result<()> {
/// use std::io::ErrorKind;
/// use mio::wasi::NameResolver;
/// use mio::{Events, Interest, Poll, Token};
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(8);
/// let mut lookup = NameResolver::new("localhost")?;
/// poll.registry().register(&mut lookup, Token(0), Interest::READABLE)?;
/// let addresses = loop {
///     match lookup.addresses() {
///         Ok(addresses) => break addresses,
///         Err(err) if err.kind() == ErrorKind::WouldBlock => poll.poll(&mut events, None)?,
///         Err(err) => return Err(err),
///     }
/// };
/// println!("localhost is {addresses:?}");
/// # Ok(())
/// # }
/// ```
pub struct NameResolver {
    inner: IoSource<Lookup>,
}

impl NameResolver {
    /// Starts looking up `name`.
    pub fn new(name: &str) -> io::Result<NameResolver> {
        Ok(NameResolver {
            inner: IoSource::new(Lookup::start(name)?),
        })
    }

    /// The addresses `name` resolves to, once the host has them all;
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) until then. The answer is
    /// handed out once; later calls return an `InvalidInput` error.
    pub fn addresses(&self) -> io::Result<Vec<IpAddr>> {
        self.inner.do_read(Lookup::addresses)
    }
}

impl event::Source for NameResolver {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.inner.register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.inner.reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        self.inner.deregister(registry)
    }
}

impl fmt::Debug for NameResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NameResolver").finish_non_exhaustive()
    }
}

/// What `addresses` returns once the answer was handed out.
pub(crate) fn already_taken() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "the addresses of this lookup were already taken",
    )
}
