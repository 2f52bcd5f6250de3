//! `Waker` for the Unix selectors.
//!
//! epoll: an eventfd registered edge-triggered; each `wake` adds 1 to its
//! counter, which the kernel reports as a new readable edge. Wakes before
//! the next `poll` coalesce into one event.
//!
//! poll(2): the selector's own notification pipe plus a flag, so waking
//! needs no descriptor of its own.

use std::io;

use crate::sys::WakerApi;
use crate::Token;

use super::Selector;

#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(mio_unsupported_force_poll_poll)
))]
mod imp {
    use std::fs::File;
    use std::io::{self, Read, Write};
    use std::os::fd::{AsRawFd, FromRawFd};

    use crate::sys::unix::Selector;
    use crate::{Interest, Token};

    #[derive(Debug)]
    pub(crate) struct Waker {
        fd: File,
    }

    impl Waker {
        pub(super) fn open(selector: &Selector, token: Token) -> io::Result<Waker> {
            // SAFETY: plain syscall, no pointers.
            let fd = syscall!(eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK))?;
            // SAFETY: `fd` is a new descriptor that nothing else owns.
            let file = unsafe { File::from_raw_fd(fd) };
            selector.register(fd, token, Interest::READABLE)?;
            Ok(Waker { fd: file })
        }

        pub(super) fn notify(&self) -> io::Result<()> {
            match (&self.fd).write(&1u64.to_ne_bytes()) {
                Ok(_) => Ok(()),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    // The counter is about to overflow (only after ~2^64
                    // wakes without a read): reset it and try again.
                    self.reset()?;
                    self.notify()
                }
                Err(err) => Err(err),
            }
        }

        fn reset(&self) -> io::Result<()> {
            let mut buf = [0u8; 8];
            match (&self.fd).read(&mut buf) {
                Ok(_) => Ok(()),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => Ok(()),
                Err(err) => Err(err),
            }
        }
    }

    impl AsRawFd for Waker {
        fn as_raw_fd(&self) -> std::os::fd::RawFd {
            self.fd.as_raw_fd()
        }
    }
}

#[cfg(any(
    mio_unsupported_force_poll_poll,
    not(any(target_os = "linux", target_os = "android"))
))]
mod imp {
    use std::io;

    use crate::sys::unix::Selector;
    use crate::sys::SelectorApi;
    use crate::Token;

    #[derive(Debug)]
    pub(crate) struct Waker {
        selector: Selector,
    }

    impl Waker {
        pub(super) fn open(selector: &Selector, token: Token) -> io::Result<Waker> {
            selector.set_waker(token)?;
            Ok(Waker {
                selector: selector.try_clone()?,
            })
        }

        pub(super) fn notify(&self) -> io::Result<()> {
            self.selector.wake()
        }
    }
}

pub(crate) use self::imp::Waker;

impl WakerApi for Waker {
    fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        imp::Waker::open(selector, token)
    }

    fn wake(&self) -> io::Result<()> {
        imp::Waker::notify(self)
    }
}
