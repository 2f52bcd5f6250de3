//! Metal I/O for native targets and WebAssembly.
//!
//! This crate (package `mio_wasi`, library name `mio`) has the public API of
//! [mio](https://docs.rs/mio/1) 1.x: [`Poll`], [`Registry`], [`Events`],
//! [`Interest`], [`Token`], [`Waker`], [`event::Source`], [`net`] and, on
//! Unix, `unix::SourceFd` and `unix::pipe`. Code written against mio
//! compiles against it unchanged, and so does tokio.
//!
//! # Backends
//!
//! | target | selector |
//! |---|---|
//! | Linux, Android | epoll |
//! | macOS, iOS (Apple), FreeBSD, DragonFly, NetBSD, OpenBSD | kqueue |
//! | other Unix | poll(2) |
//! | any Unix with `--cfg mio_unsupported_force_poll_poll` | poll(2) |
//! | `wasm32-wasip2` | `wasi:io/poll` over `wasi:sockets` (WASI 0.2), plus `mio::wasi::NameResolver` for non-blocking name lookup; sockets are wasi-libc descriptors where the toolchain's wasi-libc is one the crate knows (Rust 1.85 to 1.99, nightly 1.101), so `from_std` and the raw-fd traits work with std's; elsewhere those conversions panic (`mio::wasi::std_interop` tells) |
//! | `os-poll` off, or an unsupported target | none: every operation returns `Unsupported` |
//!
//! Readiness is edge-triggered on every backend: after an event, do I/O
//! until it returns [`std::io::ErrorKind::WouldBlock`] before waiting again.
//!
//! # Features
//!
//! * `os-poll`: the OS selector ([`Poll::new`], [`Waker`]).
//! * `net`: the [`net`] module.
//! * `os-ext`: platform extras (`unix::pipe`, `unix::SourceFd`, `windows::NamedPipe`); implies `os-poll`.
//! * `log`: trace-level logging through the `log` crate.
//! * `wasmedge` (`wasm32-wasip1` only): WasmEdge's socket extension to WASI
//!   preview 1 — `TcpListener::bind`, `TcpStream::connect`, UDP with
//!   addresses, socket addresses, `take_error` and `mio::wasi::lookup_host`.
//!   Such a module runs on WasmEdge only; without the feature a preview-1
//!   module uses sockets the host hands it (for example wasmtime's
//!   `-S tcplisten`) and imports nothing WasmEdge-specific.
//!
//! No feature is on by default.
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
