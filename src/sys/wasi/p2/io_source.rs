//! Registration state of one source, and the readiness bookkeeping shared
//! by every source type of the backend.
//!
//! Readiness is edge-triggered: the selector reports a direction once and
//! then leaves it disarmed. It is armed again when an I/O call through
//! [`IoSourceState::do_io`] returns `WouldBlock` (the direction the
//! operation waited for: what the source recorded, else the direction the
//! portable layer names), or when the source is re-registered.

// With only `os-poll`, no source type exists to register.
#![cfg_attr(not(feature = "net"), allow(dead_code))]

use std::cell::Cell;
use std::io;

use super::selector::Selector;
use super::Shared;
use crate::sys::misuse;
use crate::sys::readiness::interest_bits;
use crate::{Interest, Registry, Token};

/// What the selector asks of a registered source.
pub(crate) trait PollSource {
    /// Raw handle of the pollable that becomes ready when the direction
    /// (`READ` or `WRITE`) can make progress, created on first use and kept
    /// by the source; `None` if that direction never becomes ready.
    fn pollable(&self, direction: u8) -> Option<u32>;

    /// The directions whose last operation returned `WouldBlock`, cleared.
    /// Only sources whose operations can block on another direction than
    /// the one the portable layer names (a TCP read while the connect is
    /// still pending waits for the connect) record anything; the others
    /// leave it to the hint given to `do_io`.
    fn take_blocked(&self) -> u8 {
        0
    }

    /// What to report for the ready `directions`, asked once per event:
    /// the directions to report (a source may withdraw one whose pollable
    /// stood in for another condition; it stays armed) and any of `ERROR`,
    /// `READ_CLOSED`, `WRITE_CLOSED`. By default the directions unchanged.
    fn settle(&self, directions: u8) -> u8 {
        directions
    }
}

/// Implemented by every type this backend can register.
pub(crate) trait Selectable {
    /// The source the selector polls, or why this value cannot be
    /// registered at all (a std socket adopted without std interop, see
    /// `tcp::stream_from_std`); then registering, re-registering and
    /// deregistering all fail with that error.
    fn poll_source(&self) -> io::Result<Shared<dyn PollSource>>;
}

/// The directions an operation blocked on, kept by each source.
#[derive(Debug, Default)]
pub(crate) struct Blocked(Cell<u8>);

impl Blocked {
    pub(crate) fn set(&self, direction: u8) {
        self.0.set(self.0.get() | direction);
    }

    pub(crate) fn take(&self) -> u8 {
        self.0.replace(0)
    }

    /// Passes `result` through, noting `direction` if it is `WouldBlock`.
    pub(crate) fn note<T>(&self, direction: u8, result: io::Result<T>) -> io::Result<T> {
        if let Err(err) = &result {
            if err.kind() == io::ErrorKind::WouldBlock {
                self.set(direction);
            }
        }
        result
    }
}

pub(crate) struct IoSourceState {
    registration: Option<Registration>,
}

struct Registration {
    selector: Selector,
    slot: usize,
    source: Shared<dyn PollSource>,
}

impl IoSourceState {
    pub(crate) fn new() -> IoSourceState {
        IoSourceState { registration: None }
    }

    pub(crate) fn do_io<T, F, R>(&self, hint: Interest, f: F, io: &T) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        let Some(reg) = &self.registration else {
            return f(io);
        };
        // Forget directions recorded by calls made outside `do_io`.
        reg.source.take_blocked();
        let result = f(io);
        if let Err(err) = &result {
            if err.kind() == io::ErrorKind::WouldBlock {
                let blocked = reg.source.take_blocked();
                // The host calls record the direction that would block; a
                // closure that made none (`try_io`) falls back to the hint.
                let blocked = if blocked == 0 {
                    interest_bits(hint)
                } else {
                    blocked
                };
                reg.selector.rearm(reg.slot, blocked);
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
        if self.registration.is_some() {
            return Err(misuse::already_registered_here());
        }
        let source = io.poll_source()?;
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
        io.poll_source()?;
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
        io.poll_source()?;
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
        // selector lets go of the socket's pollables before the socket
        // itself goes (the host traps on a pollable outliving its parent).
        if let Some(reg) = self.registration.take() {
            reg.selector.remove(reg.slot);
        }
    }
}
