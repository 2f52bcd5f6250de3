//! Metal I/O for native targets and WebAssembly.
//!
//! This crate (package `mio_wasi`, library name `mio`) has the public API of
//! [mio](https://docs.rs/mio/1) 1.x: [`Poll`], [`Registry`], [`Events`],
//! [`Interest`], [`Token`], [`Waker`], [`event::Source`], [`net`] and, on
//! Unix, `unix::SourceFd` and `unix::pipe`. Code written against mio
//! compiles against it unchanged, and so does tokio. What it adds is a
//! backend for each of the two WebAssembly System Interface targets,
//! `wasm32-wasip2` and `wasm32-wasip1`.
//!
//! It is a low-level building block: a way to wait for readiness of many
//! non-blocking sockets at once, with nothing on top (no futures, no
//! buffers, no timers beyond the `poll` timeout). Runtimes such as tokio are
//! built on it.
//!
//! # Guide
//!
//! 1. Create a [`Poll`] with [`Poll::new`] and an [`Events`] buffer with
//!    [`Events::with_capacity`]. Both are made once and reused.
//! 2. Create non-blocking sources, for example a [`net::TcpListener`], and
//!    register each with [`Registry::register`] (through
//!    [`Poll::registry`]), choosing a [`Token`] to recognise its events by
//!    and the [`Interest`]s to wait for.
//! 3. Call [`Poll::poll`] in a loop. For every [`event::Event`] it returns,
//!    find the source by its token and perform I/O on it **until the
//!    operation returns [`std::io::ErrorKind::WouldBlock`]**: readiness is
//!    edge-triggered on every backend, so a direction reported once is not
//!    reported again until it has been drained.
//! 4. Change what you wait for with [`Registry::reregister`]; stop with
//!    [`Registry::deregister`] (or by dropping the source).
//! 5. To interrupt a blocked `poll` from another thread, create a
//!    [`Waker`].
//!
//! The example at the end of this page puts these steps together; the
//! crate's `examples/` directory has complete TCP and UDP servers that also
//! run under the WebAssembly hosts.
//!
//! # Backends
//!
//! Exactly one selector is compiled in, chosen by the target (and, on Unix,
//! by one configuration flag):
//!
//! | target | selector | sockets | waker |
//! |---|---|---|---|
//! | Linux, Android | epoll, edge-triggered | std sockets, non-blocking | eventfd |
//! | macOS, iOS and the other Apple systems, FreeBSD, DragonFly, NetBSD, OpenBSD | kqueue with `EV_CLEAR` | as above | `EVFILT_USER` (a pipe on OpenBSD and NetBSD before 10) |
//! | other Unix (illumos, Solaris, AIX, Haiku, ...) | poll(2) with edge-trigger emulation | as above | a pipe |
//! | any Unix built with `RUSTFLAGS="--cfg mio_unsupported_force_poll_poll"` | poll(2), as above | as above | an eventfd on Linux and Android, else a pipe |
//! | Windows | I/O completion port, sockets polled through the AFD driver (`\Device\Afd`) | Winsock, non-blocking; `windows::NamedPipe` with `os-ext` | a completion packet |
//! | `wasm32-wasip2` | `wasi:io/poll` over one pollable per source and direction | `wasi:sockets` (TCP, UDP, name lookup through `wasi::NameResolver`); wasi-libc descriptors where the toolchain's wasi-libc is one the crate knows (Rust 1.85 to 1.99, nightly 1.101), so `from_std` and the raw-fd traits work with std's; elsewhere a std socket passed to `from_std` fails every call (`register` included) with `Unsupported`, and the raw-fd traits of this crate's own sockets panic (`wasi::std_interop` tells) | a flag checked by the next `poll` |
//! | `wasm32-wasip1` | `poll_oneoff` with edge-trigger emulation | sockets the host hands over (pre-opened descriptors, `from_std`); with the `wasmedge` feature, WasmEdge's socket extension (`bind`, `connect`, UDP addresses, `wasi::lookup_host`) | a flag checked by the next `poll` |
//! | `os-poll` off, or any other target | none | none | none: every operation returns [`Unsupported`](std::io::ErrorKind::Unsupported) |
//!
//! Selectors built on level-triggered primitives (poll(2), `poll_oneoff`,
//! AFD, `wasi:io/poll`) emulate edge triggering: a direction is disarmed
//! once reported and armed again when an I/O call through this crate
//! returns `WouldBlock`, or when the source is re-registered. A raw
//! descriptor registered through `unix::SourceFd` does its I/O outside the
//! crate, so under poll(2) it is armed again by `Registry::reregister`.
//!
//! The WebAssembly hosts have no threads that could wake a blocked `poll`:
//! there [`Waker::wake`] makes the *next* `poll` return at once with the
//! waker's event.
//!
//! What the flags of an [`event::Event`] mean on each of these selectors is
//! listed in [its documentation](event::Event#what-each-flag-means-on-each-backend).
//!
//! # What each host refuses
//!
//! Where a platform cannot perform an operation, the call returns an error
//! of kind [`Unsupported`](std::io::ErrorKind::Unsupported) whose message
//! names the host and the operation; nothing pretends to succeed. On Linux,
//! the BSDs, macOS and Windows every operation of the API is available (as
//! far as the operating system itself allows).
//!
//! | operation | `wasm32-wasip2` (`wasi:sockets`) | `wasm32-wasip1`, any host | `wasm32-wasip1` on WasmEdge (`wasmedge` feature) |
//! |---|---|---|---|
//! | `TcpListener::bind`, `TcpStream::connect` | yes | refused (use sockets the host hands over) | yes |
//! | `UdpSocket::bind`, `connect`, `send_to`, `recv_from` | yes | refused | yes |
//! | `local_addr`, `peer_addr`, `take_error` | yes | refused | yes |
//! | `set_nodelay`, `nodelay` | refused | refused | refused |
//! | `peek` (TCP and UDP) | refused | yes | yes |
//! | `UdpSocket::peek_from` | refused | refused | yes |
//! | `set_ttl`, `ttl` | yes | refused | refused |
//! | broadcast, multicast options and membership | refused | refused | broadcast only |
//! | name lookup | `wasi::NameResolver` (non-blocking) | none | `wasi::lookup_host` (blocks in the host) |
//! | `unix::*`, `windows::*` | not compiled | not compiled | not compiled |
//!
//! Beyond the crate, each host has its own limits, for example whether a
//! module may open network sockets at all: wasmtime needs
//! `-S inherit-network` for `wasm32-wasip2` sockets, and hands a
//! `wasm32-wasip1` module a listening socket with `-S tcplisten=ADDR`.
//!
//! # Features
//!
//! No feature is on by default; with none, the crate compiles the types
//! but no selector. The features and what they add:
//!
//! * `os-poll`: the platform's selector ([`Poll::new`], [`Waker`]).
//!   Without it, `Poll` cannot be created; libraries that only implement
//!   [`event::Source`] need nothing more.
//! * `net`: the [`net`] module (TCP, UDP and, on Unix, Unix-domain sockets).
//! * `os-ext`: platform extras: `unix::pipe` and `unix::SourceFd` on Unix,
//!   `windows::NamedPipe` on Windows. Implies `os-poll`.
//! * `log`: trace-level logging of registrations through the `log` crate.
//! * `wasmedge` (`wasm32-wasip1` only; this crate's own): WasmEdge's socket
//!   extension to WASI preview 1, which adds `TcpListener::bind`,
//!   `TcpStream::connect`, UDP with addresses, socket addresses,
//!   `take_error` and `wasi::lookup_host`. Such a module runs on WasmEdge
//!   only; without the feature a preview-1 module imports nothing
//!   WasmEdge-specific and uses the sockets the host hands it (for example
//!   with wasmtime's `-S tcplisten`).
//! * `regenerate-bindings` (this crate's own, for maintainers): compile
//!   WASI bindings generated afresh from the interface files in `wit/`
//!   instead of the committed ones. The result is the same code; it needs
//!   `rustfmt` and Rust 1.88 to build.
//! * `host-call-count` (this crate's own, for tests on WASI only): counts
//!   the host calls the WASI backends make, read with
//!   `wasi::host_calls()`. Not meant for normal builds.
//!
//! On docs.rs every item that needs a feature or a target is marked with
//! it.
//!
//! # Differences from upstream mio
//!
//! This crate behaves like mio 1.x at the edges too (errors, misuse,
//! signals); `tests/drop_in.rs` runs those cases against both crates. It
//! differs on purpose only where mio's behaviour loses events, leaks, or
//! differs between its own selectors:
//!
//! * **A second [`Waker`] after the first was dropped.** mio's debug builds
//!   panic on any second `Waker::new` for a `Poll`, even when the first one
//!   is gone; here the check only counts live wakers, so a `Poll` can get a
//!   new waker after dropping the old one. Two live ones still panic in
//!   debug builds.
//! * **Two live `Waker`s (release builds).** Each wake-up is reported under
//!   its own waker's token, also when both wake before the same `poll`;
//!   mio's poll(2) selector keeps only the last token, so one wake-up is
//!   reported under the other's token or lost.
//! * **[`Events::with_capacity(0)`](Events::with_capacity).** [`Poll::poll`]
//!   returns [`InvalidInput`](std::io::ErrorKind::InvalidInput) on every
//!   backend, as mio's epoll selector does; mio's kqueue selector returns
//!   at once with nothing (a loop around it spins) and its poll(2) selector
//!   grows the buffer.
//! * **A full `Events` (poll(2) selector).** Events beyond the capacity
//!   stay pending for the next `poll`, and `poll` allocates nothing; mio's
//!   poll(2) selector grows the buffer to fit them.
//! * **`unix::SourceFd` with a closed descriptor (poll(2) selector).**
//!   `register` fails with `EBADF`, as it does with epoll and kqueue; mio's
//!   poll(2) selector accepts it and reports the descriptor as invalid
//!   later.
//! * **Re-arming after `WouldBlock` (poll(2), and the other backends that
//!   emulate edge triggering).** Only the direction that would block is
//!   armed again, so a read that blocks does not bring back a writable
//!   event that was already reported; mio's poll(2) selector re-arms every
//!   registered direction.
//!
//! # Example
//!
//! ```
//! # #[cfg(all(feature = "os-poll", feature = "net"))]
//! # fn main() -> std::io::Result<()> {
//! use std::io::{Read, Write};
//! use std::time::Duration;
//! use mio::net::{TcpListener, TcpStream};
//! use mio::{Events, Interest, Poll, Token};
//!
//! const SERVER: Token = Token(0);
//! const CLIENT: Token = Token(1);
//!
//! let mut poll = Poll::new()?;
//! let mut events = Events::with_capacity(128);
//!
//! let mut server = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
//! poll.registry().register(&mut server, SERVER, Interest::READABLE)?;
//!
//! let mut client = TcpStream::connect(server.local_addr()?)?;
//! poll.registry().register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)?;
//!
//! let mut accepted = None;
//! let mut sent = false;
//! let mut received = Vec::new();
//! while received.len() < 5 {
//!     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//!     for event in events.iter() {
//!         match event.token() {
//!             SERVER => {
//!                 if let Ok((mut stream, _)) = server.accept() {
//!                     poll.registry().register(&mut stream, Token(2), Interest::READABLE)?;
//!                     accepted = Some(stream);
//!                 }
//!             }
//!             CLIENT if event.is_writable() && !sent => {
//!                 client.write_all(b"hello")?;
//!                 sent = true;
//!             }
//!             _ => {}
//!         }
//!     }
//!     if let Some(stream) = accepted.as_mut() {
//!         let mut buf = [0; 16];
//!         match stream.read(&mut buf) {
//!             Ok(n) => received.extend_from_slice(&buf[..n]),
//!             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
//!             Err(e) => return Err(e),
//!         }
//!     }
//! }
//! assert_eq!(received, b"hello");
//! # Ok(())
//! # }
//! # #[cfg(not(all(feature = "os-poll", feature = "net")))]
//! # fn main() {}
//! ```

#![deny(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![warn(unsafe_op_in_unsafe_fn)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc(html_root_url = "https://docs.rs/mio_wasi/1.2.0")]

#[macro_use]
mod macros;

mod interest;
mod poll;
mod sys;
mod token;

cfg_os_poll! {
    mod waker;
    pub use waker::Waker;
}

pub mod event;

cfg_io_source! {
    mod io_source;
}

cfg_net! {
    pub mod net;
}

#[doc(no_inline)]
pub use event::Events;
pub use interest::Interest;
pub use poll::{Poll, Registry};
pub use token::Token;

/// Unix-only extensions.
#[cfg(all(unix, feature = "os-ext"))]
#[cfg_attr(docsrs, doc(cfg(all(unix, feature = "os-ext"))))]
pub mod unix {
    pub use crate::sys::sourcefd::SourceFd;

    /// Unix pipes, registrable with a [`Poll`](crate::Poll).
    pub mod pipe {
        pub use crate::sys::pipe::{new, Receiver, Sender};
    }
}

/// Windows-only extensions.
#[cfg(all(windows, feature = "os-ext"))]
#[cfg_attr(docsrs, doc(cfg(all(windows, feature = "os-ext"))))]
pub mod windows {
    pub use crate::sys::named_pipe::NamedPipe;
}

/// WASI-only extensions.
///
/// * `wasm32-wasip2`: `NameResolver`, a non-blocking
///   DNS lookup through `wasi:sockets/ip-name-lookup` that is registered with
///   a `Poll` like any socket and becomes readable when the addresses are
///   ready; `std_interop`, whether sockets convert to and from std's with
///   this toolchain's wasi-libc.
/// * `wasm32-wasip1` with the `wasmedge` feature: `lookup_host`, a DNS
///   lookup through WasmEdge's `sock_getaddrinfo` (the host call blocks).
#[cfg(all(target_os = "wasi", feature = "os-poll", feature = "net"))]
#[cfg_attr(
    docsrs,
    doc(cfg(all(target_os = "wasi", feature = "os-poll", feature = "net")))
)]
pub mod wasi {
    // Empty on preview 1 without the `wasmedge` feature.
    #[allow(unused_imports)]
    pub use crate::sys::wasi_ext::*;
}
