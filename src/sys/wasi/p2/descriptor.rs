//! Who owns a socket's handles: a wasi-libc file descriptor (so the socket
//! converts to and from std's), or, where that is not possible, the socket
//! itself.
//!
//! std's sockets on wasm32-wasip2 are wasi-libc descriptors: an entry in
//! wasi-libc's descriptor table pointing at a small struct that owns the
//! `wasi:sockets` handles (socket, streams, pollables). To make
//! `from_std`, `FromRawFd`, `IntoRawFd` and `AsRawFd` real, this backend
//! keeps its handles in such an entry when it can: the descriptor owns them
//! (and `close` drops them, in the host's order), and the backend works on
//! borrowed copies. Handles the backend obtains later (the streams of a
//! finished connect, a UDP stream pair) are moved into the descriptor's
//! struct at once, with the state tag wasi-libc expects, so std sees a
//! consistent socket after `into_raw_fd`.
//!
//! Those structs and the table functions are private to wasi-libc and have
//! changed between the releases Rust ships:
//!
//! | wasi-libc (wasi-sdk) | Rust (wasm32-wasip2) | table | TCP struct |
//! |---|---|---|---|
//! | 25, 27 | 1.85 to 1.92 | tagged entries holding the socket struct; `bool descriptor_table_get_ref(fd, &entry)` | socket, pollable, flags, family, state |
//! | 29, 30 | 1.93 to 1.96 | entries point at the struct; `entry *descriptor_table_get_ref(fd)` | as in 25 |
//! | 33 | 1.97 to 1.99 | as in 29 | socket, state, pollable, flags, family |
//! | 34 | nightly 1.101 (2026-10) | `descriptor_table_get` (counted reference) | reference count first, then as in 33 |
//!
//! The build script finds out which kind of table the linked `libc.a` has
//! (stable Rust cannot link a symbol weakly); the struct layout is found at
//! run time, once, on a probe socket per protocol: each known layout is
//! tried, first by reading fields wasi-libc just wrote (the handle passed
//! in; `TCP_NODELAY` and `SO_REUSEADDR` set through libc and read back at
//! the layout's offsets), then by writing fields at the
//! layout's offsets and reading them back through libc (`SO_DOMAIN` for the
//! address family, `SO_ERROR` for the state tag and the connect-failed
//! error code). Every later descriptor is checked again (handle, family and
//! state read back as written), and a descriptor handed in by std must carry
//! the function table of wasi-libc's own TCP or UDP descriptors (with
//! wasi-sdk 25 and 27: the entry tag of a TCP or UDP socket).
//!
//! wasi-sdk 25 and 27 differ in two more ways: their `close` drops every
//! pollable field whether set or not, so the socket's and its streams'
//! pollables are made along with them; and their table has a fixed size, so
//! a socket made while it is full keeps its handles itself (only that
//! socket's raw-fd conversions fail).
//!
//! When no known layout matches, or the build found no usable lookup, or
//! with `--cfg mio_wasip2_no_libc_interop`, the socket owns its handles
//! itself (no descriptor): everything this crate does with its sockets
//! works the same, and only the conversions to and from std's sockets fail,
//! with a message naming the cause: a std socket given to `from_std` (or
//! `FromRawFd`) is kept open, unusable, and every call on it returns that
//! error, registration included (`Inert`); `AsRawFd` and `IntoRawFd` on
//! this crate's own sockets panic, as they have no descriptor to give.

// Without a usable table (see `table`) the layouts are only documentation.
#![cfg_attr(
    not(any(
        mio_wasip2_libc = "entry",
        mio_wasip2_libc = "get_ref",
        mio_wasip2_libc = "get"
    )),
    allow(dead_code)
)]

use std::cell::Cell;
use std::ffi::c_int;
use std::io;
use std::mem::ManuallyDrop;
use std::os::fd::RawFd;

use super::bindings::{
    ErrorCode, IncomingDatagramStream, InputStream, IpAddressFamily, OutgoingDatagramStream,
    OutputStream, Pollable, TcpSocket, UdpSocket,
};

/// A handle owned by a descriptor, used in place by the backend.
pub(crate) type Borrowed<T> = ManuallyDrop<T>;

/// Why std interop is not available (or `None` if it is).
pub(crate) fn interop_error() -> Option<io::Error> {
    match table::layout() {
        Ok(Some(_)) => None,
        Ok(None) => Some(no_interop_error()),
        Err(err) => Some(err),
    }
}

/// The error of every std conversion when sockets own their handles.
pub(crate) fn no_interop_error() -> io::Error {
    let why = if cfg!(mio_wasip2_no_libc_interop) {
        "this build sets `--cfg mio_wasip2_no_libc_interop`"
    } else if table::LOOKUP.is_none() {
        "the toolchain's wasi-libc (its wasm32-wasip2 libc.a, as the build found it) lacks \
         the descriptor-table functions this crate knows"
    } else {
        "the toolchain's wasi-libc (its wasm32-wasip2 libc.a) keeps its sockets in a layout \
         this crate does not know"
    };
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!(
            "mio (wasm32-wasip2): converting sockets to or from std's is not supported: {why}; \
             this crate's own sockets work. Supported: the wasi-libc of Rust 1.85 to 1.99 and \
             of nightly 1.101 (wasi-sdk 25, 27, 29, 30, 33, 34)"
        ),
    )
}

/// The descriptor number of a socket, for `AsRawFd`.
///
/// # Panics
///
/// If the socket has none (see the module documentation): `as_raw_fd`
/// cannot fail in std's API, and a made-up number would be a lie.
pub(crate) fn checked_fd(fd: Option<RawFd>) -> RawFd {
    match fd {
        Some(fd) => fd,
        None => panic!("as_raw_fd: {}", no_fd_error()),
    }
}

/// Why a socket has no descriptor.
fn no_fd_error() -> io::Error {
    match interop_error() {
        Some(err) => err,
        None => io::Error::new(
            io::ErrorKind::Unsupported,
            "mio (wasm32-wasip2): this socket has no wasi-libc descriptor: the descriptor \
             table of the toolchain's wasi-libc (wasi-sdk 25 and 27: Rust 1.85 to 1.92) was \
             full when it was made",
        ),
    }
}

fn family_code(family: IpAddressFamily) -> u8 {
    match family {
        IpAddressFamily::Ipv4 => 0,
        IpAddressFamily::Ipv6 => 1,
    }
}

/// Field offsets in wasi-libc's `tcp_socket_t`.
struct TcpLayout {
    socket: usize,
    tag: usize,
    /// The state union: `connected` is input, its pollable, output, its
    /// pollable; `connect_failed` is the error code (one byte).
    state: usize,
    blocking: usize,
    nodelay: usize,
    reuseaddr: usize,
    family: usize,
}

/// Field offsets in wasi-libc's `udp_socket_t`.
struct UdpLayout {
    socket: usize,
    blocking: usize,
    family: usize,
    tag: usize,
    /// The state union: `bound_streaming` and `connected` start with
    /// incoming, its pollable, outgoing, its pollable.
    state: usize,
}

/// One wasi-libc's socket structs (read from the debug information of the
/// toolchains' `libc.a`).
struct Layout {
    tcp: TcpLayout,
    udp: UdpLayout,
}

/// wasi-sdk 25 to 30 (in 25 and 27 the struct sits in the table entry,
/// after its tag).
#[allow(dead_code)] // which layouts apply depends on the kind of table
const SDK30: Layout = Layout {
    tcp: TcpLayout {
        socket: 0x00,
        blocking: 0x08,
        nodelay: 0x09,
        reuseaddr: 0x0a,
        family: 0x0b,
        tag: 0x0c,
        state: 0x10,
    },
    udp: UdpLayout {
        socket: 0x00,
        blocking: 0x08,
        family: 0x09,
        tag: 0x0c,
        state: 0x10,
    },
};

/// wasi-sdk 33: the TCP state moved up next to the socket.
#[allow(dead_code)] // which layouts apply depends on the kind of table
const SDK33: Layout = Layout {
    tcp: TcpLayout {
        socket: 0x00,
        tag: 0x04,
        state: 0x08,
        blocking: 0x1c,
        nodelay: 0x1d,
        reuseaddr: 0x1e,
        family: 0x1f,
    },
    udp: SDK30.udp,
};

/// wasi-sdk 34: a reference count in front (descriptors can be shared by
/// `dup`), UDP gained timeouts.
#[allow(dead_code)] // which layouts apply depends on the kind of table
const SDK34: Layout = Layout {
    tcp: TcpLayout {
        socket: 0x04,
        tag: 0x08,
        state: 0x0c,
        blocking: 0x20,
        nodelay: 0x21,
        reuseaddr: 0x22,
        family: 0x23,
    },
    udp: UdpLayout {
        socket: 0x04,
        blocking: 0x0c,
        family: 0x0d,
        tag: 0x10,
        state: 0x14,
    },
};

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

/// A wasi-libc struct, through its layout's offsets.
#[derive(Clone, Copy)]
struct Data(*mut u8);

impl Data {
    /// # Safety
    ///
    /// `offset + 4` must be within the struct.
    unsafe fn u32(self, offset: usize) -> u32 {
        // SAFETY: the caller keeps the read within the struct, which is
        // 4-aligned where the layouts put a u32.
        unsafe { self.0.add(offset).cast::<u32>().read() }
    }

    /// # Safety
    ///
    /// As for [`Data::u32`].
    unsafe fn set_u32(self, offset: usize, value: u32) {
        // SAFETY: as for `u32`.
        unsafe { self.0.add(offset).cast::<u32>().write(value) }
    }

    /// # Safety
    ///
    /// `offset` must be within the struct.
    unsafe fn u8(self, offset: usize) -> u8 {
        // SAFETY: the caller keeps the read within the struct.
        unsafe { self.0.add(offset).read() }
    }

    /// # Safety
    ///
    /// As for [`Data::u8`].
    unsafe fn set_u8(self, offset: usize, value: u8) {
        // SAFETY: as for `u8`.
        unsafe { self.0.add(offset).write(value) }
    }

    /// The four handles of a state union starting at `offset`.
    ///
    /// # Safety
    ///
    /// As for [`Data::u32`], for `offset + 16`.
    unsafe fn quad(self, offset: usize) -> [u32; 4] {
        // SAFETY: the caller's contract.
        unsafe {
            [
                self.u32(offset),
                self.u32(offset + 4),
                self.u32(offset + 8),
                self.u32(offset + 12),
            ]
        }
    }

    /// # Safety
    ///
    /// As for [`Data::quad`].
    unsafe fn set_quad(self, offset: usize, values: [u32; 4]) {
        for (i, value) in values.into_iter().enumerate() {
            // SAFETY: the caller's contract.
            unsafe { self.set_u32(offset + 4 * i, value) };
        }
    }
}

/// wasi-libc's descriptor table, as far as the build found it usable.
#[cfg(any(
    mio_wasip2_libc = "entry",
    mio_wasip2_libc = "get_ref",
    mio_wasip2_libc = "get"
))]
mod table {
    use std::ffi::c_int;
    use std::io;
    use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

    use super::super::bindings::{self, create_tcp_socket, create_udp_socket, IpAddressFamily};
    use super::{Data, Layout, TcpLayout, UdpLayout};

    pub(super) const LOOKUP: Option<&str> = Some(KIND);

    /// The layouts this kind of table may have, in probing order.
    #[cfg(mio_wasip2_libc = "entry")]
    const LAYOUTS: &[&Layout] = &[&super::SDK30];
    #[cfg(mio_wasip2_libc = "get_ref")]
    const LAYOUTS: &[&Layout] = &[&super::SDK30, &super::SDK33];
    #[cfg(mio_wasip2_libc = "get")]
    const LAYOUTS: &[&Layout] = &[&super::SDK34];

    /// wasi-sdk 25 and 27: the table holds tagged entries, the socket
    /// struct inside them (entries move when the table grows).
    #[cfg(mio_wasip2_libc = "entry")]
    mod kind {
        use std::ffi::c_int;

        use super::super::super::bindings::{Pollable, TcpSocket, UdpSocket};
        use super::super::Data;

        pub(super) const KIND: &str = "tagged table entries";

        const TAG_TCP: u32 = 0;
        const TAG_UDP: u32 = 1;

        /// `descriptor_table_entry_t`: the tag, then the socket struct.
        #[repr(C)]
        pub(super) struct Entry {
            tag: u32,
            body: [u32; 8],
        }

        extern "C" {
            fn descriptor_table_insert(entry: Entry, fd: *mut c_int) -> bool;
            fn descriptor_table_get_ref(fd: c_int, entry: *mut *mut Entry) -> bool;
        }

        /// The struct of descriptor `fd` and the entry's tag (standing for
        /// the function table the later releases have), if it is open.
        ///
        /// # Safety
        ///
        /// `fd` must stay open, and the table unchanged, while the result
        /// is used.
        pub(super) unsafe fn lookup(fd: c_int) -> Option<(Data, usize, bool)> {
            let mut entry: *mut Entry = std::ptr::null_mut();
            // SAFETY: a table lookup that fills `entry` if `fd` is open.
            if !unsafe { descriptor_table_get_ref(fd, &mut entry) } || entry.is_null() {
                return None;
            }
            // SAFETY: `entry` points into the live table; the struct
            // follows the tag.
            let (tag, body) = unsafe { ((*entry).tag, (&raw mut (*entry).body).cast::<u8>()) };
            Some((Data(body), tag as usize, false))
        }

        /// This wasi-libc drops every pollable field on close, set or not:
        /// the socket's pollable and those of its streams exist from the
        /// start.
        pub(in super::super) const EAGER_POLLABLES: bool = true;

        /// The table has a small fixed size (the preview-1 adapter's
        /// descriptors); `insert` leaves the handle to the caller when it
        /// is full.
        pub(in super::super) const CAN_FILL: bool = true;

        /// A new entry for `handle` (unbound, non-blocking), as wasi-libc's
        /// `socket()` makes one: the handle, then its pollable, the family
        /// at `offset`.
        pub(super) fn insert(tcp: bool, handle: u32, family: u8, offset: usize) -> c_int {
            // SAFETY: `handle` is a live socket of the named protocol; the
            // borrowed copies are never dropped.
            let pollable = unsafe {
                if tcp {
                    std::mem::ManuallyDrop::new(TcpSocket::from_handle(handle))
                        .subscribe()
                        .take_handle()
                } else {
                    std::mem::ManuallyDrop::new(UdpSocket::from_handle(handle))
                        .subscribe()
                        .take_handle()
                }
            };
            let mut body = [0u32; 8];
            body[0] = handle;
            body[1] = pollable;
            body[offset / 4] |= u32::from(family) << (8 * (offset % 4));
            let entry = Entry {
                tag: if tcp { TAG_TCP } else { TAG_UDP },
                body,
            };
            let mut fd: c_int = -1;
            // SAFETY: copies the entry into the table; on success the
            // table owns the handle.
            if unsafe { descriptor_table_insert(entry, &mut fd) } {
                fd
            } else {
                // The table did not take the handles (it is full); the
                // socket stays the caller's.
                // SAFETY: the pollable is ours, the socket's child.
                drop(unsafe { Pollable::from_handle(pollable) });
                -1
            }
        }
    }

    /// wasi-sdk 29 to 34: entries point at a struct wasi-libc allocates.
    #[cfg(any(mio_wasip2_libc = "get_ref", mio_wasip2_libc = "get"))]
    mod kind {
        use std::ffi::{c_int, c_void};

        use super::super::Data;

        /// Pollables are made by wasi-libc when it needs them (0: none).
        pub(in super::super) const EAGER_POLLABLES: bool = false;

        /// The table grows; `insert` fails only without memory, and then
        /// drops the handle.
        pub(in super::super) const CAN_FILL: bool = false;

        #[cfg(mio_wasip2_libc = "get_ref")]
        pub(super) const KIND: &str = "descriptor_table_get_ref";
        #[cfg(mio_wasip2_libc = "get")]
        pub(super) const KIND: &str = "descriptor_table_get";

        #[repr(C)]
        #[derive(Clone, Copy)]
        pub(super) struct Entry {
            data: *mut c_void,
            vtable: *const c_void,
        }

        extern "C" {
            fn __wasilibc_add_tcp_socket(socket: u32, family: u8, blocking: bool) -> c_int;
            fn __wasilibc_add_udp_socket(socket: u32, family: u8, blocking: bool) -> c_int;
            #[cfg(mio_wasip2_libc = "get_ref")]
            fn descriptor_table_get_ref(fd: c_int) -> *mut Entry;
            #[cfg(mio_wasip2_libc = "get")]
            fn descriptor_table_get(fd: c_int, entry: *mut Entry) -> c_int;
        }

        /// The struct and function table of descriptor `fd`, if it is
        /// open. With `descriptor_table_get`, `shared` tells whether another
        /// descriptor (a `dup`) refers to the same struct.
        ///
        /// # Safety
        ///
        /// `fd` must stay open while the result is used; with
        /// `descriptor_table_get`, its struct starts with the count.
        pub(super) unsafe fn lookup(fd: c_int) -> Option<(Data, usize, bool)> {
            #[cfg(mio_wasip2_libc = "get_ref")]
            {
                // SAFETY: a table lookup; null if `fd` is not open.
                let entry = unsafe { descriptor_table_get_ref(fd) };
                if entry.is_null() {
                    return None;
                }
                // SAFETY: non-null entries point into the live table.
                let entry = unsafe { *entry };
                Some((Data(entry.data.cast()), entry.vtable as usize, false))
            }
            #[cfg(mio_wasip2_libc = "get")]
            {
                let mut entry = Entry {
                    data: std::ptr::null_mut(),
                    vtable: std::ptr::null(),
                };
                // SAFETY: fills `entry` and takes a reference if `fd` is open.
                if unsafe { descriptor_table_get(fd, &mut entry) } != 0 || entry.data.is_null() {
                    return None;
                }
                let data = Data(entry.data.cast());
                // SAFETY: the struct starts with its reference count; give
                // back the reference the lookup took (the descriptor keeps
                // its own, so the count stays above zero).
                let count = unsafe {
                    let count = data.u32(0) - 1;
                    data.set_u32(0, count);
                    count
                };
                Some((data, entry.vtable as usize, count > 1))
            }
        }

        /// A new descriptor for `handle` (unbound, non-blocking), made by
        /// wasi-libc.
        pub(super) fn insert(tcp: bool, handle: u32, family: u8, _: usize) -> c_int {
            // SAFETY: hands a live socket handle of the named protocol to
            // wasi-libc, which owns it from now on (and drops it if it
            // fails).
            unsafe {
                if tcp {
                    __wasilibc_add_tcp_socket(handle, family, false)
                } else {
                    __wasilibc_add_udp_socket(handle, family, false)
                }
            }
        }
    }

    use kind::{lookup, KIND};
    pub(super) use kind::{CAN_FILL, EAGER_POLLABLES};

    /// 0: not probed; 1 + index into `LAYOUTS`; `NONE`.
    static LAYOUT: AtomicU8 = AtomicU8::new(0);
    const NONE: u8 = u8::MAX;
    static TCP_VTABLE: AtomicUsize = AtomicUsize::new(0);
    static UDP_VTABLE: AtomicUsize = AtomicUsize::new(0);

    /// The layout of this wasi-libc's socket structs, probed on first use.
    /// An error only if the host would not create the probe sockets (then
    /// it is tried again next time).
    pub(super) fn layout() -> io::Result<Option<&'static Layout>> {
        match LAYOUT.load(Ordering::Relaxed) {
            0 => {}
            NONE => return Ok(None),
            i => return Ok(Some(LAYOUTS[usize::from(i - 1)])),
        }
        let found = probe()?;
        let code = match found {
            Some(i) => i as u8 + 1,
            None => NONE,
        };
        LAYOUT.store(code, Ordering::Relaxed);
        Ok(found.map(|i| LAYOUTS[i]))
    }

    /// What identifies wasi-libc's TCP and UDP descriptors (their function
    /// tables, or entry tags), known once `layout` found a layout.
    pub(super) fn vtables() -> (usize, usize) {
        (
            TCP_VTABLE.load(Ordering::Relaxed),
            UDP_VTABLE.load(Ordering::Relaxed),
        )
    }

    /// A probe descriptor; closed (by wasi-libc, dropping what it holds) on
    /// drop.
    struct Probe {
        fd: c_int,
        handle: u32,
        vtable: usize,
    }

    impl Probe {
        /// The struct, looked up afresh (entries may move).
        fn data(&self) -> Option<Data> {
            // SAFETY: `fd` is open until the probe is dropped.
            unsafe { lookup(self.fd) }.map(|(data, _, _)| data)
        }
    }

    impl Drop for Probe {
        fn drop(&mut self) {
            // SAFETY: we own `fd`; every field the probe changed was put
            // back, so wasi-libc frees what it holds.
            unsafe { libc::close(self.fd) };
        }
    }

    /// Makes a probe descriptor of the given protocol; `None` if wasi-libc
    /// does not find what it just made. The family offset is where the
    /// first candidate layout keeps it (only the "entry" kind uses it, and
    /// has one candidate).
    fn probe_of(tcp: bool) -> io::Result<Option<Probe>> {
        let handle = if tcp {
            create_tcp_socket(IpAddressFamily::Ipv4)
                .map_err(bindings::error)?
                .take_handle()
        } else {
            create_udp_socket(IpAddressFamily::Ipv4)
                .map_err(bindings::error)?
                .take_handle()
        };
        let offset = if tcp {
            LAYOUTS[0].tcp.family
        } else {
            LAYOUTS[0].udp.family
        };
        let fd = kind::insert(tcp, handle, 0, offset);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // Not yet knowing the layout, look the entry up only for what
        // identifies its kind (with `descriptor_table_get` the count is the
        // first field of the only candidate layout).
        // SAFETY: `fd` is open until `Probe` closes it.
        match unsafe { lookup(fd) } {
            Some((_, vtable, _)) => Ok(Some(Probe { fd, handle, vtable })),
            None => {
                // SAFETY: we own `fd`, untouched.
                unsafe { libc::close(fd) };
                Ok(None)
            }
        }
    }

    fn probe() -> io::Result<Option<usize>> {
        let (Some(tcp), Some(udp)) = (probe_of(true)?, probe_of(false)?) else {
            return Ok(None);
        };
        for (i, layout) in LAYOUTS.iter().enumerate() {
            // SAFETY: both probes are fresh descriptors made the way
            // wasi-libc makes them; the checks read before they write,
            // write only fields whose reads matched, and put every written
            // byte back.
            if unsafe { tcp_matches(&tcp, &layout.tcp) && udp_matches(&udp, &layout.udp) } {
                TCP_VTABLE.store(tcp.vtable, Ordering::Relaxed);
                UDP_VTABLE.store(udp.vtable, Ordering::Relaxed);
                return Ok(Some(i));
            }
        }
        Ok(None)
    }

    fn sockopt(fd: c_int, level: c_int, name: c_int) -> Option<c_int> {
        let mut value: c_int = 0;
        let mut len = std::mem::size_of::<c_int>() as libc::socklen_t;
        // SAFETY: `value` and `len` are valid for writes of an int.
        let rc = unsafe {
            libc::getsockopt(fd, level, name, (&mut value as *mut c_int).cast(), &mut len)
        };
        (rc == 0).then_some(value)
    }

    fn set_sockopt(fd: c_int, level: c_int, name: c_int, value: c_int) -> bool {
        // SAFETY: passes an int by pointer with its size.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                level,
                name,
                (&value as *const c_int).cast(),
                std::mem::size_of::<c_int>() as libc::socklen_t,
            )
        };
        rc == 0
    }

    /// Whether the TCP probe has layout `l`.
    ///
    /// # Safety
    ///
    /// `p` is a fresh wasi-libc TCP descriptor whose struct has at least
    /// 0x24 bytes (every known one has 0x20 or more after where its fields
    /// start; the offsets used stay below 0x24).
    unsafe fn tcp_matches(p: &Probe, l: &TcpLayout) -> bool {
        let Some(d) = p.data() else {
            return false;
        };
        // SAFETY (whole block): offsets below 0x24, within the struct;
        // nothing here changes the table, so `d` stays valid.
        unsafe {
            // What was written: the handle, an unbound IPv4 non-blocking
            // socket, options off.
            if d.u32(l.socket) != p.handle
                || d.u32(l.tag) != super::TCP_UNBOUND
                || d.u8(l.family) != 0
                || d.u8(l.blocking) != 0
                || d.u8(l.nodelay) != 0
                || d.u8(l.reuseaddr) != 0
            {
                return false;
            }
            // Options set through libc land at the layout's offsets.
            for (level, name, offset) in [
                (libc::IPPROTO_TCP, libc::TCP_NODELAY, l.nodelay),
                (libc::SOL_SOCKET, libc::SO_REUSEADDR, l.reuseaddr),
            ] {
                let on = set_sockopt(p.fd, level, name, 1) && d.u8(offset) == 1;
                let off = set_sockopt(p.fd, level, name, 0) && d.u8(offset) == 0;
                if !(on && off) {
                    return false;
                }
            }
            // Fields written at the layout's offsets read back through libc.
            d.set_u8(l.family, 1);
            let v6 = sockopt(p.fd, libc::SOL_SOCKET, libc::SO_DOMAIN);
            d.set_u8(l.family, 0);
            let v4 = sockopt(p.fd, libc::SOL_SOCKET, libc::SO_DOMAIN);
            if v6 != Some(libc::AF_INET6) || v4 != Some(libc::AF_INET) {
                return false;
            }
            let saved = d.quad(l.state);
            d.set_u32(l.tag, super::TCP_CONNECT_FAILED);
            let refused = super::ErrorCode::ConnectionRefused as u32;
            d.set_quad(l.state, [refused, 0, 0, 0]);
            let failed = sockopt(p.fd, libc::SOL_SOCKET, libc::SO_ERROR);
            d.set_u32(l.tag, super::TCP_UNBOUND);
            d.set_quad(l.state, saved);
            let unbound = sockopt(p.fd, libc::SOL_SOCKET, libc::SO_ERROR);
            failed == Some(libc::ECONNREFUSED) && unbound == Some(0)
        }
    }

    /// Whether the UDP probe has layout `l`.
    ///
    /// # Safety
    ///
    /// `p` is a fresh wasi-libc UDP descriptor whose struct has at least
    /// 0x20 bytes.
    unsafe fn udp_matches(p: &Probe, l: &UdpLayout) -> bool {
        let Some(d) = p.data() else {
            return false;
        };
        // SAFETY (whole block): offsets below 0x18, within the struct;
        // nothing here changes the table.
        unsafe {
            if d.u32(l.socket) != p.handle
                || d.u32(l.tag) != super::UDP_UNBOUND
                || d.u8(l.family) != 0
                || d.u8(l.blocking) != 0
            {
                return false;
            }
            // (fcntl's `O_NONBLOCK` is no check of `blocking`: with
            // wasi-sdk 30 it did not follow that field.)
            d.set_u8(l.family, 1);
            let v6 = sockopt(p.fd, libc::SOL_SOCKET, libc::SO_DOMAIN);
            d.set_u8(l.family, 0);
            let v4 = sockopt(p.fd, libc::SOL_SOCKET, libc::SO_DOMAIN);
            v6 == Some(libc::AF_INET6) && v4 == Some(libc::AF_INET)
        }
    }

    /// Moves a socket handle into a new wasi-libc descriptor.
    pub(super) fn add(tcp: bool, handle: u32, family: u8, layout: &Layout) -> io::Result<c_int> {
        let offset = if tcp {
            layout.tcp.family
        } else {
            layout.udp.family
        };
        let fd = kind::insert(tcp, handle, family, offset);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(fd)
    }

    /// The struct of an open descriptor of ours, looked up afresh.
    ///
    /// # Safety
    ///
    /// `fd` must be open; the result is valid until the table changes.
    pub(super) unsafe fn data(fd: c_int) -> Option<Data> {
        // SAFETY: the caller's contract.
        unsafe { lookup(fd) }.map(|(data, _, _)| data)
    }

    /// Checks that an open descriptor is a wasi-libc socket of the kind
    /// `vtable` identifies, not shared with another descriptor.
    ///
    /// # Safety
    ///
    /// `fd` must be open.
    pub(super) unsafe fn adopt(fd: c_int, vtable: usize) -> io::Result<()> {
        // SAFETY: the caller's contract.
        let Some((_, found, shared)) = (unsafe { lookup(fd) }) else {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        };
        if found != vtable {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "mio (wasm32-wasip2): the descriptor is not a wasi-libc socket of the expected kind",
            ));
        }
        if shared {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "mio (wasm32-wasip2): the socket is shared with another descriptor (dup); \
                 close the others first",
            ));
        }
        Ok(())
    }
}

/// No usable wasi-libc table in this build.
#[cfg(not(any(
    mio_wasip2_libc = "entry",
    mio_wasip2_libc = "get_ref",
    mio_wasip2_libc = "get"
)))]
mod table {
    use std::ffi::c_int;
    use std::io;

    use super::{Data, Layout};

    pub(super) const LOOKUP: Option<&str> = None;
    pub(super) const EAGER_POLLABLES: bool = false;
    pub(super) const CAN_FILL: bool = false;

    pub(super) fn layout() -> io::Result<Option<&'static Layout>> {
        Ok(None)
    }

    pub(super) fn vtables() -> (usize, usize) {
        (0, 0)
    }

    pub(super) fn add(_: bool, _: u32, _: u8, _: &Layout) -> io::Result<c_int> {
        Err(super::no_interop_error())
    }

    /// # Safety
    ///
    /// None needed: never finds anything.
    pub(super) unsafe fn data(_: c_int) -> Option<Data> {
        None
    }

    /// # Safety
    ///
    /// None needed: always fails.
    pub(super) unsafe fn adopt(_: c_int, _: usize) -> io::Result<()> {
        Err(super::no_interop_error())
    }
}

/// The handles of a socket, held by a wasi-libc descriptor or by the socket
/// itself.
enum Holder {
    /// Its struct is looked up on each use: in the oldest known wasi-libc
    /// it moves when the table grows.
    Libc { fd: c_int, layout: &'static Layout },
    /// The socket's own: the socket handle and up to two stream handles
    /// (0: none), dropped streams first.
    Own {
        socket: u32,
        streams: Cell<[u32; 2]>,
    },
}

impl Holder {
    /// Moves `handle` into a descriptor if wasi-libc's layout is known,
    /// else keeps it.
    fn new(tcp: bool, handle: u32, family: u8) -> io::Result<Holder> {
        let layout = match table::layout() {
            Ok(Some(layout)) => layout,
            Ok(None) => return Ok(Holder::own(handle)),
            Err(err) => {
                drop_socket(tcp, handle);
                return Err(err);
            }
        };
        let fd = match table::add(tcp, handle, family, layout) {
            Ok(fd) => fd,
            // A full table (wasi-sdk 25 and 27 have a fixed number of
            // descriptors): this socket keeps its handles itself.
            Err(_) if table::CAN_FILL => return Ok(Holder::own(handle)),
            Err(err) => return Err(err),
        };
        let holder = Holder::Libc { fd, layout };
        let Some((data, _)) = holder.libc() else {
            // Not found right after it was made: leak rather than close
            // something unknown.
            return Err(io::Error::other(
                "mio (wasm32-wasip2): wasi-libc lost a descriptor it just made",
            ));
        };
        let (socket, tag, fam) = if tcp {
            (layout.tcp.socket, layout.tcp.tag, layout.tcp.family)
        } else {
            (layout.udp.socket, layout.udp.tag, layout.udp.family)
        };
        // SAFETY: wasi-libc just made this struct with the probed layout;
        // these are the fields it wrote.
        let ok =
            unsafe { data.u32(socket) == handle && data.u32(tag) == 0 && data.u8(fam) == family };
        if !ok {
            // Closing would make wasi-libc drop handles it may not have:
            // leak the descriptor instead.
            return Err(io::Error::other(
                "mio (wasm32-wasip2): a new wasi-libc socket descriptor does not read back as \
                 written",
            ));
        }
        Ok(holder)
    }

    /// The descriptor's struct (valid until the table changes) and layout;
    /// `None` if the handles are the socket's own.
    fn libc(&self) -> Option<(Data, &'static Layout)> {
        match self {
            // SAFETY: our descriptor is open while `self` exists.
            Holder::Libc { fd, layout } => unsafe { table::data(*fd) }.map(|d| (d, *layout)),
            Holder::Own { .. } => None,
        }
    }

    fn own(socket: u32) -> Holder {
        Holder::Own {
            socket,
            streams: Cell::new([0, 0]),
        }
    }

    fn fd(&self) -> Option<c_int> {
        match self {
            Holder::Libc { fd, .. } => Some(*fd),
            Holder::Own { .. } => None,
        }
    }

    /// Gives up the descriptor (and the handles it owns); `Holder` itself
    /// closes nothing, its owners' `Drop` does.
    fn into_raw(self) -> io::Result<c_int> {
        self.fd().ok_or_else(no_fd_error)
    }
}

/// The stream pollables a new state needs in a descriptor: made by
/// `make` where this wasi-libc expects them from the start, else none (0).
fn stream_pollables(holder: &Holder, make: impl FnOnce() -> (u32, u32)) -> (u32, u32) {
    match holder {
        Holder::Libc { .. } if table::EAGER_POLLABLES => make(),
        _ => (0, 0),
    }
}

fn drop_socket(tcp: bool, handle: u32) {
    // SAFETY: `handle` is a socket handle we own, of the named protocol.
    unsafe {
        if tcp {
            drop(TcpSocket::from_handle(handle));
        } else {
            drop(UdpSocket::from_handle(handle));
        }
    }
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

/// The owner of a TCP socket's handles.
pub(crate) struct TcpDescriptor(Holder);

impl TcpDescriptor {
    /// Moves `socket` into a new descriptor and returns a borrowed copy.
    pub(crate) fn new(socket: TcpSocket) -> io::Result<(TcpDescriptor, Borrowed<TcpSocket>)> {
        let family = family_code(socket.address_family());
        let handle = socket.take_handle();
        let holder = Holder::new(true, handle, family)?;
        // SAFETY: the holder owns `handle`; the copy is never dropped.
        let borrowed = Borrowed::new(unsafe { TcpSocket::from_handle(handle) });
        Ok((TcpDescriptor(holder), borrowed))
    }

    /// Takes ownership of the TCP descriptor `fd` (from std).
    ///
    /// # Safety
    ///
    /// `fd` must be an open descriptor the caller owns. On error it is
    /// still the caller's.
    pub(crate) unsafe fn from_raw(
        fd: c_int,
    ) -> io::Result<(TcpDescriptor, Borrowed<TcpSocket>, TcpState)> {
        let Some(layout) = table::layout()? else {
            return Err(no_interop_error());
        };
        let l = &layout.tcp;
        // SAFETY: the caller's contract.
        unsafe { table::adopt(fd, table::vtables().0)? };
        let holder = Holder::Libc { fd, layout };
        let Some((data, _)) = holder.libc() else {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        };
        // SAFETY: the entry carries wasi-libc's TCP table, so `data` is its
        // `tcp_socket_t` with the probed layout; the handles read are owned
        // by the descriptor and the copies made of them are never dropped.
        unsafe {
            if data.u8(l.family) > 1 {
                return Err(unknown_state());
            }
            let state = match data.u32(l.tag) {
                TCP_UNBOUND => TcpState::Unbound,
                TCP_BOUND => TcpState::Bound,
                TCP_CONNECTING => TcpState::Connecting,
                TCP_CONNECTED => {
                    let [input, _, output, _] = data.quad(l.state);
                    TcpState::Connected(
                        Borrowed::new(InputStream::from_handle(input)),
                        Borrowed::new(OutputStream::from_handle(output)),
                    )
                }
                TCP_CONNECT_FAILED => TcpState::ConnectFailed,
                TCP_LISTENING => TcpState::Listening,
                _ => return Err(unknown_state()),
            };
            let socket = Borrowed::new(TcpSocket::from_handle(data.u32(l.socket)));
            Ok((TcpDescriptor(holder), socket, state))
        }
    }

    /// Records `tag` with an empty state (a descriptor of ours holds no
    /// streams when this is called).
    fn set_tag(&self, tag: u32) {
        if let Some((data, layout)) = self.0.libc() {
            // SAFETY: our descriptor's struct has the probed layout.
            unsafe {
                data.set_u32(layout.tcp.tag, tag);
                data.set_quad(layout.tcp.state, [0; 4]);
            }
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
        if let Some((data, layout)) = self.0.libc() {
            // SAFETY: our descriptor's struct has the probed layout; the
            // code is a `network_error_code_t` (u8) in the union's first
            // byte.
            unsafe {
                data.set_u32(layout.tcp.tag, TCP_CONNECT_FAILED);
                data.set_quad(layout.tcp.state, [u32::from(code as u8), 0, 0, 0]);
            }
        }
    }

    /// Moves the streams of the connection into the descriptor.
    pub(crate) fn set_connected(
        &self,
        input: InputStream,
        output: OutputStream,
    ) -> (Borrowed<InputStream>, Borrowed<OutputStream>) {
        let pollables = stream_pollables(&self.0, || {
            (
                input.subscribe().take_handle(),
                output.subscribe().take_handle(),
            )
        });
        let (i, o) = (input.take_handle(), output.take_handle());
        match self.0.libc() {
            Some((data, layout)) => {
                let (ip, op) = pollables;
                // SAFETY: our descriptor's struct has the probed layout; it
                // takes ownership of the handles (its pollables: none yet,
                // or made here where this wasi-libc expects them).
                unsafe {
                    data.set_u32(layout.tcp.tag, TCP_CONNECTED);
                    data.set_quad(layout.tcp.state, [i, ip, o, op]);
                }
            }
            None => {
                if let Holder::Own { streams, .. } = &self.0 {
                    streams.set([i, o]);
                }
            }
        }
        // SAFETY: the holder owns both handles; the copies are never dropped.
        unsafe {
            (
                Borrowed::new(InputStream::from_handle(i)),
                Borrowed::new(OutputStream::from_handle(o)),
            )
        }
    }

    pub(crate) fn raw(&self) -> Option<c_int> {
        self.0.fd()
    }

    pub(crate) fn into_raw(self) -> io::Result<c_int> {
        let holder = self.into_holder();
        holder.into_raw()
    }

    fn into_holder(self) -> Holder {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again.
        unsafe { std::ptr::read(&this.0) }
    }
}

impl Drop for TcpDescriptor {
    fn drop(&mut self) {
        match &self.0 {
            // SAFETY: we own `fd`; wasi-libc's close drops the handles the
            // descriptor owns (streams, then the socket) and frees its
            // struct.
            Holder::Libc { fd, .. } => unsafe {
                libc::close(*fd);
            },
            Holder::Own { socket, streams } => {
                let [input, output] = streams.get();
                // SAFETY: the holder owns these handles; the streams are
                // the socket's children and go first.
                unsafe {
                    if input != 0 {
                        drop(InputStream::from_handle(input));
                    }
                    if output != 0 {
                        drop(OutputStream::from_handle(output));
                    }
                    drop(TcpSocket::from_handle(*socket));
                }
            }
        }
    }
}

impl std::fmt::Debug for TcpDescriptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TcpDescriptor").field(&self.0.fd()).finish()
    }
}

fn unknown_state() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "mio (wasm32-wasip2): the wasi-libc socket is in a state this crate does not know",
    )
}

/// The owner of a UDP socket's handles.
pub(crate) struct UdpDescriptor(Holder);

/// The datagram streams a UDP descriptor holds, borrowed.
pub(crate) type UdpStreams = (
    Borrowed<IncomingDatagramStream>,
    Borrowed<OutgoingDatagramStream>,
);

impl UdpDescriptor {
    pub(crate) fn new(socket: UdpSocket) -> io::Result<(UdpDescriptor, Borrowed<UdpSocket>)> {
        let family = family_code(socket.address_family());
        let handle = socket.take_handle();
        let holder = Holder::new(false, handle, family)?;
        // SAFETY: the holder owns `handle`; the copy is never dropped.
        let borrowed = Borrowed::new(unsafe { UdpSocket::from_handle(handle) });
        Ok((UdpDescriptor(holder), borrowed))
    }

    /// Takes ownership of the UDP descriptor `fd` (from std). Returns the
    /// streams if it has any, and whether they are connected.
    ///
    /// # Safety
    ///
    /// `fd` must be an open descriptor the caller owns. On error it is
    /// still the caller's.
    pub(crate) unsafe fn from_raw(
        fd: c_int,
    ) -> io::Result<(UdpDescriptor, Borrowed<UdpSocket>, Option<UdpStreams>, bool)> {
        let Some(layout) = table::layout()? else {
            return Err(no_interop_error());
        };
        let l = &layout.udp;
        // SAFETY: the caller's contract.
        unsafe { table::adopt(fd, table::vtables().1)? };
        let holder = Holder::Libc { fd, layout };
        let Some((data, _)) = holder.libc() else {
            return Err(io::Error::from_raw_os_error(libc::EBADF));
        };
        // SAFETY: the entry carries wasi-libc's UDP table, so `data` is its
        // `udp_socket_t` with the probed layout; copies of its handles are
        // never dropped.
        unsafe {
            let [incoming, _, outgoing, _] = data.quad(l.state);
            let streams = || {
                (
                    Borrowed::new(IncomingDatagramStream::from_handle(incoming)),
                    Borrowed::new(OutgoingDatagramStream::from_handle(outgoing)),
                )
            };
            let (streams, connected) = match data.u32(l.tag) {
                UDP_UNBOUND | UDP_BOUND_NOSTREAMS => (None, false),
                UDP_BOUND_STREAMING => (Some(streams()), false),
                UDP_CONNECTED => (Some(streams()), true),
                _ => return Err(unknown_state()),
            };
            let socket = Borrowed::new(UdpSocket::from_handle(data.u32(l.socket)));
            let desc = UdpDescriptor(holder);
            Ok((desc, socket, streams, connected))
        }
    }

    pub(crate) fn set_bound(&self) {
        if let Some((data, layout)) = self.0.libc() {
            // SAFETY: our descriptor's struct has the probed layout.
            unsafe {
                data.set_u32(layout.udp.tag, UDP_BOUND_NOSTREAMS);
                data.set_quad(layout.udp.state, [0; 4]);
            }
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
        let pollables = stream_pollables(&self.0, || {
            (
                incoming.subscribe().take_handle(),
                outgoing.subscribe().take_handle(),
            )
        });
        let (i, o) = (incoming.take_handle(), outgoing.take_handle());
        match self.0.libc() {
            Some((data, layout)) => {
                let (ip, op) = pollables;
                let tag = if connected {
                    UDP_CONNECTED
                } else {
                    UDP_BOUND_STREAMING
                };
                // SAFETY: our descriptor's struct has the probed layout; it
                // takes ownership of both handles.
                unsafe {
                    data.set_u32(layout.udp.tag, tag);
                    data.set_quad(layout.udp.state, [i, ip, o, op]);
                }
            }
            None => {
                if let Holder::Own { streams, .. } = &self.0 {
                    streams.set([i, o]);
                }
            }
        }
        // SAFETY: the holder owns both handles; the copies are never dropped.
        unsafe {
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
        let (incoming, outgoing) = match self.0.libc() {
            Some((data, layout)) => {
                let l = &layout.udp;
                // SAFETY: our descriptor's struct has the probed layout; the
                // handles it owns are taken out and dropped once, pollables
                // (the children) first; a handle of 0 means "none".
                unsafe {
                    let tag = data.u32(l.tag);
                    if tag != UDP_BOUND_STREAMING && tag != UDP_CONNECTED {
                        return;
                    }
                    let [incoming, incoming_pollable, outgoing, outgoing_pollable] =
                        data.quad(l.state);
                    data.set_u32(l.tag, UDP_BOUND_NOSTREAMS);
                    data.set_quad(l.state, [0; 4]);
                    for pollable in [incoming_pollable, outgoing_pollable] {
                        if pollable != 0 {
                            drop(Pollable::from_handle(pollable));
                        }
                    }
                    (incoming, outgoing)
                }
            }
            None => {
                let Holder::Own { streams, .. } = &self.0 else {
                    return;
                };
                let [incoming, outgoing] = streams.replace([0, 0]);
                (incoming, outgoing)
            }
        };
        drop_udp_streams(incoming, outgoing);
    }

    pub(crate) fn raw(&self) -> Option<c_int> {
        self.0.fd()
    }

    pub(crate) fn into_raw(self) -> io::Result<c_int> {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again.
        let holder = unsafe { std::ptr::read(&this.0) };
        holder.into_raw()
    }
}

fn drop_udp_streams(incoming: u32, outgoing: u32) {
    // SAFETY: owned stream handles (0: none), each dropped once.
    unsafe {
        if incoming != 0 {
            drop(IncomingDatagramStream::from_handle(incoming));
        }
        if outgoing != 0 {
            drop(OutgoingDatagramStream::from_handle(outgoing));
        }
    }
}

impl Drop for UdpDescriptor {
    fn drop(&mut self) {
        match &self.0 {
            // SAFETY: we own `fd`; wasi-libc's close drops what it owns.
            Holder::Libc { fd, .. } => unsafe {
                libc::close(*fd);
            },
            Holder::Own { socket, streams } => {
                let [incoming, outgoing] = streams.get();
                drop_udp_streams(incoming, outgoing);
                drop_socket(false, *socket);
            }
        }
    }
}

impl std::fmt::Debug for UdpDescriptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("UdpDescriptor").field(&self.0.fd()).finish()
    }
}
