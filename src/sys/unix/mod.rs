//! Unix backend: epoll / kqueue / poll(2) selectors, wakers, and socket helpers.

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

#[cfg(any(feature = "net", feature = "os-ext"))]
pub(crate) use self::selector::IoSourceState;
pub(crate) use self::selector::{Event, Events, Selector};
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

/// Sets `O_NONBLOCK` and `FD_CLOEXEC` on `fd`.
// Needed where sockets and pipes cannot be created with these flags set.
#[cfg_attr(not(target_vendor = "apple"), allow(dead_code))]
pub(crate) fn set_nonblocking_cloexec(fd: std::os::fd::RawFd) -> std::io::Result<()> {
    // SAFETY: fcntl on a descriptor we own, integer arguments only.
    let flags = syscall!(fcntl(fd, libc::F_GETFL))?;
    // SAFETY: as above.
    syscall!(fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK))?;
    // SAFETY: as above.
    let flags = syscall!(fcntl(fd, libc::F_GETFD))?;
    // SAFETY: as above.
    syscall!(fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC))?;
    Ok(())
}
