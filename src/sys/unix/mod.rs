//! Unix backend: epoll / poll(2) selectors, wakers, and socket helpers.

/// Calls a libc function and turns `-1` into `io::Error::last_os_error()`.
/// The call itself is unsafe; each use carries its own `SAFETY` comment.
macro_rules! syscall {
    ($fn:ident ( $($arg:expr),* $(,)? )) => {{
        #[allow(unused_unsafe)]
        let res = unsafe { libc::$fn($($arg),*) };
        if res == -1 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(res)
        }
    }};
}

mod selector;
mod waker;

pub(crate) use self::selector::{Event, Events, Selector};
#[cfg(any(feature = "net", feature = "os-ext"))]
pub(crate) use self::selector::IoSourceState;
pub(crate) use self::waker::Waker;

pub(crate) mod pipe;
#[cfg(feature = "os-ext")]
pub(crate) mod sourcefd;

#[cfg(feature = "net")]
mod net;
#[cfg(feature = "net")]
pub(crate) mod tcp;
#[cfg(feature = "net")]
pub(crate) mod udp;
#[cfg(feature = "net")]
pub(crate) mod uds;

mod std_impls;

#[cfg(any(feature = "net", feature = "os-ext"))]
use std::os::fd::{AsRawFd, RawFd};

/// Everything with a file descriptor can be registered.
#[cfg(any(feature = "net", feature = "os-ext"))]
pub(crate) trait Selectable {
    fn raw_fd(&self) -> RawFd;
}

#[cfg(any(feature = "net", feature = "os-ext"))]
impl<T: AsRawFd> Selectable for T {
    fn raw_fd(&self) -> RawFd {
        self.as_raw_fd()
    }
}
