//! `Waker` for the Unix selectors.
//!
//! epoll: an eventfd registered edge-triggered; each `wake` adds 1 to its
//! counter, which the kernel reports as a new readable edge. Wakes before
//! the next `poll` coalesce into one event.
//!
//! kqueue with `EVFILT_USER` (Apple systems, FreeBSD, DragonFly, NetBSD 10
//! and later): a user event added with `EV_CLEAR` and fired with
//! `NOTE_TRIGGER`; no descriptor needed.
//!
//! kqueue without `EVFILT_USER` (OpenBSD, and NetBSD before 10, detected
//! when adding the user event fails): a non-blocking pipe whose read end is
//! registered edge-triggered; each `wake` writes one byte, which kqueue
//! reports as a new readable edge. The pipe is only drained when it is full.
//!
//! poll(2): the selector's own notifier (an eventfd on Linux and Android,
//! a pipe elsewhere) plus the waker's token in a list of woken wakers, so
//! waking needs no descriptor of its own and each waker's wake-ups carry
//! its own token.

use std::io;

use crate::sys::WakerApi;
use crate::Token;

use super::Selector;

#[cfg(mio_selector = "epoll")]
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

/// kqueue's user event; the waker keeps its own handle to the kqueue.
#[cfg(all(
    any(
        target_vendor = "apple",
        target_os = "freebsd",
        target_os = "dragonfly",
        target_os = "netbsd"
    ),
    mio_selector = "kqueue"
))]
mod user_event {
    use std::io;

    use crate::sys::unix::Selector;
    use crate::sys::SelectorApi;
    use crate::Token;

    #[derive(Debug)]
    pub(crate) struct UserEventWaker {
        selector: Selector,
        token: Token,
    }

    impl UserEventWaker {
        pub(crate) fn open(selector: &Selector, token: Token) -> io::Result<UserEventWaker> {
            let selector = selector.try_clone()?;
            selector.user_event(token, false)?;
            Ok(UserEventWaker { selector, token })
        }

        pub(crate) fn notify(&self) -> io::Result<()> {
            self.selector.user_event(self.token, true)
        }
    }
}

/// A pipe registered with kqueue, for kqueues without `EVFILT_USER`.
#[cfg(all(
    any(target_os = "netbsd", target_os = "openbsd"),
    mio_selector = "kqueue"
))]
mod pipe_waker {
    use std::fs::File;
    use std::io::{self, Read, Write};
    use std::os::fd::AsRawFd;

    use crate::sys::unix::{pipe, Selector};
    use crate::{Interest, Token};

    #[derive(Debug)]
    pub(crate) struct PipeWaker {
        sender: File,
        receiver: File,
    }

    impl PipeWaker {
        pub(crate) fn open(selector: &Selector, token: Token) -> io::Result<PipeWaker> {
            let (receiver, sender) = pipe::new_raw()?;
            let waker = PipeWaker {
                sender: File::from(sender),
                receiver: File::from(receiver),
            };
            selector.register(waker.receiver.as_raw_fd(), token, Interest::READABLE)?;
            Ok(waker)
        }

        pub(crate) fn notify(&self) -> io::Result<()> {
            match (&self.sender).write(&[1]) {
                Ok(_) => Ok(()),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    // The pipe is full (many wakes were never polled): the
                    // reader already has an edge pending, but empty the pipe
                    // and write again so this wake is a fresh edge too.
                    self.drain()?;
                    self.notify()
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => self.notify(),
                Err(err) => Err(err),
            }
        }

        fn drain(&self) -> io::Result<()> {
            let mut buf = [0u8; 512];
            loop {
                match (&self.receiver).read(&mut buf) {
                    Ok(0) => return Ok(()),
                    Ok(_) => {}
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            }
        }
    }
}

#[cfg(all(
    any(
        target_vendor = "apple",
        target_os = "freebsd",
        target_os = "dragonfly"
    ),
    mio_selector = "kqueue"
))]
mod imp {
    pub(crate) use super::user_event::UserEventWaker as Waker;
}

#[cfg(all(target_os = "openbsd", mio_selector = "kqueue"))]
mod imp {
    pub(crate) use super::pipe_waker::PipeWaker as Waker;
}

/// NetBSD: `EVFILT_USER` exists from NetBSD 10 on; older kernels reject the
/// filter with `EINVAL`, and get the pipe instead.
#[cfg(all(target_os = "netbsd", mio_selector = "kqueue"))]
mod imp {
    use std::io;

    use super::pipe_waker::PipeWaker;
    use super::user_event::UserEventWaker;
    use crate::sys::unix::Selector;
    use crate::Token;

    #[derive(Debug)]
    pub(crate) enum Waker {
        UserEvent(UserEventWaker),
        Pipe(PipeWaker),
    }

    impl Waker {
        pub(super) fn open(selector: &Selector, token: Token) -> io::Result<Waker> {
            match UserEventWaker::open(selector, token) {
                Ok(waker) => Ok(Waker::UserEvent(waker)),
                Err(err) if err.raw_os_error() == Some(libc::EINVAL) => {
                    PipeWaker::open(selector, token).map(Waker::Pipe)
                }
                Err(err) => Err(err),
            }
        }

        pub(super) fn notify(&self) -> io::Result<()> {
            match self {
                Waker::UserEvent(waker) => waker.notify(),
                Waker::Pipe(waker) => waker.notify(),
            }
        }
    }
}

#[cfg(mio_selector = "poll")]
mod imp {
    use std::io;

    use crate::sys::unix::Selector;
    use crate::sys::SelectorApi;
    use crate::Token;

    #[derive(Debug)]
    pub(crate) struct Waker {
        selector: Selector,
        token: Token,
    }

    impl Waker {
        pub(super) fn open(selector: &Selector, token: Token) -> io::Result<Waker> {
            selector.add_waker();
            Ok(Waker {
                selector: selector.try_clone()?,
                token,
            })
        }

        pub(super) fn notify(&self) -> io::Result<()> {
            self.selector.wake(self.token)
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
