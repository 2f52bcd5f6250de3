//! Per-source state for the selectors that keep their registrations in
//! user space and emulate edge triggering over a level-triggered wait:
//! poll(2) on Unix and `poll_oneoff` on WASI preview 1. Each of them
//! includes this file as its own submodule; `super::Selector` is then that
//! backend's selector, which provides `register`, `reregister`,
//! `deregister` and `rearm` for a descriptor.
//!
//! The state remembers where the source is registered, so that:
//! * an I/O call that returns `WouldBlock` re-arms the direction it waited
//!   for (an event disarms its direction until then), and
//! * dropping the source removes its registration before the descriptor
//!   number can be reused by another one.

use std::io;
use std::os::fd::RawFd;

use super::Selector;
use crate::sys::{misuse, Selectable, SelectorApi};
use crate::{Interest, Registry, Token};

pub(crate) struct IoSourceState {
    registration: Option<(Selector, RawFd)>,
}

impl IoSourceState {
    pub(crate) fn new() -> IoSourceState {
        IoSourceState { registration: None }
    }

    pub(crate) fn do_io<T, F, R>(&self, blocked: Interest, f: F, io: &T) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        let result = f(io);
        if let (Err(err), Some((selector, fd))) = (&result, &self.registration) {
            if err.kind() == io::ErrorKind::WouldBlock {
                selector.rearm(*fd, blocked);
            }
        }
        result
    }

    pub(crate) fn register<T: Selectable>(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
        io: &T,
    ) -> io::Result<()> {
        // Registered already: with this selector, the selector refuses it
        // below; with another one, taking it would leave that selector's
        // entry behind (its events lost, its descriptor number blocked after
        // the source is dropped). Debug builds catch this earlier, in
        // `IoSource`; this is the release-build check.
        if let Some((current, _)) = &self.registration {
            if current.id() != registry.selector().id() {
                return Err(misuse::already_registered());
            }
        }
        let selector = registry.selector();
        selector.register(io.raw_fd(), token, interests)?;
        self.registration = Some((selector.try_clone()?, io.raw_fd()));
        Ok(())
    }

    pub(crate) fn reregister<T: Selectable>(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
        io: &T,
    ) -> io::Result<()> {
        registry
            .selector()
            .reregister(io.raw_fd(), token, interests)
    }

    pub(crate) fn deregister<T: Selectable>(
        &mut self,
        registry: &Registry,
        io: &T,
    ) -> io::Result<()> {
        registry.selector().deregister(io.raw_fd())?;
        self.registration = None;
        Ok(())
    }
}

impl Drop for IoSourceState {
    fn drop(&mut self) {
        if let Some((selector, fd)) = self.registration.take() {
            let _ = selector.deregister(fd);
        }
    }
}
