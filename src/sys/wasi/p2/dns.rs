//! Non-blocking name lookup over `wasi:sockets/ip-name-lookup`: the lookup
//! behind [`mio::wasi::NameResolver`](crate::wasi::NameResolver).

use std::cell::RefCell;
use std::io;
use std::net::IpAddr;
use std::rc::Rc;

use super::bindings::{
    error, instance_network, ip_from_wasi, resolve_addresses, ErrorCode, Pollable,
    ResolveAddressStream,
};
use super::io_source::{Selectable, Source};
use super::Shared;
use crate::sys::readiness::READ;
use crate::sys::wasi::name_resolver::already_taken;

/// The backend's side of [`NameResolver`](crate::wasi::NameResolver): a
/// lookup in progress.
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
    /// Starts looking up `name`.
    pub(crate) fn start(name: &str) -> io::Result<Lookup> {
        let stream = resolve_addresses(&instance_network(), name).map_err(error)?;
        Ok(Lookup {
            inner: Shared::new(LookupInner {
                ready: RefCell::new(None),
                stream,
                found: RefCell::new(Some(Vec::new())),
            }),
        })
    }

    pub(crate) fn addresses(&self) -> io::Result<Vec<IpAddr>> {
        let inner = &*self.inner;
        let mut found = inner.found.borrow_mut();
        let Some(list) = found.as_mut() else {
            return Err(already_taken());
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
