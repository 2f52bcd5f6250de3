//! What the backend asks of the types it registers (the registration
//! itself is `wasi::io_source`, shared with WASI 0.2).
//!
//! Readiness needs no re-arming here: a direction becomes ready again only
//! when an operation the source restarted completes (see `selector`), so
//! an I/O call just runs.

use std::io;

use super::selector::Selector;
pub(crate) use super::selector::Source;
use super::Shared;
use crate::Interest;

/// Implemented by every type this backend can register.
pub(crate) trait Selectable {
    /// The source the selector waits for (never an error on this backend,
    /// whose every socket can be registered).
    fn source(&self) -> io::Result<Shared<dyn Source>>;
}

/// Runs an I/O operation of a registered source: nothing to re-arm.
pub(crate) fn run_io<R>(
    _: &Selector,
    _: usize,
    _: &dyn Source,
    _: Interest,
    op: impl FnOnce() -> io::Result<R>,
) -> io::Result<R> {
    op()
}
