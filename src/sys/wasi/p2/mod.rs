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
//! * `waker`, `tcp`, `udp`, `dns` (non-blocking name lookup).
//! * `descriptor`: where the toolchain's wasi-libc allows (its private
//!   layout is one this crate knows, probed at run time), every socket is
//!   also a wasi-libc file descriptor that owns its handles, so std's
//!   sockets convert both ways (`from_std`, `std_impls`: `AsRawFd`,
//!   `IntoRawFd`, `FromRawFd`, ...). Elsewhere sockets own their handles
//!   and only those conversions fail.
//!
//! A WASI 0.2 component runs on one thread: state shared between a source
//! and the selector is reference-counted and checked at run time
//! ([`Shared`]), not locked.

#[cfg(target_feature = "atomics")]
compile_error!(
    "the wasm32-wasip2 backend of mio assumes a single-threaded component; \
     it cannot be built with the `atomics` target feature"
);

use std::ops::Deref;
use std::rc::Rc;

mod bindings;
#[cfg(feature = "net")]
mod descriptor;
mod io_source;
mod selector;
mod waker;

#[cfg(feature = "net")]
pub(crate) use self::io_source::{IoSourceState, Selectable};
pub(crate) use self::selector::{Event, Events, Selector};
pub(crate) use self::waker::Waker;

#[cfg(feature = "net")]
pub(crate) mod dns;

/// What `mio::wasi` offers on this backend: non-blocking name lookup, and
/// whether sockets convert to and from std's.
#[cfg(feature = "net")]
pub(crate) mod wasi_ext {
    pub use super::dns::NameResolver;

    /// Whether this crate's sockets convert to and from std's here:
    /// `from_std`, `AsRawFd`, `IntoRawFd` and `FromRawFd` on `mio::net`'s
    /// types.
    ///
    /// On `wasm32-wasip2` those conversions need this crate to share its
    /// sockets with wasi-libc, whose internals differ between the
    /// toolchains that ship it; the crate recognises the wasi-libc of Rust
    /// 1.85 to 1.99 and of nightly 1.101. Elsewhere (or when built with
    /// `--cfg mio_wasip2_no_libc_interop`) sockets work as usual, but the
    /// conversions panic (they cannot return an error). This returns `Ok`
    /// if they work, else the `Unsupported` error naming the reason.
    pub fn std_interop() -> std::io::Result<()> {
        match super::descriptor::interop_error() {
            None => Ok(()),
            Some(err) => Err(err),
        }
    }
}
#[cfg(feature = "net")]
mod std_impls;
#[cfg(feature = "net")]
pub(crate) mod tcp;
#[cfg(feature = "net")]
pub(crate) mod udp;

/// A reference-counted value shared by the handles of this backend (a
/// source and the selector it is registered with).
///
/// The crate's public types are `Send + Sync` on every target, so this is
/// too; see the safety note on the impls.
pub(crate) struct Shared<T: ?Sized>(Rc<T>);

// SAFETY: without the `atomics` target feature (refused above) a wasm32
// module has no shared memory and its component cannot run a second thread,
// so a `Shared` is never reached from two threads: moving or sharing it
// "between threads" can only ever mean the one thread there is.
unsafe impl<T: ?Sized> Send for Shared<T> {}
// SAFETY: as for `Send` above.
unsafe impl<T: ?Sized> Sync for Shared<T> {}

impl<T> Shared<T> {
    pub(crate) fn new(value: T) -> Shared<T> {
        Shared(Rc::new(value))
    }
}

impl<T: ?Sized> Shared<T> {
    #[cfg(feature = "net")]
    pub(crate) fn from_rc(rc: Rc<T>) -> Shared<T> {
        Shared(rc)
    }

    #[cfg(feature = "net")]
    pub(crate) fn rc(&self) -> &Rc<T> {
        &self.0
    }

    /// The value, if this is the last handle to it.
    #[cfg(feature = "net")]
    pub(crate) fn into_inner(self) -> T
    where
        T: Sized,
    {
        match Rc::try_unwrap(self.0) {
            Ok(value) => value,
            // `IoSource::into_inner` deregisters (dropping the selector's
            // handle) before the socket is taken apart.
            Err(_) => panic!("mio: a wasip2 socket is still shared while being converted"),
        }
    }

    pub(crate) fn ptr_eq(&self, other: &Shared<T>) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T: ?Sized> Clone for Shared<T> {
    fn clone(&self) -> Shared<T> {
        Shared(Rc::clone(&self.0))
    }
}

impl<T: ?Sized> Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
