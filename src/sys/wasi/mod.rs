//! The WASI backends: `p1` (wasm32-wasip1), `p2` (wasm32-wasip2, WASI 0.2)
//! and `p3` (wasm32-wasip2 with `--cfg mio_wasip3`, WASI 0.3). Exactly one
//! is compiled (`backend` here); `api` is what `sys` takes from it.

/// Conversions between std's socket addresses and WASI's
/// `ip-socket-address`, which WASI 0.2 and 0.3 declare alike but whose
/// bindings are distinct types: expanded in each backend's `bindings`,
/// where `IpAddressFamily`, `IpSocketAddress`, `Ipv4SocketAddress` and
/// `Ipv6SocketAddress` name that backend's types.
#[cfg(any(mio_backend = "wasi_p2", mio_backend = "wasi_p3"))]
macro_rules! socket_address_conversions {
    () => {
        pub(crate) fn family_of(addr: &std::net::SocketAddr) -> IpAddressFamily {
            match addr {
                std::net::SocketAddr::V4(_) => IpAddressFamily::Ipv4,
                std::net::SocketAddr::V6(_) => IpAddressFamily::Ipv6,
            }
        }

        pub(crate) fn to_wasi(addr: std::net::SocketAddr) -> IpSocketAddress {
            match addr {
                std::net::SocketAddr::V4(a) => {
                    let [o0, o1, o2, o3] = a.ip().octets();
                    IpSocketAddress::Ipv4(Ipv4SocketAddress {
                        port: a.port(),
                        address: (o0, o1, o2, o3),
                    })
                }
                std::net::SocketAddr::V6(a) => {
                    let [s0, s1, s2, s3, s4, s5, s6, s7] = a.ip().segments();
                    IpSocketAddress::Ipv6(Ipv6SocketAddress {
                        port: a.port(),
                        flow_info: a.flowinfo(),
                        address: (s0, s1, s2, s3, s4, s5, s6, s7),
                        scope_id: a.scope_id(),
                    })
                }
            }
        }

        pub(crate) fn from_wasi(addr: IpSocketAddress) -> std::net::SocketAddr {
            use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
            match addr {
                IpSocketAddress::Ipv4(a) => {
                    let (o0, o1, o2, o3) = a.address;
                    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(o0, o1, o2, o3), a.port))
                }
                IpSocketAddress::Ipv6(a) => {
                    let (s0, s1, s2, s3, s4, s5, s6, s7) = a.address;
                    SocketAddr::V6(SocketAddrV6::new(
                        Ipv6Addr::new(s0, s1, s2, s3, s4, s5, s6, s7),
                        a.port,
                        a.flow_info,
                        a.scope_id,
                    ))
                }
            }
        }
    };
}

/// Puts `value` into the registration table of a WASI 0.2 or 0.3 selector:
/// into a slot that `free` lists, else a new one. Returns the slot, which
/// stays the source's while it is registered.
#[cfg(any(mio_backend = "wasi_p2", mio_backend = "wasi_p3"))]
fn occupy_slot<T>(entries: &mut Vec<Option<T>>, free: &mut Vec<usize>, value: T) -> usize {
    match free.pop() {
        Some(slot) => {
            entries[slot] = Some(value);
            slot
        }
        None => {
            entries.push(Some(value));
            entries.len() - 1
        }
    }
}

#[cfg(mio_backend = "wasi_p1")]
pub(crate) mod p1;
#[cfg(mio_backend = "wasi_p1")]
use self::p1 as backend;

#[cfg(mio_backend = "wasi_p2")]
pub(crate) mod p2;
#[cfg(mio_backend = "wasi_p2")]
use self::p2 as backend;

#[cfg(mio_backend = "wasi_p3")]
pub(crate) mod p3;
#[cfg(mio_backend = "wasi_p3")]
use self::p3 as backend;

// Shared by some of the backends.
#[cfg(any(mio_backend = "wasi_p1", mio_backend = "wasi_p2"))]
mod flag_waker;
#[cfg(feature = "host-call-count")]
pub(crate) mod host_calls;

/// Counts one host call that a backend makes through an import of its own
/// rather than through the generated wrappers (build.rs counts those), with
/// the test-only `host-call-count` feature; nothing without it.
#[cfg(any(mio_backend = "wasi_p2", mio_backend = "wasi_p3"))]
#[inline(always)]
pub(crate) fn count_host_call() {
    #[cfg(feature = "host-call-count")]
    host_calls::bump();
}
#[cfg(any(mio_backend = "wasi_p2", mio_backend = "wasi_p3"))]
mod io_source;
#[cfg(all(any(mio_backend = "wasi_p2", mio_backend = "wasi_p3"), feature = "net"))]
pub(crate) mod name_resolver;
#[cfg(any(mio_backend = "wasi_p2", mio_backend = "wasi_p3"))]
mod shared;

/// What `sys` takes from here: the compiled backend's items, and those of
/// its items that live in the shared modules above.
pub(crate) mod api {
    pub(crate) use super::backend::*;
    #[cfg(any(mio_backend = "wasi_p1", mio_backend = "wasi_p2"))]
    pub(crate) use super::flag_waker::Waker;
    // build.rs's counting bindings call `crate::sys::host_calls::bump`.
    #[cfg(feature = "host-call-count")]
    pub(crate) use super::host_calls;
    #[cfg(all(any(mio_backend = "wasi_p2", mio_backend = "wasi_p3"), feature = "net"))]
    pub(crate) use super::io_source::IoSourceState;
}
