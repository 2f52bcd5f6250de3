//! wasm32-wasip2 backend: straight onto `wasi:io/poll` and `wasi:sockets`
//! (WASI 0.2), without going through wasi-libc's socket calls (whose
//! non-blocking `accept` fails there).
//!
//! * `bindings`: the generated WASI 0.2 imports and a thin typed layer over
//!   them; with `descriptor`, all of the backend's FFI `unsafe`.
//! * `selector`: `Poll` over `wasi:io/poll.poll`, one pollable per armed
//!   (source, direction); edge-triggered like every other backend.
//! * `io_source`: per-source registration state; re-arms a direction when
//!   an I/O call returns `WouldBlock`.
//! * `tcp`, `udp`, `dns` (non-blocking name lookup); the waker is
//!   `wasi::flag_waker`, shared with preview 1.
//! * `descriptor`: where the toolchain's wasi-libc allows (its private
//!   layout is one this crate knows, probed at run time), every socket is
//!   also a wasi-libc file descriptor that owns its handles, so std's
//!   sockets convert both ways (`from_std`, `std_impls`: `AsRawFd`,
//!   `IntoRawFd`, `FromRawFd`, ...). Elsewhere sockets own their handles
//!   and only those conversions fail (see `Inert`).
//!
//! A WASI 0.2 component runs on one thread: state shared between a source
//! and the selector is reference-counted and checked at run time
//! ([`Shared`]), not locked.

#[cfg(target_feature = "atomics")]
compile_error!(
    "the wasm32-wasip2 backend of mio assumes a single-threaded component; \
     it cannot be built with the `atomics` target feature"
);

pub(crate) use super::shared::Shared;

mod bindings;
#[cfg(feature = "net")]
mod descriptor;
pub(super) mod io_source;
pub(super) mod selector;

#[cfg(feature = "net")]
pub(crate) use self::io_source::Selectable;
pub(crate) use self::selector::{Event, Events, Selector};

#[cfg(feature = "net")]
pub(super) mod dns;

/// What `mio::wasi` offers on this backend: non-blocking name lookup, and
/// whether sockets convert to and from std's.
#[cfg(feature = "net")]
pub(crate) mod wasi_ext {
    #[cfg(feature = "host-call-count")]
    pub use crate::sys::wasi::host_calls::host_calls;
    pub use crate::sys::wasi::name_resolver::NameResolver;

    /// Whether this crate's sockets convert to and from std's here:
    /// `from_std`, `AsRawFd`, `IntoRawFd` and `FromRawFd` on `mio::net`'s
    /// types.
    ///
    /// On `wasm32-wasip2` those conversions need this crate to share its
    /// sockets with wasi-libc, whose internals differ between the
    /// toolchains that ship it; the crate recognises the wasi-libc of Rust
    /// 1.85 to 1.99 and of nightly 1.101. Elsewhere (or when built with
    /// `--cfg mio_wasip2_no_libc_interop`) sockets work as usual, but the
    /// conversions cannot: `from_std` and `FromRawFd` give a socket that
    /// keeps std's open and fails every call, `register` included, with
    /// this `Unsupported` error (its `AsRawFd` and `IntoRawFd` give std's
    /// descriptor back); `AsRawFd` and `IntoRawFd` on this crate's own
    /// sockets panic, as there is no descriptor to give (they cannot return
    /// an error). This returns `Ok` if the conversions work, else the
    /// `Unsupported` error naming the reason.
    pub fn std_interop() -> std::io::Result<()> {
        match super::descriptor::interop_error() {
            None => Ok(()),
            Some(err) => Err(err),
        }
    }
}
#[cfg(feature = "net")]
mod std_impls;

/// A std socket handed to `from_std` (or `FromRawFd`) while std interop is
/// not available (see `descriptor`): without a known wasi-libc layout its
/// `wasi:sockets` handles cannot be reached, so the socket this becomes
/// refuses every operation, registration included, with the interop error.
/// It keeps std's socket open until it is dropped (or handed back through
/// `IntoRawFd`), so the peer does not see the connection closed early.
#[cfg(feature = "net")]
pub(crate) struct Inert<S>(S);

#[cfg(feature = "net")]
impl<S: std::os::fd::AsRawFd + std::os::fd::IntoRawFd> Inert<S> {
    /// `Ok` (keeping `socket`, inert) if std interop is unavailable; else
    /// `socket` back.
    pub(crate) fn adopt(socket: S) -> Result<Inert<S>, S> {
        match descriptor::interop_error() {
            Some(_) => Ok(Inert(socket)),
            None => Err(socket),
        }
    }

    /// The error every operation returns.
    pub(crate) fn error(&self) -> std::io::Error {
        descriptor::interop_error().unwrap_or_else(descriptor::no_interop_error)
    }

    /// std's own descriptor: a real wasi-libc one.
    pub(crate) fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0.as_raw_fd()
    }

    pub(crate) fn into_raw_fd(self) -> std::os::fd::RawFd {
        self.0.into_raw_fd()
    }
}
#[cfg(feature = "net")]
pub(crate) mod tcp;
#[cfg(feature = "net")]
pub(crate) mod udp;
