//! `NamedPipe`: a Windows named pipe driven by overlapped I/O whose
//! completions arrive on the selector's completion port.
//!
//! Pipes have no readiness to poll, so readiness is made up from I/O:
//!
//! * reads: once registered, the pipe keeps one `ReadFile` in flight into
//!   an internal buffer. Its completion is the readable event; `read`
//!   copies out of the buffer and starts the next `ReadFile` when the
//!   buffer is empty. With nothing buffered, `read` returns `WouldBlock`.
//! * writes: `write` copies the data into an internal buffer and starts a
//!   `WriteFile`, returning at once. Until it completes (the writable
//!   event) further writes return `WouldBlock`. Errors of a finished write
//!   are returned by the next `write`.
//! * `connect` (server end): `ConnectNamedPipe`; when it cannot finish at
//!   once it returns `WouldBlock` and a writable event follows.
//!
//! Each operation in flight owns a strong reference to the pipe's shared
//! state (`Inner`), handed to the kernel as the `OVERLAPPED` pointer, so the
//! buffers and `OVERLAPPED`s stay valid until the completion is dequeued.

use std::cell::UnsafeCell;
use std::ffi::OsStr;
use std::io::{self, IoSlice, Read, Write};
use std::mem::offset_of;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle, RawHandle};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::{fmt, ptr};

use windows_sys::Win32::Foundation::{
    ERROR_BROKEN_PIPE, ERROR_IO_PENDING, ERROR_MORE_DATA, ERROR_OPERATION_ABORTED,
    ERROR_PIPE_CONNECTED, ERROR_PIPE_LISTENING, ERROR_PIPE_NOT_CONNECTED, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Storage::FileSystem::{
    ReadFile, WriteFile, FILE_FLAG_FIRST_PIPE_INSTANCE, FILE_FLAG_OVERLAPPED, PIPE_ACCESS_DUPLEX,
};
use windows_sys::Win32::System::Pipes::{
    ConnectNamedPipe, CreateNamedPipeW, DisconnectNamedPipe, PIPE_READMODE_BYTE,
    PIPE_REJECT_REMOTE_CLIENTS, PIPE_TYPE_BYTE, PIPE_UNLIMITED_INSTANCES, PIPE_WAIT,
};
use windows_sys::Win32::System::IO::{
    CancelIoEx, GetOverlappedResult, OVERLAPPED, OVERLAPPED_ENTRY,
};

use super::afd::{self, lock};
use super::iocp::CompletionPort;
use super::selector::Event;
use crate::event::Source;
use crate::sys::misuse;
use crate::{Interest, Registry, Token};

/// Completion key of every named pipe on a selector's port.
pub(crate) const PIPE_KEY: usize = 0x5049_5045;

/// Size of the internal read buffer, and the most one `write` accepts.
const BUF_SIZE: usize = 64 * 1024;

/// A non-blocking Windows named pipe (either end), registrable with a
/// [`Poll`](crate::Poll).
///
/// Create the server end with [`NamedPipe::new`] and wait for a client
/// with [`NamedPipe::connect`]; open the client end with
/// [`std::fs::OpenOptions`] using `FILE_FLAG_OVERLAPPED`, then convert it
/// with [`FromRawHandle`].
///
/// A server end reports no event, neither readable nor writable, until a
/// client is connected: after `connect` returned `WouldBlock`, the writable
/// event says that one is.
///
/// Reads and writes go through internal buffers with overlapped I/O (see
/// the module documentation): register the pipe before reading or writing,
/// otherwise both return `WouldBlock`. Readiness is edge-triggered like
/// sockets: keep reading until `WouldBlock` before waiting again.
pub struct NamedPipe {
    inner: Arc<Inner>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Kind {
    Connect,
    Read,
    Write,
    /// A packet posted by hand to report readiness that needs no I/O.
    Notify,
}

/// An `OVERLAPPED` tagged with the operation it belongs to. `raw` comes
/// first, so a pointer to it is a pointer to the whole struct.
#[repr(C)]
struct Overlapped {
    raw: UnsafeCell<OVERLAPPED>,
    kind: Kind,
}

impl Overlapped {
    fn new(kind: Kind) -> Overlapped {
        Overlapped {
            raw: UnsafeCell::new(OVERLAPPED::default()),
            kind,
        }
    }

    /// A zeroed `OVERLAPPED` for a new operation.
    ///
    /// # Safety
    ///
    /// No operation may be using this `OVERLAPPED`.
    unsafe fn start(&self) -> *mut OVERLAPPED {
        let raw = self.raw.get();
        // SAFETY: no operation uses it (caller's contract), so nobody
        // else reads or writes it now.
        unsafe { *raw = OVERLAPPED::default() };
        raw
    }
}

#[repr(C)]
struct Inner {
    connect: Overlapped,
    read: Overlapped,
    write: Overlapped,
    notify: Overlapped,
    handle: OwnedHandle,
    /// A `ConnectNamedPipe` is in flight.
    connecting: AtomicBool,
    /// A `Notify` packet is queued.
    notify_queued: AtomicBool,
    io: Mutex<Io>,
}

// SAFETY: each `OVERLAPPED` is touched only by the one operation in
// flight that owns it (guarded by `io`'s states and `connecting` /
// `notify_queued`), or by the kernel while that operation runs; the rest
// is behind the mutex or atomic.
unsafe impl Send for Inner {}
// SAFETY: as above.
unsafe impl Sync for Inner {}

#[derive(Debug)]
enum ReadState {
    /// No data and no `ReadFile` in flight.
    Idle,
    /// A `ReadFile` fills `buf`.
    Pending,
    /// `buf[pos..]` is unread data.
    Data(usize),
    /// The other end closed.
    Eof,
    Err(io::Error),
}

#[derive(Debug)]
enum WriteState {
    Idle,
    /// A `WriteFile` sends `buf[pos..]`.
    Pending(usize),
    Err(io::Error),
}

struct Io {
    port: Option<Arc<CompletionPort>>,
    /// Token and interests while registered.
    registration: Option<(Token, Interest)>,
    read: ReadState,
    read_buf: Vec<u8>,
    write: WriteState,
    write_buf: Vec<u8>,
    /// Result of a `ConnectNamedPipe` that failed after `WouldBlock`.
    connect_error: Option<io::Error>,
    /// A server end known to have no client (created by `NamedPipe::new`,
    /// disconnected, or a read found it listening): neither readable nor
    /// writable until `connect` reports a client, as in mio.
    listening: bool,
}

fn would_block() -> io::Error {
    io::ErrorKind::WouldBlock.into()
}

fn is_os_error(err: &io::Error, code: u32) -> bool {
    err.raw_os_error() == Some(code as i32)
}

impl NamedPipe {
    /// Creates the server end of a new pipe named `addr` (for example
    /// `\\.\pipe\my-pipe`): duplex, byte mode, overlapped, local clients
    /// only. Fails if a pipe of that name exists already.
    ///
    /// # Errors
    ///
    /// Whatever `CreateNamedPipeW` reports.
    pub fn new<A: AsRef<OsStr>>(addr: A) -> io::Result<NamedPipe> {
        let name: Vec<u16> = addr.as_ref().encode_wide().chain(Some(0)).collect();
        // SAFETY: `name` is a NUL-terminated UTF-16 string that outlives
        // the call; no security attributes.
        let handle = unsafe {
            CreateNamedPipeW(
                name.as_ptr(),
                PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE | FILE_FLAG_OVERLAPPED,
                PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                PIPE_UNLIMITED_INSTANCES,
                BUF_SIZE as u32,
                BUF_SIZE as u32,
                0,
                ptr::null(),
            )
        };
        if handle == INVALID_HANDLE_VALUE {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `handle` is a new pipe handle that nobody else owns, and
        // it was opened for overlapped I/O.
        let pipe = unsafe { NamedPipe::from_raw_handle(handle) };
        lock(&pipe.inner.io).listening = true;
        Ok(pipe)
    }

    /// Waits for a client to connect to this server end.
    ///
    /// `Ok(())` when a client is connected; `WouldBlock` when the
    /// connection is still to come, which a writable event then reports
    /// (call `connect` again afterwards: it returns `Ok(())`, or the error
    /// that ended the attempt).
    ///
    /// # Errors
    ///
    /// `WouldBlock` as above; `InvalidInput` if the pipe is not registered
    /// (nothing could report the completion); otherwise the OS error.
    pub fn connect(&self) -> io::Result<()> {
        let inner = &self.inner;
        {
            let mut io = lock(&inner.io);
            if let Some(err) = io.connect_error.take() {
                return Err(err);
            }
            if io.port.is_none() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "Windows named pipe: register the pipe with a `Registry` before `connect`",
                ));
            }
        }
        if inner.connecting.swap(true, Ordering::AcqRel) {
            return Err(would_block());
        }
        // SAFETY: `connecting` was false, so no connect uses this
        // `OVERLAPPED`.
        let overlapped = unsafe { inner.connect.start() };
        // SAFETY: the handle is open; the `OVERLAPPED` lives in `inner`,
        // kept alive by the reference handed over below if pending.
        let ok = unsafe { ConnectNamedPipe(inner.handle.as_raw_handle(), overlapped) };
        let err = io::Error::last_os_error();
        if ok != 0 || is_os_error(&err, ERROR_PIPE_CONNECTED) {
            // Done at once: an immediate success of an overlapped connect
            // still queues a packet, ERROR_PIPE_CONNECTED does not.
            if ok != 0 {
                let _ = Arc::into_raw(Arc::clone(inner));
                return Ok(());
            }
            inner.connecting.store(false, Ordering::Release);
            // A client was already waiting. Reads failed while there was
            // none: start one now, or a caller that waits for a readable
            // event before reading would wait forever; and report the
            // writable pipe.
            let mut io = lock(&inner.io);
            io.listening = false;
            Inner::post_register(inner, &mut io);
            return Ok(());
        }
        if is_os_error(&err, ERROR_IO_PENDING) {
            // The packet owns this reference.
            let _ = Arc::into_raw(Arc::clone(inner));
            return Err(would_block());
        }
        inner.connecting.store(false, Ordering::Release);
        Err(err)
    }

    /// Disconnects the server end from its client, so that `connect` can
    /// accept the next one.
    ///
    /// # Errors
    ///
    /// Whatever `DisconnectNamedPipe` reports.
    pub fn disconnect(&self) -> io::Result<()> {
        // SAFETY: the handle is open.
        if unsafe { DisconnectNamedPipe(self.inner.handle.as_raw_handle()) } == 0 {
            return Err(io::Error::last_os_error());
        }
        lock(&self.inner.io).listening = true;
        Ok(())
    }
}

impl Inner {
    /// Starts a `ReadFile` into the read buffer if none is in flight and
    /// the pipe is registered.
    fn schedule_read(me: &Arc<Inner>, io: &mut Io) {
        if !matches!(io.read, ReadState::Idle) || io.port.is_none() {
            return;
        }
        io.read_buf.clear();
        io.read_buf.reserve(BUF_SIZE);
        // SAFETY: the read state is Idle, so no read uses this OVERLAPPED.
        let overlapped = unsafe { me.read.start() };
        // SAFETY: the buffer has `BUF_SIZE` bytes of spare capacity, and
        // it is neither moved on the heap nor touched while the state is
        // Pending; the OVERLAPPED lives in `me`, kept alive by the
        // reference handed over below.
        let ok = unsafe {
            ReadFile(
                me.handle.as_raw_handle(),
                io.read_buf.as_mut_ptr(),
                BUF_SIZE as u32,
                ptr::null_mut(),
                overlapped,
            )
        };
        let err = io::Error::last_os_error();
        if ok != 0 || is_os_error(&err, ERROR_IO_PENDING) {
            // Reading works, so a client is there.
            io.listening = false;
            io.read = ReadState::Pending;
            // The packet owns this reference.
            let _ = Arc::into_raw(Arc::clone(me));
        } else if is_os_error(&err, ERROR_PIPE_LISTENING) {
            // Server end without a client yet: `connect`'s completion
            // starts the read.
            io.listening = true;
        } else {
            io.read = if is_os_error(&err, ERROR_BROKEN_PIPE)
                || is_os_error(&err, ERROR_PIPE_NOT_CONNECTED)
            {
                ReadState::Eof
            } else {
                ReadState::Err(err)
            };
            Inner::notify(me, io);
        }
    }

    /// Starts a `WriteFile` of `write_buf[pos..]`.
    fn schedule_write(me: &Arc<Inner>, io: &mut Io, pos: usize) -> io::Result<()> {
        // SAFETY: the write state is not Pending, so no write uses this
        // OVERLAPPED.
        let overlapped = unsafe { me.write.start() };
        let len = (io.write_buf.len() - pos) as u32;
        // SAFETY: the buffer is valid for `len` bytes from `pos` and is not
        // touched while the state is Pending; the OVERLAPPED lives in `me`,
        // kept alive by the reference handed over below.
        let ok = unsafe {
            WriteFile(
                me.handle.as_raw_handle(),
                io.write_buf.as_ptr().add(pos),
                len,
                ptr::null_mut(),
                overlapped,
            )
        };
        let err = io::Error::last_os_error();
        if ok != 0 || is_os_error(&err, ERROR_IO_PENDING) {
            io.write = WriteState::Pending(pos);
            // The packet owns this reference.
            let _ = Arc::into_raw(Arc::clone(me));
            Ok(())
        } else {
            io.write = WriteState::Idle;
            Err(err)
        }
    }

    /// Queues a `Notify` packet (at most one at a time) so that readiness
    /// known without I/O is reported by the next `poll`.
    fn notify(me: &Arc<Inner>, io: &Io) {
        let Some(port) = &io.port else { return };
        if me.notify_queued.swap(true, Ordering::AcqRel) {
            return;
        }
        // SAFETY: `notify_queued` was false, so no packet uses it.
        let overlapped = unsafe { me.notify.start() };
        let context = Arc::into_raw(Arc::clone(me));
        if port.post(PIPE_KEY, overlapped).is_err() {
            // Not queued: take the reference back.
            // SAFETY: `context` came from `Arc::into_raw` just above.
            drop(unsafe { Arc::from_raw(context) });
            me.notify_queued.store(false, Ordering::Release);
        }
    }

    /// Readiness known right now, for registration and `Notify` packets.
    fn current_readiness(&self, io: &Io) -> u32 {
        let mut flags = 0;
        if matches!(
            io.read,
            ReadState::Data(_) | ReadState::Eof | ReadState::Err(_)
        ) {
            flags |= afd::POLL_RECEIVE;
        }
        if !io.listening
            && !self.connecting.load(Ordering::Acquire)
            && !matches!(io.write, WriteState::Pending(_))
        {
            flags |= afd::POLL_SEND;
        }
        flags
    }

    /// After (re)registration: start reading, and report what is ready.
    fn post_register(me: &Arc<Inner>, io: &mut Io) {
        let Some((_, interests)) = io.registration else {
            return;
        };
        if interests.is_readable() {
            Inner::schedule_read(me, io);
        }
        if event_flags(io, me.current_readiness(io)) != 0 {
            Inner::notify(me, io);
        }
    }

    /// The result of the finished operation behind `overlapped`.
    fn result(&self, overlapped: *mut OVERLAPPED) -> io::Result<usize> {
        let mut bytes = 0u32;
        // SAFETY: the operation is finished (its packet was dequeued), so
        // the OVERLAPPED holds its final status; no waiting.
        let ok =
            unsafe { GetOverlappedResult(self.handle.as_raw_handle(), overlapped, &mut bytes, 0) };
        if ok == 0 {
            let err = io::Error::last_os_error();
            // A message longer than the buffer: the rest comes next read.
            if !is_os_error(&err, ERROR_MORE_DATA) {
                return Err(err);
            }
        }
        Ok(bytes as usize)
    }

    fn complete(me: &Arc<Inner>, kind: Kind) -> u32 {
        match kind {
            Kind::Connect => {
                let res = me.result(me.connect.raw.get());
                me.connecting.store(false, Ordering::Release);
                let mut io = lock(&me.io);
                if let Err(err) = res {
                    if !is_os_error(&err, ERROR_OPERATION_ABORTED) {
                        io.connect_error = Some(err);
                    }
                } else {
                    io.listening = false;
                    if matches!(io.registration, Some((_, i)) if i.is_readable()) {
                        Inner::schedule_read(me, &mut io);
                    }
                }
                event_flags(&io, afd::POLL_SEND)
            }
            Kind::Read => {
                let res = me.result(me.read.raw.get());
                let empty = matches!(res, Ok(0));
                let mut io = lock(&me.io);
                io.read = match res {
                    Ok(0) => ReadState::Idle,
                    Ok(n) => {
                        // SAFETY: the kernel wrote `n <= BUF_SIZE` bytes
                        // into the spare capacity reserved for this read.
                        unsafe { io.read_buf.set_len(n) };
                        ReadState::Data(0)
                    }
                    Err(err)
                        if is_os_error(&err, ERROR_BROKEN_PIPE)
                            || is_os_error(&err, ERROR_PIPE_NOT_CONNECTED) =>
                    {
                        ReadState::Eof
                    }
                    // Cancelled (pipe dropped or `CancelIoEx`): no event.
                    Err(err) if is_os_error(&err, ERROR_OPERATION_ABORTED) => ReadState::Idle,
                    Err(err) => ReadState::Err(err),
                };
                if matches!(io.read, ReadState::Idle) {
                    if empty {
                        // An empty message: keep reading.
                        Inner::schedule_read(me, &mut io);
                    }
                    return 0;
                }
                event_flags(&io, afd::POLL_RECEIVE)
            }
            Kind::Write => {
                let res = me.result(me.write.raw.get());
                let mut io = lock(&me.io);
                let WriteState::Pending(pos) = io.write else {
                    return 0;
                };
                match res {
                    Ok(n) if pos + n < io.write_buf.len() => {
                        // Partly written: send the rest, report later.
                        match Inner::schedule_write(me, &mut io, pos + n) {
                            Ok(()) => return 0,
                            Err(err) => io.write = WriteState::Err(err),
                        }
                    }
                    Ok(_) => io.write = WriteState::Idle,
                    Err(err) => io.write = WriteState::Err(err),
                }
                event_flags(&io, afd::POLL_SEND)
            }
            Kind::Notify => {
                me.notify_queued.store(false, Ordering::Release);
                let io = lock(&me.io);
                event_flags(&io, me.current_readiness(&io))
            }
        }
    }
}

/// The part of `flags` the registration asks for (nothing when not
/// registered).
fn event_flags(io: &Io, flags: u32) -> u32 {
    match io.registration {
        Some((_, interests)) => {
            let mut wanted = 0;
            if interests.is_readable() {
                wanted |= afd::POLL_RECEIVE;
            }
            if interests.is_writable() {
                wanted |= afd::POLL_SEND;
            }
            flags & wanted
        }
        None => 0,
    }
}

/// Takes back the `Inner` reference owned by a dequeued packet; returns
/// it with the kind of operation that finished.
///
/// # Safety
///
/// `entry` must be a packet with `PIPE_KEY` produced by this module,
/// dequeued exactly once.
unsafe fn packet_owner(entry: &OVERLAPPED_ENTRY) -> (Arc<Inner>, Kind) {
    let overlapped = entry.lpOverlapped.cast::<Overlapped>();
    // SAFETY: every packet of this module points at the `raw` field (the
    // first) of an `Overlapped` inside a live `Inner`: the packet owns a
    // strong reference to it.
    let kind = unsafe { (*overlapped).kind };
    let offset = match kind {
        Kind::Connect => offset_of!(Inner, connect),
        Kind::Read => offset_of!(Inner, read),
        Kind::Write => offset_of!(Inner, write),
        Kind::Notify => offset_of!(Inner, notify),
    };
    // SAFETY: `overlapped` is the field at `offset` of an `Inner` that an
    // `Arc` allocated; stepping back gives that `Inner`, and the packet's
    // reference (from `Arc::into_raw`) is taken back exactly once here.
    let me = unsafe { Arc::from_raw(overlapped.cast::<u8>().sub(offset).cast::<Inner>()) };
    (me, kind)
}

/// Handles a dequeued packet with `PIPE_KEY`; returns the event to
/// report. With `report == false` (no room for events) the readiness is
/// kept for the next `poll` through a `Notify` packet.
///
/// # Safety
///
/// As for [`packet_owner`].
pub(crate) unsafe fn on_completion(entry: &OVERLAPPED_ENTRY, report: bool) -> Option<Event> {
    // SAFETY: the caller's contract.
    let (me, kind) = unsafe { packet_owner(entry) };
    let flags = Inner::complete(&me, kind);
    if flags == 0 {
        return None;
    }
    let io = lock(&me.io);
    if !report {
        Inner::notify(&me, &io);
        return None;
    }
    let (token, _) = io.registration?;
    Some(Event::from_parts(flags, token))
}

/// Handles a packet left in a port that is being dropped: completes it
/// without reporting anything.
///
/// # Safety
///
/// As for [`packet_owner`].
pub(crate) unsafe fn discard(entry: &OVERLAPPED_ENTRY) {
    // SAFETY: the caller's contract.
    let (me, kind) = unsafe { packet_owner(entry) };
    // Nothing will poll this port again: stop reporting to it (which also
    // keeps the completion from starting new reads).
    lock(&me.io).registration = None;
    Inner::complete(&me, kind);
}

impl Read for NamedPipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Read for &NamedPipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let me = &self.inner;
        let mut io = lock(&me.io);
        match std::mem::replace(&mut io.read, ReadState::Idle) {
            ReadState::Data(pos) => {
                let n = buf.len().min(io.read_buf.len() - pos);
                buf[..n].copy_from_slice(&io.read_buf[pos..pos + n]);
                if pos + n < io.read_buf.len() {
                    io.read = ReadState::Data(pos + n);
                } else {
                    Inner::schedule_read(me, &mut io);
                }
                Ok(n)
            }
            ReadState::Eof => {
                io.read = ReadState::Eof;
                Ok(0)
            }
            ReadState::Err(err) => Err(err),
            ReadState::Pending => {
                io.read = ReadState::Pending;
                Err(would_block())
            }
            ReadState::Idle => {
                Inner::schedule_read(me, &mut io);
                // Started now (or failed, reported through a Notify): its
                // completion is the next readable event.
                Err(would_block())
            }
        }
    }
}

impl Write for NamedPipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self).flush()
    }
}

impl Write for &NamedPipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    /// The buffers, joined in order (up to the internal buffer's size),
    /// go out in one `WriteFile`, as `write` does with one buffer.
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let me = &self.inner;
        let mut io = lock(&me.io);
        match std::mem::replace(&mut io.write, WriteState::Idle) {
            WriteState::Pending(pos) => {
                io.write = WriteState::Pending(pos);
                Err(would_block())
            }
            WriteState::Err(err) => Err(err),
            WriteState::Idle => {
                if io.port.is_none() {
                    return Err(would_block());
                }
                io.write_buf.clear();
                for buf in bufs {
                    let room = BUF_SIZE - io.write_buf.len();
                    if room == 0 {
                        break;
                    }
                    io.write_buf.extend_from_slice(&buf[..buf.len().min(room)]);
                }
                let n = io.write_buf.len();
                Inner::schedule_write(me, &mut io, 0)?;
                Ok(n)
            }
        }
    }

    /// Data handed to `write` is already on its way to the kernel; there is
    /// nothing to flush without blocking.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Source for NamedPipe {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let me = &self.inner;
        let mut io = lock(&me.io);
        if io.registration.is_some() {
            return Err(misuse::already_registered());
        }
        let port = registry.selector().inner().port();
        match &io.port {
            Some(current) if !Arc::ptr_eq(current, port) => {
                // A handle joins one completion port for good.
                return Err(misuse::registered_elsewhere());
            }
            Some(_) => {}
            None => {
                port.add_handle(PIPE_KEY, me.handle.as_raw_handle())?;
                io.port = Some(Arc::clone(port));
            }
        }
        io.registration = Some((token, interests));
        Inner::post_register(me, &mut io);
        Ok(())
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let me = &self.inner;
        let mut io = lock(&me.io);
        check_registered(&io, registry)?;
        io.registration = Some((token, interests));
        Inner::post_register(me, &mut io);
        Ok(())
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        let mut io = lock(&self.inner.io);
        check_registered(&io, registry)?;
        io.registration = None;
        Ok(())
    }
}

/// For `reregister` and `deregister`: the pipe must be registered with
/// `registry`. A pipe bound to another `Registry`'s port is refused with
/// `AlreadyExists`, as `register` does (and mio).
fn check_registered(io: &Io, registry: &Registry) -> io::Result<()> {
    match (&io.registration, &io.port) {
        (_, Some(port)) if !Arc::ptr_eq(port, registry.selector().inner().port()) => {
            Err(misuse::registered_elsewhere())
        }
        (Some(_), Some(_)) => Ok(()),
        _ => Err(misuse::not_registered_here()),
    }
}

/// The handle must be a named pipe (either end) opened with
/// `FILE_FLAG_OVERLAPPED`; ownership moves into the `NamedPipe`.
impl FromRawHandle for NamedPipe {
    unsafe fn from_raw_handle(handle: RawHandle) -> NamedPipe {
        NamedPipe {
            inner: Arc::new(Inner {
                connect: Overlapped::new(Kind::Connect),
                read: Overlapped::new(Kind::Read),
                write: Overlapped::new(Kind::Write),
                notify: Overlapped::new(Kind::Notify),
                // SAFETY: the caller hands over ownership of an open handle.
                handle: unsafe { OwnedHandle::from_raw_handle(handle) },
                connecting: AtomicBool::new(false),
                notify_queued: AtomicBool::new(false),
                io: Mutex::new(Io {
                    port: None,
                    registration: None,
                    read: ReadState::Idle,
                    read_buf: Vec::new(),
                    write: WriteState::Idle,
                    write_buf: Vec::new(),
                    connect_error: None,
                    listening: false,
                }),
            }),
        }
    }
}

impl AsRawHandle for NamedPipe {
    fn as_raw_handle(&self) -> RawHandle {
        self.inner.handle.as_raw_handle()
    }
}

impl fmt::Debug for NamedPipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamedPipe")
            .field("handle", &self.inner.handle.as_raw_handle())
            .finish_non_exhaustive()
    }
}

/// Cancels a pending connect and read (their packets then release the
/// shared state and close the handle). A pending write is left to finish,
/// so written data still reaches the other end.
impl Drop for NamedPipe {
    fn drop(&mut self) {
        let me = &self.inner;
        let read_pending = matches!(lock(&me.io).read, ReadState::Pending);
        if me.connecting.load(Ordering::Acquire) {
            // SAFETY: the handle is open; the OVERLAPPED identifies the
            // connect in flight. A failure means it already finished.
            let _ = unsafe { CancelIoEx(me.handle.as_raw_handle(), me.connect.raw.get()) };
        }
        if read_pending {
            // SAFETY: as above, for the read in flight.
            let _ = unsafe { CancelIoEx(me.handle.as_raw_handle(), me.read.raw.get()) };
        }
    }
}
