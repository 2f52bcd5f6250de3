//! The thin typed layer between the generated WASI 0.2 bindings and the
//! backend: the generated module, conversions between its types and std's,
//! and the raw calls the generated wrappers cannot make without allocating
//! (their bare imports are generated too, into `generated::raw`).
//!
//! Everything above this file works with typed resources (`TcpSocket`,
//! `InputStream`, `Pollable`, ...) and `std::io::Error`; the backend's
//! `unsafe` is here and in `descriptor` (wasi-libc's descriptor table).

// Without `net`, only the selector's part is used.
#![cfg_attr(not(feature = "net"), allow(dead_code, unused_imports))]

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

generated_bindings! {
    #[allow(clippy::all, unsafe_op_in_unsafe_fn, rust_2018_idioms)]
    mod generated = "wasi_p2.rs";
}

pub(crate) use self::generated::wasi::clocks::monotonic_clock;
pub(crate) use self::generated::wasi::io::poll::Pollable;
pub(crate) use self::generated::wasi::io::streams::{InputStream, OutputStream, StreamError};
pub(crate) use self::generated::wasi::sockets::instance_network::instance_network;
#[cfg(feature = "net")]
pub(crate) use self::generated::wasi::sockets::ip_name_lookup::{
    resolve_addresses, ResolveAddressStream,
};
pub(crate) use self::generated::wasi::sockets::network::{
    ErrorCode, IpAddress, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress,
};
pub(crate) use self::generated::wasi::sockets::tcp::{ShutdownType, TcpSocket};
pub(crate) use self::generated::wasi::sockets::tcp_create_socket::create_tcp_socket;
pub(crate) use self::generated::wasi::sockets::udp::{
    IncomingDatagramStream, OutgoingDatagram, OutgoingDatagramStream, UdpSocket,
};
pub(crate) use self::generated::wasi::sockets::udp_create_socket::create_udp_socket;

/// The host whose limits our `Unsupported` errors name.
pub(crate) const HOST: &str = "wasi:sockets (WASI 0.2)";

/// An `Unsupported` error naming the host and the operation.
pub(crate) fn unsupported(operation: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("{operation} is not supported by {HOST}"),
    )
}

/// Waits until at least one of `handles` (raw `pollable` handles, all alive
/// for the duration of the call) is ready, and appends the indices of the
/// ready ones to `ready`.
///
/// The generated `poll` copies its arguments into a fresh allocation on every
/// call; this calls the same import with the caller's reused buffer instead.
/// The result list, though, is allocated by the host through the component's
/// `cabi_realloc` export (canonical ABI rule for returned lists): one small
/// allocation per call, freed here before returning. Callers avoid the call
/// entirely when a non-blocking readiness check already found work.
///
/// # Panics
///
/// The host traps if `handles` is empty; the selector always passes at least
/// one pollable.
pub(crate) fn poll_handles(handles: &[u32], ready: &mut Vec<u32>) {
    #[repr(C)]
    struct ListRet {
        ptr: *mut u32,
        len: usize,
    }

    use self::generated::raw::wasi::io::poll::poll as wasi_poll;

    crate::sys::wasi::count_host_call();
    let mut ret = ListRet {
        ptr: std::ptr::null_mut(),
        len: 0,
    };
    // SAFETY: `list<borrow<pollable>>` is lowered as a pointer to `len`
    // 32-bit handles, which `handles` is, and the caller keeps every handle
    // alive for the call; the host only reads the list. The return area is a
    // (pointer, length) pair laid out as `ListRet` on wasm32.
    unsafe {
        wasi_poll(
            handles.as_ptr() as *mut u8,
            handles.len(),
            (&mut ret as *mut ListRet).cast(),
        )
    };
    if ret.len == 0 {
        return;
    }
    // SAFETY: the host allocated `len` u32s at `ptr` through `cabi_realloc`,
    // which allocates with the global allocator (the same assumption the
    // generated bindings make for every returned list); we take ownership
    // and free it when the Vec drops.
    let indices = unsafe { Vec::from_raw_parts(ret.ptr, ret.len, ret.len) };
    ready.extend_from_slice(&indices);
}

/// The `wasi:sockets` error as a std error, with the closest `ErrorKind`.
// wasm32-wasip2 builds need Rust 1.85 (the `wit-bindgen` runtime is an
// edition-2024 crate), so kinds stabilised after the crate's 1.78 are fine.
#[clippy::msrv = "1.85"]
pub(crate) fn error(code: ErrorCode) -> io::Error {
    use io::ErrorKind as K;
    let kind = match code {
        ErrorCode::WouldBlock => return io::Error::from(K::WouldBlock),
        ErrorCode::AccessDenied => K::PermissionDenied,
        ErrorCode::NotSupported => K::Unsupported,
        ErrorCode::InvalidArgument | ErrorCode::DatagramTooLarge => K::InvalidInput,
        ErrorCode::OutOfMemory => K::OutOfMemory,
        ErrorCode::Timeout => K::TimedOut,
        ErrorCode::AddressNotBindable => K::AddrNotAvailable,
        ErrorCode::AddressInUse => K::AddrInUse,
        ErrorCode::RemoteUnreachable => K::HostUnreachable,
        ErrorCode::ConnectionRefused => K::ConnectionRefused,
        ErrorCode::ConnectionReset => K::ConnectionReset,
        ErrorCode::ConnectionAborted => K::ConnectionAborted,
        ErrorCode::NameUnresolvable => K::NotFound,
        ErrorCode::InvalidState => K::InvalidInput,
        ErrorCode::ConcurrencyConflict => K::ResourceBusy,
        ErrorCode::Unknown
        | ErrorCode::NotInProgress
        | ErrorCode::NewSocketLimit
        | ErrorCode::TemporaryResolverFailure
        | ErrorCode::PermanentResolverFailure => K::Other,
    };
    io::Error::new(kind, format!("wasi:sockets: {}", code.message()))
}

/// A failed stream operation as a std error (`Closed` is handled by callers:
/// end of file for reads, broken pipe for writes).
pub(crate) fn stream_error(err: StreamError) -> io::Error {
    match err {
        StreamError::Closed => io::Error::new(io::ErrorKind::BrokenPipe, "wasi:io stream closed"),
        StreamError::LastOperationFailed(e) => io::Error::other(format!(
            "wasi:io stream operation failed: {}",
            e.to_debug_string()
        )),
    }
}

socket_address_conversions!();

#[cfg_attr(not(feature = "net"), allow(dead_code))]
pub(crate) fn ip_from_wasi(addr: IpAddress) -> IpAddr {
    match addr {
        IpAddress::Ipv4((a0, a1, a2, a3)) => IpAddr::V4(Ipv4Addr::new(a0, a1, a2, a3)),
        IpAddress::Ipv6((s0, s1, s2, s3, s4, s5, s6, s7)) => {
            IpAddr::V6(Ipv6Addr::new(s0, s1, s2, s3, s4, s5, s6, s7))
        }
    }
}

/// Whether the pollable with this raw handle is ready, without blocking and
/// without allocating.
pub(crate) fn handle_ready(handle: u32) -> bool {
    use self::generated::raw::wasi::io::poll::pollable_ready as wasi_ready;
    crate::sys::wasi::count_host_call();
    // SAFETY: `borrow<pollable>` is lowered as the raw handle; the caller
    // owns a live pollable with this handle for the duration of the call.
    unsafe { wasi_ready(handle as i32) != 0 }
}

/// Blocks until the pollable with this raw handle is ready. Unlike `poll`
/// this returns nothing, so it allocates nothing: the selector uses it
/// whenever it waits on a single pollable.
pub(crate) fn handle_block(handle: u32) {
    use self::generated::raw::wasi::io::poll::pollable_block as wasi_block;
    crate::sys::wasi::count_host_call();
    // SAFETY: `borrow<pollable>` is lowered as the raw handle; the caller
    // owns a live pollable with this handle for the duration of the call.
    unsafe { wasi_block(handle as i32) }
}
