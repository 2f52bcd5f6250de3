//! Platform backends. Exactly one is compiled: build.rs chooses it and says
//! which with `cfg(mio_backend = ...)`; nothing outside `sys` reads it.
//!
//! # The contract every backend provides
//!
//! The compiler checks this list: the traits below are implemented by each
//! backend's types, and the code above `sys` only reaches a backend through
//! them and the names listed here.
//!
//! * `Selector`: implements [`SelectorApi`] (create, clone, wait for events,
//!   a process-unique id for debug-build registration checks).
//! * `Event`: one raw event; implements [`EventApi`].
//! * `Events`: `Vec<Event>`, allocated once by `Events::with_capacity`.
//! * `Waker`: implements [`WakerApi`].
//! * `IoSourceState`: per-source state kept by `IoSource`, with `new`,
//!   `do_io`, `register`, `reregister` and `deregister`; plus the trait
//!   `Selectable`, implemented by every I/O type the backend can register.
//! * with `net`: modules `tcp` and `udp` holding the socket types (named
//!   `TcpListener`, `TcpStream`, `UdpSocket`; std's on native targets,
//!   method-compatible types elsewhere) and the functions that create them:
//!   `tcp::{bind, connect, accept}`, `udp::{bind, only_v6}`.
//! * on Unix: `uds`, `pipe`, `SourceFd` helpers.
//! * on Windows with `os-ext`: `named_pipe::NamedPipe`.
//!
//! Backends: `unix` (epoll, kqueue or poll(2)), `windows` (I/O completion
//! port plus the AFD driver), `wasi::p1` (WASI preview 1: `poll_oneoff`,
//! optionally WasmEdge's socket extension), `wasi::p2` (wasm32-wasip2:
//! `wasi:io/poll` and `wasi:sockets`), `wasi::p3` (wasm32-wasip2 with
//! `--cfg mio_wasip3`: WASI 0.3, one waitable set), `shell` (no OS support or `os-poll`
//! off: everything returns `Unsupported`).

use std::time::Duration;
use std::{fmt, io};

use crate::Token;

/// What a backend's selector offers the portable layer.
pub(crate) trait SelectorApi: Sized {
    /// A new, empty selector.
    #[cfg_attr(not(feature = "os-poll"), allow(dead_code))]
    fn new() -> io::Result<Self>;
    /// Another handle to the same selector (same registrations, same id).
    fn try_clone(&self) -> io::Result<Self>;
    /// Waits for events; `events` is cleared first and filled up to its
    /// capacity. The timeout is rounded up to the selector's resolution.
    fn select(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()>;
    /// Process-unique id of the selector (shared by its clones).
    #[allow(dead_code)] // used by debug-build registration checks only
    fn id(&self) -> usize;
}

/// What a backend's raw event offers the portable `Event`.
pub(crate) trait EventApi {
    fn token(&self) -> Token;
    fn is_readable(&self) -> bool;
    fn is_writable(&self) -> bool;
    fn is_error(&self) -> bool;
    fn is_read_closed(&self) -> bool;
    fn is_write_closed(&self) -> bool;
    /// Priority data (`POLLPRI` and the like); only some selectors have it.
    fn is_priority(&self) -> bool {
        false
    }
    /// kqueue's `EVFILT_AIO`; no other selector reports it.
    fn is_aio(&self) -> bool {
        false
    }
    /// kqueue's `EVFILT_LIO` (FreeBSD); no other selector reports it.
    fn is_lio(&self) -> bool {
        false
    }
    /// The raw event, for `{:#?}`.
    fn debug_details(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

/// What a backend's waker offers the portable `Waker`.
#[cfg_attr(not(feature = "os-poll"), allow(dead_code))]
pub(crate) trait WakerApi: Sized {
    fn new(selector: &Selector, token: Token) -> io::Result<Self>;
    fn wake(&self) -> io::Result<()>;
}

/// A fresh id for a new selector (never 0, which means "unregistered").
#[cfg_attr(not(feature = "os-poll"), allow(dead_code))]
pub(crate) fn next_selector_id() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT_ID: AtomicUsize = AtomicUsize::new(1);
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Turns an optional timeout into milliseconds for epoll_wait/poll(2):
/// rounded *up*, so 100 µs waits 1 ms instead of spinning; `-1` for none;
/// capped at `i32::MAX`. (kqueue takes a `timespec` instead.)
#[cfg(all(mio_backend = "unix", not(mio_selector = "kqueue")))]
pub(crate) fn timeout_millis(timeout: Option<Duration>) -> i32 {
    match timeout {
        None => -1,
        // poll(0) is common (draining events without blocking): skip the
        // arithmetic.
        Some(t) if t.is_zero() => 0,
        Some(t) => {
            let millis = t
                .as_secs()
                .saturating_mul(1_000)
                .saturating_add(u64::from(t.subsec_nanos().div_ceil(1_000_000)));
            i32::try_from(millis).unwrap_or(i32::MAX)
        }
    }
}

pub(crate) mod misuse;

// Sources registered by descriptor number.
#[cfg(any(
    all(mio_backend = "unix", any(feature = "net", feature = "os-ext")),
    all(mio_backend = "wasi_p1", feature = "net"),
))]
mod selectable_fd;
#[cfg(any(
    all(mio_backend = "unix", any(feature = "net", feature = "os-ext")),
    all(mio_backend = "wasi_p1", feature = "net"),
))]
pub(crate) use self::selectable_fd::Selectable;

#[cfg(any(
    mio_backend = "wasi_p1",
    mio_backend = "wasi_p2",
    mio_backend = "wasi_p3",
    mio_backend = "shell"
))]
mod readiness;

// The backend build.rs chose (`cfg(mio_backend = ...)`).
#[cfg(mio_backend = "unix")]
mod unix;
#[cfg(mio_backend = "unix")]
pub(crate) use self::unix::*;

#[cfg(mio_backend = "windows")]
mod windows;
#[cfg(mio_backend = "windows")]
pub(crate) use self::windows::*;

#[cfg(any(
    mio_backend = "wasi_p1",
    mio_backend = "wasi_p2",
    mio_backend = "wasi_p3"
))]
mod wasi;
#[cfg(any(
    mio_backend = "wasi_p1",
    mio_backend = "wasi_p2",
    mio_backend = "wasi_p3"
))]
pub(crate) use self::wasi::api::*;

#[cfg(mio_backend = "shell")]
mod shell;
#[cfg(mio_backend = "shell")]
pub(crate) use self::shell::*;
