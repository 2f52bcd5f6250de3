//! `Selectable` for the backends whose sources are file descriptors (Unix
//! and WASI preview 1): their selectors register a source by its number.

use std::os::fd::{AsRawFd, RawFd};

/// Everything with a file descriptor can be registered.
pub(crate) trait Selectable {
    fn raw_fd(&self) -> RawFd;
}

impl<T: AsRawFd> Selectable for T {
    fn raw_fd(&self) -> RawFd {
        self.as_raw_fd()
    }
}
