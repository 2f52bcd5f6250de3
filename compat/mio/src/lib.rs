//! `mio` 1.x API, provided by [`mio_wasi`].
//!
//! This crate has the package name `mio` so that a project can replace
//! upstream mio everywhere in its dependency graph, tokio included:
//!
//! ```toml
//! [patch.crates-io]
//! # a checkout of mio_wasi next to the project:
//! mio = { path = "../mio_wasi/compat/mio" }
//! # or from git (Cargo finds this package in the repository by its name):
//! # mio = { git = "https://github.com/mio-wasi/mio_wasi", branch = "main" }
//! ```
//!
//! Cargo applies a patch to every requirement its version satisfies; this
//! crate's version (1.2.99) satisfies any `mio = "1.x"` up to 1.2, which is
//! what tokio 1.x asks for. A patch whose package is `mio_wasi` itself would
//! not be used: Cargo matches patches by package name. In a project that
//! already has a `Cargo.lock`, run `cargo update -p mio` after adding the
//! patch: Cargo otherwise keeps the locked upstream mio and only warns that
//! the patch was not used ([`MIO_WASI`] turns that into a build error).
//!
//! Everything public in `mio_wasi` is re-exported unchanged: `mio::Poll`,
//! `mio::event`, `mio::net`, `mio::unix`, `mio::windows`, ... are the very
//! same items, so types from this crate and from `mio_wasi` mix freely.
//!
//! # tokio on WASI
//!
//! tokio offers `tokio::net` on WASI only when built with
//! `RUSTFLAGS="--cfg tokio_unstable"`, and only the single-threaded runtime
//! (`features = ["net", "rt", "macros", "io-util", "time"]`, no
//! `rt-multi-thread`). On WASI 0.2 (`wasm32-wasip2`) `TcpListener::bind`,
//! `TcpStream::connect` and `UdpSocket` work as natively. On preview 1
//! (`wasm32-wasip1`) tokio compiles socket creation out: take a listener the
//! runtime pre-opened (or one made with `mio_wasi`'s `wasmedge` feature),
//! turn it into a `std::net::TcpListener` (`FromRawFd`), set it
//! non-blocking, and pass it to `tokio::net::TcpListener::from_std`.

#![no_std]
#![deny(missing_docs)]

#[doc(inline)]
pub use mio_wasi::*;

/// Names what this `mio` is. Only mio_wasi's re-export has it, so a program
/// (or a test) that refers to `mio::MIO_WASI` does not build against
/// upstream mio: the mistake of a `[patch.crates-io]` that Cargo did not
/// apply (it keeps the `mio` an existing `Cargo.lock` names, with only a
/// warning, until `cargo update -p mio`) shows at build time, not as a
/// failing `accept` at run time. `cargo tree -i mio` shows the same thing:
/// the patched `mio` is version 1.2.99, built from a `compat/mio` folder.
pub const MIO_WASI: &str = concat!("mio_wasi (mio ", env!("CARGO_PKG_VERSION"), ", compat/mio)");
