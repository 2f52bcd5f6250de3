//! Registration state of one source.
//!
//! Readiness needs no re-arming here: a direction becomes ready again only
//! when an operation the source restarted completes (see `selector`), so
//! `do_io` just runs the operation.

use std::io;

use super::selector::{Selector, Source};
use super::Shared;
use crate::sys::misuse;
use crate::{Interest, Registry, Token};

/// Implemented by every type this backend can register.
pub(crate) trait Selectable {
    fn source(&self) -> Shared<dyn Source>;
}

pub(crate) struct IoSourceState {
    registration: Option<Registration>,
}

struct Registration {
    selector: Selector,
    slot: usize,
}

impl IoSourceState {
    pub(crate) fn new() -> IoSourceState {
        IoSourceState { registration: None }
    }

    pub(crate) fn do_io<T, F, R>(&self, _: Interest, f: F, io: &T) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        f(io)
    }

    pub(crate) fn register<T: Selectable>(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
        io: &T,
    ) -> io::Result<()> {
        if self.registration.is_some() {
            return Err(misuse::already_registered_here());
        }
        let selector = registry.selector();
        let slot = selector.add(io.source(), token, interests);
        self.registration = Some(Registration {
            selector: selector.clone_handle(),
            slot,
        });
        Ok(())
    }

    pub(crate) fn reregister<T: Selectable>(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
        _: &T,
    ) -> io::Result<()> {
        match &self.registration {
            Some(reg) if reg.selector.same_as(registry.selector()) => {
                reg.selector.modify(reg.slot, token, interests);
                Ok(())
            }
            _ => Err(misuse::not_registered_here()),
        }
    }

    pub(crate) fn deregister<T: Selectable>(
        &mut self,
        registry: &Registry,
        _: &T,
    ) -> io::Result<()> {
        match &self.registration {
            Some(reg) if reg.selector.same_as(registry.selector()) => {
                if let Some(reg) = self.registration.take() {
                    reg.selector.remove(reg.slot);
                }
                Ok(())
            }
            _ => Err(misuse::not_registered_here()),
        }
    }
}

impl Drop for IoSourceState {
    fn drop(&mut self) {
        // Leave the set before the socket drops its waitables.
        if let Some(reg) = self.registration.take() {
            reg.selector.remove(reg.slot);
        }
    }
}
