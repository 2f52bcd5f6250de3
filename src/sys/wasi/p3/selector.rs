//! The selector: one waitable set, joined once per waitable.
//!
//! A source joins each waitable it creates (stream ends, result futures,
//! a `connect` subtask) to the set of the selector it is registered with,
//! and leaves it before dropping the waitable. `select`:
//!
//! 1. reports readiness found outside the set (a source ready at
//!    registration, an overflow of the last call's `events`);
//! 2. drains the set with `waitable-set.poll`, which never blocks;
//! 3. if nothing was found and the caller lets it wait: starts a
//!    `monotonic-clock.wait-for` subtask for a finite timeout, joins it to
//!    the set, and blocks in `waitable-set.wait` until one event turns into
//!    readiness (or the timer fires); then drains what else is pending and
//!    cancels the timer.
//!
//! Each event is handed to the source that owns the waitable, which
//! updates its state (a read completed, a write finished, a connect
//! returned) and says which directions it made ready; those become mio
//! events for the source's token and interests. Edge-triggered by
//! construction: a direction becomes ready again only when an operation
//! the source restarted completes.
//!
//! Allocation: none per `select` in steady state. The lookup from waitable
//! to registration is a hash map filled at registration; the overflow list
//! grows only when a wait finds more events than `events` can hold.

#![cfg_attr(not(feature = "net"), allow(dead_code))]

use std::cell::{Cell, RefCell, UnsafeCell};
use std::collections::HashMap;
use std::rc::Weak;
use std::time::Duration;
use std::{fmt, io};

use super::bindings::{
    bytes, join, set_drop, set_new, set_poll, set_wait, start_wait_for, subtask_cancel,
    subtask_drop, BLOCKED, DROPPED, EVENT_NONE, EVENT_SUBTASK,
};
use super::entry::blocking_allowed;
use super::Shared;
pub(crate) use crate::sys::readiness::Event;
use crate::sys::readiness::{interest_bits, ERROR, READ, READ_CLOSED, WRITE_CLOSED};
use crate::sys::wasi::occupy_slot;
use crate::sys::{next_selector_id, SelectorApi};
use crate::{Interest, Token};

/// What the selector asks of a registered source.
pub(crate) trait Source {
    /// Calls `f` with every waitable the source has now.
    fn waitables(&self, f: &mut dyn FnMut(u32));
    /// Applies an event of one of its waitables; the directions (and
    /// conditions) it made ready.
    fn on_event(&self, code: u32, waitable: u32, result: u32) -> u8;
    /// The directions ready now (asked at registration).
    fn ready_now(&self) -> u8;
    /// Where to join waitables created later (`None`: deregistered).
    fn attach(&self, hook: Option<Hook>);
}

/// What a dropped source leaves behind to finish in the background: a
/// TCP stream dropped with a write in flight hands the selector that write
/// (its stream end, buffer and socket) so the bytes it accepted still go
/// out, as they would from an OS socket's send buffer.
pub(crate) trait Linger {
    /// The waitable whose events drive it.
    fn waitable(&self) -> u32;
    /// Applies one of its events; `true` when it is done (it is dropped
    /// then, which releases what it holds).
    fn on_event(&mut self, code: u32, result: u32) -> bool;
}

thread_local! {
    /// The most recently created selector, for the background work of
    /// sources that were never registered.
    static LATEST: RefCell<Weak<State>> = const { RefCell::new(Weak::new()) };
}

/// The selector a source was last registered with, kept weakly.
#[derive(Clone, Default)]
pub(crate) struct Home(Weak<State>);

impl Home {
    /// Hands `linger` to the selector, or, for a source never registered
    /// (or whose selector is gone), to the most recently created selector
    /// still alive; gives it back if there is none.
    pub(crate) fn adopt(&self, linger: Box<dyn Linger>) -> Result<(), Box<dyn Linger>> {
        let state = self
            .0
            .upgrade()
            .or_else(|| LATEST.with(|latest| latest.borrow().upgrade()));
        let Some(state) = state else {
            return Err(linger);
        };
        let waitable = linger.waitable();
        let index = {
            let mut lingering = state.lingering.borrow_mut();
            match lingering.iter().position(Option::is_none) {
                Some(i) => {
                    lingering[i] = Some(linger);
                    i
                }
                None => {
                    lingering.push(Some(linger));
                    lingering.len() - 1
                }
            }
        };
        state
            .regs
            .borrow_mut()
            .owners
            .insert(waitable, Owner::Linger(index));
        join(waitable, state.set);
        Ok(())
    }
}

/// A source's link to the selector it is registered with.
pub(crate) struct Hook {
    state: Weak<State>,
    slot: usize,
}

impl Hook {
    /// Joins a waitable the source just created.
    pub(crate) fn join(&self, waitable: u32) {
        if let Some(state) = self.state.upgrade() {
            state.link(waitable, self.slot);
        }
    }

    /// The selector, kept weakly beyond the registration.
    pub(crate) fn home(&self) -> Home {
        Home(Weak::clone(&self.state))
    }

    /// The selector's waitable set (0 if the selector is gone).
    pub(crate) fn set(&self) -> u32 {
        self.state.upgrade().map_or(0, |state| state.set)
    }

    /// Reports readiness found outside an event.
    pub(crate) fn notify(&self, bits: u8) {
        if let Some(state) = self.state.upgrade() {
            state.regs.borrow_mut().overflow.push((self.slot, bits));
        }
    }

    /// Removes a waitable the source is about to drop.
    pub(crate) fn leave(&self, waitable: u32) {
        if let Some(state) = self.state.upgrade() {
            state.unlink(waitable);
        }
    }
}

pub(crate) type Events = Vec<Event>;

pub(crate) struct Selector {
    id: usize,
    state: Shared<State>,
}

/// Owner of a waitable in the lookup table.
#[derive(Clone, Copy)]
enum Owner {
    Source(usize),
    WakerRead,
    WakerWrite,
    Linger(usize),
}

struct State {
    set: u32,
    regs: RefCell<Registrations>,
    waker: Cell<Option<WakerStream>>,
    /// The waker's read buffer (the host writes it while a read is in
    /// flight; never read).
    waker_byte: UnsafeCell<u8>,
    /// Work of dropped sources still in flight (see `Linger`).
    lingering: RefCell<Vec<Option<Box<dyn Linger>>>>,
}

#[derive(Clone, Copy)]
struct WakerStream {
    token: Token,
    reader: u32,
    writer: u32,
    /// A write is in flight (its reader has not taken the byte yet).
    writing: bool,
}

#[derive(Default)]
struct Registrations {
    entries: Vec<Option<Entry>>,
    free: Vec<usize>,
    owners: HashMap<u32, Owner>,
    /// (slot, bits) found outside an event or beyond `events`' capacity.
    overflow: Vec<(usize, u8)>,
}

struct Entry {
    token: Token,
    interests: u8,
    source: Shared<dyn Source>,
}

impl State {
    fn link(&self, waitable: u32, slot: usize) {
        self.regs
            .borrow_mut()
            .owners
            .insert(waitable, Owner::Source(slot));
        join(waitable, self.set);
    }

    fn unlink(&self, waitable: u32) {
        join(waitable, 0);
        self.regs.borrow_mut().owners.remove(&waitable);
    }

    /// Takes the set's pending events without waiting, while `events` has
    /// room. An event of the timeout's subtask (`timer`) is not reported:
    /// a finished timer is dropped and forgotten.
    fn drain(&self, timer: &mut Option<u32>, events: &mut Events) {
        while events.len() < events.capacity() {
            let event = set_poll(self.set);
            if event.0 == EVENT_NONE {
                break;
            }
            if *timer == Some(event.1) && event.0 == EVENT_SUBTASK {
                if event.2 & 0xf >= 2 {
                    subtask_drop(event.1);
                    *timer = None;
                }
                continue;
            }
            self.dispatch(event, events);
        }
    }

    /// Applies one event; pushes what it makes ready onto `events` (or the
    /// overflow list when `events` is full). Whether anything was reported.
    fn dispatch(&self, (code, waitable, result): (u32, u32, u32), events: &mut Events) -> bool {
        let owner = self.regs.borrow().owners.get(&waitable).copied();
        match owner {
            Some(Owner::Source(slot)) => {
                let source = match self.regs.borrow().entries.get(slot) {
                    Some(Some(entry)) => Shared::clone(&entry.source),
                    _ => return false,
                };
                let bits = source.on_event(code, waitable, result);
                self.report(slot, bits, events)
            }
            Some(Owner::WakerRead) => self.waker_read_done(result, events),
            Some(Owner::Linger(index)) => {
                let taken = self
                    .lingering
                    .borrow_mut()
                    .get_mut(index)
                    .and_then(Option::take);
                if let Some(mut linger) = taken {
                    if linger.on_event(code, result) {
                        self.unlink(waitable);
                        drop(linger);
                    } else if let Some(entry) = self.lingering.borrow_mut().get_mut(index) {
                        *entry = Some(linger);
                    }
                }
                false
            }
            Some(Owner::WakerWrite) => {
                if let Some(mut waker) = self.waker.get() {
                    waker.writing = false;
                    self.waker.set(Some(waker));
                }
                false
            }
            // An event of a waitable that left the set in the meantime.
            None => false,
        }
    }

    fn report(&self, slot: usize, bits: u8, events: &mut Events) -> bool {
        let regs = self.regs.borrow();
        let Some(Some(entry)) = regs.entries.get(slot) else {
            return false;
        };
        let directions = bits & entry.interests;
        if directions == 0 {
            return false;
        }
        let event = Event {
            token: entry.token,
            bits: directions | (bits & (ERROR | READ_CLOSED | WRITE_CLOSED)),
        };
        if events.len() < events.capacity() {
            events.push(event);
        } else {
            drop(regs);
            self.regs.borrow_mut().overflow.push((slot, bits));
        }
        true
    }

    fn waker_read_done(&self, result: u32, events: &mut Events) -> bool {
        let Some(waker) = self.waker.get() else {
            return false;
        };
        if result & 0xf == DROPPED {
            return false;
        }
        self.start_waker_read(&waker);
        let event = Event {
            token: waker.token,
            bits: READ,
        };
        if events.len() < events.capacity() {
            events.push(event);
        }
        true
    }

    fn start_waker_read(&self, waker: &WakerStream) {
        // SAFETY: `waker_byte` lives as long as the selector state, which
        // outlives the stream (its `Drop` cancels the read first); nothing
        // else touches it.
        let status = unsafe { bytes::start_read(waker.reader, self.waker_byte.get(), 1) };
        // A byte already written by `wake` completes the read at once:
        // start another so the next `wake` is seen, and let the event
        // through (the selector reports it from `wake`'s overflow entry).
        if status != BLOCKED && status & 0xf != DROPPED {
            // SAFETY: as above.
            let again = unsafe { bytes::start_read(waker.reader, self.waker_byte.get(), 1) };
            debug_assert!(again == BLOCKED || again & 0xf == DROPPED);
        }
    }
}

impl Drop for State {
    fn drop(&mut self) {
        // Unfinished background writes are cancelled (each out of the set
        // first, then dropped).
        for linger in self.lingering.get_mut().drain(..).flatten() {
            join(linger.waitable(), 0);
            drop(linger);
        }
        if let Some(waker) = self.waker.get() {
            join(waker.reader, 0);
            join(waker.writer, 0);
            bytes::cancel_read(waker.reader);
            bytes::drop_readable(waker.reader);
            if waker.writing {
                bytes::cancel_write(waker.writer);
            }
            bytes::drop_writable(waker.writer);
        }
        set_drop(self.set);
    }
}

impl SelectorApi for Selector {
    fn new() -> io::Result<Selector> {
        let selector = Selector {
            id: next_selector_id(),
            state: Shared::new(State {
                set: set_new(),
                regs: RefCell::new(Registrations::default()),
                waker: Cell::new(None),
                waker_byte: UnsafeCell::new(0),
                lingering: RefCell::new(Vec::new()),
            }),
        };
        LATEST.with(|latest| *latest.borrow_mut() = selector.state.downgrade());
        Ok(selector)
    }

    fn try_clone(&self) -> io::Result<Selector> {
        Ok(self.clone_handle())
    }

    fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        events.clear();
        let state = &*self.state;
        self.take_overflow(events);
        // What is pending already is taken without waiting when the caller
        // must not wait (a zero timeout, a synchronous export) and before a
        // timer is started for nothing (5 host calls). A wait without a
        // timeout skips this: `waitable-set.wait` returns a pending event
        // at once, and the drain below takes the rest.
        if timeout.is_some() || !blocking_allowed() {
            state.drain(&mut None, events);
        }
        if !events.is_empty() || timeout == Some(Duration::ZERO) {
            return Ok(());
        }
        if !blocking_allowed() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "mio's WASI 0.3 backend cannot block in Poll::poll here: the program \
                 runs in a synchronous export (the WASI 0.2 `wasi:cli/run`), where a \
                 wait traps. Run it with a host that calls the async \
                 `wasi:cli/run@0.3` export this crate adds (wasmtime 49 or later), \
                 or poll with a zero timeout",
            ));
        }
        if timeout.is_none() && self.is_idle() {
            // Nothing could ever end this wait.
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "mio (WASI 0.3 waitable set): nothing to wait for: no registered source, \
                 no waker and no timeout",
            ));
        }
        let mut timer = match timeout {
            None => None,
            Some(t) => {
                let nanos = u64::try_from(t.as_nanos()).unwrap_or(u64::MAX);
                match start_wait_for(nanos) {
                    // Already elapsed.
                    None => return Ok(()),
                    Some(subtask) => {
                        join(subtask, state.set);
                        Some(subtask)
                    }
                }
            }
        };
        loop {
            let event = set_wait(state.set);
            if timer == Some(event.1) && event.0 == EVENT_SUBTASK {
                if event.2 & 0xf >= 2 {
                    subtask_drop(event.1);
                    timer = None;
                    break;
                }
                continue;
            }
            if state.dispatch(event, events) {
                break;
            }
        }
        state.drain(&mut timer, events);
        if let Some(subtask) = timer {
            // A synchronous cancel traps on a waitable still in a set.
            join(subtask, 0);
            subtask_cancel(subtask);
            subtask_drop(subtask);
        }
        Ok(())
    }

    fn id(&self) -> usize {
        self.id
    }
}

impl Selector {
    pub(crate) fn clone_handle(&self) -> Selector {
        Selector {
            id: self.id,
            state: Shared::clone(&self.state),
        }
    }

    pub(crate) fn same_as(&self, other: &Selector) -> bool {
        self.state.ptr_eq(&other.state)
    }

    fn is_idle(&self) -> bool {
        self.state.waker.get().is_none() && self.state.regs.borrow().owners.is_empty()
    }

    fn take_overflow(&self, events: &mut Events) {
        let mut regs = self.state.regs.borrow_mut();
        if regs.overflow.is_empty() {
            return;
        }
        let mut kept = 0;
        for i in 0..regs.overflow.len() {
            let (slot, bits) = regs.overflow[i];
            let Some(Some(entry)) = regs.entries.get(slot) else {
                continue;
            };
            let directions = bits & entry.interests;
            if directions == 0 {
                continue;
            }
            if events.len() < events.capacity() {
                events.push(Event {
                    token: entry.token,
                    bits: directions | (bits & (ERROR | READ_CLOSED | WRITE_CLOSED)),
                });
            } else {
                regs.overflow[kept] = (slot, bits);
                kept += 1;
            }
        }
        regs.overflow.truncate(kept);
    }

    pub(crate) fn add(
        &self,
        source: Shared<dyn Source>,
        token: Token,
        interests: Interest,
    ) -> usize {
        let entry = Entry {
            token,
            interests: interest_bits(interests),
            source: Shared::clone(&source),
        };
        let slot = {
            let mut regs = self.state.regs.borrow_mut();
            let regs = &mut *regs;
            let slot = occupy_slot(&mut regs.entries, &mut regs.free, entry);
            // Room for every source to overflow once without allocating.
            let wanted = regs.entries.len();
            if regs.overflow.capacity() < wanted {
                let additional = wanted - regs.overflow.len();
                regs.overflow.reserve(additional);
            }
            slot
        };
        source.waitables(&mut |waitable| self.state.link(waitable, slot));
        source.attach(Some(Hook {
            state: self.state.downgrade(),
            slot,
        }));
        let ready = source.ready_now();
        if ready != 0 {
            self.state.regs.borrow_mut().overflow.push((slot, ready));
        }
        slot
    }

    pub(crate) fn modify(&self, slot: usize, token: Token, interests: Interest) {
        let ready = {
            let mut regs = self.state.regs.borrow_mut();
            let Some(Some(entry)) = regs.entries.get_mut(slot) else {
                return;
            };
            entry.token = token;
            entry.interests = interest_bits(interests);
            Shared::clone(&entry.source)
        }
        .ready_now();
        // Like every backend, a re-registration reports what is ready now.
        if ready != 0 {
            self.state.regs.borrow_mut().overflow.push((slot, ready));
        }
    }

    pub(crate) fn remove(&self, slot: usize) {
        let entry = {
            let mut regs = self.state.regs.borrow_mut();
            let Some(entry) = regs.entries.get_mut(slot).and_then(Option::take) else {
                return;
            };
            regs.free.push(slot);
            regs.overflow.retain(|&(s, _)| s != slot);
            entry
        };
        entry.source.attach(None);
        entry
            .source
            .waitables(&mut |waitable| self.state.unlink(waitable));
    }

    pub(crate) fn set_waker(&self, token: Token) -> io::Result<()> {
        let state = &*self.state;
        if let Some(mut waker) = state.waker.get() {
            waker.token = token;
            state.waker.set(Some(waker));
            return Ok(());
        }
        let (reader, writer) = bytes::new();
        let waker = WakerStream {
            token,
            reader,
            writer,
            writing: false,
        };
        {
            let mut regs = state.regs.borrow_mut();
            regs.owners.insert(reader, Owner::WakerRead);
            regs.owners.insert(writer, Owner::WakerWrite);
        }
        join(reader, state.set);
        join(writer, state.set);
        state.waker.set(Some(waker));
        state.start_waker_read(&waker);
        Ok(())
    }

    pub(crate) fn wake(&self) -> io::Result<()> {
        let state = &*self.state;
        let Some(mut waker) = state.waker.get() else {
            return Ok(());
        };
        if waker.writing {
            // A byte is on its way already.
            return Ok(());
        }
        static BYTE: u8 = 1;
        // SAFETY: `BYTE` is a static, valid for the whole program.
        let status = unsafe { bytes::start_write(waker.writer, &BYTE, 1) };
        if status == BLOCKED {
            waker.writing = true;
            state.waker.set(Some(waker));
        } else if status & 0xf == DROPPED {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "mio's WASI 0.3 waker stream is closed",
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Selector")
            .field("id", &self.id)
            .field("waitable_set", &self.state.set)
            .finish()
    }
}
