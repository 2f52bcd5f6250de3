//! The `poll_oneoff` selector.
//!
//! `poll_oneoff` keeps no state between calls and is level-triggered, so the
//! selector keeps the registrations and builds the subscription list for
//! each call from the directions that are *armed*:
//!
//! * registering (or re-registering) a source arms the directions of its
//!   interests;
//! * reporting an event for a direction disarms it;
//! * an I/O call through the crate's types that returns `WouldBlock` re-arms
//!   the direction that would block ([`IoSourceState::do_io`]; both
//!   directions for a `try_io` closure, whose direction is unknown).
//!
//! Re-arming only the blocked direction matters on hosts that complete
//! *every* subscription of a `poll_oneoff` call once any one is ready
//! (wasmtime's legacy preview-1 implementation does): re-arming the write
//! side after a read would block makes such a host report the idle read
//! side again at once, and the loop never sleeps.
//!
//! So an idle, always-writable socket is reported once and then not polled
//! for writability again until a write would block: no busy loop.
//!
//! The subscription and event buffers are allocated when sources are
//! registered and reused by every poll; polling allocates nothing.
//!
//! An error on one subscription becomes that event's error flag. Hosts that
//! fail the whole call instead (wasmtime does for a closed descriptor) are
//! handled by asking the host about each armed descriptor and reporting the
//! failing ones as error events, so one bad source never fails `poll`.

#![cfg_attr(not(feature = "net"), allow(dead_code))]

use std::os::fd::RawFd;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use std::{fmt, io};

use super::host::{self, Errno, Eventrwflags, Eventtype, HostEvent, Subscription};
use crate::sys::{next_selector_id, EventApi, SelectorApi};
use crate::{Interest, Token};

const READABLE: u8 = 1 << 0;
const WRITABLE: u8 = 1 << 1;
const ERROR: u8 = 1 << 2;
const READ_CLOSED: u8 = 1 << 3;
const WRITE_CLOSED: u8 = 1 << 4;

/// `userdata` of the timeout subscription; fd subscriptions use
/// `index << 1 | is_write`, which never reaches this value.
const CLOCK_USERDATA: u64 = u64::MAX;

/// How long one host wait lasts when there is no timeout and nothing to
/// wait for (the wait is repeated).
const IDLE_WAIT_NANOS: u64 = 3_600 * 1_000_000_000;

/// One readiness event.
#[derive(Clone, Copy)]
pub(crate) struct Event {
    token: Token,
    flags: u8,
    /// The host's errno for this subscription (0: none).
    errno: u16,
}

pub(crate) type Events = Vec<Event>;

impl EventApi for Event {
    fn token(&self) -> Token {
        self.token
    }
    fn is_readable(&self) -> bool {
        self.flags & READABLE != 0
    }
    fn is_writable(&self) -> bool {
        self.flags & WRITABLE != 0
    }
    fn is_error(&self) -> bool {
        self.flags & ERROR != 0
    }
    fn is_read_closed(&self) -> bool {
        self.flags & READ_CLOSED != 0
    }
    fn is_write_closed(&self) -> bool {
        self.flags & WRITE_CLOSED != 0
    }
    fn is_priority(&self) -> bool {
        false
    }
    fn is_aio(&self) -> bool {
        false
    }
    fn is_lio(&self) -> bool {
        false
    }
    fn debug_details(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Flags(u8);
        impl fmt::Debug for Flags {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let names = [
                    (READABLE, "FD_READ"),
                    (WRITABLE, "FD_WRITE"),
                    (ERROR, "ERROR"),
                    (READ_CLOSED | WRITE_CLOSED, "HANGUP"),
                ];
                let mut first = true;
                for (bit, name) in names {
                    if self.0 & bit != 0 {
                        if !first {
                            f.write_str(" | ")?;
                        }
                        f.write_str(name)?;
                        first = false;
                    }
                }
                if first {
                    f.write_str("0")?;
                }
                Ok(())
            }
        }
        f.debug_struct("poll_oneoff")
            .field("flags", &Flags(self.flags))
            .field("errno", &self.errno)
            .finish()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("token", &self.token)
            .field("flags", &self.flags)
            .field("errno", &self.errno)
            .finish()
    }
}

/// The selector; clones share the registrations.
pub(crate) struct Selector {
    id: usize,
    state: Arc<Mutex<State>>,
}

struct State {
    entries: Vec<Entry>,
    /// Subscriptions of the current poll; capacity kept between polls.
    subs: Vec<Subscription>,
    /// Host events; always at least as long as `subs`' capacity.
    out: Vec<HostEvent>,
    /// Tokens of the wakers woken since their last event, each once. Never
    /// shrinks, so waking allocates only when more wakers than ever before
    /// are pending at once (never with a single waker).
    woken: Vec<Token>,
}

struct Entry {
    fd: RawFd,
    token: Token,
    interests: Interest,
    read_armed: bool,
    write_armed: bool,
}

impl Entry {
    fn arm(&mut self) {
        self.read_armed = self.interests.is_readable();
        self.write_armed = self.interests.is_writable();
    }
}

impl fmt::Debug for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Selector")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl SelectorApi for Selector {
    fn new() -> io::Result<Selector> {
        let mut state = State {
            entries: Vec::new(),
            subs: Vec::new(),
            out: Vec::new(),
            woken: Vec::new(),
        };
        state.reserve();
        Ok(Selector {
            id: next_selector_id(),
            state: Arc::new(Mutex::new(state)),
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
        let mut state = self.lock();
        loop {
            let woken = !state.woken.is_empty();
            // A pending wake-up must not wait: only look at what is ready now.
            let wait = if woken { Some(Duration::ZERO) } else { timeout };
            let outcome = state.poll_once(events, wait);
            if woken {
                // Each woken waker under its own token; what does not fit
                // stays for the next poll.
                let n = state.woken.len().min(events.capacity() - events.len());
                events.extend(state.woken.drain(..n).map(|token| Event {
                    token,
                    flags: READABLE,
                    errno: 0,
                }));
            }
            match outcome {
                Outcome::Ready | Outcome::TimedOut => return Ok(()),
                // A wake-up taken above must not be lost to the error.
                Outcome::Failed(_) if !events.is_empty() => return Ok(()),
                Outcome::Failed(errno) => return Err(host::error(errno)),
                Outcome::Retry => {}
            }
            // With a timeout, an interrupted wait simply returns early with
            // no events (which `Poll::poll` allows); only an open-ended wait
            // goes round again. This keeps the clock out of every poll.
            if !events.is_empty() || timeout.is_some() {
                return Ok(());
            }
        }
    }

    fn id(&self) -> usize {
        self.id
    }
}

/// What one call to the host ended with.
enum Outcome {
    /// Events were stored (or could not be, for a zero-capacity buffer).
    Ready,
    /// The timeout passed (or a zero timeout found nothing).
    TimedOut,
    /// Nothing to report yet: interrupted, or the open-ended wait elapsed.
    Retry,
    /// The host call failed and no single subscription explains it.
    Failed(Errno),
}

impl State {
    /// Makes sure a poll can subscribe every direction of every entry plus a
    /// clock without allocating.
    fn reserve(&mut self) {
        let needed = self.entries.len() * 2 + 1;
        if self.subs.capacity() < needed {
            self.subs.clear();
            self.subs.reserve(needed.next_power_of_two());
        }
        let cap = self.subs.capacity();
        if self.out.len() < cap {
            self.out.resize(cap, host::EMPTY_EVENT);
        }
    }

    fn find(&self, fd: RawFd) -> io::Result<usize> {
        self.entries.iter().position(|e| e.fd == fd).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "I/O source not registered with this `Registry`",
            )
        })
    }

    /// Subscribes the armed directions (and a clock for `wait`), calls the
    /// host once, and turns what it reports into `events`.
    fn poll_once(&mut self, events: &mut Events, wait: Option<Duration>) -> Outcome {
        let State {
            entries, subs, out, ..
        } = self;
        subs.clear();
        for (i, entry) in entries.iter().enumerate() {
            let base = (i as u64) << 1;
            if entry.read_armed {
                subs.push(host::fd_subscription(entry.fd, false, base));
            }
            if entry.write_armed {
                subs.push(host::fd_subscription(entry.fd, true, base | 1));
            }
        }
        let fd_subs = subs.len();
        let open_ended = match wait {
            // Nothing can become ready and nobody wants to wait: skip the
            // host (a lone zero-length clock has hung on some hosts).
            Some(t) if t.is_zero() && fd_subs == 0 => return Outcome::TimedOut,
            Some(t) => {
                // Never a zero-length clock: at least 1 ns.
                let nanos = u64::try_from(t.as_nanos()).unwrap_or(u64::MAX).max(1);
                subs.push(host::clock_subscription(nanos, CLOCK_USERDATA));
                false
            }
            None if fd_subs == 0 => {
                subs.push(host::clock_subscription(IDLE_WAIT_NANOS, CLOCK_USERDATA));
                true
            }
            None => false,
        };
        if out.len() < subs.len() {
            // Only reachable if `reserve` was skipped; stay memory safe.
            out.resize(subs.len(), host::EMPTY_EVENT);
        }

        let n = match host::poll(subs, out) {
            Ok(n) => n,
            Err(errno) if errno == Errno::INTR => return Outcome::Retry,
            Err(errno) => return Self::blame(entries, events, errno),
        };

        let mut clock_fired = false;
        let mut fd_seen = false;
        let mut last: Option<usize> = None;
        for ev in &out[..n] {
            if ev.userdata == CLOCK_USERDATA || ev.type_ == Eventtype::CLOCK {
                clock_fired = true;
                continue;
            }
            fd_seen = true;
            if events.len() == events.capacity() && last != Some((ev.userdata >> 1) as usize) {
                // No room: the direction stays armed and is reported by
                // the next poll.
                continue;
            }
            let index = (ev.userdata >> 1) as usize;
            let write = ev.userdata & 1 == 1;
            let Some(entry) = entries.get_mut(index) else {
                continue;
            };
            let mut flags = if write { WRITABLE } else { READABLE };
            if ev.error != Errno::SUCCESS {
                flags |= ERROR;
            }
            if ev
                .fd_readwrite
                .flags
                .contains(Eventrwflags::FD_READWRITE_HANGUP)
            {
                flags |= if write { WRITE_CLOSED } else { READ_CLOSED };
            }
            if write {
                entry.write_armed = false;
            } else {
                entry.read_armed = false;
            }
            // Both directions of one source come back next to each other:
            // merge them into one event.
            match (last, events.last_mut()) {
                (Some(prev), Some(merged)) if prev == index => {
                    merged.flags |= flags;
                    if merged.errno == 0 {
                        merged.errno = ev.error.0;
                    }
                }
                _ => {
                    events.push(Event {
                        token: entry.token,
                        flags,
                        errno: ev.error.0,
                    });
                    last = Some(index);
                }
            }
        }
        // `fd_seen` with no events: a zero-capacity buffer, which only waits.
        if fd_seen || !events.is_empty() {
            Outcome::Ready
        } else if clock_fired && !open_ended {
            Outcome::TimedOut
        } else {
            Outcome::Retry
        }
    }

    /// The host failed the whole call (`errno`). Finds the armed
    /// descriptors the host rejects and reports each as an error event
    /// (disarmed until re-armed), so that the other sources keep working.
    fn blame(entries: &mut [Entry], events: &mut Events, errno: Errno) -> Outcome {
        let mut found = false;
        for entry in entries.iter_mut() {
            if !(entry.read_armed || entry.write_armed) {
                continue;
            }
            if let Err(bad) = host::check_fd(entry.fd) {
                found = true;
                if events.len() < events.capacity() {
                    let mut flags = ERROR;
                    if entry.read_armed {
                        flags |= READABLE;
                    }
                    if entry.write_armed {
                        flags |= WRITABLE;
                    }
                    events.push(Event {
                        token: entry.token,
                        flags,
                        errno: bad.0,
                    });
                    entry.read_armed = false;
                    entry.write_armed = false;
                }
            }
        }
        if found {
            Outcome::Ready
        } else {
            Outcome::Failed(errno)
        }
    }
}

impl Selector {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn register(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        let mut state = self.lock();
        if state.entries.iter().any(|e| e.fd == fd) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "I/O source already registered with this `Registry`",
            ));
        }
        let mut entry = Entry {
            fd,
            token,
            interests,
            read_armed: false,
            write_armed: false,
        };
        entry.arm();
        state.entries.push(entry);
        state.reserve();
        Ok(())
    }

    pub(crate) fn reregister(
        &self,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let mut state = self.lock();
        let i = state.find(fd)?;
        let entry = &mut state.entries[i];
        entry.token = token;
        entry.interests = interests;
        entry.arm();
        Ok(())
    }

    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        let mut state = self.lock();
        let i = state.find(fd)?;
        state.entries.swap_remove(i);
        Ok(())
    }

    /// Re-arms the direction(s) of `fd` that would block, after an I/O
    /// call on it returned `WouldBlock`.
    #[cfg(feature = "net")]
    pub(crate) fn rearm(&self, fd: RawFd, blocked: Interest) {
        let mut state = self.lock();
        if let Some(entry) = state.entries.iter_mut().find(|e| e.fd == fd) {
            if blocked.is_readable() {
                entry.read_armed = entry.interests.is_readable();
            }
            if blocked.is_writable() {
                entry.write_armed = entry.interests.is_writable();
            }
        }
    }

    /// Makes sure there is room for a waker's token, so that waking a
    /// single waker never allocates.
    pub(crate) fn add_waker(&self) {
        self.lock().woken.reserve(1);
    }

    /// Reports a wake-up under `token` (once, however often it is woken
    /// before the next poll).
    pub(crate) fn wake(&self, token: Token) {
        let mut state = self.lock();
        if !state.woken.contains(&token) {
            state.woken.push(token);
        }
    }
}

#[cfg(feature = "net")]
#[path = "../../polled_source.rs"]
mod polled_source;
#[cfg(feature = "net")]
pub(crate) use self::polled_source::IoSourceState;
