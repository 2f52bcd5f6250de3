//! TCP over `wasi:sockets/tcp`.
//!
//! Every operation is non-blocking except `bind` (bind and listen complete
//! before it returns, as with a BSD socket). `connect` starts the
//! connection and returns at once; its completion is reported as a
//! writable event, and the next operation on the stream collects the
//! result (`finish-connect`). Reads and writes go through the socket's
//! input and output streams; a write never exceeds the host's `check-write`
//! permit.
//!
//! The socket and stream handles are owned by a `descriptor` (a wasi-libc
//! descriptor where the toolchain's wasi-libc allows, else the descriptor
//! type itself); the types here work on borrowed copies and own only their
//! pollables. Pollables are dropped first, then the descriptor (which drops
//! streams before the socket, as the host requires). The field order below
//! is that drop order.

use std::cell::{Cell, RefCell};
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{IntoRawFd, RawFd};
use std::rc::Rc;
use std::{cmp, fmt};

use super::bindings::{
    create_tcp_socket, error, family_of, from_wasi, instance_network, monotonic_clock,
    poll_handles, stream_error, to_wasi, unsupported, ErrorCode, InputStream, OutputStream,
    Pollable, ShutdownType, StreamError, TcpSocket, HOST,
};
use super::descriptor::{checked_fd, Borrowed, TcpDescriptor, TcpState};
use super::io_source::{Blocked, Selectable, Source};
use super::{Inert, Shared};
use crate::sys::readiness::{ERROR, READ, READ_CLOSED, WRITE, WRITE_CLOSED};

/// Runs a `finish-*` call until it stops returning `would-block`, waiting
/// on the socket's pollable in between.
fn finish_blocking<T>(
    socket: &TcpSocket,
    mut f: impl FnMut() -> Result<T, ErrorCode>,
) -> io::Result<T> {
    let mut pollable = None;
    loop {
        match f() {
            Err(ErrorCode::WouldBlock) => {
                pollable.get_or_insert_with(|| socket.subscribe()).block()
            }
            result => return result.map_err(error),
        }
    }
}

pub(crate) fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let network = instance_network();
    let socket = create_tcp_socket(family_of(&addr)).map_err(error)?;
    let (desc, socket) = TcpDescriptor::new(socket)?;
    socket.start_bind(&network, to_wasi(addr)).map_err(error)?;
    finish_blocking(&socket, || socket.finish_bind())?;
    desc.set_bound();
    socket.start_listen().map_err(error)?;
    finish_blocking(&socket, || socket.finish_listen())?;
    desc.set_listening();
    Ok(TcpListener::new(desc, socket))
}

pub(crate) fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let network = instance_network();
    let socket = create_tcp_socket(family_of(&addr)).map_err(error)?;
    let (desc, socket) = TcpDescriptor::new(socket)?;
    socket
        .start_connect(&network, to_wasi(addr))
        .map_err(error)?;
    desc.set_connecting();
    // Some hosts (wasmtime) only start the connection when it is first
    // polled; a `finish-connect` right away sends the SYN now, as
    // connect(2) would, even if the stream is never registered.
    let (streams, phase) = match socket.finish_connect() {
        Ok((input, output)) => (Some(desc.set_connected(input, output)), Phase::Connected),
        Err(ErrorCode::WouldBlock) => (None, Phase::Connecting),
        Err(code) => return Err(error(code)),
    };
    Ok(TcpStream::new(Conn {
        read_ready: None,
        write_ready: None,
        socket_ready: None,
        streams,
        socket,
        phase,
        desc,
    }))
}

pub(crate) fn accept(listener: &TcpListener) -> io::Result<(TcpStream, SocketAddr)> {
    let inner = listener.inner()?;
    let (socket, input, output) = inner.socket.accept().map_err(error)?;
    let addr = match socket.remote_address() {
        Ok(addr) => from_wasi(addr),
        Err(code) => {
            drop((input, output));
            return Err(error(code));
        }
    };
    let (desc, socket) = TcpDescriptor::new(socket)?;
    let streams = desc.set_connected(input, output);
    let stream = TcpStream::new(Conn {
        read_ready: None,
        write_ready: None,
        socket_ready: None,
        streams: Some(streams),
        socket,
        phase: Phase::Connected,
        desc,
    });
    Ok((stream, addr))
}

/// Adopts std's stream: its wasi-libc descriptor becomes this stream's.
///
/// If std interop is not available with this toolchain's wasi-libc (see
/// `descriptor`), the stream keeps std's socket open but every operation,
/// `register` included, returns the `Unsupported` error naming the cause:
/// `from_std` cannot fail in mio's API, and guessing at wasi-libc's state
/// would corrupt it.
///
/// # Panics
///
/// If the descriptor is not a stream (a listener, or not a TCP socket of
/// wasi-libc's).
pub(crate) fn stream_from_std(stream: std::net::TcpStream) -> TcpStream {
    let stream = match Inert::adopt(stream) {
        Ok(inert) => return TcpStream { inner: Err(inert) },
        Err(stream) => stream,
    };
    let fd = stream.into_raw_fd();
    // SAFETY: `into_raw_fd` gave us ownership of an open descriptor.
    let adopted = unsafe { TcpDescriptor::from_raw(fd) };
    let (desc, socket, state) = match adopted {
        Ok(adopted) => adopted,
        Err(err) => panic!("mio::net::TcpStream::from_std: {err}"),
    };
    let (streams, phase) = match state {
        TcpState::Connected(input, output) => (Some((input, output)), Phase::Connected),
        TcpState::Connecting => (None, Phase::Connecting),
        TcpState::ConnectFailed | TcpState::Unbound | TcpState::Bound => (None, Phase::Failed),
        TcpState::Listening => panic!("mio::net::TcpStream::from_std: the socket is a listener"),
    };
    TcpStream::new(Conn {
        read_ready: None,
        write_ready: None,
        socket_ready: None,
        streams,
        socket,
        phase,
        desc,
    })
}

/// Adopts std's listener (see [`stream_from_std`] for the no-interop case
/// and the panics).
pub(crate) fn listener_from_std(listener: std::net::TcpListener) -> TcpListener {
    let listener = match Inert::adopt(listener) {
        Ok(inert) => return TcpListener { inner: Err(inert) },
        Err(listener) => listener,
    };
    let fd = listener.into_raw_fd();
    // SAFETY: `into_raw_fd` gave us ownership of an open descriptor.
    let adopted = unsafe { TcpDescriptor::from_raw(fd) };
    match adopted {
        Ok((desc, socket, TcpState::Listening)) => TcpListener::new(desc, socket),
        Ok(_) => panic!("mio::net::TcpListener::from_std: the socket is not listening"),
        Err(err) => panic!("mio::net::TcpListener::from_std: {err}"),
    }
}

/// A listening socket (or std's, adopted without std interop).
pub(crate) struct TcpListener {
    inner: Result<Shared<ListenerInner>, Inert<std::net::TcpListener>>,
}

/// Field order is drop order: our pollable, then the descriptor.
struct ListenerInner {
    ready: RefCell<Option<Pollable>>,
    socket: Borrowed<TcpSocket>,
    fd: Option<RawFd>,
    desc: TcpDescriptor,
}

impl TcpListener {
    fn new(desc: TcpDescriptor, socket: Borrowed<TcpSocket>) -> TcpListener {
        TcpListener {
            inner: Ok(Shared::new(ListenerInner {
                ready: RefCell::new(None),
                socket,
                fd: desc.raw(),
                desc,
            })),
        }
    }

    fn inner(&self) -> io::Result<&Shared<ListenerInner>> {
        self.inner.as_ref().map_err(Inert::error)
    }

    /// # Panics
    ///
    /// If the listener has no wasi-libc descriptor (see `descriptor`): one
    /// this crate made while std interop is unavailable has none.
    pub(crate) fn as_raw_fd(&self) -> RawFd {
        match &self.inner {
            Ok(inner) => checked_fd(inner.fd),
            Err(inert) => inert.as_raw_fd(),
        }
    }

    /// Hands the descriptor (and the handles it owns) to the caller.
    ///
    /// # Panics
    ///
    /// If the listener has no wasi-libc descriptor (see `descriptor`).
    pub(crate) fn into_raw_fd(self) -> RawFd {
        let inner = match self.inner {
            Ok(inner) => inner.into_inner(),
            Err(inert) => return inert.into_raw_fd(),
        };
        let ListenerInner { ready, desc, .. } = inner;
        drop(ready);
        match desc.into_raw() {
            Ok(fd) => fd,
            Err(err) => panic!("mio::net::TcpListener::into_raw_fd: {err}"),
        }
    }

    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner()?
            .socket
            .local_address()
            .map(from_wasi)
            .map_err(error)
    }

    pub(crate) fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        set_hop_limit(&self.inner()?.socket, ttl)
    }

    pub(crate) fn ttl(&self) -> io::Result<u32> {
        self.inner()?
            .socket
            .hop_limit()
            .map(u32::from)
            .map_err(error)
    }

    /// `Unsupported`: WASI 0.2 keeps no pending error on a listening
    /// socket (no `SO_ERROR`); a failure is returned by the call that met
    /// it (`accept` reports its own), so there is never one to take here.
    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner()?;
        Err(no_pending_error("TCP listeners"))
    }
}

impl Source for ListenerInner {
    fn pollable(&self, direction: u8) -> Option<u32> {
        if direction != READ {
            return None;
        }
        let mut ready = self.ready.borrow_mut();
        Some(
            ready
                .get_or_insert_with(|| self.socket.subscribe())
                .handle(),
        )
    }
}

impl Selectable for TcpListener {
    fn source(&self) -> io::Result<Shared<dyn Source>> {
        Ok(Shared::from_rc(
            Rc::clone(self.inner()?.rc()) as Rc<dyn Source>
        ))
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TcpListener");
        if let Ok(addr) = self.local_addr() {
            d.field("addr", &addr);
        }
        d.finish_non_exhaustive()
    }
}

/// A connected (or connecting) stream (or std's, adopted without std
/// interop).
pub(crate) struct TcpStream {
    inner: Result<Shared<StreamInner>, Inert<std::net::TcpStream>>,
}

struct StreamInner {
    conn: RefCell<Conn>,
    blocked: Blocked,
    /// The connect error not yet handed to the user.
    error: RefCell<Option<io::Error>>,
    /// Whether a write was attempted (see `first_permit`).
    wrote: Cell<bool>,
    /// Where `write_vectored` joins buffers into one host write; kept so
    /// that steady-state writes do not allocate.
    gather: RefCell<Vec<u8>>,
    /// Whether I/O already waited for a pending connect (see
    /// `TcpStream::with_streams`).
    connect_waited: Cell<bool>,
    fd: Option<RawFd>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connecting,
    Connected,
    Failed,
}

/// Fields in drop order: our pollables, then the descriptor (which drops
/// the streams and the socket).
struct Conn {
    read_ready: Option<Pollable>,
    write_ready: Option<Pollable>,
    socket_ready: Option<Pollable>,
    streams: Option<(Borrowed<InputStream>, Borrowed<OutputStream>)>,
    socket: Borrowed<TcpSocket>,
    phase: Phase,
    desc: TcpDescriptor,
}

impl StreamInner {
    /// Completes a pending connect if the host has finished it. `Ok` once
    /// connected; `WouldBlock` (noted as a write) while connecting; the
    /// connect error once if it failed (later `NotConnected`).
    fn progress(&self, conn: &mut Conn) -> io::Result<()> {
        match conn.phase {
            Phase::Connected => Ok(()),
            Phase::Failed => Err(self.error.borrow_mut().take().unwrap_or_else(not_connected)),
            Phase::Connecting => match conn.socket.finish_connect() {
                Ok((input, output)) => {
                    // The socket pollable was for the connect; the streams
                    // get their own.
                    conn.socket_ready = None;
                    super::selector::pollables_changed();
                    conn.streams = Some(conn.desc.set_connected(input, output));
                    conn.phase = Phase::Connected;
                    Ok(())
                }
                Err(ErrorCode::WouldBlock) => {
                    self.blocked.set(WRITE);
                    Err(io::ErrorKind::WouldBlock.into())
                }
                Err(code) => {
                    conn.phase = Phase::Failed;
                    conn.desc.set_connect_failed(code);
                    Err(error(code))
                }
            },
        }
    }

    /// `check-write`, except that on the stream's first write it gives the
    /// host a moment to learn that the connection is writable: wasmtime
    /// answers 0 until its reactor has seen the new socket, where a native
    /// socket with an empty send buffer takes the bytes at once. The wait
    /// ends as soon as the stream is writable, and is bounded.
    fn first_permit(&self, output: &OutputStream) -> io::Result<u64> {
        let permit = output.check_write().map_err(stream_error)?;
        if permit > 0 || self.wrote.replace(true) {
            return Ok(permit);
        }
        grace_wait(&output.subscribe());
        output.check_write().map_err(stream_error)
    }

    /// Settles a pending connect without consuming a stored error: `true`
    /// once connected. A connect that just failed keeps its error for
    /// `take_error` or the next read/write.
    fn is_connected(&self, conn: &mut Conn) -> bool {
        if conn.phase == Phase::Connecting {
            if let Err(err) = self.progress(conn) {
                if err.kind() != io::ErrorKind::WouldBlock {
                    self.error.replace(Some(err));
                }
            }
        }
        conn.phase == Phase::Connected
    }
}

/// How long a stream's first I/O waits for the host to catch up with a
/// connection the OS has already set up (see `StreamInner::first_permit`
/// and `TcpStream::with_streams`).
const GRACE_NS: u64 = 50_000_000;

/// The most bytes `write_vectored` copies together into one host write.
/// Enough for an HTTP head with a small body; what does not fit goes out
/// in the caller's next call.
const GATHER_MAX: usize = 16 * 1024;

/// One `output-stream.write` of `data` (the caller holds a permit for it).
fn host_write(output: &OutputStream, data: &[u8]) -> io::Result<()> {
    #[cfg(test)]
    tests::HOST_WRITES.with(|n| n.set(n.get() + 1));
    output.write(data).map_err(stream_error)
}

/// Waits until `pollable` is ready, at most `GRACE_NS`.
fn grace_wait(pollable: &Pollable) {
    let deadline = monotonic_clock::subscribe_duration(GRACE_NS);
    let mut ready = Vec::new();
    poll_handles(&[pollable.handle(), deadline.handle()], &mut ready);
}

fn not_connected() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "wasi:sockets: the socket is not connected",
    )
}

impl TcpStream {
    fn new(conn: Conn) -> TcpStream {
        TcpStream {
            inner: Ok(Shared::new(StreamInner {
                fd: conn.desc.raw(),
                conn: RefCell::new(conn),
                blocked: Blocked::default(),
                error: RefCell::new(None),
                wrote: Cell::new(false),
                gather: RefCell::new(Vec::new()),
                connect_waited: Cell::new(false),
            })),
        }
    }

    fn inner(&self) -> io::Result<&Shared<StreamInner>> {
        self.inner.as_ref().map_err(Inert::error)
    }

    /// # Panics
    ///
    /// If the stream has no wasi-libc descriptor (see `descriptor`): one
    /// this crate made while std interop is unavailable has none.
    pub(crate) fn as_raw_fd(&self) -> RawFd {
        match &self.inner {
            Ok(inner) => checked_fd(inner.fd),
            Err(inert) => inert.as_raw_fd(),
        }
    }

    /// Hands the descriptor (and the handles it owns) to the caller.
    ///
    /// # Panics
    ///
    /// If the stream has no wasi-libc descriptor (see `descriptor`).
    pub(crate) fn into_raw_fd(self) -> RawFd {
        let inner = match self.inner {
            Ok(inner) => inner,
            Err(inert) => return inert.into_raw_fd(),
        };
        {
            // A connect the host has finished is recorded in the
            // descriptor first: wasi-libc does not finish it on its own
            // (its read and write fail with ENOTCONN while connecting). As
            // for the first I/O (`with_streams`), give the host a bounded
            // moment to report a connect the OS has already completed.
            let mut conn = inner.conn.borrow_mut();
            if !inner.is_connected(&mut conn) && conn.phase == Phase::Connecting {
                grace_wait(&conn.socket.subscribe());
                inner.is_connected(&mut conn);
            }
        }
        let conn = inner.into_inner().conn.into_inner();
        let Conn {
            read_ready,
            write_ready,
            socket_ready,
            desc,
            ..
        } = conn;
        drop((read_ready, write_ready, socket_ready));
        match desc.into_raw() {
            Ok(fd) => fd,
            Err(err) => panic!("mio::net::TcpStream::into_raw_fd: {err}"),
        }
    }

    fn with_streams<R>(
        inner: &StreamInner,
        f: impl FnOnce(&InputStream, &OutputStream) -> io::Result<R>,
    ) -> io::Result<R> {
        let mut conn = inner.conn.borrow_mut();
        if conn.phase == Phase::Connecting && !inner.connect_waited.replace(true) {
            // The first I/O on a stream whose connect the host has not
            // reported finished: on loopback the handshake is over by the
            // time the peer accepts, but wasmtime only learns it from its
            // reactor a moment later. Give it that moment (bounded), as
            // for the first write (`first_permit`); later calls never wait.
            match inner.progress(&mut conn) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    grace_wait(&conn.socket.subscribe());
                }
                result => result?,
            }
        }
        inner.progress(&mut conn)?;
        match &conn.streams {
            Some((input, output)) => f(input, output),
            None => Err(not_connected()),
        }
    }

    pub(crate) fn peer_addr(&self) -> io::Result<SocketAddr> {
        let inner = self.inner()?;
        let mut conn = inner.conn.borrow_mut();
        if !inner.is_connected(&mut conn) {
            return Err(not_connected());
        }
        conn.socket.remote_address().map(from_wasi).map_err(error)
    }

    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        let inner = self.inner()?;
        let mut conn = inner.conn.borrow_mut();
        // Hosts may refuse the address while a connect is pending even if
        // the handshake is done (wasmtime does): settle it first.
        inner.is_connected(&mut conn);
        conn.socket.local_address().map(from_wasi).map_err(error)
    }

    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        let kind = match how {
            Shutdown::Read => ShutdownType::Receive,
            Shutdown::Write => ShutdownType::Send,
            Shutdown::Both => ShutdownType::Both,
        };
        let inner = self.inner()?;
        let mut conn = inner.conn.borrow_mut();
        if !inner.is_connected(&mut conn) {
            return Err(not_connected());
        }
        conn.socket.shutdown(kind).map_err(error)
    }

    pub(crate) fn set_nodelay(&self, _: bool) -> io::Result<()> {
        self.inner()?;
        Err(unsupported("TCP_NODELAY (set_nodelay)"))
    }

    pub(crate) fn nodelay(&self) -> io::Result<bool> {
        self.inner()?;
        Err(unsupported("TCP_NODELAY (nodelay)"))
    }

    pub(crate) fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        set_hop_limit(&self.inner()?.conn.borrow().socket, ttl)
    }

    pub(crate) fn ttl(&self) -> io::Result<u32> {
        let conn = self.inner()?.conn.borrow();
        conn.socket.hop_limit().map(u32::from).map_err(error)
    }

    /// The error of a failed connect, once. `None` while the connect is in
    /// progress, after success, or once the error was handed out.
    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        let inner = self.inner()?;
        let mut conn = inner.conn.borrow_mut();
        if conn.phase == Phase::Connecting {
            match inner.progress(&mut conn) {
                Ok(()) => return Ok(None),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(err) => return Ok(Some(err)),
            }
        }
        Ok(inner.error.borrow_mut().take())
    }

    pub(crate) fn peek(&self, _: &mut [u8]) -> io::Result<usize> {
        self.inner()?;
        Err(unsupported("peek (MSG_PEEK) on TCP streams"))
    }
}

/// The `take_error` answer for sockets without a pending-error slot.
pub(crate) fn no_pending_error(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!(
            "take_error (SO_ERROR) on {what} is not supported by {HOST}: it keeps no pending \
             socket error; each error is returned by the call that hit it"
        ),
    )
}

fn set_hop_limit(socket: &TcpSocket, ttl: u32) -> io::Result<()> {
    let ttl = u8::try_from(ttl).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "wasi:sockets: hop limit above 255",
        )
    })?;
    socket.set_hop_limit(ttl).map_err(error)
}

impl Read for &TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let inner = self.inner()?;
        let result = TcpStream::with_streams(inner, |input, _| {
            if buf.is_empty() {
                return Ok(0);
            }
            match input.read(buf.len() as u64) {
                Ok(data) if data.is_empty() => Err(io::ErrorKind::WouldBlock.into()),
                Ok(data) => {
                    let n = cmp::min(data.len(), buf.len());
                    buf[..n].copy_from_slice(&data[..n]);
                    Ok(n)
                }
                Err(StreamError::Closed) => Ok(0),
                Err(err) => Err(stream_error(err)),
            }
        });
        inner.blocked.note(READ, result)
    }

    /// One host read of up to the buffers' total length, scattered over
    /// them in order.
    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        let inner = self.inner()?;
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        let result = TcpStream::with_streams(inner, |input, _| {
            if total == 0 {
                return Ok(0);
            }
            match input.read(total as u64) {
                Ok(data) if data.is_empty() => Err(io::ErrorKind::WouldBlock.into()),
                Ok(data) => {
                    let mut rest = &data[..cmp::min(data.len(), total)];
                    let n = rest.len();
                    for buf in bufs.iter_mut() {
                        if rest.is_empty() {
                            break;
                        }
                        let k = cmp::min(buf.len(), rest.len());
                        buf[..k].copy_from_slice(&rest[..k]);
                        rest = &rest[k..];
                    }
                    Ok(n)
                }
                Err(StreamError::Closed) => Ok(0),
                Err(err) => Err(stream_error(err)),
            }
        });
        inner.blocked.note(READ, result)
    }
}

impl Write for &TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let inner = self.inner()?;
        let result = TcpStream::with_streams(inner, |_, output| {
            if buf.is_empty() {
                return Ok(0);
            }
            let permit = inner.first_permit(output)?;
            if permit == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = cmp::min(buf.len() as u64, permit) as usize;
            host_write(output, &buf[..n])?;
            Ok(n)
        });
        inner.blocked.note(WRITE, result)
    }

    /// One host write of the buffers joined in order, up to the host's
    /// `check-write` permit: what the caller wrote in one call leaves in
    /// one call, as with `writev`. Separate host writes would reach the
    /// kernel as separate sends, and with Nagle's algorithm on (WASI 0.2
    /// cannot turn it off) the second small segment waits for the peer's
    /// delayed ACK, about 40 ms on Linux. Buffers are copied into the
    /// stream's gather buffer (reused, at most `GATHER_MAX` bytes); a first
    /// buffer at least that large is written on its own, without a copy.
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let inner = self.inner()?;
        let result = TcpStream::with_streams(inner, |_, output| {
            let mut slices = bufs.iter().map(|b| &**b).filter(|b| !b.is_empty());
            let Some(first) = slices.next() else {
                return Ok(0);
            };
            let permit = inner.first_permit(output)?;
            if permit == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let limit = usize::try_from(permit).unwrap_or(usize::MAX);
            let mut rest = slices.peekable();
            if first.len() >= cmp::min(limit, GATHER_MAX) || rest.peek().is_none() {
                let n = cmp::min(first.len(), limit);
                host_write(output, &first[..n])?;
                return Ok(n);
            }
            let cap = cmp::min(limit, GATHER_MAX);
            let mut gather = inner.gather.borrow_mut();
            gather.clear();
            for slice in std::iter::once(first).chain(rest) {
                let k = cmp::min(slice.len(), cap - gather.len());
                gather.extend_from_slice(&slice[..k]);
                if gather.len() == cap {
                    break;
                }
            }
            host_write(output, &gather)?;
            Ok(gather.len())
        });
        inner.blocked.note(WRITE, result)
    }

    /// Asks the host to push out what was written; does not wait.
    fn flush(&mut self) -> io::Result<()> {
        TcpStream::with_streams(self.inner()?, |_, output| {
            output.flush().map_err(stream_error)
        })
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
        (&*self).flush()
    }
}

impl Source for StreamInner {
    fn pollable(&self, direction: u8) -> Option<u32> {
        let mut conn = self.conn.borrow_mut();
        let conn = &mut *conn;
        match (&conn.streams, conn.phase) {
            // Connecting, or failed: the socket's pollable (ready once the
            // connect is settled) stands for both directions.
            (None, _) | (_, Phase::Failed) => {
                let socket = &conn.socket;
                Some(
                    conn.socket_ready
                        .get_or_insert_with(|| socket.subscribe())
                        .handle(),
                )
            }
            (Some((input, _)), _) if direction == READ => Some(
                conn.read_ready
                    .get_or_insert_with(|| input.subscribe())
                    .handle(),
            ),
            (Some((_, output)), _) => Some(
                conn.write_ready
                    .get_or_insert_with(|| output.subscribe())
                    .handle(),
            ),
        }
    }

    fn take_blocked(&self) -> u8 {
        self.blocked.take()
    }

    /// While connecting, the socket's pollable stands for both directions.
    /// When it fires, the connect is finished here: a failed one is flagged
    /// as the native selectors do (error, both directions closed; the error
    /// itself stays for `take_error` or the next read or write); a
    /// successful one reports writable only, as connect(2) does: the read
    /// direction stays armed, now on the input stream.
    fn settle(&self, directions: u8) -> u8 {
        let Ok(mut conn) = self.conn.try_borrow_mut() else {
            return directions;
        };
        match conn.phase {
            Phase::Connecting => {
                self.is_connected(&mut conn);
                match conn.phase {
                    Phase::Failed => directions | ERROR | READ_CLOSED | WRITE_CLOSED,
                    _ => directions & !READ,
                }
            }
            Phase::Failed => directions | ERROR | READ_CLOSED | WRITE_CLOSED,
            Phase::Connected => directions,
        }
    }
}

impl Selectable for TcpStream {
    fn source(&self) -> io::Result<Shared<dyn Source>> {
        Ok(Shared::from_rc(
            Rc::clone(self.inner()?.rc()) as Rc<dyn Source>
        ))
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TcpStream");
        if let Ok(addr) = self.local_addr() {
            d.field("addr", &addr);
        }
        if let Some(conn) = (self.inner.as_ref().ok()).and_then(|i| i.conn.try_borrow().ok()) {
            if conn.phase == Phase::Connected {
                if let Ok(peer) = conn.socket.remote_address() {
                    d.field("peer", &from_wasi(peer));
                }
            }
        }
        d.finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    thread_local! {
        /// `output-stream.write` calls made by this thread.
        pub(super) static HOST_WRITES: Cell<usize> = const { Cell::new(0) };
    }

    #[cfg(feature = "os-poll")]
    mod vectored {
        use std::io::{self, IoSlice, Read, Write};
        use std::time::Duration;

        use super::HOST_WRITES;
        use crate::net::{TcpListener, TcpStream};
        use crate::{Events, Interest, Poll, Token};

        const CLIENT: Token = Token(1);
        const SERVER: Token = Token(2);

        fn host_writes() -> usize {
            HOST_WRITES.with(|n| n.get())
        }

        /// Polls once; fails the test if nothing happens for long: an
        /// event that never comes is a bug, not a slow host.
        fn wait(poll: &mut Poll, events: &mut Events) {
            poll.poll(events, Some(Duration::from_secs(20)))
                .expect("poll");
            assert!(!events.is_empty(), "no event within 20 s");
        }

        /// A connected pair: (client, server side), both registered.
        fn pair(poll: &mut Poll, events: &mut Events) -> (TcpStream, TcpStream) {
            let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).expect("bind");
            let addr = listener.local_addr().expect("local_addr");
            poll.registry()
                .register(&mut listener, Token(0), Interest::READABLE)
                .expect("register listener");
            let mut client = TcpStream::connect(addr).expect("connect");
            poll.registry()
                .register(&mut client, CLIENT, Interest::WRITABLE)
                .expect("register client");
            let mut server = loop {
                match listener.accept() {
                    Ok((server, _)) => break server,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => wait(poll, events),
                    Err(e) => panic!("accept: {e}"),
                }
            };
            poll.registry()
                .register(&mut server, SERVER, Interest::READABLE)
                .expect("register server");
            (client, server)
        }

        /// `write_vectored` until it takes something; returns its result
        /// and the host writes that call made.
        fn write_once(
            client: &mut TcpStream,
            bufs: &[IoSlice<'_>],
            poll: &mut Poll,
            events: &mut Events,
        ) -> (usize, usize) {
            loop {
                let before = host_writes();
                match client.write_vectored(bufs) {
                    Ok(n) => return (n, host_writes() - before),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => wait(poll, events),
                    Err(e) => panic!("write_vectored: {e}"),
                }
            }
        }

        fn read_exact(
            server: &mut TcpStream,
            len: usize,
            poll: &mut Poll,
            events: &mut Events,
        ) -> Vec<u8> {
            let mut got = vec![0; len];
            let mut filled = 0;
            while filled < len {
                match server.read(&mut got[filled..]) {
                    Ok(0) => panic!("peer closed after {filled} of {len} bytes"),
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => wait(poll, events),
                    Err(e) => panic!("read: {e}"),
                }
            }
            got
        }

        /// An HTTP head and body written in one call leave in one host
        /// write: two would be two segments, the second held by Nagle's
        /// algorithm until the peer's delayed ACK.
        #[test]
        fn small_buffers_make_one_host_write() {
            let mut poll = Poll::new().expect("poll");
            let mut events = Events::with_capacity(8);
            let (mut client, mut server) = pair(&mut poll, &mut events);
            let head = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n";
            let bufs = [
                IoSlice::new(b""),
                IoSlice::new(head),
                IoSlice::new(b""),
                IoSlice::new(b"hello"),
            ];
            let (n, writes) = write_once(&mut client, &bufs, &mut poll, &mut events);
            assert_eq!(writes, 1, "host writes for one write_vectored");
            let mut expected = head.to_vec();
            expected.extend_from_slice(b"hello");
            assert!(n > 0 && n <= expected.len(), "wrote {n}");
            let got = read_exact(&mut server, n, &mut poll, &mut events);
            assert_eq!(got, expected[..n]);
        }

        /// A small first buffer before a large one: each call is still one
        /// host write, and repeating the call delivers every byte in order.
        #[test]
        fn large_writes_stay_whole_and_ordered() {
            let mut poll = Poll::new().expect("poll");
            let mut events = Events::with_capacity(8);
            let (mut client, mut server) = pair(&mut poll, &mut events);
            let head = b"head:".to_vec();
            let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
            let mut expected = head.clone();
            expected.extend_from_slice(&body);

            let mut sent = 0;
            let mut received = Vec::new();
            let mut buf = vec![0; 65536];
            while sent < expected.len() {
                let (a, b) = if sent < head.len() {
                    (&head[sent..], &body[..])
                } else {
                    (&body[sent - head.len()..], &[][..])
                };
                let before = host_writes();
                match client.write_vectored(&[IoSlice::new(a), IoSlice::new(b)]) {
                    Ok(n) => {
                        assert_eq!(host_writes() - before, 1, "host writes for one call");
                        assert!(n > 0);
                        sent += n;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => wait(&mut poll, &mut events),
                    Err(e) => panic!("write_vectored: {e}"),
                }
                // Drain what arrived so the host keeps granting permits.
                loop {
                    match server.read(&mut buf) {
                        Ok(0) => panic!("peer closed"),
                        Ok(k) => received.extend_from_slice(&buf[..k]),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => panic!("read: {e}"),
                    }
                }
            }
            let rest = expected.len() - received.len();
            received.extend(read_exact(&mut server, rest, &mut poll, &mut events));
            assert!(received == expected, "bytes differ");
        }
    }
}
