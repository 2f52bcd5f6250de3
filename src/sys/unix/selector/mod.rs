//! The Unix selectors. One is compiled, chosen here:
//! epoll on Linux and Android, poll(2) elsewhere (and everywhere with
//! `--cfg mio_unsupported_force_poll_poll`).

use std::os::fd::RawFd;
use std::time::{Duration, Instant};
use std::{fmt, io};

use crate::sys::timeout_millis;

#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(mio_unsupported_force_poll_poll)
))]
mod epoll;
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(mio_unsupported_force_poll_poll)
))]
pub(crate) use self::epoll::{Event, Events, Selector};
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(mio_unsupported_force_poll_poll),
    any(feature = "net", feature = "os-ext")
))]
pub(crate) use self::epoll::IoSourceState;

#[cfg(any(
    mio_unsupported_force_poll_poll,
    not(any(target_os = "linux", target_os = "android"))
))]
mod poll;
#[cfg(any(
    mio_unsupported_force_poll_poll,
    not(any(target_os = "linux", target_os = "android"))
))]
pub(crate) use self::poll::{Event, Events, Selector};
#[cfg(all(
    any(mio_unsupported_force_poll_poll, not(any(target_os = "linux", target_os = "android"))),
    any(feature = "net", feature = "os-ext")
))]
pub(crate) use self::poll::IoSourceState;

#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(mio_unsupported_force_poll_poll)
))]
mod stateless;

/// Waits until `fd` is readable or `timeout` passes, retrying on `EINTR`.
#[cfg_attr(mio_unsupported_force_poll_poll, allow(dead_code))]
pub(crate) fn wait_readable(fd: RawFd, timeout: Option<Duration>) -> io::Result<()> {
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    let mut timeout = timeout;
    loop {
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        match syscall!(poll(&mut pfd, 1, timeout_millis(timeout))) {
            Ok(_) => return Ok(()),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {
                timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            }
            Err(err) => return Err(err),
        }
    }
}

/// Formats `bits` as `NAME | NAME` (plus the raw user data) for `{:#?}`.
pub(crate) fn debug_flags(
    f: &mut fmt::Formatter<'_>,
    bits: libc::c_int,
    names: &[(libc::c_int, &str)],
    data: u64,
) -> fmt::Result {
    struct Flags<'a>(libc::c_int, &'a [(libc::c_int, &'a str)]);
    impl fmt::Debug for Flags<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let mut first = true;
            for &(bit, name) in self.1 {
                if bit != 0 && self.0 & bit == bit {
                    if !first {
                        f.write_str(" | ")?;
                    }
                    f.write_str(name)?;
                    first = false;
                }
            }
            if first {
                write!(f, "{:#x}", self.0)?;
            }
            Ok(())
        }
    }
    f.debug_struct("raw")
        .field("flags", &Flags(bits, names))
        .field("data", &data)
        .finish()
}
