//! epoll(7) selector (Linux, Android): edge-triggered registrations, events
//! read straight into the caller's buffer.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;
use std::{cmp, fmt, io};

use crate::sys::{next_selector_id, timeout_millis, EventApi, SelectorApi};
use crate::{Interest, Token};

pub(crate) type Event = libc::epoll_event;
pub(crate) type Events = Vec<Event>;

#[derive(Debug)]
pub(crate) struct Selector {
    id: usize,
    ep: OwnedFd,
}

impl SelectorApi for Selector {
    fn new() -> io::Result<Selector> {
        // SAFETY: plain syscall, no pointers.
        let fd = syscall!(epoll_create1(libc::EPOLL_CLOEXEC))?;
        Ok(Selector {
            id: next_selector_id(),
            // SAFETY: `fd` was just returned by epoll_create1 and is owned by nobody else.
            ep: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    fn try_clone(&self) -> io::Result<Selector> {
        Ok(Selector {
            id: self.id,
            ep: self.ep.try_clone()?,
        })
    }

    /// One `epoll_wait`. Errors, `EINTR` included, go straight to the
    /// caller (`Poll::poll` documents this). `Poll::poll` never passes an
    /// empty buffer; epoll_wait would reject one with `EINVAL`.
    #[inline]
    fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        events.clear();
        let max_events = cmp::min(events.capacity(), libc::c_int::MAX as usize) as libc::c_int;
        // SAFETY: the buffer has room for `max_events` entries, and the
        // kernel writes at most that many.
        let n = syscall!(epoll_wait(
            self.ep.as_raw_fd(),
            events.as_mut_ptr(),
            max_events,
            timeout_millis(timeout),
        ))?;
        // SAFETY: epoll_wait initialised the first `n` entries, and
        // `n <= max_events <= capacity`.
        unsafe { events.set_len(n as usize) };
        Ok(())
    }

    fn id(&self) -> usize {
        self.id
    }
}

impl Selector {
    pub(crate) fn register(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, token, interests)
    }

    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn reregister(
        &self,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, fd, token, interests)
    }

    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        // SAFETY: a null event pointer is allowed for EPOLL_CTL_DEL (Linux >= 2.6.9).
        syscall!(epoll_ctl(
            self.ep.as_raw_fd(),
            libc::EPOLL_CTL_DEL,
            fd,
            std::ptr::null_mut()
        ))
        .map(|_| ())
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        let mut event = libc::epoll_event {
            events: interests_to_epoll(interests),
            u64: token.0 as u64,
        };
        // SAFETY: `event` is a valid epoll_event for the duration of the call.
        syscall!(epoll_ctl(self.ep.as_raw_fd(), op, fd, &mut event)).map(|_| ())
    }
}

impl AsRawFd for Selector {
    fn as_raw_fd(&self) -> RawFd {
        self.ep.as_raw_fd()
    }
}

fn interests_to_epoll(interests: Interest) -> u32 {
    let mut kind = libc::EPOLLET;
    if interests.is_readable() {
        kind |= libc::EPOLLIN | libc::EPOLLRDHUP;
    }
    if interests.is_writable() {
        kind |= libc::EPOLLOUT;
    }
    if interests.is_priority() {
        kind |= libc::EPOLLPRI;
    }
    kind as u32
}

impl EventApi for libc::epoll_event {
    fn token(&self) -> Token {
        Token(self.u64 as usize)
    }

    fn is_readable(&self) -> bool {
        let e = self.events as libc::c_int;
        e & (libc::EPOLLIN | libc::EPOLLPRI) != 0
    }

    fn is_writable(&self) -> bool {
        (self.events as libc::c_int) & libc::EPOLLOUT != 0
    }

    fn is_error(&self) -> bool {
        (self.events as libc::c_int) & libc::EPOLLERR != 0
    }

    fn is_read_closed(&self) -> bool {
        let e = self.events as libc::c_int;
        // Both halves hung up, or the peer shut down its write side.
        e & libc::EPOLLHUP != 0 || (e & libc::EPOLLIN != 0 && e & libc::EPOLLRDHUP != 0)
    }

    fn is_write_closed(&self) -> bool {
        let e = self.events as libc::c_int;
        // Both halves hung up, an error on a writable socket, or an error
        // alone (for example a connect that was refused).
        e & libc::EPOLLHUP != 0
            || (e & libc::EPOLLOUT != 0 && e & libc::EPOLLERR != 0)
            || e == libc::EPOLLERR
    }

    fn is_priority(&self) -> bool {
        (self.events as libc::c_int) & libc::EPOLLPRI != 0
    }

    fn debug_details(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bits = self.events as libc::c_int;
        let names = [
            (libc::EPOLLIN, "EPOLLIN"),
            (libc::EPOLLPRI, "EPOLLPRI"),
            (libc::EPOLLOUT, "EPOLLOUT"),
            (libc::EPOLLRDNORM, "EPOLLRDNORM"),
            (libc::EPOLLRDBAND, "EPOLLRDBAND"),
            (libc::EPOLLWRNORM, "EPOLLWRNORM"),
            (libc::EPOLLWRBAND, "EPOLLWRBAND"),
            (libc::EPOLLMSG, "EPOLLMSG"),
            (libc::EPOLLERR, "EPOLLERR"),
            (libc::EPOLLHUP, "EPOLLHUP"),
            (libc::EPOLLET, "EPOLLET"),
            (libc::EPOLLRDHUP, "EPOLLRDHUP"),
            (libc::EPOLLONESHOT, "EPOLLONESHOT"),
        ];
        super::debug_flags(f, bits, &names, self.u64)
    }
}

/// The per-source state: epoll keeps everything in the kernel, so none.
#[cfg(any(feature = "net", feature = "os-ext"))]
pub(crate) use super::stateless::IoSourceState;
