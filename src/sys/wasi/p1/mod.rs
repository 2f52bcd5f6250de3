//! WASI preview 1 backend (`wasm32-wasip1`): a selector over `poll_oneoff`
//! and sockets over the preview-1 socket calls.
//!
//! # What the host provides
//!
//! Standard preview 1 can only use sockets the host hands to the module
//! (pre-opened descriptors, for example wasmtime's `-S tcplisten=ADDR`, or
//! descriptors passed in with `FromRawFd`/`from_std`): `sock_accept`,
//! `sock_recv`, `sock_send`, `sock_shutdown` and `poll_oneoff`. Creating
//! sockets (`TcpListener::bind`, `TcpStream::connect`, `UdpSocket::bind`)
//! returns `Unsupported`.
//!
//! With the `wasmedge` cargo feature the backend also imports WasmEdge's
//! socket extension (`sock_open`, `sock_bind_v2`, `sock_connect_v2`,
//! `sock_recv_from`, `sock_getlocaladdr_v2`, ...), which only WasmEdge
//! implements: other runtimes refuse to instantiate such a module. Nothing
//! outside this feature imports a WasmEdge-only function.
//!
//! # Readiness
//!
//! `poll_oneoff` is level-triggered and stateless. The selector keeps the
//! registrations, subscribes only to the directions that are armed, and
//! disarms a direction once it reported it, until an I/O call on the source
//! returns `WouldBlock` (see [`IoSourceState::do_io`]). This turns the host's
//! level-triggered readiness into mio's edge-triggered events and keeps an
//! idle event loop from spinning on an always-writable socket.
//!
//! The module is single-threaded: `Waker::wake` makes the *next* `poll`
//! return at once with the waker's token; it cannot interrupt a `poll` that
//! is already blocked in the host (there is no other thread to call it).

// The generated bindings: both modules must be siblings, the WasmEdge one
// takes its standard types from `super::wasi_p1`.
generated_bindings! {
    #[allow(clippy::all)]
    mod wasi_p1 = "wasi_p1.rs";
}
generated_bindings! {
    #[cfg(feature = "wasmedge")]
    #[allow(clippy::all)]
    mod wasmedge_sock = "wasmedge_sock.rs";
}

mod host;
mod selector;

#[cfg(feature = "net")]
pub(crate) use self::selector::IoSourceState;
pub(crate) use self::selector::{Event, Events, Selector};

#[cfg(feature = "net")]
mod net;
#[cfg(feature = "net")]
mod std_impls;
#[cfg(feature = "net")]
pub(crate) mod tcp;
#[cfg(feature = "net")]
pub(crate) mod udp;

#[cfg(feature = "wasmedge")]
pub(crate) mod dns;

/// What `mio::wasi` offers on this backend: name lookup through WasmEdge's
/// socket extension (nothing without the `wasmedge` feature).
#[cfg(feature = "net")]
pub(crate) mod wasi_ext {
    #[cfg(feature = "wasmedge")]
    pub use super::dns::lookup_host;
    #[cfg(feature = "host-call-count")]
    pub use crate::sys::wasi::host_calls::host_calls;
}
