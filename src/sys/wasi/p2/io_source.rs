//! What the selector asks of a source, and the readiness bookkeeping shared
//! by every source type of the backend (the registration itself is
//! `wasi::io_source`, shared with WASI 0.3).
//!
//! Readiness is edge-triggered: the selector reports a direction once and
//! then leaves it disarmed. It is armed again when an I/O call through
//! `IoSourceState::do_io` returns `WouldBlock` (the direction the
//! operation waited for: what the source recorded, else the direction the
//! portable layer names, see [`run_io`]), or when the source is
//! re-registered.

// With only `os-poll`, no source type exists to register.
#![cfg_attr(not(feature = "net"), allow(dead_code))]

use std::cell::Cell;
use std::io;

use super::selector::Selector;
use super::Shared;
use crate::sys::readiness::interest_bits;
use crate::Interest;

/// What the selector asks of a registered source.
pub(crate) trait Source {
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
    fn source(&self) -> io::Result<Shared<dyn Source>>;
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

/// Runs an I/O operation of a registered source (see
/// [`IoSourceState::do_io`](crate::sys::IoSourceState::do_io)): a
/// `WouldBlock` re-arms the direction the operation waited for.
pub(crate) fn run_io<R>(
    selector: &Selector,
    slot: usize,
    source: &dyn Source,
    hint: Interest,
    op: impl FnOnce() -> io::Result<R>,
) -> io::Result<R> {
    // Forget directions recorded by calls made outside `do_io`.
    source.take_blocked();
    let result = op();
    if let Err(err) = &result {
        if err.kind() == io::ErrorKind::WouldBlock {
            // The host calls record the direction that would block; a
            // closure that made none (`try_io`) falls back to the hint.
            let blocked = match source.take_blocked() {
                0 => interest_bits(hint),
                blocked => blocked,
            };
            selector.rearm(slot, blocked);
        }
    }
    result
}
