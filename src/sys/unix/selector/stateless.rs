//! Per-source state for selectors that keep registrations in the kernel
//! (epoll, kqueue): there is none, and I/O is passed straight through.

#![cfg(any(feature = "net", feature = "os-ext"))]

use std::io;

use crate::sys::Selectable;
use crate::{Interest, Registry, Token};

pub(crate) struct IoSourceState;

impl IoSourceState {
    pub(crate) fn new() -> IoSourceState {
        IoSourceState
    }

    pub(crate) fn do_io<T, F, R>(&self, _blocked: Interest, f: F, io: &T) -> io::Result<R>
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
        registry.selector().register(io.raw_fd(), token, interests)
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
        registry.selector().deregister(io.raw_fd())
    }
}
