//! Registration state of one source of the WASI 0.2 or 0.3 backend: which
//! selector holds it, in which slot. What an I/O call does about readiness
//! is the backend's (`io_source::run_io`).

// With only `os-poll`, no source type exists to register.
#![cfg_attr(not(feature = "net"), allow(dead_code))]

use std::io;

use super::backend::io_source::{run_io, Selectable, Source};
use super::backend::selector::Selector;
use super::shared::Shared;
use crate::sys::misuse;
use crate::{Interest, Registry, Token};

pub(crate) struct IoSourceState {
    registration: Option<Registration>,
}

struct Registration {
    selector: Selector,
    slot: usize,
    source: Shared<dyn Source>,
}

impl IoSourceState {
    pub(crate) fn new() -> IoSourceState {
        IoSourceState { registration: None }
    }

    pub(crate) fn do_io<T, F, R>(&self, hint: Interest, f: F, io: &T) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        match &self.registration {
            Some(reg) => run_io(&reg.selector, reg.slot, &*reg.source, hint, || f(io)),
            None => f(io),
        }
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
        let source = io.source()?;
        let selector = registry.selector();
        let slot = selector.add(Shared::clone(&source), token, interests);
        self.registration = Some(Registration {
            selector: selector.clone_handle(),
            slot,
            source,
        });
        Ok(())
    }

    pub(crate) fn reregister<T: Selectable>(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
        io: &T,
    ) -> io::Result<()> {
        // A value that cannot be registered fails every call the same way.
        io.source()?;
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
        io: &T,
    ) -> io::Result<()> {
        io.source()?;
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
        // `IoSource` drops its state before the socket it wraps, so the
        // selector lets go of the socket's pollables (0.2) or leaves the
        // waitable set (0.3) before the socket drops them (the host traps
        // on a pollable outliving its parent).
        if let Some(reg) = self.registration.take() {
            reg.selector.remove(reg.slot);
        }
    }
}
