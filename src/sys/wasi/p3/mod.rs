//! The WASI 0.3 backend: `wasm32-wasip2` built with `--cfg mio_wasip3`.
//!
//! WASI 0.3 has no `wasi:io/poll`. Sockets hand out `stream<u8>`s and
//! `future`s, async imports return subtasks, and a component waits with
//! the canonical ABI's waitable sets. The selector owns one waitable set;
//! every waitable a source creates (a stream end, a result future, a
//! `connect` subtask) is joined to it once, and `Poll::poll` waits on the
//! set and drains it with the non-blocking `waitable-set.poll`. Nothing is
//! handed to the host per wait, so a wait costs the same with 1 or 1000
//! registered sources.
//!
//! Readiness on top of completion-based streams:
//!
//! * readable: each TCP stream keeps one real read in flight into a buffer
//!   it owns; its completion is the readable event, and `read` copies out
//!   of the buffer (a zero-length read cannot probe readiness: the host may
//!   complete it at once without data). A listener keeps a one-element read
//!   of its `stream<tcp-socket>` in flight the same way.
//! * writable: no write in flight. `write` copies into a buffer the
//!   stream owns and starts the write; the completion is the writable
//!   event.
//! * errors: the `result` futures of `send`/`receive` are read when their
//!   stream ends; their error is what `take_error` returns.
//!
//! * `bindings`: the generated bindings, the canonical ABI built-ins and
//!   all of the backend's `unsafe`.
//! * `selector`, `io_source`, `waker`, `tcp`, `udp` (`send`/`receive`
//!   subtasks), `dns` (name lookup as an event source).
//! * `fd`: descriptor numbers for the raw-descriptor traits (`std_impls`).
//! * `entry`: the exported async `wasi:cli/run@0.3` that calls the
//!   program's `main`; blocking in a waitable set is possible only there.

#[cfg(target_feature = "atomics")]
compile_error!(
    "the WASI 0.3 backend of mio assumes a single-threaded component; \
     it cannot be built with the `atomics` target feature"
);

pub(crate) use super::shared::Shared;

mod bindings;
mod entry;
#[cfg_attr(not(feature = "net"), allow(dead_code))]
pub(super) mod io_source;
pub(super) mod selector;
mod waker;

#[cfg(feature = "net")]
pub(crate) use self::io_source::Selectable;
pub(crate) use self::selector::{Event, Events, Selector};
pub(crate) use self::waker::Waker;

#[cfg(feature = "net")]
pub(crate) mod tcp;
#[cfg(feature = "net")]
pub(crate) mod udp;

#[cfg(feature = "net")]
pub(super) mod dns;

#[cfg(feature = "net")]
mod fd;
#[cfg(feature = "net")]
mod std_impls;

/// What `mio::wasi` offers on this backend: non-blocking name lookup, and
/// `std_interop`, which says that std's sockets do not convert.
#[cfg(feature = "net")]
pub(crate) mod wasi_ext {
    #[cfg(feature = "host-call-count")]
    pub use crate::sys::wasi::host_calls::host_calls;
    pub use crate::sys::wasi::name_resolver::NameResolver;

    /// Whether this crate's sockets convert to and from std's here: never
    /// on the WASI 0.3 backend, whose sockets are WASI 0.3 resources while
    /// std's are wasi-libc descriptors over WASI 0.2. `from_std` (and
    /// `FromRawFd`) of a std socket closes it and gives a socket whose every
    /// call fails with this error.
    ///
    /// The raw-descriptor traits work within this crate: a socket's
    /// `AsRawFd` number is its own (never a wasi-libc descriptor), and
    /// `IntoRawFd` keeps the socket open until `FromRawFd` or `from_std`
    /// takes that number back, as tokio's `into_std`/`from_std` do. std's
    /// calls on such a number fail with `EBADF`.
    pub fn std_interop() -> std::io::Result<()> {
        Err(super::bindings::unsupported(
            "std interop (from_std of std's sockets, which are WASI 0.2 descriptors)",
        ))
    }
}
