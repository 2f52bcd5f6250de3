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
//! The subscriptions of the armed directions are kept from one poll to the
//! next: arming a direction appends its subscription, reporting it removes
//! it (the last one takes its place). A subscription's `userdata` is the
//! position of its source, so an event leads to its source directly; calls
//! that name a descriptor (registering, re-arming after `WouldBlock`) find
//! it by a binary search over the descriptor numbers. A poll hands the list to the host
//! as it is, plus a clock for a timeout; nothing is rebuilt per call, which
//! matters on hosts that interpret the module (WasmEdge by default). The
//! buffers grow when sources are registered; polling allocates nothing.
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
use crate::sys::readiness::{BitsEvent, ERROR, READ, READ_CLOSED, WRITE, WRITE_CLOSED};
use crate::sys::{misuse, next_selector_id, SelectorApi};
use crate::{Interest, Token};

/// `userdata` of the timeout subscription; fd subscriptions use
/// `position << 1 | is_write` (see [`userdata`]), which never reaches this
/// value.
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

impl BitsEvent for Event {
    fn token(&self) -> Token {
        self.token
    }
    fn bits(&self) -> u8 {
        self.flags
    }
    fn debug_details(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Flags(u8);
        impl fmt::Debug for Flags {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let names = [
                    (READ, "FD_READ"),
                    (WRITE, "FD_WRITE"),
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

/// `Entry::at` of a direction that is not subscribed.
const NONE: u32 = u32::MAX;

/// Slots of `State::recent` (a power of two).
const RECENT: usize = 64;

struct State {
    entries: Vec<Entry>,
    /// (descriptor, position in `entries`) of each registered source,
    /// sorted by descriptor: hosts hand out descriptor numbers sparsely
    /// (WasmEdge), so this is searched rather than indexed.
    index: Vec<(RawFd, u32)>,
    /// (descriptor, position in `entries`) of sources recently reported or
    /// looked up, at `descriptor % RECENT`: the re-arm that follows an
    /// event's `WouldBlock` finds its source here instead of searching
    /// `index`. A slot is a guess, checked against `entries` before use.
    recent: [(RawFd, u32); RECENT],
    /// The subscriptions of the armed directions, in no order, kept from
    /// one poll to the next (a clock is appended for the call only).
    subs: Vec<Subscription>,
    /// Host events; always at least as long as `subs`' capacity.
    out: Vec<HostEvent>,
    /// Tokens of the wakers woken since their last event, each once. Never
    /// shrinks, so waking allocates only when more wakers than ever before
    /// are pending at once (never with a single waker).
    woken: Vec<Token>,
    /// Host calls so far: tells which entries have an event in `events`.
    /// 64 bits so that it never comes round again: with 32, an entry whose
    /// last event was exactly 2^32 calls ago would look as if it already
    /// had one in this call, and its new event would be merged into
    /// another source's event and lost.
    batch: u64,
}

struct Entry {
    fd: RawFd,
    token: Token,
    interests: Interest,
    /// Position in `State::subs` of the read and the write subscription,
    /// `NONE` while that direction is not armed.
    at: [u32; 2],
    /// `State::batch` of the last event for this entry, and its place in
    /// `events` then: both directions of a source make one event.
    event_batch: u64,
    event_at: u32,
}

/// `userdata` of a subscription: the position of its source in
/// `State::entries` and its direction, so that an event and a moved
/// subscription lead to their entry without a search (a search costs
/// dozens of instructions on the interpreters WasmEdge runs by default,
/// and would run twice per event). Positions fit in 32 bits, so this never
/// reaches `CLOCK_USERDATA`. An entry that moves (`deregister` fills the
/// gap with the last one) has its subscriptions' `userdata` rewritten.
fn userdata(position: usize, write: bool) -> u64 {
    ((position as u64) << 1) | u64::from(write)
}

/// The slot of `State::recent` for descriptor `fd`.
fn recent_slot(fd: RawFd) -> usize {
    fd as u32 as usize % RECENT
}

/// The entry position and direction a subscription's `userdata` names.
fn position_of(userdata: u64) -> (usize, bool) {
    ((userdata >> 1) as usize, userdata & 1 == 1)
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
            index: Vec::new(),
            recent: [(-1, 0); RECENT],
            subs: Vec::new(),
            out: Vec::new(),
            woken: Vec::new(),
            batch: 0,
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
                    flags: READ,
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
            self.subs
                .reserve(needed.next_power_of_two() - self.subs.len());
        }
        let cap = self.subs.capacity();
        if self.out.len() < cap {
            self.out.resize(cap, host::EMPTY_EVENT);
        }
    }

    /// Remembers that the source with descriptor `fd` is at `at`.
    fn remember(&mut self, fd: RawFd, at: u32) -> u32 {
        self.recent[recent_slot(fd)] = (fd, at);
        at
    }

    /// Position in `entries` of the source with descriptor `fd`.
    fn lookup(&mut self, fd: RawFd) -> Option<usize> {
        let (seen, at) = self.recent[recent_slot(fd)];
        if seen == fd && self.entries.get(at as usize).is_some_and(|e| e.fd == fd) {
            return Some(at as usize);
        }
        let k = self.index.binary_search_by_key(&fd, |&(f, _)| f).ok()?;
        let at = self.remember(fd, self.index[k].1);
        Some(at as usize)
    }

    fn set_index(&mut self, fd: RawFd, i: usize) {
        if let Ok(k) = self.index.binary_search_by_key(&fd, |&(f, _)| f) {
            self.index[k].1 = i as u32;
        }
    }

    fn find(&mut self, fd: RawFd) -> io::Result<usize> {
        self.lookup(fd).ok_or_else(misuse::not_registered_here)
    }

    /// Subscribes the entry at `i` for one direction, if its interests
    /// include it and it is not subscribed yet.
    fn arm(&mut self, i: usize, write: bool) {
        let entry = &mut self.entries[i];
        let wanted = if write {
            entry.interests.is_writable()
        } else {
            entry.interests.is_readable()
        };
        let at = &mut entry.at[usize::from(write)];
        if wanted && *at == NONE {
            *at = self.subs.len() as u32;
            self.subs
                .push(host::fd_subscription(entry.fd, write, userdata(i, write)));
        }
    }

    /// Takes one direction of the entry at `i` off the subscriptions.
    fn disarm(&mut self, i: usize, write: bool) {
        let at = std::mem::replace(&mut self.entries[i].at[usize::from(write)], NONE);
        if at == NONE {
            return;
        }
        let at = at as usize;
        self.subs.swap_remove(at);
        // The last subscription took the place of the removed one.
        if let Some(moved) = self.subs.get(at) {
            let (j, write) = position_of(moved.userdata);
            if let Some(entry) = self.entries.get_mut(j) {
                entry.at[usize::from(write)] = at as u32;
            }
        }
    }

    /// Calls the host once with the armed directions (and a clock for
    /// `wait`), and turns what it reports into `events`.
    fn poll_once(&mut self, events: &mut Events, wait: Option<Duration>) -> Outcome {
        let fd_subs = self.subs.len();
        let open_ended = match wait {
            // Nothing can become ready and nobody wants to wait: skip the
            // host (a lone zero-length clock has hung on some hosts).
            Some(t) if t.is_zero() && fd_subs == 0 => return Outcome::TimedOut,
            Some(t) => {
                // Never a zero-length clock: at least 1 ns.
                let nanos = u64::try_from(t.as_nanos()).unwrap_or(u64::MAX).max(1);
                self.subs
                    .push(host::clock_subscription(nanos, CLOCK_USERDATA));
                false
            }
            None if fd_subs == 0 => {
                self.subs
                    .push(host::clock_subscription(IDLE_WAIT_NANOS, CLOCK_USERDATA));
                true
            }
            None => false,
        };
        if self.out.len() < self.subs.len() {
            // Only reachable if `reserve` was skipped; stay memory safe.
            self.out.resize(self.subs.len(), host::EMPTY_EVENT);
        }

        let result = host::poll(&self.subs, &mut self.out);
        self.subs.truncate(fd_subs);
        self.batch = self.batch.wrapping_add(1);
        let n = match result {
            Ok(n) => n,
            Err(errno) if errno == Errno::INTR => return Outcome::Retry,
            Err(errno) => return self.blame(events, errno),
        };

        let mut clock_fired = false;
        let mut fd_seen = false;
        for k in 0..n {
            let ev = self.out[k];
            if ev.userdata == CLOCK_USERDATA || ev.type_ == Eventtype::CLOCK {
                clock_fired = true;
                continue;
            }
            fd_seen = true;
            let (i, write) = position_of(ev.userdata);
            let Some(entry) = self.entries.get(i) else {
                continue;
            };
            let merge = entry.event_batch == self.batch;
            if events.len() == events.capacity() && !merge {
                // No room: the direction stays armed and is reported by
                // the next poll.
                continue;
            }
            let mut flags = if write { WRITE } else { READ };
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
            if merge {
                // Both directions of one source make one event.
                if let Some(merged) = events.get_mut(entry.event_at as usize) {
                    merged.flags |= flags;
                    if merged.errno == 0 {
                        merged.errno = ev.error.0;
                    }
                }
            } else {
                let token = entry.token;
                self.remember(entry.fd, i as u32);
                let entry = &mut self.entries[i];
                entry.event_batch = self.batch;
                entry.event_at = events.len() as u32;
                events.push(Event {
                    token,
                    flags,
                    errno: ev.error.0,
                });
            }
            self.disarm(i, write);
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
    fn blame(&mut self, events: &mut Events, errno: Errno) -> Outcome {
        let mut found = false;
        for i in 0..self.entries.len() {
            let entry = &self.entries[i];
            let (read_armed, write_armed) = (entry.at[0] != NONE, entry.at[1] != NONE);
            if !(read_armed || write_armed) {
                continue;
            }
            if let Err(bad) = host::check_fd(entry.fd) {
                found = true;
                if events.len() < events.capacity() {
                    let mut flags = ERROR;
                    if read_armed {
                        flags |= READ;
                    }
                    if write_armed {
                        flags |= WRITE;
                    }
                    events.push(Event {
                        token: entry.token,
                        flags,
                        errno: bad.0,
                    });
                    self.disarm(i, false);
                    self.disarm(i, true);
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
        if state.find(fd).is_ok() {
            return Err(misuse::already_registered_here());
        }
        if fd < 0 {
            return Err(host::error(Errno::BADF));
        }
        let i = state.entries.len();
        let before = state.batch.wrapping_sub(1);
        state.entries.push(Entry {
            fd,
            token,
            interests,
            at: [NONE; 2],
            event_batch: before,
            event_at: 0,
        });
        if let Err(k) = state.index.binary_search_by_key(&fd, |&(f, _)| f) {
            state.index.insert(k, (fd, i as u32));
        }
        state.reserve();
        state.arm(i, false);
        state.arm(i, true);
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
        // Arms exactly the directions of the new interests.
        for write in [false, true] {
            state.disarm(i, write);
            state.arm(i, write);
        }
        Ok(())
    }

    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        let mut state = self.lock();
        let i = state.find(fd)?;
        state.disarm(i, false);
        state.disarm(i, true);
        state.entries.swap_remove(i);
        if let Ok(k) = state.index.binary_search_by_key(&fd, |&(f, _)| f) {
            state.index.remove(k);
        }
        // The last entry took the place of the removed one: its index
        // entry and its subscriptions name the new position.
        if let Some(moved) = state.entries.get(i) {
            let (fd, at) = (moved.fd, moved.at);
            state.set_index(fd, i);
            for (write, at) in [(false, at[0]), (true, at[1])] {
                if let Some(sub) = state.subs.get_mut(at as usize) {
                    sub.userdata = userdata(i, write);
                }
            }
        }
        Ok(())
    }

    /// Re-arms the direction(s) of `fd` that would block, after an I/O
    /// call on it returned `WouldBlock`.
    #[cfg(feature = "net")]
    pub(crate) fn rearm(&self, fd: RawFd, blocked: Interest) {
        let mut state = self.lock();
        if let Ok(i) = state.find(fd) {
            if blocked.is_readable() {
                state.arm(i, false);
            }
            if blocked.is_writable() {
                state.arm(i, true);
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
