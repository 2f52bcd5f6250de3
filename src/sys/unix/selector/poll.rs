//! poll(2) selector: the portable fallback for Unix targets with neither
//! epoll nor kqueue, and forced anywhere with
//! `RUSTFLAGS="--cfg mio_unsupported_force_poll_poll"`.
//!
//! poll(2) is level-triggered and keeps no state in the kernel, so this
//! selector keeps the registrations itself and emulates edge triggering:
//! once a direction is reported, it is disarmed until an I/O call through
//! the crate's types returns `WouldBlock` (see [`IoSourceState::do_io`]) or
//! the source is re-registered. A hung-up or failed descriptor is reported
//! once and then parked (poll(2) ignores negative descriptors) until re-armed.
//!
//! The registrations live behind a mutex that the polling thread holds while
//! it sleeps in poll(2). Another thread that wants to change them bumps
//! `pending`, writes to an internal pipe so poll(2) returns, takes the lock
//! while the poller waits on a condition variable, and lets it go again.
//!
//! `SourceFd` registrations have no `IoSourceState`: with this selector a
//! reported direction of a `SourceFd` is re-armed by calling
//! `Registry::reregister`.

// With only `os-poll`, nothing registers sources (no `net`, no `SourceFd`).
#![cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]

use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, TryLockError};
use std::time::Duration;
use std::{fmt, io};

use crate::sys::{misuse, next_selector_id, timeout_millis, EventApi, SelectorApi};
use crate::{Interest, Token};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Event {
    token: Token,
    revents: libc::c_short,
}

pub(crate) type Events = Vec<Event>;

#[derive(Debug)]
pub(crate) struct Selector {
    id: usize,
    state: Arc<State>,
}

struct State {
    fds: Mutex<Fds>,
    /// Threads waiting to change `fds`; the poller lets them in first.
    pending: AtomicUsize,
    changes_done: Condvar,
    /// Interrupts poll(2); its descriptor is polled at index 0.
    notifier: Notifier,
    /// Set by `Waker::wake` after it added its token to `woken`; taken by
    /// the poller, which then looks at `woken`.
    wake_pending: AtomicBool,
    /// Tokens of the wakers woken since their last event, each once. A lock
    /// of its own, because the poller holds `fds` while it sleeps. Room for
    /// one token is reserved when a waker is created and the list never
    /// shrinks, so waking allocates only when more wakers than ever before
    /// are pending at once (never with a single waker).
    woken: Mutex<Vec<Token>>,
}

struct Fds {
    /// `poll_fds[0]` is the notification pipe; the rest mirror `entries`.
    poll_fds: Vec<libc::pollfd>,
    /// `entries[i]` describes `poll_fds[i + 1]`.
    entries: Vec<Entry>,
    /// Registered descriptor -> index into `entries`.
    index: HashMap<RawFd, usize>,
}

struct Entry {
    fd: RawFd,
    token: Token,
    interests: Interest,
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("State").finish_non_exhaustive()
    }
}

impl SelectorApi for Selector {
    fn new() -> io::Result<Selector> {
        let notifier = Notifier::new()?;
        let poll_fds = vec![libc::pollfd {
            fd: notifier.poll_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        Ok(Selector {
            id: next_selector_id(),
            state: Arc::new(State {
                fds: Mutex::new(Fds {
                    poll_fds,
                    entries: Vec::new(),
                    index: HashMap::new(),
                }),
                pending: AtomicUsize::new(0),
                changes_done: Condvar::new(),
                notifier,
                wake_pending: AtomicBool::new(false),
                woken: Mutex::new(Vec::new()),
            }),
        })
    }

    fn try_clone(&self) -> io::Result<Selector> {
        Ok(Selector {
            id: self.id,
            state: Arc::clone(&self.state),
        })
    }

    fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        events.clear();
        let timer = WaitTimer::start(timeout);
        let mut timeout = timeout;
        let mut fds = self.state.lock();
        loop {
            // Let threads that are waiting to change registrations go first.
            while self.state.pending.load(Ordering::Acquire) != 0 {
                fds = self
                    .state
                    .changes_done
                    .wait(fds)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }

            // SAFETY: `poll_fds` is a valid, initialised array of its length.
            let res = syscall!(poll(
                fds.poll_fds.as_mut_ptr(),
                fds.poll_fds.len() as libc::nfds_t,
                timeout_millis(timeout),
            ));
            match res {
                // Timed out.
                Ok(0) => return Ok(()),
                Ok(_) => {
                    if fds.poll_fds[0].revents != 0 {
                        fds.poll_fds[0].revents = 0;
                        self.state.notifier.drain();
                    }
                    self.collect(&mut fds, events);
                    if !events.is_empty() {
                        return Ok(());
                    }
                    // Only an internal notification: poll again.
                }
                // `EINTR` included: `Poll::poll` returns it, as mio does.
                Err(err) => return Err(err),
            }
            if let Some(left) = timer.remaining() {
                if left.is_zero() {
                    return Ok(());
                }
                timeout = Some(left);
            }
        }
    }

    fn id(&self) -> usize {
        self.id
    }
}

impl Selector {
    pub(crate) fn register(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        if fd < 0 {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        }
        // poll(2) itself would accept a closed descriptor and only report
        // POLLNVAL later; epoll and kqueue refuse it at once, so check here
        // (fails with EBADF) to give every selector the same behaviour.
        // SAFETY: F_GETFD only reads the descriptor flags; no pointers.
        syscall!(fcntl(fd, libc::F_GETFD))?;
        self.state.change(|fds| {
            if fds.index.contains_key(&fd) {
                return Err(misuse::already_registered_here());
            }
            fds.index.insert(fd, fds.entries.len());
            fds.entries.push(Entry {
                fd,
                token,
                interests,
            });
            fds.poll_fds.push(libc::pollfd {
                fd,
                events: interests_to_poll(interests),
                revents: 0,
            });
            Ok(())
        })
    }

    pub(crate) fn reregister(
        &self,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.state.change(|fds| {
            let i = fds.find(fd)?;
            fds.entries[i].token = token;
            fds.entries[i].interests = interests;
            fds.poll_fds[i + 1] = libc::pollfd {
                fd,
                events: interests_to_poll(interests),
                revents: 0,
            };
            Ok(())
        })
    }

    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.state.change(|fds| {
            let i = fds.find(fd)?;
            fds.index.remove(&fd);
            fds.entries.swap_remove(i);
            fds.poll_fds.swap_remove(i + 1);
            if let Some(moved) = fds.entries.get(i) {
                fds.index.insert(moved.fd, i);
            }
            Ok(())
        })
    }

    /// Re-arms `fd` after an I/O call on it returned `WouldBlock`: the
    /// direction that would block (of those registered) is polled again.
    /// Other directions stay as they are, so an operation that blocked on
    /// reading does not bring back a writable event that was already
    /// reported. A parked descriptor (hung up or failed) is polled again.
    #[cfg(any(feature = "net", feature = "os-ext"))]
    pub(crate) fn rearm(&self, fd: RawFd, blocked: Interest) {
        let _ = self.state.change(|fds| {
            if let Some(&i) = fds.index.get(&fd) {
                let wanted = interests_to_poll(fds.entries[i].interests);
                let pfd = &mut fds.poll_fds[i + 1];
                pfd.fd = fd;
                pfd.events |= wanted & interests_to_poll(blocked);
            }
            Ok(())
        });
    }

    /// Moves ready descriptors into `events` (up to its capacity) and
    /// disarms what was reported. Allocates nothing.
    fn collect(&self, fds: &mut Fds, events: &mut Events) {
        if self.state.wake_pending.swap(false, Ordering::AcqRel) {
            let mut woken = lock(&self.state.woken);
            let n = woken.len().min(events.capacity() - events.len());
            for &token in &woken[..n] {
                events.push(Event {
                    token,
                    revents: libc::POLLIN,
                });
            }
            woken.drain(..n);
            if !woken.is_empty() {
                // No room for all of them: the next poll returns at once
                // with the rest.
                self.state.wake_pending.store(true, Ordering::Release);
                let _ = self.state.notify();
            }
        }
        let Fds {
            poll_fds, entries, ..
        } = fds;
        for (pfd, entry) in poll_fds[1..].iter_mut().zip(entries.iter()) {
            if pfd.revents == 0 {
                continue;
            }
            if events.len() == events.capacity() {
                // Still armed: reported by the next poll.
                break;
            }
            events.push(Event {
                token: entry.token,
                revents: pfd.revents,
            });
            if pfd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                // poll(2) reports these whatever `events` says: park the
                // descriptor (negative fds are skipped) until re-armed.
                pfd.fd = -1 - entry.fd;
            } else {
                pfd.events &= !pfd.revents;
            }
            pfd.revents = 0;
        }
    }

    /// Makes sure there is room for a waker's token, so that waking a
    /// single waker never allocates.
    pub(crate) fn add_waker(&self) {
        lock(&self.state.woken).reserve(1);
    }

    /// Reports a wake-up under `token` (once, however often it is woken
    /// before the next poll).
    pub(crate) fn wake(&self, token: Token) -> io::Result<()> {
        {
            let mut woken = lock(&self.state.woken);
            if !woken.contains(&token) {
                woken.push(token);
            }
        }
        self.state.wake_pending.store(true, Ordering::Release);
        self.state.notify()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Fds> {
        lock(&self.fds)
    }

    /// Runs `f` on the registrations. When the lock is free nobody is in
    /// poll(2) and `f` runs at once; otherwise the poller is interrupted and
    /// lets this thread in before it polls again.
    fn change<R>(&self, f: impl FnOnce(&mut Fds) -> io::Result<R>) -> io::Result<R> {
        match self.fds.try_lock() {
            Ok(mut fds) => return f(&mut fds),
            Err(TryLockError::Poisoned(poisoned)) => return f(&mut poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => {}
        }
        self.pending.fetch_add(1, Ordering::AcqRel);
        let notified = self.notify();
        let result = {
            let mut fds = self.lock();
            let result = notified.and_then(|()| f(&mut fds));
            self.pending.fetch_sub(1, Ordering::AcqRel);
            result
        };
        self.changes_done.notify_all();
        result
    }

    /// Makes a poll(2) in progress (or the next one) return.
    fn notify(&self) -> io::Result<()> {
        self.notifier.notify()
    }
}

/// What interrupts a poll(2) in progress: an eventfd on Linux and Android
/// (one descriptor, and cheaper to signal and reset than a pipe, which
/// matters because every `Waker::wake` goes through it), a non-blocking
/// pipe elsewhere.
struct Notifier {
    /// The eventfd, or the pipe's read end.
    read: OwnedFd,
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    write: OwnedFd,
}

impl Notifier {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn new() -> io::Result<Notifier> {
        use std::os::fd::FromRawFd;
        // SAFETY: plain syscall, no pointers.
        let fd = syscall!(eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK))?;
        // SAFETY: `fd` is a new descriptor that nothing else owns.
        let read = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Notifier { read })
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn new() -> io::Result<Notifier> {
        let (read, write) = super::super::pipe::new_raw()?;
        Ok(Notifier { read, write })
    }

    fn poll_fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    fn notify(&self) -> io::Result<()> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let (fd, bytes) = (self.read.as_raw_fd(), 1u64.to_ne_bytes());
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let (fd, bytes) = (self.write.as_raw_fd(), [1u8]);
        // SAFETY: writes `bytes` (a valid local) to a descriptor we own.
        match syscall!(write(fd, bytes.as_ptr().cast(), bytes.len())) {
            Ok(_) => Ok(()),
            // A full pipe, or an eventfd counter at its maximum, already
            // guarantees a wake-up.
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Consumes all pending notifications.
    fn drain(&self) {
        // One read resets an eventfd (it needs 8 bytes); a pipe may take
        // several.
        let mut buf = [0u8; 64];
        loop {
            // SAFETY: reads into a valid local buffer of the given length.
            let res = syscall!(read(
                self.read.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len()
            ));
            match res {
                Ok(n) if n as usize == buf.len() => continue,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                _ => break,
            }
        }
    }
}

impl Fds {
    fn find(&self, fd: RawFd) -> io::Result<usize> {
        self.index
            .get(&fd)
            .copied()
            .ok_or_else(misuse::not_registered_here)
    }
}

fn interests_to_poll(interests: Interest) -> libc::c_short {
    let mut kind = 0;
    if interests.is_readable() {
        kind |= libc::POLLIN;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            kind |= libc::POLLRDHUP;
        }
    }
    if interests.is_writable() {
        kind |= libc::POLLOUT;
    }
    if interests.is_priority() {
        kind |= libc::POLLPRI;
    }
    kind
}

impl EventApi for Event {
    fn token(&self) -> Token {
        self.token
    }

    fn is_readable(&self) -> bool {
        // The peer shutting down its write side makes a socket readable
        // (a read returns 0), and the kernel says so with POLLIN next to
        // POLLRDHUP. With edge emulation POLLIN may be disarmed while
        // POLLRDHUP is not, so count POLLRDHUP as readable too: the event
        // then reads the same as epoll's EPOLLIN | EPOLLRDHUP.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let rdhup = self.revents & libc::POLLRDHUP != 0;
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let rdhup = false;
        self.revents & (libc::POLLIN | libc::POLLPRI) != 0 || rdhup
    }

    fn is_writable(&self) -> bool {
        self.revents & libc::POLLOUT != 0
    }

    fn is_error(&self) -> bool {
        self.revents & (libc::POLLERR | libc::POLLNVAL) != 0
    }

    fn is_read_closed(&self) -> bool {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let rdhup = self.revents & libc::POLLRDHUP != 0;
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let rdhup = false;
        self.revents & libc::POLLHUP != 0 || rdhup
    }

    fn is_write_closed(&self) -> bool {
        self.revents & libc::POLLHUP != 0
            || (self.revents & libc::POLLOUT != 0 && self.revents & libc::POLLERR != 0)
            || self.revents == libc::POLLERR
    }

    fn is_priority(&self) -> bool {
        self.revents & libc::POLLPRI != 0
    }

    fn debug_details(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (libc::POLLIN, "POLLIN"),
            (libc::POLLPRI, "POLLPRI"),
            (libc::POLLOUT, "POLLOUT"),
            (libc::POLLERR, "POLLERR"),
            (libc::POLLHUP, "POLLHUP"),
            (libc::POLLNVAL, "POLLNVAL"),
            #[cfg(any(target_os = "linux", target_os = "android"))]
            (libc::POLLRDHUP, "POLLRDHUP"),
        ];
        let names = names.map(|(bit, name)| (libc::c_int::from(bit), name));
        super::debug_flags(
            f,
            libc::c_int::from(self.revents),
            &names,
            self.token.0 as u64,
        )
    }
}

/// Keeps track of how much of a wait's timeout is left, for `select`'s
/// next poll(2) after an internal wake-up (another thread changed the
/// registrations).
///
/// The clock is read only for finite, non-zero timeouts: `None` (wait
/// forever) and zero (do not block) need no arithmetic, and `poll` calls with
/// those timeouts are the hot path of most event loops.
#[derive(Clone, Copy)]
struct WaitTimer {
    timeout: Option<Duration>,
    start: Option<std::time::Instant>,
}

impl WaitTimer {
    fn start(timeout: Option<Duration>) -> WaitTimer {
        let start = match timeout {
            Some(t) if !t.is_zero() => Some(std::time::Instant::now()),
            _ => None,
        };
        WaitTimer { timeout, start }
    }

    /// The time left: `None` for no timeout, zero once it has passed.
    fn remaining(&self) -> Option<Duration> {
        match (self.timeout, self.start) {
            (Some(t), Some(start)) => Some(t.saturating_sub(start.elapsed())),
            (timeout, _) => timeout,
        }
    }
}

#[cfg(any(feature = "net", feature = "os-ext"))]
#[path = "../../polled_source.rs"]
mod polled_source;
#[cfg(any(feature = "net", feature = "os-ext"))]
pub(crate) use self::polled_source::IoSourceState;
