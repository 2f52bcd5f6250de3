//! The IOCP selector: one completion port per `Poll`, readiness of sockets
//! through `IOCP_AFD_POLL` requests (see `afd.rs`).
//!
//! Each registered socket owns a [`SockState`] holding its poll request.
//! A request is (re)started lazily: registrations and re-arms only queue the
//! socket, and `select` starts the queued requests right before waiting (or
//! at once, when another thread is already waiting).
//!
//! Edge triggering: once an event is reported, its readiness bits are taken
//! out of the socket's interest, so the next request does not complete
//! again for the same condition. They are put back when an I/O call on the
//! socket returns `WouldBlock` (`IoSourceState::do_io`), exactly the point
//! where an edge-triggered OS selector would arm a new edge.

use std::collections::VecDeque;
use std::ffi::c_void;
use std::os::windows::io::{AsRawHandle, RawSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use std::{fmt, io, mem, ptr};

use windows_sys::Win32::Foundation::{ERROR_INVALID_HANDLE, STATUS_CANCELLED};
use windows_sys::Win32::Networking::WinSock::{
    WSAGetLastError, WSAIoctl, SIO_BASE_HANDLE, SIO_BSP_HANDLE, SIO_BSP_HANDLE_POLL,
    SIO_BSP_HANDLE_SELECT, SOCKET, SOCKET_ERROR,
};
use windows_sys::Win32::System::IO::{IO_STATUS_BLOCK, OVERLAPPED_ENTRY};

use super::afd::{self, lock, Afd, AfdGroup, AfdPollInfo, AFD_KEY};
use super::iocp::CompletionPort;
use crate::sys::{next_selector_id, EventApi, SelectorApi};
use crate::{Interest, Token};

/// Completion key of wake-up packets (see `waker.rs`).
pub(crate) const WAKER_KEY: usize = 0x5741_4b45;

/// Completions dequeued per `GetQueuedCompletionStatusEx` call at most.
const ENTRIES: usize = 256;

/// Readiness the user asked for, mapped to AFD bits.
const READABLE_FLAGS: u32 = afd::POLL_RECEIVE
    | afd::POLL_DISCONNECT
    | afd::POLL_ACCEPT
    | afd::POLL_ABORT
    | afd::POLL_CONNECT_FAIL;
const WRITABLE_FLAGS: u32 = afd::POLL_SEND | afd::POLL_ABORT | afd::POLL_CONNECT_FAIL;
const ERROR_FLAGS: u32 = afd::POLL_CONNECT_FAIL;
const READ_CLOSED_FLAGS: u32 = afd::POLL_DISCONNECT | afd::POLL_ABORT | afd::POLL_CONNECT_FAIL;
const WRITE_CLOSED_FLAGS: u32 = afd::POLL_ABORT | afd::POLL_CONNECT_FAIL;
const PRIORITY_FLAGS: u32 = afd::POLL_RECEIVE_EXPEDITED;
/// Conditions reported whatever the interest (as epoll does for errors and
/// hang-ups).
const ALWAYS_FLAGS: u32 = afd::POLL_ABORT | afd::POLL_CONNECT_FAIL;
/// Every bit a request can wait for.
const KNOWN_FLAGS: u32 = READABLE_FLAGS | WRITABLE_FLAGS | PRIORITY_FLAGS;

fn interests_to_afd(interests: Interest) -> u32 {
    let mut flags = ALWAYS_FLAGS;
    if interests.is_readable() {
        flags |= READABLE_FLAGS | READ_CLOSED_FLAGS;
    }
    if interests.is_writable() {
        flags |= WRITABLE_FLAGS | WRITE_CLOSED_FLAGS;
    }
    if interests.is_priority() {
        flags |= PRIORITY_FLAGS;
    }
    flags
}

/// One readiness event: AFD bits plus the token.
#[derive(Clone, Copy)]
pub(crate) struct Event {
    flags: u32,
    data: u64,
}

pub(crate) type Events = Vec<Event>;

impl Event {
    #[cfg(feature = "os-ext")]
    pub(crate) fn from_parts(flags: u32, token: Token) -> Event {
        Event {
            flags,
            data: token.0 as u64,
        }
    }

    pub(crate) fn wake(token: usize) -> Event {
        Event {
            flags: afd::POLL_RECEIVE,
            data: token as u64,
        }
    }
}

impl EventApi for Event {
    fn token(&self) -> Token {
        Token(self.data as usize)
    }
    fn is_readable(&self) -> bool {
        self.flags & READABLE_FLAGS != 0
    }
    fn is_writable(&self) -> bool {
        self.flags & WRITABLE_FLAGS != 0
    }
    fn is_error(&self) -> bool {
        self.flags & ERROR_FLAGS != 0
    }
    fn is_read_closed(&self) -> bool {
        self.flags & READ_CLOSED_FLAGS != 0
    }
    fn is_write_closed(&self) -> bool {
        self.flags & WRITE_CLOSED_FLAGS != 0
    }
    fn is_priority(&self) -> bool {
        self.flags & PRIORITY_FLAGS != 0
    }
    fn debug_details(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: &[(u32, &str)] = &[
            (afd::POLL_RECEIVE, "AFD_POLL_RECEIVE"),
            (afd::POLL_RECEIVE_EXPEDITED, "AFD_POLL_RECEIVE_EXPEDITED"),
            (afd::POLL_SEND, "AFD_POLL_SEND"),
            (afd::POLL_DISCONNECT, "AFD_POLL_DISCONNECT"),
            (afd::POLL_ABORT, "AFD_POLL_ABORT"),
            (afd::POLL_LOCAL_CLOSE, "AFD_POLL_LOCAL_CLOSE"),
            (afd::POLL_ACCEPT, "AFD_POLL_ACCEPT"),
            (afd::POLL_CONNECT_FAIL, "AFD_POLL_CONNECT_FAIL"),
        ];
        struct Flags(u32);
        impl fmt::Debug for Flags {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut first = true;
                for &(bit, name) in NAMES {
                    if self.0 & bit != 0 {
                        if !first {
                            f.write_str(" | ")?;
                        }
                        first = false;
                        f.write_str(name)?;
                    }
                }
                if first {
                    f.write_str("(empty)")?;
                }
                Ok(())
            }
        }
        f.debug_struct("Event")
            .field("flags", &Flags(self.flags))
            .field("data", &self.data)
            .finish()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.debug_details(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PollStatus {
    /// No request in flight.
    Idle,
    /// A request is in flight.
    Pending,
    /// The request in flight was cancelled; its packet is still due.
    Cancelled,
}

/// Per-socket poll state. Lives in an `Arc<Mutex<_>>` whose heap location
/// never moves, so the driver may write `iosb` and `poll_info` in place; a
/// request in flight owns one strong reference (turned into the packet's
/// overlapped pointer), which keeps that memory alive until its completion
/// is dequeued.
pub(crate) struct SockState {
    iosb: IO_STATUS_BLOCK,
    poll_info: AfdPollInfo,
    afd: Arc<Afd>,
    base_socket: RawSocket,
    /// AFD bits still wanted (reported ones are removed until re-armed).
    user_evts: u32,
    /// AFD bits the request in flight waits for.
    pending_evts: u32,
    token: u64,
    status: PollStatus,
    /// Deregistered or closed: report nothing, never poll again.
    delete_pending: bool,
    /// In the selector's update queue (keeps it there at most once).
    queued: bool,
}

// SAFETY: the raw pointers inside (`iosb`, the socket handle in
// `poll_info`) are plain values owned by this state; all access goes
// through the surrounding mutex.
unsafe impl Send for SockState {}

impl SockState {
    fn new(base_socket: RawSocket, afd: Arc<Afd>) -> SockState {
        SockState {
            iosb: IO_STATUS_BLOCK::default(),
            poll_info: AfdPollInfo::zeroed(),
            afd,
            base_socket,
            user_evts: 0,
            pending_evts: 0,
            token: 0,
            status: PollStatus::Idle,
            delete_pending: false,
            queued: false,
        }
    }

    fn set_interest(&mut self, token: Token, interests: Interest) {
        self.user_evts = interests_to_afd(interests);
        self.token = token.0 as u64;
    }

    /// Brings the request in flight in line with `user_evts`.
    /// `this` is the `Arc` around `self`.
    fn update(&mut self, this: &Arc<Mutex<SockState>>) -> io::Result<()> {
        debug_assert!(!self.delete_pending);
        match self.status {
            PollStatus::Pending => {
                if self.user_evts & KNOWN_FLAGS & !self.pending_evts == 0 {
                    // The request in flight already waits for everything
                    // wanted; extra bits it reports are filtered out.
                } else {
                    // Wider interest: cancel, and start again once the
                    // cancellation packet is dequeued.
                    self.cancel()?;
                }
            }
            PollStatus::Cancelled => {}
            PollStatus::Idle => {
                if self.user_evts & KNOWN_FLAGS == 0 {
                    // Nothing to wait for until re-armed.
                    return Ok(());
                }
                self.poll_info = AfdPollInfo::zeroed();
                self.poll_info.timeout = i64::MAX;
                self.poll_info.number_of_handles = 1;
                self.poll_info.exclusive = 0;
                self.poll_info.handles[0].handle = self.base_socket as usize as *mut c_void;
                self.poll_info.handles[0].events = self.user_evts | afd::POLL_LOCAL_CLOSE;
                let context = Arc::into_raw(Arc::clone(this)).cast::<c_void>();
                // SAFETY: `poll_info` and `iosb` live inside the `Arc`
                // whose reference `context` now owns: they stay valid and
                // in place until the packet is dequeued, where that
                // reference is taken back.
                let res = unsafe { self.afd.poll(&mut self.poll_info, &mut self.iosb, context) };
                match res {
                    Ok(()) => {
                        self.status = PollStatus::Pending;
                        self.pending_evts = self.user_evts;
                    }
                    Err(err) => {
                        // No packet will come: take the reference back.
                        // SAFETY: `context` came from `Arc::into_raw` above
                        // and was not handed out.
                        drop(unsafe { Arc::from_raw(context.cast::<Mutex<SockState>>()) });
                        if err.raw_os_error() == Some(ERROR_INVALID_HANDLE as i32) {
                            // The socket was closed behind our back.
                            self.delete_pending = true;
                        } else {
                            return Err(err);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn cancel(&mut self) -> io::Result<()> {
        if self.status != PollStatus::Pending {
            return Ok(());
        }
        // SAFETY: `iosb` belongs to the request started on `afd`.
        unsafe { self.afd.cancel(&mut self.iosb) }?;
        self.status = PollStatus::Cancelled;
        self.pending_evts = 0;
        Ok(())
    }

    /// Records that the state is about to enter the update queue; false
    /// when it is there already (or deleted, and needs no update).
    fn mark_queued(&mut self) -> bool {
        if self.queued || self.delete_pending {
            return false;
        }
        self.queued = true;
        true
    }

    /// Stops reporting events and cancels the request in flight.
    fn mark_delete(&mut self) {
        if !self.delete_pending {
            // A failed cancel leaves the request to complete on its own;
            // its event is then dropped because of `delete_pending`.
            let _ = self.cancel();
            self.delete_pending = true;
        }
    }

    /// Handles the completion of this socket's request. Returns the event
    /// to report, if any; with `report == false` nothing is consumed (the
    /// next request reports the same readiness again).
    fn feed_event(&mut self, report: bool) -> Option<Event> {
        self.status = PollStatus::Idle;
        self.pending_evts = 0;
        if self.delete_pending {
            return None;
        }
        // SAFETY: the request completed, so the driver no longer writes
        // `iosb`; `Status` is the member it filled in.
        let status = unsafe { self.iosb.Anonymous.Status };
        let mut afd_events = if status == STATUS_CANCELLED {
            0
        } else if status < 0 {
            // The request itself failed: report it like a failed socket.
            afd::POLL_CONNECT_FAIL
        } else if self.poll_info.number_of_handles < 1 {
            0
        } else if self.poll_info.handles[0].events & afd::POLL_LOCAL_CLOSE != 0 {
            // Closed without deregistering: forget the socket.
            self.delete_pending = true;
            return None;
        } else {
            self.poll_info.handles[0].events
        };
        afd_events &= self.user_evts;
        if afd_events == 0 || !report {
            return None;
        }
        // Edge trigger: stop waiting for what was just reported.
        self.user_evts &= !afd_events;
        Some(Event {
            flags: afd_events,
            data: self.token,
        })
    }
}

/// The dequeue buffer: holds raw pointers written by the port.
struct Entries(Box<[OVERLAPPED_ENTRY]>);

// SAFETY: the entries are plain data copied out of the port; the pointers
// in them are only interpreted by the thread that dequeued them.
unsafe impl Send for Entries {}

pub(crate) struct SelectorInner {
    port: Arc<CompletionPort>,
    update_queue: Mutex<VecDeque<Arc<Mutex<SockState>>>>,
    afd_group: AfdGroup,
    /// A thread is inside `GetQueuedCompletionStatusEx`.
    is_polling: AtomicBool,
    entries: Mutex<Entries>,
    id: usize,
}

impl SelectorInner {
    fn new() -> io::Result<SelectorInner> {
        let port = Arc::new(CompletionPort::new()?);
        Ok(SelectorInner {
            afd_group: AfdGroup::new(Arc::clone(&port)),
            port,
            update_queue: Mutex::new(VecDeque::new()),
            is_polling: AtomicBool::new(false),
            entries: Mutex::new(Entries(
                vec![OVERLAPPED_ENTRY::default(); ENTRIES].into_boxed_slice(),
            )),
            id: next_selector_id(),
        })
    }

    pub(crate) fn port(&self) -> &Arc<CompletionPort> {
        &self.port
    }

    pub(crate) fn id(&self) -> usize {
        self.id
    }

    fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        events.clear();
        let mut entries = lock(&self.entries);
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut timeout = timeout;
        loop {
            let room = events.capacity() - events.len();
            // With no room, dequeue one packet only to notice that there
            // is something, and leave it pending (see `feed`).
            let want = room.clamp(1, entries.0.len());
            self.is_polling.store(true, Ordering::SeqCst);
            let res = self
                .update_sockets()
                .and_then(|()| self.port.get_many(&mut entries.0[..want], timeout));
            self.is_polling.store(false, Ordering::SeqCst);
            let n = res?;
            if n == 0 {
                return Ok(()); // timed out
            }
            let reported = self.feed(events, &entries.0[..n], room > 0)?;
            if reported > 0 || room == 0 {
                return Ok(());
            }
            // Only bookkeeping packets (cancellations, closed sockets):
            // wait again for the rest of the timeout.
            match deadline {
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Ok(());
                    }
                    timeout = Some(deadline - now);
                }
                None => timeout = None,
            }
        }
    }

    /// Turns dequeued packets into events; returns how many were added.
    fn feed(
        &self,
        events: &mut Events,
        entries: &[OVERLAPPED_ENTRY],
        report: bool,
    ) -> io::Result<usize> {
        let mut added = 0;
        let mut error = None;
        for entry in entries {
            match entry.lpCompletionKey {
                WAKER_KEY => {
                    // SAFETY: packets with this key are posted by
                    // `Waker::wake` and each is dequeued once.
                    match unsafe {
                        super::waker::on_dequeue(&self.port, entry.lpOverlapped, report)
                    } {
                        Ok(Some(event)) => {
                            events.push(event);
                            added += 1;
                        }
                        Ok(None) => {}
                        // Handle the remaining packets first: each owns a
                        // reference that must be taken back.
                        Err(err) => error = error.or(Some(err)),
                    }
                }
                AFD_KEY => {
                    // SAFETY: every packet with this key comes from a poll
                    // request whose context is a reference made by
                    // `Arc::into_raw` in `SockState::update`; each packet
                    // arrives once, so the reference is taken back once.
                    let sock =
                        unsafe { Arc::from_raw(entry.lpOverlapped.cast::<Mutex<SockState>>()) };
                    let (event, requeue) = {
                        let mut state = lock(&sock);
                        let event = state.feed_event(report);
                        (event, state.mark_queued())
                    };
                    if let Some(event) = event {
                        events.push(event);
                        added += 1;
                    }
                    if requeue {
                        // The next request waits for what is still wanted.
                        lock(&self.update_queue).push_back(sock);
                    }
                }
                #[cfg(feature = "os-ext")]
                super::named_pipe::PIPE_KEY => {
                    // SAFETY: packets with this key come from the named
                    // pipe module, each dequeued once.
                    if let Some(event) = unsafe { super::named_pipe::on_completion(entry, report) }
                    {
                        events.push(event);
                        added += 1;
                    }
                }
                _ => {}
            }
        }
        match error {
            Some(err) => Err(err),
            None => Ok(added),
        }
    }

    /// Starts or adjusts the poll requests of every queued socket.
    fn update_sockets(&self) -> io::Result<()> {
        let mut queue = lock(&self.update_queue);
        while let Some(sock) = queue.pop_front() {
            let res = {
                let mut state = lock(&sock);
                state.queued = false;
                let res = if state.delete_pending {
                    Ok(())
                } else {
                    state.update(&sock)
                };
                if res.is_err() {
                    // Stays queued: retried on the next call.
                    state.queued = true;
                }
                res
            };
            if let Err(err) = res {
                queue.push_front(sock);
                return Err(err);
            }
        }
        drop(queue);
        self.afd_group.release_unused();
        Ok(())
    }

    fn queue(&self, sock: &Arc<Mutex<SockState>>) -> io::Result<()> {
        if lock(sock).mark_queued() {
            lock(&self.update_queue).push_back(Arc::clone(sock));
        }
        // A thread already waiting would not see the queue until its next
        // call: start the request now so its completion wakes that thread.
        if self.is_polling.load(Ordering::SeqCst) {
            self.update_sockets()?;
        }
        Ok(())
    }

    pub(crate) fn register(
        &self,
        socket: RawSocket,
        token: Token,
        interests: Interest,
    ) -> io::Result<Arc<Mutex<SockState>>> {
        let base = base_socket(socket)?;
        let afd = self.afd_group.acquire()?;
        let sock = Arc::new(Mutex::new(SockState::new(base, afd)));
        lock(&sock).set_interest(token, interests);
        self.queue(&sock)?;
        Ok(sock)
    }

    pub(crate) fn reregister(
        &self,
        sock: &Arc<Mutex<SockState>>,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        lock(sock).set_interest(token, interests);
        self.queue(sock)
    }

    /// Re-arms after `WouldBlock`: waits again for the direction that would
    /// block (of those registered); a direction already reported and not
    /// blocked stays quiet. Skips the queue when the request in flight
    /// already covers it.
    pub(crate) fn rearm(
        &self,
        sock: &Arc<Mutex<SockState>>,
        registered: Interest,
        blocked: Interest,
    ) -> io::Result<()> {
        let covered = {
            let mut state = lock(sock);
            state.user_evts |= interests_to_afd(registered) & interests_to_afd(blocked);
            state.status == PollStatus::Pending
                && state.user_evts & KNOWN_FLAGS & !state.pending_evts == 0
        };
        if covered {
            Ok(())
        } else {
            self.queue(sock)
        }
    }
}

/// Stops events for a socket whose registration ends.
pub(crate) fn mark_delete(sock: &Arc<Mutex<SockState>>) {
    lock(sock).mark_delete();
}

impl Drop for SelectorInner {
    fn drop(&mut self) {
        // Take back the references held by packets already queued (the
        // requests still in flight keep theirs: the driver may yet write
        // to that memory).
        let entries = &mut self
            .entries
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0;
        loop {
            let n = match self.port.get_many(entries, Some(Duration::ZERO)) {
                Ok(n) if n > 0 => n,
                _ => break,
            };
            for entry in &entries[..n] {
                if entry.lpCompletionKey == AFD_KEY {
                    // SAFETY: as in `feed`: one packet, one reference.
                    let sock =
                        unsafe { Arc::from_raw(entry.lpOverlapped.cast::<Mutex<SockState>>()) };
                    lock(&sock).mark_delete();
                } else if entry.lpCompletionKey == WAKER_KEY {
                    // SAFETY: as in `feed`: one packet, one reference.
                    unsafe { super::waker::discard(entry.lpOverlapped) };
                }
                #[cfg(feature = "os-ext")]
                if entry.lpCompletionKey == super::named_pipe::PIPE_KEY {
                    // SAFETY: as in `feed`.
                    unsafe { super::named_pipe::discard(entry) };
                }
            }
        }
        self.afd_group.release_unused();
    }
}

/// The socket the AFD driver knows, beneath any layered service providers
/// (which would otherwise hand the driver a handle it does not own).
fn base_socket(socket: RawSocket) -> io::Result<RawSocket> {
    let mut last_err = None;
    for ioctl in [
        SIO_BASE_HANDLE,
        SIO_BSP_HANDLE_SELECT,
        SIO_BSP_HANDLE_POLL,
        SIO_BSP_HANDLE,
    ] {
        let mut base: SOCKET = 0;
        let mut bytes = 0u32;
        // SAFETY: the output buffer is a live SOCKET of the stated size;
        // no overlapped operation.
        let res = unsafe {
            WSAIoctl(
                socket as SOCKET,
                ioctl,
                ptr::null(),
                0,
                (&mut base as *mut SOCKET).cast(),
                mem::size_of::<SOCKET>() as u32,
                &mut bytes,
                ptr::null_mut(),
                None,
            )
        };
        if res != SOCKET_ERROR {
            return Ok(base as RawSocket);
        }
        // SAFETY: plain call, reads thread-local state.
        last_err = Some(io::Error::from_raw_os_error(unsafe { WSAGetLastError() }));
        if ioctl == SIO_BASE_HANDLE {
            // Only layered providers make the other requests useful; an
            // invalid socket fails them all alike.
            match last_err.as_ref().and_then(io::Error::raw_os_error) {
                Some(code) if code == windows_sys::Win32::Networking::WinSock::WSAENOTSOCK => break,
                _ => {}
            }
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::from(io::ErrorKind::InvalidInput)))
}

/// The selector handle kept by `Poll`/`Registry` (clones share one port).
#[derive(Clone)]
pub(crate) struct Selector {
    inner: Arc<SelectorInner>,
}

impl Selector {
    pub(crate) fn inner(&self) -> &Arc<SelectorInner> {
        &self.inner
    }
}

impl fmt::Debug for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Selector")
            .field("port", &self.inner.port.as_raw_handle())
            .field("id", &self.inner.id)
            .finish()
    }
}

impl SelectorApi for Selector {
    fn new() -> io::Result<Selector> {
        SelectorInner::new().map(|inner| Selector {
            inner: Arc::new(inner),
        })
    }

    fn try_clone(&self) -> io::Result<Selector> {
        Ok(self.clone())
    }

    fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        self.inner.select(events, timeout)
    }

    fn id(&self) -> usize {
        self.inner.id
    }
}
