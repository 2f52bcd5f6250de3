//! The selector: `wasi:io/poll.poll` over one pollable per armed
//! (source, direction), plus a clock pollable for the timeout.
//!
//! The list of armed pollables is kept from one `select` to the next and
//! changed only where the registrations change: arming a direction
//! (registering, re-registering, or an operation returning `WouldBlock`)
//! appends its pollable, reporting one removes it (swapping the last one
//! into its place). A `select` with unchanged registrations hands the same
//! buffer to the host again; nothing is walked or rebuilt on the guest
//! side. Sources that replace a pollable while registered (a finished
//! connect moves from the socket's pollable to its streams', a UDP connect
//! gets new streams) say so through [`pollables_changed`]; the next
//! `select` then looks the handles up again, once.
//!
//! A `select` that may wait makes one host call: `poll` with the list and,
//! for a timeout, a `subscribe-duration` clock (rounded up to whole
//! nanoseconds); `pollable.block` instead when the list holds a single
//! pollable. Only a `select` that must not wait (a zero timeout, or a
//! pending waker call) asks each armed pollable `pollable.ready`, because
//! that answer allocates nothing. Reported directions are disarmed until
//! the source is used up (`WouldBlock`, see `io_source`) or re-registered.
//!
//! Allocation: the buffers are reused, so a `select` that does not wait
//! allocates nothing, and neither does a wait on a single pollable
//! (`pollable.block` returns nothing). A wait on two or more pollables goes
//! through `poll`, whose ready indices come back as a list the host
//! allocates through the component's `cabi_realloc` export (the canonical
//! ABI returns every list that way; no variant of `poll` writes into a
//! caller's buffer): exactly one small allocation per such wait, freed at
//! once. Avoiding it would take overriding `cabi_realloc` for the whole
//! component, which a library cannot do without clashing with the
//! application's or other bindings' definition.

#![cfg_attr(not(feature = "net"), allow(dead_code))]

use std::cell::RefCell;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use std::{fmt, io};

use super::bindings::{handle_block, handle_ready, monotonic_clock, poll_handles};
use super::io_source::Source;
use super::Shared;
pub(crate) use crate::sys::readiness::Event;
use crate::sys::readiness::{interest_bits, READ, WRITE};
use crate::sys::wasi::occupy_slot;
use crate::sys::{next_selector_id, SelectorApi};
use crate::{Interest, Token};

/// Counts the times a source dropped or replaced a pollable that a
/// selector may have listed (see [`pollables_changed`]).
static POLLABLE_EPOCH: AtomicU32 = AtomicU32::new(0);

/// Called by a source that drops or replaces one of its pollables while it
/// may be registered: every selector looks its handles up again before it
/// next hands them to the host.
pub(crate) fn pollables_changed() {
    POLLABLE_EPOCH.fetch_add(1, Ordering::Relaxed);
}

/// `Entry::at` of a direction that has no place in the list.
const UNLISTED: u32 = u32::MAX;

/// `pollable.ready` answers right after `WouldBlock` that must all say
/// "not ready" before the host is trusted (see `Selector::rearm`).
const TRUST_AFTER: u32 = 32;

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
    /// Raw handles of the pollables of the armed directions, in no order,
    /// kept between calls and handed to the host as they are.
    handles: Vec<u32>,
    /// For each handle: (slot, direction).
    owners: Vec<(usize, u8)>,
    /// `POLLABLE_EPOCH` when `handles` was last checked.
    epoch: u32,
    /// Indices into `handles` that are ready.
    ready: Vec<u32>,
    /// Indices into `handles` of suspect directions that `pollable.ready`
    /// called ready, to be confirmed by `poll`.
    claims: Vec<u32>,
    /// Slots with a ready direction, once each.
    fired: Vec<usize>,
    /// Number of `poll` calls so far: a suspect mark older than the last
    /// one no longer counts (`poll` answered for every listed direction).
    polls: u32,
    /// Whether this host was caught answering `pollable.ready` from stale
    /// state; from then on every re-armed direction is suspect (see
    /// `select_once` and `rearm`).
    ready_lies: bool,
    /// `pollable.ready` answers after `WouldBlock` that said "not ready".
    trusted: u32,
}

struct Entry {
    token: Token,
    interests: u8,
    armed: u8,
    /// Directions found ready by the current `select`.
    pending: u8,
    /// Directions whose `pollable.ready` answer is not trusted until the
    /// next `poll` (valid while `suspect_at` equals `Registrations::polls`).
    suspect: u8,
    suspect_at: u32,
    /// Index in `Registrations::handles` of the READ and WRITE pollables.
    at: [u32; 2],
    source: Shared<dyn Source>,
}

/// Index of `READ` or `WRITE` in `Entry::at`.
fn side(direction: u8) -> usize {
    usize::from(direction == WRITE)
}

impl Entry {
    fn is_suspect(&self, direction: u8, polls: u32) -> bool {
        self.suspect_at == polls && self.suspect & direction != 0
    }

    fn mark_suspect(&mut self, directions: u8, polls: u32) {
        if self.suspect_at != polls {
            self.suspect = 0;
            self.suspect_at = polls;
        }
        self.suspect |= directions;
    }
}

impl Registrations {
    /// Arms `directions` of the entry in `slot` and lists the pollables of
    /// those not listed yet.
    fn arm(&mut self, slot: usize, directions: u8) {
        let Registrations {
            entries,
            handles,
            owners,
            ..
        } = self;
        let Some(Some(entry)) = entries.get_mut(slot) else {
            return;
        };
        entry.armed |= directions;
        for direction in [READ, WRITE] {
            if directions & direction == 0 || entry.at[side(direction)] != UNLISTED {
                continue;
            }
            if let Some(handle) = entry.source.pollable(direction) {
                entry.at[side(direction)] = handles.len() as u32;
                handles.push(handle);
                owners.push((slot, direction));
            }
        }
    }

    /// Disarms `directions` of the entry in `slot` and takes their
    /// pollables off the list.
    fn disarm(&mut self, slot: usize, directions: u8) {
        for direction in [READ, WRITE] {
            if directions & direction == 0 {
                continue;
            }
            let Some(Some(entry)) = self.entries.get_mut(slot) else {
                return;
            };
            entry.armed &= !direction;
            let i = std::mem::replace(&mut entry.at[side(direction)], UNLISTED);
            if i == UNLISTED {
                continue;
            }
            let i = i as usize;
            self.handles.swap_remove(i);
            self.owners.swap_remove(i);
            // The last handle took the place of the removed one.
            if let Some(&(moved, direction)) = self.owners.get(i) {
                if let Some(Some(entry)) = self.entries.get_mut(moved) {
                    entry.at[side(direction)] = i as u32;
                }
            }
        }
    }

    /// Lists every armed direction again if a source replaced a pollable
    /// since the list was last checked (rare: a connect finishing).
    fn refresh(&mut self) {
        let epoch = POLLABLE_EPOCH.load(Ordering::Relaxed);
        if epoch == self.epoch {
            return;
        }
        self.epoch = epoch;
        self.handles.clear();
        self.owners.clear();
        for slot in 0..self.entries.len() {
            let Some(entry) = &mut self.entries[slot] else {
                continue;
            };
            entry.at = [UNLISTED; 2];
            let armed = entry.armed;
            self.arm(slot, armed);
        }
    }

    /// Asks each listed pollable whether it is ready, without waiting and
    /// without allocating; a suspect "ready" is confirmed through `poll`
    /// with an expired clock, unless something else is ready already.
    fn probe(&mut self, woken: bool) {
        self.claims.clear();
        for (i, &handle) in self.handles.iter().enumerate() {
            let (slot, direction) = self.owners[i];
            let suspect = self.entries[slot]
                .as_ref()
                .is_some_and(|e| e.is_suspect(direction, self.polls));
            if handle_ready(handle) {
                if suspect {
                    self.claims.push(i as u32);
                } else {
                    self.ready.push(i as u32);
                }
            }
        }
        if self.claims.is_empty() || !self.ready.is_empty() || woken {
            return;
        }
        // Some hosts (jco) answer `pollable.ready` from a flag that only
        // `poll` brings up to date: a drained stream keeps saying "ready".
        let listed = self.handles.len();
        let clock = monotonic_clock::subscribe_duration(0);
        self.handles.push(clock.handle());
        poll_handles(&self.handles, &mut self.ready);
        self.handles.truncate(listed);
        drop(clock);
        self.polls = self.polls.wrapping_add(1);
        if self.claims.iter().any(|i| !self.ready.contains(i)) {
            self.ready_lies = true;
        }
    }
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
    /// One pass: wait (or not), report. It can come back with no event
    /// when what fired settles to nothing (a finished connect of a source
    /// that waits only for reading); `select` then waits again.
    fn select_once(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        events.clear();
        let mut regs = self.state.registrations.borrow_mut();
        let regs = &mut *regs;
        regs.refresh();
        regs.ready.clear();
        let woken = !self.state.woken.borrow().is_empty();
        if woken || timeout == Some(Duration::ZERO) {
            regs.probe(woken);
        } else {
            let listed = regs.handles.len();
            let clock = timeout.map(|t| {
                monotonic_clock::subscribe_duration(u64::try_from(t.as_nanos()).unwrap_or(u64::MAX))
            });
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
            regs.handles.truncate(listed);
            // The clock pollable goes here, before anything else is dropped.
            drop(clock);
            regs.polls = regs.polls.wrapping_add(1);
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
            events.extend(woken.drain(..n).map(|token| Event { token, bits: READ }));
        }
        regs.fired.clear();
        {
            let Registrations {
                entries,
                owners,
                ready,
                fired,
                ..
            } = &mut *regs;
            for &i in ready.iter() {
                // Indices past `owners` are the clock.
                if let Some(&(slot, direction)) = owners.get(i as usize) {
                    if let Some(entry) = &mut entries[slot] {
                        if entry.pending == 0 {
                            fired.push(slot);
                        }
                        entry.pending |= direction;
                    }
                }
            }
        }
        for k in 0..regs.fired.len() {
            let slot = regs.fired[k];
            let Some(entry) = &mut regs.entries[slot] else {
                continue;
            };
            let mut reported = 0;
            if events.len() < events.capacity() {
                reported = entry.source.settle(entry.pending);
                if reported != 0 {
                    events.push(Event {
                        token: entry.token,
                        bits: reported,
                    });
                }
            }
            // Past capacity the direction stays armed for the next call.
            entry.pending = 0;
            regs.disarm(slot, reported & (READ | WRITE));
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
        source: Shared<dyn Source>,
        token: Token,
        interests: Interest,
    ) -> usize {
        let bits = interest_bits(interests);
        let mut regs = self.state.registrations.borrow_mut();
        let entry = Entry {
            token,
            interests: bits,
            armed: 0,
            pending: 0,
            // A new pollable may start out "ready" on some hosts.
            suspect: bits,
            suspect_at: regs.polls,
            at: [UNLISTED; 2],
            source,
        };
        let regs = &mut *regs;
        let slot = occupy_slot(&mut regs.entries, &mut regs.free, entry);
        regs.arm(slot, bits);
        slot
    }

    pub(crate) fn modify(&self, slot: usize, token: Token, interests: Interest) {
        let mut regs = self.state.registrations.borrow_mut();
        let bits = interest_bits(interests);
        let polls = regs.polls;
        let Some(Some(entry)) = regs.entries.get_mut(slot) else {
            return;
        };
        entry.token = token;
        entry.interests = bits;
        entry.mark_suspect(bits, polls);
        regs.disarm(slot, !bits & (READ | WRITE));
        regs.arm(slot, bits);
    }

    pub(crate) fn remove(&self, slot: usize) {
        // The entry (and its reference to the source) is dropped after the
        // borrow ends.
        let removed = {
            let mut regs = self.state.registrations.borrow_mut();
            regs.disarm(slot, READ | WRITE);
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
        let polls = regs.polls;
        let Some(Some(entry)) = regs.entries.get_mut(slot) else {
            return;
        };
        let directions = directions & entry.interests;
        if !regs.ready_lies && regs.trusted < TRUST_AFTER {
            // Checked until the host is caught once or has answered enough
            // times: "ready" just after `WouldBlock` means `pollable.ready`
            // is stale on this host (at worst data arrived in between, and
            // a few answers get confirmed by `poll` needlessly).
            for direction in [READ, WRITE] {
                if directions & direction != 0 {
                    if let Some(handle) = entry.source.pollable(direction) {
                        if handle_ready(handle) {
                            regs.ready_lies = true;
                        } else {
                            regs.trusted += 1;
                        }
                    }
                }
            }
        }
        if regs.ready_lies {
            entry.mark_suspect(directions, polls);
        }
        regs.arm(slot, directions);
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
