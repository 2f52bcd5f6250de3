//! File descriptors for the backend's sockets, shared with wasi-libc (and so
//! with std): every socket of this backend is also a wasi-libc descriptor.
//!
//! std's sockets on wasm32-wasip2 are wasi-libc descriptors: an entry in
//! wasi-libc's descriptor table pointing at a small struct that owns the
//! `wasi:sockets` handles (socket, streams, pollables). To make
//! `from_std`, `FromRawFd`, `IntoRawFd` and `AsRawFd` real, this backend
//! keeps its handles in such an entry too: the descriptor owns them (and
//! `close` drops them, in the host's order), and the backend works on
//! borrowed copies. Handles the backend obtains later (the streams of a
//! finished connect, a UDP stream pair) are moved into the descriptor's
//! struct at once, with the state tag wasi-libc expects, so std sees a
//! consistent socket after `into_raw_fd`.
//!
//! The struct layouts are private to wasi-libc. They are the ones of
//! wasi-sdk 30 (`libc-bottom-half/sources/wasip2_tcp.c` and `wasip2_udp.c`),
//! which Rust 1.95's wasm32-wasip2 target ships, read from that `libc.a`'s
//! debug information. Each new descriptor is checked against them (handle,
//! family and state read back as written), and a descriptor handed in by
//! std is checked to carry wasi-libc's own TCP or UDP function table; a
//! mismatch is an error (`Unsupported`, naming the toolchain), never a
//! guess. The functions used (`__wasilibc_add_tcp_socket`,
//! `__wasilibc_add_udp_socket`, `descriptor_table_get_ref`) are wasi-libc
//! internals present in the same archive.

use std::ffi::{c_int, c_void};
use std::io;
use std::mem::{size_of, ManuallyDrop};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::bindings::{
    create_tcp_socket, create_udp_socket, ErrorCode, IncomingDatagramStream, InputStream,
    IpAddressFamily, OutgoingDatagramStream, OutputStream, TcpSocket, UdpSocket,
};

/// A handle owned by a descriptor, used in place by the backend.
pub(crate) type Borrowed<T> = ManuallyDrop<T>;

#[repr(C)]
struct Entry {
    data: *mut c_void,
    vtable: *const c_void,
}

/// wasi-sdk 30 `tcp_socket_t`.
#[repr(C)]
struct TcpData {
    socket: u32,
    socket_pollable: u32,
    blocking: bool,
    fake_nodelay: bool,
    fake_reuseaddr: bool,
    family: u8,
    tag: u32,
    /// `connected`: input, input pollable, output, output pollable;
    /// `connect_failed`: the error code in the first byte.
    state: [u32; 4],
    send_timeout: u64,
    recv_timeout: u64,
}

/// wasi-sdk 30 `udp_socket_t`.
#[repr(C)]
struct UdpData {
    socket: u32,
    socket_pollable: u32,
    blocking: bool,
    family: u8,
    tag: u32,
    /// `bound_streaming` and `connected`: incoming, its pollable,
    /// outgoing, its pollable.
    streams: [u32; 4],
}

const _: () = assert!(size_of::<TcpData>() == 0x30);
const _: () = assert!(size_of::<UdpData>() == 0x20);

const TCP_UNBOUND: u32 = 0;
const TCP_BOUND: u32 = 1;
const TCP_CONNECTING: u32 = 2;
const TCP_CONNECTED: u32 = 3;
const TCP_CONNECT_FAILED: u32 = 4;
const TCP_LISTENING: u32 = 5;

const UDP_UNBOUND: u32 = 0;
const UDP_BOUND_NOSTREAMS: u32 = 1;
const UDP_BOUND_STREAMING: u32 = 2;
const UDP_CONNECTED: u32 = 3;

extern "C" {
    fn __wasilibc_add_tcp_socket(socket: u32, family: u8, blocking: bool) -> c_int;
    fn __wasilibc_add_udp_socket(socket: u32, family: u8, blocking: bool) -> c_int;
    fn descriptor_table_get_ref(fd: c_int) -> *mut Entry;
}

fn layout_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "mio (wasm32-wasip2): wasi-libc's socket descriptors do not have the wasi-sdk 30 layout \
         this backend supports (build with the wasi-libc that Rust 1.95's wasm32-wasip2 ships)",
    )
}

fn family_code(family: IpAddressFamily) -> u8 {
    match family {
        IpAddressFamily::Ipv4 => 0,
        IpAddressFamily::Ipv6 => 1,
    }
}

fn family_from_code(code: u8) -> Option<IpAddressFamily> {
    match code {
        0 => Some(IpAddressFamily::Ipv4),
        1 => Some(IpAddressFamily::Ipv6),
        _ => None,
    }
}

/// An owned wasi-libc descriptor; closing it drops the handles it owns.
#[derive(Debug)]
pub(crate) struct Descriptor {
    fd: c_int,
}

impl Descriptor {
    pub(crate) fn raw(&self) -> c_int {
        self.fd
    }

    /// Gives up ownership of the descriptor.
    pub(crate) fn into_raw(self) -> c_int {
        let fd = self.fd;
        std::mem::forget(self);
        fd
    }

    fn entry(&self) -> *mut Entry {
        // SAFETY: looks the descriptor up in wasi-libc's table; `fd` is ours
        // and open, so the entry exists for as long as `self` does.
        unsafe { descriptor_table_get_ref(self.fd) }
    }

    fn data<T>(&self) -> *mut T {
        let entry = self.entry();
        // SAFETY: `entry` is non-null for our open descriptor (checked when
        // the descriptor was adopted) and points at a live table entry.
        unsafe { (*entry).data.cast() }
    }
}

impl Drop for Descriptor {
    fn drop(&mut self) {
        // SAFETY: we own `fd`; wasi-libc's close drops the handles the
        // descriptor owns and frees its struct.
        unsafe { libc::close(self.fd) };
    }
}

/// The function table wasi-libc gives its TCP (or UDP) descriptors, found
/// once from a probe descriptor.
fn vtable_of(
    cache: &AtomicUsize,
    probe: impl FnOnce() -> io::Result<Descriptor>,
) -> io::Result<usize> {
    let cached = cache.load(Ordering::Relaxed);
    if cached != 0 {
        return Ok(cached);
    }
    let probe = probe()?;
    // SAFETY: `entry()` of a descriptor we just created is non-null.
    let vtable = unsafe { (*probe.entry()).vtable } as usize;
    cache.store(vtable, Ordering::Relaxed);
    Ok(vtable)
}

static TCP_VTABLE: AtomicUsize = AtomicUsize::new(0);
static UDP_VTABLE: AtomicUsize = AtomicUsize::new(0);

/// Checks that `fd` is a wasi-libc descriptor with the given function table
/// and returns it as owned.
///
/// # Safety
///
/// `fd` must be an open descriptor the caller owns.
unsafe fn adopt(fd: c_int, vtable: usize) -> io::Result<Descriptor> {
    // SAFETY: the caller passes an open descriptor.
    let entry = unsafe { descriptor_table_get_ref(fd) };
    if entry.is_null() {
        return Err(io::Error::from_raw_os_error(libc::EBADF));
    }
    let descriptor = Descriptor { fd };
    // SAFETY: non-null entries point into wasi-libc's live table.
    if unsafe { (*entry).vtable } as usize != vtable {
        // Not a socket of the expected kind: give the descriptor back.
        let _ = descriptor.into_raw();
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "mio (wasm32-wasip2): the descriptor is not a wasi-libc socket of the expected kind",
        ));
    }
    Ok(descriptor)
}

/// What a TCP descriptor holds.
pub(crate) enum TcpState {
    Unbound,
    Bound,
    Connecting,
    Connected(Borrowed<InputStream>, Borrowed<OutputStream>),
    ConnectFailed,
    Listening,
}

/// A TCP descriptor.
#[derive(Debug)]
pub(crate) struct TcpDescriptor(Descriptor);

impl TcpDescriptor {
    /// Moves `socket` into a new descriptor and returns a borrowed copy.
    pub(crate) fn new(socket: TcpSocket) -> io::Result<(TcpDescriptor, Borrowed<TcpSocket>)> {
        let family = socket.address_family();
        let handle = socket.take_handle();
        // SAFETY: passes ownership of a live `tcp-socket` handle to
        // wasi-libc, which drops it if it cannot create the descriptor.
        let fd = unsafe { __wasilibc_add_tcp_socket(handle, family_code(family), false) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let descriptor = TcpDescriptor(Descriptor { fd });
        if descriptor.0.entry().is_null() {
            return Err(layout_error());
        }
        let data = descriptor.0.data::<TcpData>();
        // SAFETY: wasi-libc just allocated this descriptor's struct; if it
        // has the layout we know, these are the fields just written.
        let (h, f, tag) = unsafe { ((*data).socket, (*data).family, (*data).tag) };
        if h != handle || f != family_code(family) || tag != TCP_UNBOUND {
            // Closing would drop an unknown handle: leak the descriptor.
            let _ = descriptor.0.into_raw();
            return Err(layout_error());
        }
        // SAFETY: the descriptor owns `handle`; the copy is never dropped.
        let borrowed = Borrowed::new(unsafe { TcpSocket::from_handle(handle) });
        Ok((descriptor, borrowed))
    }

    /// Takes ownership of the TCP descriptor `fd` (from std).
    ///
    /// # Safety
    ///
    /// `fd` must be an open descriptor the caller owns.
    pub(crate) unsafe fn from_raw(
        fd: c_int,
    ) -> io::Result<(TcpDescriptor, Borrowed<TcpSocket>, TcpState)> {
        let vtable = vtable_of(&TCP_VTABLE, || {
            let socket =
                create_tcp_socket(IpAddressFamily::Ipv4).map_err(super::bindings::error)?;
            TcpDescriptor::new(socket).map(|(d, _)| d.0)
        })?;
        // SAFETY: the caller's contract.
        let descriptor = TcpDescriptor(unsafe { adopt(fd, vtable)? });
        let data = descriptor.0.data::<TcpData>();
        // SAFETY: the entry carries wasi-libc's TCP table, so `data` is its
        // `tcp_socket_t`; the handles read are owned by the descriptor and
        // the copies made of them are never dropped.
        unsafe {
            if family_from_code((*data).family).is_none() {
                let _ = descriptor.0.into_raw();
                return Err(layout_error());
            }
            let socket = Borrowed::new(TcpSocket::from_handle((*data).socket));
            let state = match (*data).tag {
                TCP_UNBOUND => TcpState::Unbound,
                TCP_BOUND => TcpState::Bound,
                TCP_CONNECTING => TcpState::Connecting,
                TCP_CONNECTED => {
                    let [input, _, output, _] = (*data).state;
                    TcpState::Connected(
                        Borrowed::new(InputStream::from_handle(input)),
                        Borrowed::new(OutputStream::from_handle(output)),
                    )
                }
                TCP_CONNECT_FAILED => TcpState::ConnectFailed,
                TCP_LISTENING => TcpState::Listening,
                _ => {
                    let _ = descriptor.0.into_raw();
                    return Err(layout_error());
                }
            };
            Ok((descriptor, socket, state))
        }
    }

    fn set_tag(&self, tag: u32) {
        let data = self.0.data::<TcpData>();
        // SAFETY: our descriptor's struct has the checked layout.
        unsafe {
            (*data).tag = tag;
            (*data).state = [0; 4];
        }
    }

    pub(crate) fn set_bound(&self) {
        self.set_tag(TCP_BOUND);
    }

    pub(crate) fn set_listening(&self) {
        self.set_tag(TCP_LISTENING);
    }

    pub(crate) fn set_connecting(&self) {
        self.set_tag(TCP_CONNECTING);
    }

    pub(crate) fn set_connect_failed(&self, code: ErrorCode) {
        let data = self.0.data::<TcpData>();
        // SAFETY: our descriptor's struct has the checked layout; the code
        // is a `network_error_code_t` (u8) in the first byte of the union.
        unsafe {
            (*data).tag = TCP_CONNECT_FAILED;
            (*data).state = [u32::from(code as u8), 0, 0, 0];
        }
    }

    /// Moves the streams of the connection into the descriptor.
    pub(crate) fn set_connected(
        &self,
        input: InputStream,
        output: OutputStream,
    ) -> (Borrowed<InputStream>, Borrowed<OutputStream>) {
        let (i, o) = (input.take_handle(), output.take_handle());
        let data = self.0.data::<TcpData>();
        // SAFETY: our descriptor's struct has the checked layout; it takes
        // ownership of both handles (its pollables: none yet).
        unsafe {
            (*data).tag = TCP_CONNECTED;
            (*data).state = [i, 0, o, 0];
            (
                Borrowed::new(InputStream::from_handle(i)),
                Borrowed::new(OutputStream::from_handle(o)),
            )
        }
    }

    pub(crate) fn raw(&self) -> c_int {
        self.0.raw()
    }

    pub(crate) fn into_raw(self) -> c_int {
        self.0.into_raw()
    }
}

/// A UDP descriptor.
#[derive(Debug)]
pub(crate) struct UdpDescriptor(Descriptor);

/// The datagram streams a UDP descriptor holds, borrowed.
pub(crate) type UdpStreams = (
    Borrowed<IncomingDatagramStream>,
    Borrowed<OutgoingDatagramStream>,
);

impl UdpDescriptor {
    pub(crate) fn new(socket: UdpSocket) -> io::Result<(UdpDescriptor, Borrowed<UdpSocket>)> {
        let family = socket.address_family();
        let handle = socket.take_handle();
        // SAFETY: passes ownership of a live `udp-socket` handle to
        // wasi-libc, which drops it if it cannot create the descriptor.
        let fd = unsafe { __wasilibc_add_udp_socket(handle, family_code(family), false) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let descriptor = UdpDescriptor(Descriptor { fd });
        if descriptor.0.entry().is_null() {
            return Err(layout_error());
        }
        let data = descriptor.0.data::<UdpData>();
        // SAFETY: as for TCP: read back what wasi-libc just wrote.
        let (h, f, tag) = unsafe { ((*data).socket, (*data).family, (*data).tag) };
        if h != handle || f != family_code(family) || tag != UDP_UNBOUND {
            let _ = descriptor.0.into_raw();
            return Err(layout_error());
        }
        // SAFETY: the descriptor owns `handle`; the copy is never dropped.
        let borrowed = Borrowed::new(unsafe { UdpSocket::from_handle(handle) });
        Ok((descriptor, borrowed))
    }

    /// Takes ownership of the UDP descriptor `fd` (from std). Returns the
    /// streams if it has any, and whether they are connected.
    ///
    /// # Safety
    ///
    /// `fd` must be an open descriptor the caller owns.
    pub(crate) unsafe fn from_raw(
        fd: c_int,
    ) -> io::Result<(UdpDescriptor, Borrowed<UdpSocket>, Option<UdpStreams>, bool)> {
        let vtable = vtable_of(&UDP_VTABLE, || {
            let socket =
                create_udp_socket(IpAddressFamily::Ipv4).map_err(super::bindings::error)?;
            UdpDescriptor::new(socket).map(|(d, _)| d.0)
        })?;
        // SAFETY: the caller's contract.
        let descriptor = UdpDescriptor(unsafe { adopt(fd, vtable)? });
        let data = descriptor.0.data::<UdpData>();
        // SAFETY: the entry carries wasi-libc's UDP table, so `data` is its
        // `udp_socket_t`; copies of its handles are never dropped.
        unsafe {
            let socket = Borrowed::new(UdpSocket::from_handle((*data).socket));
            let [incoming, _, outgoing, _] = (*data).streams;
            let streams = || {
                (
                    Borrowed::new(IncomingDatagramStream::from_handle(incoming)),
                    Borrowed::new(OutgoingDatagramStream::from_handle(outgoing)),
                )
            };
            match (*data).tag {
                UDP_UNBOUND | UDP_BOUND_NOSTREAMS => Ok((descriptor, socket, None, false)),
                UDP_BOUND_STREAMING => Ok((descriptor, socket, Some(streams()), false)),
                UDP_CONNECTED => Ok((descriptor, socket, Some(streams()), true)),
                _ => {
                    let _ = descriptor.0.into_raw();
                    Err(layout_error())
                }
            }
        }
    }

    pub(crate) fn set_bound(&self) {
        let data = self.0.data::<UdpData>();
        // SAFETY: our descriptor's struct has the checked layout.
        unsafe {
            (*data).tag = UDP_BOUND_NOSTREAMS;
            (*data).streams = [0; 4];
        }
    }

    /// Moves a stream pair into the descriptor (`connected`: made with a
    /// remote address).
    pub(crate) fn set_streams(
        &self,
        incoming: IncomingDatagramStream,
        outgoing: OutgoingDatagramStream,
        connected: bool,
    ) -> UdpStreams {
        let (i, o) = (incoming.take_handle(), outgoing.take_handle());
        let data = self.0.data::<UdpData>();
        // SAFETY: our descriptor's struct has the checked layout; it takes
        // ownership of both handles.
        unsafe {
            (*data).tag = if connected {
                UDP_CONNECTED
            } else {
                UDP_BOUND_STREAMING
            };
            (*data).streams = [i, 0, o, 0];
            (
                Borrowed::new(IncomingDatagramStream::from_handle(i)),
                Borrowed::new(OutgoingDatagramStream::from_handle(o)),
            )
        }
    }

    /// Drops the descriptor's streams (and any pollables wasi-libc made for
    /// them), leaving it bound without streams: the host wants the old pair
    /// gone before `stream` is called again. The caller's borrowed copies
    /// must not be used afterwards.
    pub(crate) fn drop_streams(&self) {
        let data = self.0.data::<UdpData>();
        // SAFETY: our descriptor's struct has the checked layout; the
        // handles it owns are taken out and dropped once, pollables (the
        // children) first; a handle of 0 means "none" in wasi-libc.
        unsafe {
            if (*data).tag != UDP_BOUND_STREAMING && (*data).tag != UDP_CONNECTED {
                return;
            }
            let [incoming, incoming_pollable, outgoing, outgoing_pollable] = (*data).streams;
            (*data).tag = UDP_BOUND_NOSTREAMS;
            (*data).streams = [0; 4];
            for pollable in [incoming_pollable, outgoing_pollable] {
                if pollable != 0 {
                    drop(super::bindings::Pollable::from_handle(pollable));
                }
            }
            drop(IncomingDatagramStream::from_handle(incoming));
            drop(OutgoingDatagramStream::from_handle(outgoing));
        }
    }

    pub(crate) fn raw(&self) -> c_int {
        self.0.raw()
    }

    pub(crate) fn into_raw(self) -> c_int {
        self.0.into_raw()
    }
}
