//! Non-blocking name lookup over `wasi:sockets/ip-name-lookup`, public as
//! [`mio::wasi::NameResolver`](crate::wasi::NameResolver).

use std::cell::RefCell;
use std::net::IpAddr;
use std::rc::Rc;
use std::{fmt, io};

use super::bindings::{
    error, instance_network, ip_from_wasi, resolve_addresses, ErrorCode, Pollable,
    ResolveAddressStream,
};
use super::io_source::{Selectable, Source};
use super::Shared;
use crate::io_source::IoSource;
use crate::sys::readiness::READ;
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
        let stream = resolve_addresses(&instance_network(), name).map_err(error)?;
        Ok(NameResolver {
            inner: IoSource::new(Lookup {
                inner: Shared::new(LookupInner {
                    ready: RefCell::new(None),
                    stream,
                    found: RefCell::new(Some(Vec::new())),
                }),
            }),
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

pub(crate) struct Lookup {
    inner: Shared<LookupInner>,
}

/// Field order is drop order: the pollable before its stream.
struct LookupInner {
    ready: RefCell<Option<Pollable>>,
    stream: ResolveAddressStream,
    /// Addresses so far; `None` once handed out.
    found: RefCell<Option<Vec<IpAddr>>>,
}

impl Lookup {
    fn addresses(&self) -> io::Result<Vec<IpAddr>> {
        let inner = &*self.inner;
        let mut found = inner.found.borrow_mut();
        let Some(list) = found.as_mut() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the addresses of this lookup were already taken",
            ));
        };
        loop {
            match inner.stream.resolve_next_address() {
                Ok(Some(addr)) => list.push(ip_from_wasi(addr)),
                Ok(None) => return Ok(found.take().unwrap_or_default()),
                Err(ErrorCode::WouldBlock) => return Err(io::ErrorKind::WouldBlock.into()),
                Err(code) => {
                    *found = None;
                    return Err(error(code));
                }
            }
        }
    }
}

impl Source for LookupInner {
    fn pollable(&self, direction: u8) -> Option<u32> {
        if direction != READ {
            return None;
        }
        let mut ready = self.ready.borrow_mut();
        Some(
            ready
                .get_or_insert_with(|| self.stream.subscribe())
                .handle(),
        )
    }
}

impl Selectable for Lookup {
    fn source(&self) -> io::Result<Shared<dyn Source>> {
        Ok(Shared::from_rc(Rc::clone(self.inner.rc()) as Rc<dyn Source>))
    }
}
