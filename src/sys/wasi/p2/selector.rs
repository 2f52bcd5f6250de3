//! The selector: `wasi:io/poll.poll` over one pollable per armed
//! (source, direction), plus a clock pollable for the timeout.
//!
//! Each `select` walks the registrations, collects the raw handles of the
//! pollables of armed directions into a buffer reused from call to call,
//! and first asks the host, without blocking, whether any is ready
//! (`pollable.ready`, which allocates nothing). Only when none is, and the
//! caller is willing to wait, does it call `poll` with the list plus a
//! `subscribe-duration` clock pollable (rounded up to whole nanoseconds).
//! Reported directions are disarmed until the source is used up
//! (`WouldBlock`, see `io_source`) or re-registered.
//!
//! Allocation: the buffers are reused, so a `select` that finds work
//! without blocking allocates nothing, and neither does a wait on a single
//! pollable (`pollable.block`, which returns nothing: a timeout alone, or
//! one armed direction without a timeout). A wait on two or more pollables
//! goes through `poll`, whose ready indices come back as a list the host
//! allocates through the component's `cabi_realloc` export (the canonical
//! ABI returns every list that way; no variant of `poll` writes into a
//! caller's buffer): exactly one small allocation per such wait, freed at
//! once. Avoiding it would take overriding `cabi_realloc` for the whole
//! component, which a library cannot do without clashing with the
//! application's or other bindings' definition.

#![cfg_attr(not(feature = "net"), allow(dead_code))]

use std::cell::RefCell;
use std::time::{Duration, Instant};
use std::{fmt, io};

use super::bindings::{handle_block, handle_ready, monotonic_clock, poll_handles};
use super::io_source::{interest_bits, PollSource, ERROR, READ, READ_CLOSED, WRITE, WRITE_CLOSED};
use super::Shared;
use crate::sys::{next_selector_id, EventApi, SelectorApi};
use crate::{Interest, Token};

#[derive(Clone, Copy)]
pub(crate) struct Event {
    token: Token,
    directions: u8,
}

pub(crate) type Events = Vec<Event>;

pub(crate) struct Selector {
    id: usize,
    state: Shared<State>,
}

struct State {
    registrations: RefCell<Registrations>,
    /// Tokens of the wakers woken since their last event, each once. Never
    /// shrinks, so waking allocates only when more wakers than ever before
    /// are pending at once (never with a single waker).
    woken: RefCell<Vec<Token>>,
}

#[derive(Default)]
struct Registrations {
    entries: Vec<Option<Entry>>,
    free: Vec<usize>,
    /// Raw pollable handles passed to the host, reused by every `select`.
    handles: Vec<u32>,
    /// For each handle: (slot, direction).
    owners: Vec<(usize, u8)>,
    /// Indices into `handles` that are ready.
    ready: Vec<u32>,
    /// Indices into `handles` of suspect directions that `pollable.ready`
    /// called ready, to be confirmed by `poll`.
    claims: Vec<u32>,
    /// Whether this host was caught answering `pollable.ready` from stale
    /// state; from then on every re-armed direction is suspect (see
    /// `select` and `rearm`).
    ready_lies: bool,
}

struct Entry {
    token: Token,
    interests: u8,
    armed: u8,
    /// Directions found ready by the current `select`.
    pending: u8,
    /// Directions whose `pollable.ready` answer is not trusted until the
    /// next `poll` (see `Selector::select`).
    suspect: u8,
    source: Shared<dyn PollSource>,
}

impl SelectorApi for Selector {
    fn new() -> io::Result<Selector> {
        Ok(Selector {
            id: next_selector_id(),
            state: Shared::new(State {
                registrations: RefCell::new(Registrations::default()),
                woken: RefCell::new(Vec::new()),
            }),
        })
    }

    fn try_clone(&self) -> io::Result<Selector> {
        Ok(self.clone_handle())
    }

    fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        let deadline = match timeout {
            Some(t) if !t.is_zero() => Instant::now().checked_add(t),
            _ => None,
        };
        self.select_once(events, timeout)?;
        if !events.is_empty() || events.capacity() == 0 || timeout == Some(Duration::ZERO) {
            return Ok(());
        }
        // Woken for nothing the caller can see: wait again for what is left
        // of the timeout, as a kernel selector would not have woken at all.
        loop {
            let left = match deadline {
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Ok(());
                    }
                    Some(deadline - now)
                }
                None => None,
            };
            self.select_once(events, left)?;
            if !events.is_empty() {
                return Ok(());
            }
        }
    }

    fn id(&self) -> usize {
        self.id
    }
}

impl Selector {
    /// One pass: arm, wait (or not), report. It can come back with no
    /// event when what fired settles to nothing (a finished connect of a
    /// source that waits only for reading); `select` then waits again.
    fn select_once(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        events.clear();
        let mut regs = self.state.registrations.borrow_mut();
        let regs = &mut *regs;
        regs.handles.clear();
        regs.owners.clear();
        regs.ready.clear();
        for (slot, entry) in regs.entries.iter().enumerate() {
            let Some(entry) = entry else { continue };
            for direction in [READ, WRITE] {
                if entry.armed & direction != 0 {
                    if let Some(handle) = entry.source.pollable(direction) {
                        regs.handles.push(handle);
                        regs.owners.push((slot, direction));
                    }
                }
            }
        }

        // Non-blocking pass first: no clock, no host-allocated result.
        //
        // Some hosts (jco) answer `pollable.ready` from a flag that only
        // `poll` brings up to date: a drained stream keeps saying "ready".
        // A "ready" from a suspect direction (new, or re-armed after
        // `WouldBlock` on such a host) is therefore confirmed by `poll`
        // before it is reported; "not ready" is believed. A host is taken
        // for such a one once `poll` contradicts `pollable.ready`, or
        // `pollable.ready` says "ready" right after an operation returned
        // `WouldBlock` (see `rearm`).
        regs.claims.clear();
        for (i, &handle) in regs.handles.iter().enumerate() {
            let (slot, direction) = regs.owners[i];
            let suspect = regs.entries[slot]
                .as_ref()
                .is_some_and(|e| e.suspect & direction != 0);
            if handle_ready(handle) {
                if suspect {
                    regs.claims.push(i as u32);
                } else {
                    regs.ready.push(i as u32);
                }
            }
        }
        let woken = !self.state.woken.borrow().is_empty();
        let idle = regs.ready.is_empty() && !woken;
        let wait = idle && timeout != Some(Duration::ZERO);
        if wait || (idle && !regs.claims.is_empty()) {
            // Without waiting, the suspects are asked through `poll` with an
            // expired clock.
            let clock = match timeout {
                _ if !wait => Some(monotonic_clock::subscribe_duration(0)),
                Some(t) => Some(monotonic_clock::subscribe_duration(
                    u64::try_from(t.as_nanos()).unwrap_or(u64::MAX),
                )),
                None => None,
            };
            if let Some(clock) = &clock {
                regs.handles.push(clock.handle());
            }
            if regs.handles.is_empty() {
                // Nothing could ever end this wait on a single thread.
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "mio (wasi:io/poll): nothing to wait for: no armed source, no waker call and no timeout",
                ));
            }
            if let [handle] = regs.handles[..] {
                // One pollable: `block` returns nothing, so nothing is
                // allocated (timeout-only waits, a single armed source).
                handle_block(handle);
                regs.ready.push(0);
            } else {
                poll_handles(&regs.handles, &mut regs.ready);
            }
            // The clock pollable goes here, before anything else is dropped.
            drop(clock);
            // `poll` answered for every armed direction.
            for &(slot, direction) in regs.owners.iter() {
                if let Some(entry) = &mut regs.entries[slot] {
                    entry.suspect &= !direction;
                }
            }
            if regs.claims.iter().any(|i| !regs.ready.contains(i)) {
                regs.ready_lies = true;
            }
        }

        if events.capacity() == 0 {
            // Nothing can be reported: leave everything armed and pending.
            return Ok(());
        }
        if woken {
            // Each woken waker under its own token; what does not fit stays
            // for the next poll.
            let mut woken = self.state.woken.borrow_mut();
            let n = woken.len().min(events.capacity() - events.len());
            events.extend(woken.drain(..n).map(|token| Event {
                token,
                directions: READ,
            }));
        }
        let Registrations {
            entries,
            owners,
            ready,
            ..
        } = regs;
        for &i in ready.iter() {
            // Indices past `owners` are the clock.
            if let Some(&(slot, direction)) = owners.get(i as usize) {
                if let Some(entry) = &mut entries[slot] {
                    entry.pending |= direction;
                }
            }
        }
        for &i in ready.iter() {
            let Some(&(slot, _)) = owners.get(i as usize) else {
                continue;
            };
            let Some(entry) = &mut entries[slot] else {
                continue;
            };
            if entry.pending == 0 {
                continue; // already reported (both directions were ready)
            }
            if events.len() < events.capacity() {
                let reported = entry.source.settle(entry.pending);
                if reported != 0 {
                    events.push(Event {
                        token: entry.token,
                        directions: reported,
                    });
                    entry.armed &= !(reported & (READ | WRITE));
                }
            }
            // Past capacity the direction stays armed for the next call.
            entry.pending = 0;
        }
        Ok(())
    }

    pub(crate) fn clone_handle(&self) -> Selector {
        Selector {
            id: self.id,
            state: self.state.clone(),
        }
    }

    pub(crate) fn same_as(&self, other: &Selector) -> bool {
        self.state.ptr_eq(&other.state)
    }

    pub(crate) fn add(
        &self,
        source: Shared<dyn PollSource>,
        token: Token,
        interests: Interest,
    ) -> usize {
        let bits = interest_bits(interests);
        let entry = Entry {
            token,
            interests: bits,
            armed: bits,
            pending: 0,
            // A new pollable may start out "ready" on some hosts.
            suspect: bits,
            source,
        };
        let mut regs = self.state.registrations.borrow_mut();
        match regs.free.pop() {
            Some(slot) => {
                regs.entries[slot] = Some(entry);
                slot
            }
            None => {
                regs.entries.push(Some(entry));
                regs.entries.len() - 1
            }
        }
    }

    pub(crate) fn modify(&self, slot: usize, token: Token, interests: Interest) {
        let mut regs = self.state.registrations.borrow_mut();
        if let Some(Some(entry)) = regs.entries.get_mut(slot) {
            let bits = interest_bits(interests);
            entry.token = token;
            entry.interests = bits;
            entry.armed = bits;
            entry.suspect = bits;
        }
    }

    pub(crate) fn remove(&self, slot: usize) {
        // The entry (and its reference to the source) is dropped after the
        // borrow ends.
        let removed = {
            let mut regs = self.state.registrations.borrow_mut();
            let removed = regs.entries.get_mut(slot).and_then(Option::take);
            if removed.is_some() {
                regs.free.push(slot);
            }
            removed
        };
        drop(removed);
    }

    /// After an operation returned `WouldBlock` in `directions`.
    pub(crate) fn rearm(&self, slot: usize, directions: u8) {
        let mut regs = self.state.registrations.borrow_mut();
        let regs = &mut *regs;
        if let Some(Some(entry)) = regs.entries.get_mut(slot) {
            let directions = directions & entry.interests;
            entry.armed |= directions;
            if !regs.ready_lies {
                // Checked until the host is caught once: "ready" just after
                // `WouldBlock` means `pollable.ready` is stale on this host
                // (at worst data arrived in between, and a few answers get
                // confirmed by `poll` needlessly).
                for direction in [READ, WRITE] {
                    if directions & direction != 0 {
                        if let Some(handle) = entry.source.pollable(direction) {
                            regs.ready_lies |= handle_ready(handle);
                        }
                    }
                }
            }
            if regs.ready_lies {
                entry.suspect |= directions;
            }
        }
    }

    /// Makes sure there is room for a waker's token, so that waking a
    /// single waker never allocates.
    pub(crate) fn add_waker(&self) {
        self.state.woken.borrow_mut().reserve(1);
    }

    /// Reports a wake-up under `token` (once, however often it is woken
    /// before the next poll).
    pub(crate) fn wake(&self, token: Token) {
        let mut woken = self.state.woken.borrow_mut();
        if !woken.contains(&token) {
            woken.push(token);
        }
    }
}

impl fmt::Debug for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Selector")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl EventApi for Event {
    fn token(&self) -> Token {
        self.token
    }

    fn is_readable(&self) -> bool {
        self.directions & READ != 0
    }

    fn is_writable(&self) -> bool {
        self.directions & WRITE != 0
    }

    fn is_error(&self) -> bool {
        self.directions & ERROR != 0
    }

    fn is_read_closed(&self) -> bool {
        self.directions & READ_CLOSED != 0
    }

    fn is_write_closed(&self) -> bool {
        self.directions & WRITE_CLOSED != 0
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
        f.debug_struct("wasi_p2_event")
            .field("token", &self.token)
            .field("readable", &self.is_readable())
            .field("writable", &self.is_writable())
            .field("error", &self.is_error())
            .field("read_closed", &self.is_read_closed())
            .field("write_closed", &self.is_write_closed())
            .finish()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.debug_details(f)
    }
}
