//! TCP over `wasi:sockets@0.3`.
//!
//! A listener keeps a one-element read of its `stream<tcp-socket>` in
//! flight; a completed read is an accepted connection, held until `accept`
//! takes it (which starts the next read). A stream keeps one read of its
//! receive stream in flight into a buffer it owns (`read` copies out of
//! it) and writes by copying into a second owned buffer; it is writable
//! when no write is in flight. `connect` starts the async `connect` import
//! and returns; its subtask's completion is the writable event.
//!
//! Drop order: the registration leaves the selector's set first (see
//! `IoSourceState`); then every operation in flight is cancelled, the
//! stream and future ends are dropped, and the socket resource goes last
//! (the host traps when a socket is dropped while a call borrows it).

use std::cell::{Cell, RefCell, UnsafeCell};
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::IntoRawFd;
use std::rc::Rc;
use std::{cmp, fmt, ptr};

use super::bindings::{
    bytes, connect_result, error, family_of, from_wasi, poll_one, results, sockets, start_connect,
    subtask_cancel, subtask_drop, tcp_listen, tcp_receive, tcp_send, to_wasi, unsupported,
    wait_one, ConnectArea, ErrorCode, TcpSocket, BLOCKED, COMPLETED, DROPPED, EVENT_FUTURE_READ,
    EVENT_NONE, EVENT_STREAM_READ, EVENT_STREAM_WRITE, EVENT_SUBTASK, HOST, SUBTASK_RETURNED,
};
use super::entry::blocking_allowed;
use super::fd::Unpark;
use super::io_source::Selectable;
use super::selector::{Home, Hook, Linger, Source};
use super::Shared;
use crate::sys::readiness::{ERROR, READ, READ_CLOSED, WRITE, WRITE_CLOSED};

/// Size of each stream's receive and send buffer.
const BUF_SIZE: usize = 16 * 1024;

/// A heap buffer the host may write or read while an operation is in
/// flight; only ever reached through raw pointers.
struct RawBuf {
    ptr: *mut u8,
}

impl RawBuf {
    fn new() -> RawBuf {
        let boxed: Box<[u8]> = vec![0u8; BUF_SIZE].into_boxed_slice();
        RawBuf {
            ptr: Box::into_raw(boxed).cast::<u8>(),
        }
    }
}

impl Drop for RawBuf {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from `Box::into_raw` of a `BUF_SIZE` slice in
        // `new`, and no operation uses it any more (the owner cancels
        // everything in flight before dropping it).
        drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(self.ptr, BUF_SIZE)) });
    }
}

fn would_block() -> io::Error {
    io::ErrorKind::WouldBlock.into()
}

fn not_connected() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "the TCP stream is not connected",
    )
}

pub(crate) fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = TcpSocket::create(family_of(&addr)).map_err(error)?;
    socket.bind(to_wasi(addr)).map_err(error)?;
    let stream = tcp_listen(&socket).map_err(error)?;
    let state = ListenerState {
        stream,
        slot: UnsafeCell::new(0),
        reading: Cell::new(false),
        ready: Cell::new(None),
        failed: Cell::new(false),
        hook: RefCell::new(None),
        socket: Some(socket),
    };
    // Start reading only once the state has its final (heap) address: the
    // host writes the accepted handle into `slot`.
    let inner = Shared::new(state);
    inner.start_read();
    Ok(TcpListener { inner })
}

pub(crate) fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let socket = TcpSocket::create(family_of(&addr)).map_err(error)?;
    // The state goes to the heap first: the host writes into it.
    let state = Shared::new(StreamState::new(socket));
    {
        let mut conn = state.conn.borrow_mut();
        let mut area = ConnectArea::new();
        match start_connect(state.socket()?, addr, &mut area) {
            Some(subtask) => conn.phase = Phase::Connecting { subtask, area },
            None => match connect_result(&area) {
                Ok(()) => state.set_up(&mut conn),
                Err(code) => {
                    conn.phase = Phase::Failed;
                    conn.error = Some(error(code));
                }
            },
        }
    }
    Ok(TcpStream { inner: state })
}

pub(crate) fn accept(listener: &TcpListener) -> io::Result<(TcpStream, SocketAddr)> {
    let state = &*listener.inner;
    state.socket()?;
    let handle = match state.ready.take() {
        Some(handle) => handle,
        None => {
            if state.failed.get() {
                return Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "the listener's stream of connections ended",
                ));
            }
            state.start_read();
            state.refresh();
            state.ready.take().ok_or_else(would_block)?
        }
    };
    state.start_read();
    let socket = sockets::adopt(handle);
    let peer = socket.get_remote_address().map(from_wasi).map_err(error)?;
    let stream = Shared::new(StreamState::new(socket));
    {
        let mut conn = stream.conn.borrow_mut();
        stream.set_up(&mut conn);
    }
    Ok((TcpStream { inner: stream }, peer))
}

/// A std socket is either one of ours converted with `IntoRawFd` (see
/// `fd`), which comes back as it was, or a wasi-libc descriptor over a WASI
/// 0.2 socket, which cannot become a WASI 0.3 socket: that one is closed
/// and every operation on the result fails.
pub(crate) fn stream_from_std(std: std::net::TcpStream) -> TcpStream {
    TcpStream::unpark(std.into_raw_fd()).unwrap_or_else(|| TcpStream {
        inner: Shared::new(StreamState::new_unsupported()),
    })
}

/// As `stream_from_std`.
pub(crate) fn listener_from_std(std: std::net::TcpListener) -> TcpListener {
    TcpListener::unpark(std.into_raw_fd()).unwrap_or_else(|| TcpListener {
        inner: Shared::new(ListenerState::unsupported()),
    })
}

fn from_std_error() -> io::Error {
    unsupported("from_std (std's sockets are WASI 0.2 descriptors)")
}

pub(crate) struct TcpListener {
    pub(super) inner: Shared<ListenerState>,
}

pub(super) struct ListenerState {
    /// Readable end of `stream<tcp-socket>` (0: none, `from_std`).
    stream: u32,
    /// Where the in-flight read puts the accepted socket's handle.
    slot: UnsafeCell<u32>,
    reading: Cell<bool>,
    ready: Cell<Option<u32>>,
    failed: Cell<bool>,
    hook: RefCell<Option<Hook>>,
    /// `None` for a listener made by `from_std`.
    socket: Option<TcpSocket>,
}

impl ListenerState {
    fn unsupported() -> ListenerState {
        ListenerState {
            stream: 0,
            slot: UnsafeCell::new(0),
            reading: Cell::new(false),
            ready: Cell::new(None),
            failed: Cell::new(true),
            hook: RefCell::new(None),
            socket: None,
        }
    }

    fn socket(&self) -> io::Result<&TcpSocket> {
        self.socket.as_ref().ok_or_else(from_std_error)
    }

    fn start_read(&self) {
        if self.stream == 0 || self.reading.get() || self.failed.get() {
            return;
        }
        if self.ready.get().is_some() {
            return;
        }
        // SAFETY: `slot` lives in the listener state, which cancels the
        // read before it is dropped; nothing else touches it.
        let status = unsafe { sockets::start_read(self.stream, self.slot.get()) };
        if status == BLOCKED {
            self.reading.set(true);
        } else {
            self.finish_read(status);
        }
    }

    /// Not registered: nobody takes the read's event from a set, so look
    /// for it here.
    fn refresh(&self) {
        if self.reading.get() && self.hook.borrow().is_none() {
            let (code, _, result) = poll_one(self.stream, 0);
            if code == EVENT_STREAM_READ {
                self.finish_read(result);
            }
        }
    }

    fn finish_read(&self, status: u32) {
        self.reading.set(false);
        if status >> 4 >= 1 {
            // SAFETY: the read completed; the host wrote the handle.
            self.ready.set(Some(unsafe { *self.slot.get() }));
        }
        if status & 0xf == DROPPED {
            self.failed.set(true);
        }
    }
}

impl Drop for ListenerState {
    fn drop(&mut self) {
        if self.stream == 0 {
            return;
        }
        if self.reading.get() {
            let status = sockets::cancel_read(self.stream);
            if status >> 4 >= 1 {
                // SAFETY: the cancelled read still delivered a socket.
                self.ready.set(Some(unsafe { *self.slot.get() }));
            }
        }
        if let Some(handle) = self.ready.take() {
            drop(sockets::adopt(handle));
        }
        sockets::drop_readable(self.stream);
    }
}

impl Source for ListenerState {
    fn waitables(&self, f: &mut dyn FnMut(u32)) {
        if self.stream != 0 {
            f(self.stream);
        }
    }

    fn on_event(&self, code: u32, _: u32, result: u32) -> u8 {
        if code != EVENT_STREAM_READ {
            return 0;
        }
        self.finish_read(result);
        self.ready_now()
    }

    fn ready_now(&self) -> u8 {
        let mut bits = 0;
        if self.ready.get().is_some() {
            bits |= READ;
        }
        if self.failed.get() && self.stream != 0 {
            bits |= READ | ERROR;
        }
        bits
    }

    fn attach(&self, hook: Option<Hook>) {
        *self.hook.borrow_mut() = hook;
    }
}

impl TcpListener {
    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner
            .socket()?
            .get_local_address()
            .map(from_wasi)
            .map_err(error)
    }

    pub(crate) fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        set_hop_limit(self.inner.socket()?, ttl)
    }

    pub(crate) fn ttl(&self) -> io::Result<u32> {
        self.inner
            .socket()?
            .get_hop_limit()
            .map(u32::from)
            .map_err(error)
    }

    /// WASI 0.3 has no way to ask a listening socket for a pending error.
    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.socket()?;
        Err(unsupported("take_error on a TCP listener"))
    }
}

impl Selectable for TcpListener {
    /// A socket made by `from_std` cannot be registered: it would never
    /// become ready.
    fn source(&self) -> io::Result<Shared<dyn Source>> {
        self.inner.socket()?;
        Ok(Shared::from_rc(Rc::clone(self.inner.rc()) as Rc<dyn Source>))
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("socket", &self.inner.socket.as_ref().map(TcpSocket::handle))
            .field("local_addr", &self.local_addr().ok())
            .finish()
    }
}

fn set_hop_limit(socket: &TcpSocket, ttl: u32) -> io::Result<()> {
    let ttl = u8::try_from(ttl)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "TTL must be at most 255"))?;
    socket.set_hop_limit(ttl).map_err(error)
}

pub(crate) struct TcpStream {
    pub(super) inner: Shared<StreamState>,
}

enum Phase {
    /// `connect` runs as a subtask; `area` holds its parameters and result.
    Connecting {
        subtask: u32,
        area: Box<ConnectArea>,
    },
    Connected,
    Failed,
    /// Made by `from_std`: every operation fails.
    Unsupported,
}

struct Conn {
    phase: Phase,
    /// The receive stream (0: none or shut down).
    recv: u32,
    recv_buf: Option<RawBuf>,
    recv_in_flight: bool,
    recv_start: usize,
    recv_end: usize,
    recv_eof: bool,
    /// `receive`'s result future (0: none or already read).
    recv_result: u32,
    recv_result_reading: bool,
    /// Writable end of the stream handed to `send` (0: none or shut down).
    send: u32,
    send_buf: Option<RawBuf>,
    send_in_flight: bool,
    send_off: usize,
    send_len: usize,
    send_closed: bool,
    shutdown_write_pending: bool,
    /// `send`'s result future.
    send_result: u32,
    send_result_reading: bool,
    /// Pending error for `take_error` (and the next I/O call).
    error: Option<io::Error>,
}

pub(super) struct StreamState {
    conn: RefCell<Conn>,
    hook: RefCell<Option<Hook>>,
    /// The selector of the last registration, for a write still in flight
    /// when the stream is dropped.
    home: RefCell<Home>,
    /// Where the result futures' values land.
    recv_area: UnsafeCell<results::ResultArea>,
    send_area: UnsafeCell<results::ResultArea>,
    /// `None` for a stream made by `from_std`.
    socket: Option<TcpSocket>,
}

impl StreamState {
    fn new(socket: TcpSocket) -> StreamState {
        StreamState::with_socket(Some(socket))
    }

    fn with_socket(socket: Option<TcpSocket>) -> StreamState {
        StreamState {
            conn: RefCell::new(Conn {
                phase: Phase::Connected,
                recv: 0,
                recv_buf: None,
                recv_in_flight: false,
                recv_start: 0,
                recv_end: 0,
                recv_eof: false,
                recv_result: 0,
                recv_result_reading: false,
                send: 0,
                send_buf: None,
                send_in_flight: false,
                send_off: 0,
                send_len: 0,
                send_closed: false,
                shutdown_write_pending: false,
                send_result: 0,
                send_result_reading: false,
                error: None,
            }),
            hook: RefCell::new(None),
            home: RefCell::new(Home::default()),
            recv_area: UnsafeCell::new(results::ResultArea([0; 24])),
            send_area: UnsafeCell::new(results::ResultArea([0; 24])),
            socket,
        }
    }

    fn new_unsupported() -> StreamState {
        let state = StreamState::with_socket(None);
        state.conn.borrow_mut().phase = Phase::Unsupported;
        state
    }

    fn socket(&self) -> io::Result<&TcpSocket> {
        self.socket.as_ref().ok_or_else(from_std_error)
    }

    fn join(&self, waitable: u32) {
        if let Some(hook) = &*self.hook.borrow() {
            hook.join(waitable);
        }
    }

    fn leave(&self, waitable: u32) {
        if let Some(hook) = &*self.hook.borrow() {
            hook.leave(waitable);
        }
    }

    /// The connection is established: open the byte streams and start
    /// reading.
    fn set_up(&self, conn: &mut Conn) {
        let Some(socket) = &self.socket else { return };
        conn.phase = Phase::Connected;
        let (recv, recv_result) = tcp_receive(socket);
        let (readable, writable) = bytes::new();
        let send_result = tcp_send(socket, readable);
        conn.recv = recv;
        conn.recv_result = recv_result;
        conn.send = writable;
        conn.send_result = send_result;
        conn.recv_buf = Some(RawBuf::new());
        conn.send_buf = Some(RawBuf::new());
        for waitable in [recv, recv_result, writable, send_result] {
            self.join(waitable);
        }
        self.start_recv(conn);
    }

    fn start_recv(&self, conn: &mut Conn) {
        if conn.recv == 0 || conn.recv_in_flight || conn.recv_eof {
            return;
        }
        let Some(buf) = &conn.recv_buf else { return };
        // SAFETY: the buffer is owned by `conn` and only reached through
        // this pointer until the read completes or is cancelled (`Drop`).
        let status = unsafe { bytes::start_read(conn.recv, buf.ptr, BUF_SIZE) };
        if status == BLOCKED {
            conn.recv_in_flight = true;
        } else {
            self.finish_recv(conn, status);
        }
    }

    fn finish_recv(&self, conn: &mut Conn, status: u32) {
        conn.recv_in_flight = false;
        conn.recv_start = 0;
        conn.recv_end = (status >> 4) as usize;
        if status & 0xf == DROPPED {
            conn.recv_eof = true;
            self.read_result(conn, true);
        }
    }

    /// Starts reading `receive`'s (`recv`) or `send`'s result future, whose
    /// stream ended.
    fn read_result(&self, conn: &mut Conn, recv: bool) {
        let (future, reading, area) = if recv {
            (
                conn.recv_result,
                conn.recv_result_reading,
                self.recv_area.get(),
            )
        } else {
            (
                conn.send_result,
                conn.send_result_reading,
                self.send_area.get(),
            )
        };
        if future == 0 || reading {
            return;
        }
        // SAFETY: the area lives in the stream state, which cancels the
        // read before it is dropped.
        let status = unsafe { results::start_read(future, area) };
        if status == BLOCKED {
            if recv {
                conn.recv_result_reading = true;
            } else {
                conn.send_result_reading = true;
            }
        } else {
            self.finish_result(conn, recv, status);
        }
    }

    fn finish_result(&self, conn: &mut Conn, recv: bool, status: u32) {
        let (future, area) = if recv {
            conn.recv_result_reading = false;
            (std::mem::take(&mut conn.recv_result), self.recv_area.get())
        } else {
            conn.send_result_reading = false;
            (std::mem::take(&mut conn.send_result), self.send_area.get())
        };
        if status & 0xf == COMPLETED {
            // SAFETY: the read into `area` completed, once.
            if let Err(code) = unsafe { results::take(area) } {
                if conn.error.is_none() {
                    conn.error = Some(error(code));
                }
            }
        }
        self.leave(future);
        results::drop_readable(future);
    }

    /// Starts writing the unsent part of the send buffer.
    fn start_send(&self, conn: &mut Conn) {
        loop {
            let Some(buf) = &conn.send_buf else { return };
            // SAFETY: `send_off..send_len` is inside the owned buffer, which
            // is only reached through this pointer until the write completes
            // or is cancelled.
            let status = unsafe {
                bytes::start_write(
                    conn.send,
                    buf.ptr.add(conn.send_off),
                    conn.send_len - conn.send_off,
                )
            };
            if status == BLOCKED {
                conn.send_in_flight = true;
                return;
            }
            if !self.finish_send(conn, status) {
                return;
            }
        }
    }

    /// Accounts for a finished write; whether more remains to be written.
    fn finish_send(&self, conn: &mut Conn, status: u32) -> bool {
        conn.send_in_flight = false;
        conn.send_off += (status >> 4) as usize;
        if status & 0xf == DROPPED {
            conn.send_closed = true;
            conn.send_off = conn.send_len;
            self.read_result(conn, false);
            return false;
        }
        if conn.send_off < conn.send_len {
            return true;
        }
        conn.send_off = 0;
        conn.send_len = 0;
        if conn.shutdown_write_pending {
            self.close_send(conn);
        }
        false
    }

    fn close_send(&self, conn: &mut Conn) {
        conn.shutdown_write_pending = false;
        if conn.send != 0 {
            self.leave(conn.send);
            bytes::drop_writable(conn.send);
            conn.send = 0;
        }
    }

    fn check_usable(conn: &mut Conn) -> io::Result<()> {
        match conn.phase {
            Phase::Connected => Ok(()),
            Phase::Connecting { .. } => Err(would_block()),
            // The connect's error is handed out by `take_error`.
            Phase::Failed => Err(not_connected()),
            Phase::Unsupported => Err(from_std_error()),
        }
    }

    fn read(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        let mut conn = self.conn.borrow_mut();
        self.refresh(&mut conn);
        Self::check_usable(&mut conn)?;
        if conn.recv_start == conn.recv_end && !conn.recv_in_flight {
            self.start_recv(&mut conn);
        }
        let wanted: usize = bufs.iter().map(|b| b.len()).sum();
        if conn.recv_start < conn.recv_end {
            let mut n = 0;
            if let Some(rb) = &conn.recv_buf {
                for buf in bufs.iter_mut() {
                    let take = cmp::min(buf.len(), conn.recv_end - conn.recv_start - n);
                    // SAFETY: no read is in flight (the data between
                    // `recv_start` and `recv_end` of the owned buffer was
                    // written by a completed read); `take` fits in both.
                    unsafe {
                        ptr::copy_nonoverlapping(
                            rb.ptr.add(conn.recv_start + n),
                            buf.as_mut_ptr(),
                            take,
                        )
                    };
                    n += take;
                }
            }
            conn.recv_start += n;
            if conn.recv_start == conn.recv_end {
                self.start_recv(&mut conn);
            }
            return Ok(n);
        }
        if wanted == 0 {
            return Ok(0);
        }
        if conn.recv_eof || conn.recv == 0 {
            if let Some(err) = conn.error.take() {
                return Err(err);
            }
            return Ok(0);
        }
        Err(would_block())
    }

    fn write(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut conn = self.conn.borrow_mut();
        self.refresh(&mut conn);
        Self::check_usable(&mut conn)?;
        if conn.send_closed || conn.send == 0 {
            return Err(conn.error.take().unwrap_or_else(|| {
                io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "the TCP stream's send side is closed",
                )
            }));
        }
        if conn.send_in_flight || conn.send_len != 0 {
            return Err(would_block());
        }
        let mut n = 0;
        if let Some(sb) = &conn.send_buf {
            for buf in bufs {
                let take = cmp::min(buf.len(), BUF_SIZE - n);
                // SAFETY: no write is in flight, so the owned buffer is
                // ours; `n + take` stays within it and `take` within `buf`.
                unsafe { ptr::copy_nonoverlapping(buf.as_ptr(), sb.ptr.add(n), take) };
                n += take;
                if n == BUF_SIZE {
                    break;
                }
            }
        }
        if n == 0 {
            return Ok(0);
        }
        conn.send_off = 0;
        conn.send_len = n;
        self.start_send(&mut conn);
        if conn.send_closed {
            let written = conn.send_off;
            conn.send_off = 0;
            conn.send_len = 0;
            return Err(conn.error.take().unwrap_or_else(|| {
                io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    format!("the peer closed the TCP stream ({written} bytes written)"),
                )
            }));
        }
        Ok(n)
    }
}

impl Drop for StreamState {
    fn drop(&mut self) {
        let conn = self.conn.get_mut();
        if let Phase::Connecting { subtask, .. } = conn.phase {
            // The subtask borrows the socket: settle it before the socket
            // goes. Its area is dropped with `conn` afterwards.
            subtask_cancel(subtask);
            subtask_drop(subtask);
        }
        if conn.recv != 0 {
            if conn.recv_in_flight {
                bytes::cancel_read(conn.recv);
            }
            bytes::drop_readable(conn.recv);
        }
        if conn.send != 0 && conn.send_in_flight {
            // Let the selector finish the write (the bytes were accepted by
            // `write`); the socket must live until then.
            if let (Some(buf), Some(socket)) = (conn.send_buf.take(), self.socket.take()) {
                let linger = Box::new(LingeringSend {
                    send: conn.send,
                    buf,
                    off: conn.send_off,
                    len: conn.send_len,
                    in_flight: true,
                    send_result: std::mem::take(&mut conn.send_result),
                    socket,
                });
                // Without a selector any more the write is cancelled (by
                // the value's `Drop`).
                if let Err(linger) = self.home.get_mut().adopt(linger) {
                    drop(linger);
                }
                conn.send = 0;
            }
        }
        if conn.send != 0 {
            if conn.send_in_flight {
                bytes::cancel_write(conn.send);
            }
            bytes::drop_writable(conn.send);
        }
        for (future, reading) in [
            (conn.recv_result, conn.recv_result_reading),
            (conn.send_result, conn.send_result_reading),
        ] {
            if future != 0 {
                if reading {
                    results::cancel_read(future);
                }
                results::drop_readable(future);
            }
        }
        // The buffers, then the socket (fields), drop after this.
    }
}

impl Source for StreamState {
    fn waitables(&self, f: &mut dyn FnMut(u32)) {
        let conn = self.conn.borrow();
        if let Phase::Connecting { subtask, .. } = conn.phase {
            f(subtask);
        }
        for waitable in [conn.recv, conn.recv_result, conn.send, conn.send_result] {
            if waitable != 0 {
                f(waitable);
            }
        }
    }

    fn on_event(&self, code: u32, waitable: u32, result: u32) -> u8 {
        let mut conn = self.conn.borrow_mut();
        self.apply(&mut conn, code, waitable, result)
    }

    fn ready_now(&self) -> u8 {
        ready_bits(&self.conn.borrow())
    }

    fn attach(&self, hook: Option<Hook>) {
        if let Some(hook) = &hook {
            *self.home.borrow_mut() = hook.home();
        }
        *self.hook.borrow_mut() = hook;
    }
}

/// A write still in flight when its stream was dropped, finished by the
/// selector: the rest of the buffer is written, then the stream end, the
/// result future and the socket are dropped, in that order.
struct LingeringSend {
    send: u32,
    buf: RawBuf,
    off: usize,
    len: usize,
    in_flight: bool,
    send_result: u32,
    socket: TcpSocket,
}

impl Linger for LingeringSend {
    fn waitable(&self) -> u32 {
        self.send
    }

    fn on_event(&mut self, code: u32, result: u32) -> bool {
        if code != EVENT_STREAM_WRITE {
            return false;
        }
        self.in_flight = false;
        let mut status = result;
        loop {
            self.off += (status >> 4) as usize;
            if status & 0xf == DROPPED || self.off >= self.len {
                return true;
            }
            // SAFETY: `off..len` is inside the owned buffer, which this
            // value keeps until the write completes or is cancelled.
            status = unsafe {
                bytes::start_write(self.send, self.buf.ptr.add(self.off), self.len - self.off)
            };
            if status == BLOCKED {
                self.in_flight = true;
                return false;
            }
        }
    }
}

impl Drop for LingeringSend {
    fn drop(&mut self) {
        if self.in_flight {
            bytes::cancel_write(self.send);
        }
        bytes::drop_writable(self.send);
        if self.send_result != 0 {
            results::drop_readable(self.send_result);
        }
        // `buf`, then `socket`, drop after this.
        let _ = &self.socket;
    }
}

impl StreamState {
    /// Applies an event of one of the stream's waitables; the directions
    /// it made ready.
    fn apply(&self, conn: &mut Conn, code: u32, waitable: u32, result: u32) -> u8 {
        match code {
            EVENT_SUBTASK => {
                let Phase::Connecting { subtask, .. } = conn.phase else {
                    return 0;
                };
                let subtask: u32 = subtask;
                if subtask != waitable || result & 0xf != SUBTASK_RETURNED {
                    return 0;
                }
                self.leave(subtask);
                subtask_drop(subtask);
                let phase = std::mem::replace(&mut conn.phase, Phase::Failed);
                let Phase::Connecting { area, .. } = phase else {
                    return 0;
                };
                match connect_result(&area) {
                    Ok(()) => self.set_up(conn),
                    Err(code) => conn.error = Some(error(code)),
                }
                ready_bits(conn)
            }
            EVENT_STREAM_READ if waitable == conn.recv => {
                self.finish_recv(conn, result);
                if conn.recv_end == 0 && !conn.recv_eof {
                    // Completed without data: read again.
                    self.start_recv(conn);
                    if conn.recv_in_flight {
                        return 0;
                    }
                }
                ready_bits(conn) & !WRITE
            }
            EVENT_STREAM_WRITE if waitable == conn.send => {
                if self.finish_send(conn, result) {
                    self.start_send(conn);
                }
                ready_bits(conn) & !(READ | READ_CLOSED)
            }
            EVENT_FUTURE_READ if waitable == conn.recv_result => {
                self.finish_result(conn, true, result);
                ready_bits(conn) & !WRITE
            }
            EVENT_FUTURE_READ if waitable == conn.send_result => {
                self.finish_result(conn, false, result);
                ready_bits(conn) & !(READ | READ_CLOSED)
            }
            _ => 0,
        }
    }

    /// Not registered: nobody takes the events of the operations in flight
    /// from a set, so look for them here.
    /// Registered, only a pending `connect` is looked at (so that a write
    /// right after the peer accepted works, as with an OS socket); its
    /// subtask goes back into the selector's set.
    ///
    /// A connect the peer may already have accepted gets a short grace
    /// period (at most 10 ms): the host can report the client side a little
    /// after the server side, where an OS socket is connected at once.
    fn refresh(&self, conn: &mut Conn) {
        let connecting = match conn.phase {
            Phase::Connecting { subtask, .. } => subtask,
            _ => 0,
        };
        let home = self.hook.borrow().as_ref().map(Hook::set);
        if connecting != 0 {
            let set = home.unwrap_or(0);
            let (code, handle, result) = poll_one(connecting, set);
            if code != EVENT_NONE {
                self.apply(conn, code, handle, result);
            } else if blocking_allowed() {
                if let Some((code, handle, result)) = wait_one(connecting, set, 10_000_000) {
                    self.apply(conn, code, handle, result);
                }
            }
        }
        if home.is_some() {
            return;
        }
        let in_flight = [
            if conn.recv_in_flight { conn.recv } else { 0 },
            if conn.send_in_flight { conn.send } else { 0 },
            if conn.recv_result_reading {
                conn.recv_result
            } else {
                0
            },
            if conn.send_result_reading {
                conn.send_result
            } else {
                0
            },
        ];
        for waitable in in_flight {
            if waitable != 0 {
                let (code, handle, result) = poll_one(waitable, 0);
                if code != EVENT_NONE {
                    self.apply(conn, code, handle, result);
                }
            }
        }
    }
}

/// The directions (and conditions) ready now.
fn ready_bits(conn: &Conn) -> u8 {
    {
        let mut bits = 0;
        match conn.phase {
            Phase::Connecting { .. } => return 0,
            Phase::Failed => return WRITE | ERROR,
            Phase::Unsupported => return 0,
            Phase::Connected => {}
        }
        if conn.recv_start < conn.recv_end {
            bits |= READ;
        }
        if conn.recv_eof {
            bits |= READ | READ_CLOSED;
        }
        if !conn.send_in_flight && conn.send_len == 0 {
            bits |= WRITE;
        }
        if conn.send_closed {
            bits |= WRITE | WRITE_CLOSED;
        }
        if conn.error.is_some() {
            bits |= ERROR;
        }
        bits
    }
}

impl TcpStream {
    pub(crate) fn peer_addr(&self) -> io::Result<SocketAddr> {
        {
            let mut conn = self.inner.conn.borrow_mut();
            self.inner.refresh(&mut conn);
            match conn.phase {
                Phase::Connected | Phase::Unsupported => {}
                _ => return Err(not_connected()),
            }
        }
        self.inner
            .socket()?
            .get_remote_address()
            .map(from_wasi)
            .map_err(|code| match code {
                ErrorCode::InvalidState => not_connected(),
                code => error(code),
            })
    }

    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        // The host answers `invalid-state` while `connect` runs, where an
        // OS socket already knows its address: settle a finished connect,
        // and give one still running a moment (at most 100 ms).
        {
            let mut conn = self.inner.conn.borrow_mut();
            self.inner.refresh(&mut conn);
            if let Phase::Connecting { subtask, .. } = conn.phase {
                if blocking_allowed() {
                    let home = self.inner.hook.borrow().as_ref().map_or(0, Hook::set);
                    if let Some((code, handle, result)) = wait_one(subtask, home, 100_000_000) {
                        self.inner.apply(&mut conn, code, handle, result);
                    }
                }
            }
        }
        self.inner
            .socket()?
            .get_local_address()
            .map(from_wasi)
            .map_err(error)
    }

    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        let state = &*self.inner;
        let mut conn = state.conn.borrow_mut();
        match conn.phase {
            Phase::Connected => {}
            Phase::Unsupported => return Err(from_std_error()),
            _ => return Err(not_connected()),
        }
        if matches!(how, Shutdown::Read | Shutdown::Both) && conn.recv != 0 {
            // Out of the set first: a synchronous cancel traps otherwise.
            state.leave(conn.recv);
            if conn.recv_in_flight {
                bytes::cancel_read(conn.recv);
                conn.recv_in_flight = false;
            }
            bytes::drop_readable(conn.recv);
            conn.recv = 0;
            conn.recv_start = 0;
            conn.recv_end = 0;
            // Reads now return end of stream: say so, as an OS socket does.
            conn.recv_eof = true;
            if let Some(hook) = &*state.hook.borrow() {
                hook.notify(READ | READ_CLOSED);
            }
        }
        if matches!(how, Shutdown::Write | Shutdown::Both) {
            if conn.send_in_flight || conn.send_len != 0 {
                // Close once the bytes already accepted are sent.
                conn.shutdown_write_pending = true;
            } else {
                state.close_send(&mut conn);
            }
        }
        Ok(())
    }

    pub(crate) fn set_nodelay(&self, _: bool) -> io::Result<()> {
        Err(unsupported("TCP_NODELAY (set_nodelay)"))
    }

    pub(crate) fn nodelay(&self) -> io::Result<bool> {
        Err(unsupported("TCP_NODELAY (nodelay)"))
    }

    pub(crate) fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        set_hop_limit(self.inner.socket()?, ttl)
    }

    pub(crate) fn ttl(&self) -> io::Result<u32> {
        self.inner
            .socket()?
            .get_hop_limit()
            .map(u32::from)
            .map_err(error)
    }

    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.socket()?;
        let mut conn = self.inner.conn.borrow_mut();
        self.inner.refresh(&mut conn);
        Ok(conn.error.take())
    }

    pub(crate) fn peek(&self, _: &mut [u8]) -> io::Result<usize> {
        Err(unsupported("peek (MSG_PEEK) on TCP streams"))
    }
}

impl Read for &TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(&mut [IoSliceMut::new(buf)])
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.inner.read(bufs)
    }
}

impl Write for &TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.inner.write(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Write for TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Selectable for TcpStream {
    /// A socket made by `from_std` cannot be registered: it would never
    /// become ready.
    fn source(&self) -> io::Result<Shared<dyn Source>> {
        self.inner.socket()?;
        Ok(Shared::from_rc(Rc::clone(self.inner.rc()) as Rc<dyn Source>))
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("socket", &self.inner.socket.as_ref().map(TcpSocket::handle))
            .field("host", &HOST)
            .finish()
    }
}
