//! The thin layer between the generated WASI 0.3 bindings and the backend:
//! the generated module, the canonical ABI's built-ins the backend calls
//! directly (waitable sets, subtasks, raw stream and future operations),
//! the two async imports it starts without awaiting them (`connect`,
//! `wait-for`), and conversions between WASI's address types and std's.
//!
//! Every `unsafe` of the backend outside the generated file is here.

#![cfg_attr(not(feature = "net"), allow(dead_code, unused_imports))]

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

generated_bindings! {
    #[allow(
        clippy::all,
        unsafe_op_in_unsafe_fn,
        rust_2018_idioms,
        unused_qualifications
    )]
    pub(crate) mod generated = "wasi_p3.rs";
}

pub(crate) use self::generated::wasi::sockets::types::{
    ErrorCode, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress, TcpSocket,
};
// The async-lowered imports the backend starts as subtasks, declared by the
// generator from the WIT (so their WASI version is the snapshot's).
use self::generated::raw::wasi::clocks::monotonic_clock;
use self::generated::raw::wasi::sockets::{ip_name_lookup, types};
use self::generated::wit_future::FuturePayload;
use self::generated::wit_stream::StreamPayload;

/// The host whose limits our `Unsupported` errors name.
pub(crate) const HOST: &str = "the WASI 0.3 backend (wasi:sockets@0.3)";

/// An `Unsupported` error naming the host and the operation.
pub(crate) fn unsupported(operation: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{operation} is not supported by {HOST}"),
    )
}

// Event codes of `waitable-set.wait`/`poll` (canonical ABI).
pub(crate) const EVENT_NONE: u32 = 0;
pub(crate) const EVENT_SUBTASK: u32 = 1;
pub(crate) const EVENT_STREAM_READ: u32 = 2;
pub(crate) const EVENT_STREAM_WRITE: u32 = 3;
pub(crate) const EVENT_FUTURE_READ: u32 = 4;

/// Result of a stream or future operation that has not finished yet.
pub(crate) const BLOCKED: u32 = 0xffff_ffff;
/// Low four bits of a finished stream/future operation's result.
pub(crate) const COMPLETED: u32 = 0;
pub(crate) const DROPPED: u32 = 1;

/// Subtask state "returned" (low four bits of an async-lowered call's result).
pub(crate) const SUBTASK_RETURNED: u32 = 2;

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "$root")]
extern "C" {
    #[link_name = "[waitable-set-new]"]
    fn raw_set_new() -> u32;
    #[link_name = "[waitable-set-drop]"]
    fn raw_set_drop(set: u32);
    #[link_name = "[waitable-join]"]
    fn raw_join(waitable: u32, set: u32);
    #[link_name = "[waitable-set-wait]"]
    fn raw_set_wait(set: u32, payload: *mut [u32; 2]) -> u32;
    #[link_name = "[waitable-set-poll]"]
    fn raw_set_poll(set: u32, payload: *mut [u32; 2]) -> u32;
    #[link_name = "[subtask-cancel]"]
    fn raw_subtask_cancel(subtask: u32) -> u32;
    #[link_name = "[subtask-drop]"]
    fn raw_subtask_drop(subtask: u32);
}

// Host builds (rustdoc, `cargo check` of the crate for another target) never
// call these; they exist so the module type-checks everywhere.
#[cfg(not(target_arch = "wasm32"))]
mod host_stubs {
    pub(super) unsafe fn raw_set_new() -> u32 {
        unreachable!("the canonical ABI exists only on wasm32")
    }
    pub(super) unsafe fn raw_set_drop(_: u32) {}
    pub(super) unsafe fn raw_join(_: u32, _: u32) {}
    pub(super) unsafe fn raw_set_wait(_: u32, _: *mut [u32; 2]) -> u32 {
        unreachable!("the canonical ABI exists only on wasm32")
    }
    pub(super) unsafe fn raw_set_poll(_: u32, _: *mut [u32; 2]) -> u32 {
        unreachable!("the canonical ABI exists only on wasm32")
    }
    pub(super) unsafe fn raw_subtask_cancel(_: u32) -> u32 {
        unreachable!("the canonical ABI exists only on wasm32")
    }
    pub(super) unsafe fn raw_subtask_drop(_: u32) {}
}
#[cfg(not(target_arch = "wasm32"))]
use self::host_stubs::*;

// The canonical built-ins and raw async-lowered imports below are called
// directly, so each counts itself.
use crate::sys::wasi::count_host_call as count;

/// A waitable set: the selector's one set, joined once per waitable.
pub(crate) fn set_new() -> u32 {
    count();
    // SAFETY: a built-in without arguments; the result is a fresh handle.
    unsafe { raw_set_new() }
}

pub(crate) fn set_drop(set: u32) {
    count();
    // SAFETY: the selector drops its own set once, after every waitable it
    // joined has left it.
    unsafe { raw_set_drop(set) }
}

/// Joins `waitable` to `set`; `set == 0` removes it from any set.
pub(crate) fn join(waitable: u32, set: u32) {
    count();
    // SAFETY: both handles are live handles of this instance, owned by the
    // caller (the host traps on anything else, it cannot corrupt memory).
    unsafe { raw_join(waitable, set) }
}

/// Blocks until an event is pending in `set`: (event code, waitable, result).
/// Only an async task may block (see `entry`).
pub(crate) fn set_wait(set: u32) -> (u32, u32, u32) {
    count();
    let mut payload = [0u32; 2];
    // SAFETY: `payload` is a valid, aligned buffer of two u32s for the host
    // to write, alive for the call.
    let code = unsafe { raw_set_wait(set, &mut payload) };
    (code, payload[0], payload[1])
}

/// Takes one pending event of `set` without blocking (`EVENT_NONE` if none).
pub(crate) fn set_poll(set: u32) -> (u32, u32, u32) {
    count();
    let mut payload = [0u32; 2];
    // SAFETY: as in `set_wait`.
    let code = unsafe { raw_set_poll(set, &mut payload) };
    (code, payload[0], payload[1])
}

/// Takes a pending event of one waitable that is in no set, without
/// blocking: for sources that are not registered with a `Poll`, whose
/// operations nobody else observes.
/// `home` is the set to put the waitable back into (0: none).
pub(crate) fn poll_one(waitable: u32, home: u32) -> (u32, u32, u32) {
    let set = set_new();
    join(waitable, set);
    let event = set_poll(set);
    join(waitable, home);
    set_drop(set);
    event
}

/// Waits up to `nanos` for an event of `waitable` (kept out of every set
/// meanwhile, then put back into `home`); `None` if none came in time.
/// Only an async task may call this (see `entry`).
pub(crate) fn wait_one(waitable: u32, home: u32, nanos: u64) -> Option<(u32, u32, u32)> {
    let set = set_new();
    join(waitable, set);
    let timer = start_wait_for(nanos);
    if let Some(timer) = timer {
        join(timer, set);
    }
    let mut found = None;
    loop {
        let (code, handle, result) = set_wait(set);
        if Some(handle) == timer {
            if result & 0xf == SUBTASK_RETURNED {
                subtask_drop(handle);
                join(waitable, home);
                set_drop(set);
                return found;
            }
            continue;
        }
        found = Some((code, handle, result));
        break;
    }
    if let Some(timer) = timer {
        join(timer, 0);
        subtask_cancel(timer);
        subtask_drop(timer);
    }
    join(waitable, home);
    set_drop(set);
    found
}

/// Cancels a started subtask and waits for it to settle.
pub(crate) fn subtask_cancel(subtask: u32) -> u32 {
    count();
    // SAFETY: `subtask` is a live subtask handle owned by the caller.
    unsafe { raw_subtask_cancel(subtask) }
}

pub(crate) fn subtask_drop(subtask: u32) {
    count();
    // SAFETY: `subtask` is a live subtask handle owned by the caller that
    // has returned or been cancelled; it is not used afterwards.
    unsafe { raw_subtask_drop(subtask) }
}

/// Starts `monotonic-clock.wait-for(nanos)` without waiting for it: the
/// subtask's handle, or `None` if it already returned.
pub(crate) fn start_wait_for(nanos: u64) -> Option<u32> {
    count();
    // SAFETY: the import takes its one flat u64 argument by value and has no
    // results, so no memory is shared with the host.
    let status = unsafe { monotonic_clock::wait_for(nanos as i64) } as u32;
    subtask_of(status)
}

/// The subtask handle of an async-lowered call's status, `None` if the call
/// already returned.
fn subtask_of(status: u32) -> Option<u32> {
    match status & 0xf {
        SUBTASK_RETURNED => None,
        _ => Some(status >> 4),
    }
}

/// Parameters and results of an async `tcp-socket.connect`, laid out as the
/// canonical ABI wants them (wasm32): the socket handle and the address at
/// offset 0, the `result<_, error-code>` at offset 36. The host reads the
/// parameters until the call starts and writes the result when it returns,
/// so the buffer lives in the socket's heap state until then.
#[repr(C, align(8))]
pub(crate) struct ConnectArea([u8; 64]);

impl ConnectArea {
    pub(crate) fn new() -> Box<ConnectArea> {
        Box::new(ConnectArea([0; 64]))
    }
}

const CONNECT_RESULTS: usize = 36;

/// Starts `socket.connect(addr)`: `Ok(None)` if it already returned (read
/// the result with [`connect_result`]), `Ok(Some(subtask))` if it runs on.
pub(crate) fn start_connect(
    socket: &TcpSocket,
    addr: SocketAddr,
    area: &mut ConnectArea,
) -> Option<u32> {
    let p = &mut area.0;
    p.fill(0);
    p[0..4].copy_from_slice(&socket.handle().to_le_bytes());
    match addr {
        SocketAddr::V4(a) => {
            p[4] = 0;
            p[8..10].copy_from_slice(&a.port().to_le_bytes());
            p[10..14].copy_from_slice(&a.ip().octets());
        }
        SocketAddr::V6(a) => {
            p[4] = 1;
            p[8..10].copy_from_slice(&a.port().to_le_bytes());
            p[12..16].copy_from_slice(&a.flowinfo().to_le_bytes());
            for (i, s) in a.ip().segments().iter().enumerate() {
                p[16 + 2 * i..18 + 2 * i].copy_from_slice(&s.to_le_bytes());
            }
            p[32..36].copy_from_slice(&a.scope_id().to_le_bytes());
        }
    }
    let base = p.as_mut_ptr();
    count();
    // SAFETY: `base` points to 64 bytes aligned to 8 holding the lowered
    // parameters (borrowed socket handle, address), and offset 36 has room
    // for the result (at most 20 bytes). The caller keeps the area alive and
    // unmoved (it is boxed) until the subtask returns or is cancelled, and
    // keeps the socket alive as long.
    let status = unsafe { types::tcp_socket_connect(base, base.add(CONNECT_RESULTS)) } as u32;
    subtask_of(status)
}

/// The result a returned `connect` wrote into `area`.
pub(crate) fn connect_result(area: &ConnectArea) -> Result<(), ErrorCode> {
    let r = &area.0[CONNECT_RESULTS..];
    if r[0] == 0 {
        return Ok(());
    }
    let code = r[4];
    if code == 14 {
        // `other(option<string>)`: free the host's string without reading it.
        if r[8] == 1 {
            let ptr = u32::from_le_bytes([r[12], r[13], r[14], r[15]]) as usize as *mut u8;
            let len = u32::from_le_bytes([r[16], r[17], r[18], r[19]]) as usize;
            if len != 0 {
                // SAFETY: the host allocated `len` bytes (alignment 1) for
                // the string through this component's `cabi_realloc`, which
                // is the global allocator's; ownership passed to us.
                let text = unsafe { Vec::from_raw_parts(ptr, len, len) };
                return Err(ErrorCode::Other(String::from_utf8(text).ok()));
            }
        }
        return Err(ErrorCode::Other(None));
    }
    Err(error_code_from_index(code))
}

fn error_code_from_index(code: u8) -> ErrorCode {
    match code {
        0 => ErrorCode::AccessDenied,
        1 => ErrorCode::NotSupported,
        2 => ErrorCode::InvalidArgument,
        3 => ErrorCode::OutOfMemory,
        4 => ErrorCode::Timeout,
        5 => ErrorCode::InvalidState,
        6 => ErrorCode::AddressNotBindable,
        7 => ErrorCode::AddressInUse,
        8 => ErrorCode::RemoteUnreachable,
        9 => ErrorCode::ConnectionRefused,
        10 => ErrorCode::ConnectionBroken,
        11 => ErrorCode::ConnectionReset,
        12 => ErrorCode::ConnectionAborted,
        13 => ErrorCode::DatagramTooLarge,
        _ => ErrorCode::Other(None),
    }
}

/// Raw operations on `stream<u8>` handles (the sockets' byte streams, and
/// the waker's own stream).
pub(crate) mod bytes {
    use super::StreamPayload;

    /// A new stream: (readable end, writable end).
    pub(crate) fn new() -> (u32, u32) {
        // SAFETY: the built-in takes nothing and returns two fresh handles.
        let both = unsafe { (<u8 as StreamPayload>::VTABLE.new)() };
        (both as u32, (both >> 32) as u32)
    }

    /// Starts reading into `buf[..len]`; returns the packed result or
    /// `BLOCKED`.
    ///
    /// # Safety
    ///
    /// `buf` must stay valid and unused by anyone else until the read
    /// completes (its event is taken or [`cancel_read`] returned).
    pub(crate) unsafe fn start_read(stream: u32, buf: *mut u8, len: usize) -> u32 {
        // SAFETY: per this function's contract.
        unsafe { (<u8 as StreamPayload>::VTABLE.start_read)(stream, buf, len) }
    }

    /// Starts writing `buf[..len]`; returns the packed result or `BLOCKED`.
    ///
    /// # Safety
    ///
    /// As for [`start_read`], until the write completes or is cancelled.
    pub(crate) unsafe fn start_write(stream: u32, buf: *const u8, len: usize) -> u32 {
        // SAFETY: per this function's contract.
        unsafe { (<u8 as StreamPayload>::VTABLE.start_write)(stream, buf, len) }
    }

    /// Cancels a pending read and waits until it settled; the packed result.
    pub(crate) fn cancel_read(stream: u32) -> u32 {
        // SAFETY: `stream` is a live readable end with a read in flight.
        unsafe { (<u8 as StreamPayload>::VTABLE.cancel_read)(stream) }
    }

    pub(crate) fn cancel_write(stream: u32) -> u32 {
        // SAFETY: `stream` is a live writable end with a write in flight.
        unsafe { (<u8 as StreamPayload>::VTABLE.cancel_write)(stream) }
    }

    pub(crate) fn drop_readable(stream: u32) {
        // SAFETY: `stream` is a readable end owned by the caller, with no
        // operation in flight; it is not used afterwards.
        unsafe { (<u8 as StreamPayload>::VTABLE.drop_readable)(stream) }
    }

    pub(crate) fn drop_writable(stream: u32) {
        // SAFETY: as for `drop_readable`, for a writable end.
        unsafe { (<u8 as StreamPayload>::VTABLE.drop_writable)(stream) }
    }
}

/// Raw operations on the listener's `stream<tcp-socket>`.
pub(crate) mod sockets {
    use super::{StreamPayload, TcpSocket};

    /// Starts reading one socket handle into `slot`.
    ///
    /// # Safety
    ///
    /// `slot` must stay valid until the read completes or is cancelled.
    pub(crate) unsafe fn start_read(stream: u32, slot: *mut u32) -> u32 {
        // SAFETY: per this function's contract; one element of `own<tcp-socket>`
        // is one i32.
        unsafe { (<TcpSocket as StreamPayload>::VTABLE.start_read)(stream, slot.cast(), 1) }
    }

    pub(crate) fn cancel_read(stream: u32) -> u32 {
        // SAFETY: `stream` is a live readable end with a read in flight.
        unsafe { (<TcpSocket as StreamPayload>::VTABLE.cancel_read)(stream) }
    }

    pub(crate) fn drop_readable(stream: u32) {
        // SAFETY: a readable end owned by the caller, nothing in flight.
        unsafe { (<TcpSocket as StreamPayload>::VTABLE.drop_readable)(stream) }
    }

    /// Takes ownership of a socket handle the stream delivered.
    pub(crate) fn adopt(handle: u32) -> TcpSocket {
        // SAFETY: the handle was just transferred to this instance by a
        // completed read of `stream<tcp-socket>`; nothing else owns it.
        unsafe { TcpSocket::from_handle(handle) }
    }
}

/// Raw operations on `future<result<_, error-code>>` (the sockets'
/// send/receive results).
pub(crate) mod results {
    use super::{ErrorCode, FuturePayload};

    /// Buffer for one lowered `result<_, error-code>` (wasm32: 20 bytes).
    #[repr(C, align(8))]
    pub(crate) struct ResultArea(pub(crate) [u8; 24]);

    /// Starts reading the future's value into `area`.
    ///
    /// # Safety
    ///
    /// `area` must stay valid until the read completes or is cancelled.
    pub(crate) unsafe fn start_read(future: u32, area: *mut ResultArea) -> u32 {
        // SAFETY: per this function's contract.
        unsafe {
            (<Result<(), ErrorCode> as FuturePayload>::VTABLE.start_read)(future, area.cast())
        }
    }

    /// The value a completed read wrote into `area` (taking ownership of
    /// any string in it).
    ///
    /// # Safety
    ///
    /// A read into `area` must have completed, and this called once for it.
    pub(crate) unsafe fn take(area: *mut ResultArea) -> Result<(), ErrorCode> {
        let lift = <Result<(), ErrorCode> as FuturePayload>::VTABLE.lift;
        // SAFETY: per this function's contract.
        unsafe { lift(area.cast()) }
    }

    pub(crate) fn cancel_read(future: u32) -> u32 {
        // SAFETY: `future` is a live readable end with a read in flight.
        unsafe { (<Result<(), ErrorCode> as FuturePayload>::VTABLE.cancel_read)(future) }
    }

    pub(crate) fn drop_readable(future: u32) {
        // SAFETY: a readable end owned by the caller, nothing in flight.
        unsafe { (<Result<(), ErrorCode> as FuturePayload>::VTABLE.drop_readable)(future) }
    }
}

socket_address_conversions!();

#[allow(dead_code)]
pub(crate) fn ip_of(addr: SocketAddr) -> IpAddr {
    addr.ip()
}

/// `io::Error` for a WASI error code.
// wasm32-wasip2 builds need Rust 1.85 (the `wit-bindgen` runtime is an
// edition-2024 crate), so kinds stabilised after the crate's 1.78 are fine.
#[clippy::msrv = "1.85"]
pub(crate) fn error(code: ErrorCode) -> io::Error {
    use io::ErrorKind as K;
    let kind = match &code {
        ErrorCode::AccessDenied => K::PermissionDenied,
        ErrorCode::NotSupported => K::Unsupported,
        ErrorCode::InvalidArgument => K::InvalidInput,
        ErrorCode::OutOfMemory => K::OutOfMemory,
        ErrorCode::Timeout => K::TimedOut,
        ErrorCode::InvalidState => K::InvalidInput,
        ErrorCode::AddressNotBindable => K::AddrNotAvailable,
        ErrorCode::AddressInUse => K::AddrInUse,
        ErrorCode::RemoteUnreachable => K::HostUnreachable,
        ErrorCode::ConnectionRefused => K::ConnectionRefused,
        ErrorCode::ConnectionBroken => K::BrokenPipe,
        ErrorCode::ConnectionReset => K::ConnectionReset,
        ErrorCode::ConnectionAborted => K::ConnectionAborted,
        ErrorCode::DatagramTooLarge => K::InvalidInput,
        ErrorCode::Other(_) => K::Other,
    };
    io::Error::new(kind, format!("wasi:sockets@0.3: {code:?}"))
}

/// `socket.receive()`: raw handles of (the byte stream, its result future).
pub(crate) fn tcp_receive(socket: &TcpSocket) -> (u32, u32) {
    let (stream, result) = socket.receive();
    (stream.take_handle(), result.take_handle())
}

/// `socket.send(stream)` with the readable end `readable` (ownership moves
/// to the host); the raw handle of the result future.
pub(crate) fn tcp_send(socket: &TcpSocket, readable: u32) -> u32 {
    let stream = wit_bindgen::rt::async_support::StreamReader::<u8>::new(
        readable,
        <u8 as StreamPayload>::VTABLE,
    );
    socket.send(stream).take_handle()
}

/// `socket.listen()`: the raw handle of the stream of accepted sockets.
pub(crate) fn tcp_listen(socket: &TcpSocket) -> Result<u32, ErrorCode> {
    socket.listen().map(|stream| stream.take_handle())
}

/// The result of `resolve-addresses` as the canonical ABI lays it out
/// (wasm32: 20 bytes).
#[repr(C, align(8))]
pub(crate) struct ResolveArea([u8; 24]);

impl ResolveArea {
    pub(crate) fn new() -> Box<ResolveArea> {
        Box::new(ResolveArea([0; 24]))
    }
}

/// Starts `resolve-addresses(name)`: the subtask, or `None` if it already
/// returned (read the result with [`resolve_result`]).
///
/// The caller keeps `name` and `area` alive and unmoved until the subtask
/// returns or is cancelled (the host reads the name when the call starts
/// and writes the result when it returns).
pub(crate) fn start_resolve(name: &[u8], area: &mut ResolveArea) -> Option<u32> {
    count();
    // SAFETY: `name` is valid for `len` bytes and `area` has room for the
    // lowered result; the caller keeps both alive until the call is done.
    let status = unsafe {
        ip_name_lookup::resolve_addresses(name.as_ptr().cast_mut(), name.len(), area.0.as_mut_ptr())
    } as u32;
    subtask_of(status)
}

fn word(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Takes a host-allocated string out of the result area.
fn take_string(r: &[u8], at: usize) -> Option<String> {
    let ptr = word(r, at) as usize as *mut u8;
    let len = word(r, at + 4) as usize;
    if len == 0 {
        return Some(String::new());
    }
    // SAFETY: the host allocated `len` bytes (alignment 1) through this
    // component's `cabi_realloc`, the global allocator; ownership is ours.
    let bytes = unsafe { Vec::from_raw_parts(ptr, len, len) };
    String::from_utf8(bytes).ok()
}

/// The addresses (or the error) a returned `resolve-addresses` wrote into
/// `area`, freeing what the host allocated. Call once per returned call.
pub(crate) fn resolve_result(area: &ResolveArea) -> io::Result<Vec<IpAddr>> {
    let r = &area.0;
    if r[0] == 0 {
        let ptr = word(r, 4) as usize as *mut u8;
        let len = word(r, 8) as usize;
        let mut found = Vec::with_capacity(len);
        if len == 0 {
            return Ok(found);
        }
        // SAFETY: the host wrote `len` 18-byte `ip-address` records at
        // `ptr`, allocated through `cabi_realloc` (the global allocator,
        // alignment 2); we read them and free the block once.
        unsafe {
            let list = std::slice::from_raw_parts(ptr, len * 18);
            for rec in list.chunks_exact(18) {
                let u16_at = |at: usize| u16::from_le_bytes([rec[at], rec[at + 1]]);
                found.push(if rec[0] == 0 {
                    IpAddr::V4(Ipv4Addr::new(rec[2], rec[3], rec[4], rec[5]))
                } else {
                    IpAddr::V6(Ipv6Addr::new(
                        u16_at(2),
                        u16_at(4),
                        u16_at(6),
                        u16_at(8),
                        u16_at(10),
                        u16_at(12),
                        u16_at(14),
                        u16_at(16),
                    ))
                });
            }
            std::alloc::dealloc(
                ptr,
                std::alloc::Layout::from_size_align_unchecked(len * 18, 2),
            );
        }
        return Ok(found);
    }
    let (kind, what) = match r[4] {
        0 => (io::ErrorKind::PermissionDenied, "access-denied".to_string()),
        1 => (io::ErrorKind::InvalidInput, "invalid-argument".to_string()),
        2 => (io::ErrorKind::NotFound, "name-unresolvable".to_string()),
        3 => (
            io::ErrorKind::Other,
            "temporary-resolver-failure".to_string(),
        ),
        4 => (
            io::ErrorKind::Other,
            "permanent-resolver-failure".to_string(),
        ),
        _ => {
            let detail = if r[8] == 1 { take_string(r, 12) } else { None };
            (io::ErrorKind::Other, format!("other({detail:?})"))
        }
    };
    Err(io::Error::new(
        kind,
        format!("wasi:sockets/ip-name-lookup@0.3: {what}"),
    ))
}

pub(crate) use self::generated::wasi::sockets::types::UdpSocket as WasiUdpSocket;

/// Parameters (offset 0) and result (offset 48) of an async
/// `udp-socket.send`, canonical ABI layout on wasm32.
#[repr(C, align(8))]
pub(crate) struct UdpSendArea([u8; 72]);

impl UdpSendArea {
    pub(crate) fn new() -> Box<UdpSendArea> {
        Box::new(UdpSendArea([0; 72]))
    }
}

const UDP_SEND_RESULTS: usize = 48;

/// Writes a lowered `ip-socket-address` at `p[0..]` (variant tag at 0,
/// payload from 4).
fn lower_address(p: &mut [u8], addr: SocketAddr) {
    match addr {
        SocketAddr::V4(a) => {
            p[0] = 0;
            p[4..6].copy_from_slice(&a.port().to_le_bytes());
            p[6..10].copy_from_slice(&a.ip().octets());
        }
        SocketAddr::V6(a) => {
            p[0] = 1;
            p[4..6].copy_from_slice(&a.port().to_le_bytes());
            p[8..12].copy_from_slice(&a.flowinfo().to_le_bytes());
            for (i, s) in a.ip().segments().iter().enumerate() {
                p[12 + 2 * i..14 + 2 * i].copy_from_slice(&s.to_le_bytes());
            }
            p[28..32].copy_from_slice(&a.scope_id().to_le_bytes());
        }
    }
}

/// Reads a lowered `ip-socket-address` at `p[0..]`.
fn lift_address(p: &[u8]) -> SocketAddr {
    let port = u16::from_le_bytes([p[4], p[5]]);
    if p[0] == 0 {
        SocketAddr::V4(SocketAddrV4::new(
            Ipv4Addr::new(p[6], p[7], p[8], p[9]),
            port,
        ))
    } else {
        let seg = |i: usize| u16::from_le_bytes([p[12 + 2 * i], p[13 + 2 * i]]);
        SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::new(
                seg(0),
                seg(1),
                seg(2),
                seg(3),
                seg(4),
                seg(5),
                seg(6),
                seg(7),
            ),
            port,
            word(p, 8),
            word(p, 28),
        ))
    }
}

/// Starts `socket.send(data, remote)`: the subtask, or `None` if it
/// already returned (read the result with [`udp_send_result`]).
///
/// The caller keeps `data` (unmoved, unchanged) and `area` alive until the
/// subtask returns or is cancelled.
pub(crate) fn start_udp_send(
    socket: &WasiUdpSocket,
    data: &[u8],
    remote: Option<SocketAddr>,
    area: &mut UdpSendArea,
) -> Option<u32> {
    let p = &mut area.0;
    p.fill(0);
    p[0..4].copy_from_slice(&socket.handle().to_le_bytes());
    p[4..8].copy_from_slice(&(data.as_ptr() as usize as u32).to_le_bytes());
    p[8..12].copy_from_slice(&(data.len() as u32).to_le_bytes());
    if let Some(addr) = remote {
        p[12] = 1;
        lower_address(&mut p[16..48], addr);
    }
    let base = p.as_mut_ptr();
    count();
    // SAFETY: `base` holds the lowered parameters (borrowed socket handle,
    // the list pointing into `data`, the optional address) and has room for
    // the result at offset 48; the caller keeps `data`, `area` and the
    // socket alive until the subtask returns or is cancelled.
    let status = unsafe { types::udp_socket_send(base, base.add(UDP_SEND_RESULTS)) } as u32;
    subtask_of(status)
}

/// The result a returned `udp-socket.send` wrote into `area`.
pub(crate) fn udp_send_result(area: &UdpSendArea) -> Result<(), ErrorCode> {
    lift_unit_result(&area.0[UDP_SEND_RESULTS..])
}

/// A lowered `result<_, error-code>` (tag at 0, error code at 4).
fn lift_unit_result(r: &[u8]) -> Result<(), ErrorCode> {
    if r[0] == 0 {
        return Ok(());
    }
    if r[4] == 14 {
        let detail = if r[8] == 1 { take_string(r, 12) } else { None };
        return Err(ErrorCode::Other(detail));
    }
    Err(error_code_from_index(r[4]))
}

/// The result of an async `udp-socket.receive`, canonical ABI layout.
#[repr(C, align(8))]
pub(crate) struct UdpReceiveArea([u8; 48]);

impl UdpReceiveArea {
    pub(crate) fn new() -> Box<UdpReceiveArea> {
        Box::new(UdpReceiveArea([0; 48]))
    }
}

/// Starts `socket.receive()`: the subtask, or `None` if it already
/// returned (read the result with [`udp_receive_result`]). The caller keeps
/// `area` alive until the subtask returns or is cancelled.
pub(crate) fn start_udp_receive(socket: &WasiUdpSocket, area: &mut UdpReceiveArea) -> Option<u32> {
    count();
    // SAFETY: `area` has room for the lowered result; the caller keeps it
    // and the socket alive until the subtask returns or is cancelled.
    let status =
        unsafe { types::udp_socket_receive(socket.handle() as i32, area.0.as_mut_ptr()) } as u32;
    subtask_of(status)
}

/// The datagram (or error) a returned `udp-socket.receive` wrote into
/// `area`, taking ownership of the host-allocated payload. Call once per
/// returned call.
pub(crate) fn udp_receive_result(
    area: &UdpReceiveArea,
) -> Result<(Vec<u8>, SocketAddr), ErrorCode> {
    let r = &area.0;
    if r[0] != 0 {
        lift_unit_result(r)?;
        return Err(ErrorCode::Other(None));
    }
    let ptr = word(r, 4) as usize as *mut u8;
    let len = word(r, 8) as usize;
    let data = if len == 0 {
        Vec::new()
    } else {
        // SAFETY: the host allocated `len` bytes (alignment 1) for the
        // payload through `cabi_realloc` (the global allocator); ours now.
        unsafe { Vec::from_raw_parts(ptr, len, len) }
    };
    Ok((data, lift_address(&r[12..44])))
}
