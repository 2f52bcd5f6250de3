//! `mio` 1.x API, provided by [`mio_wasi`].
//!
//! This crate has the package name `mio` so that a workspace can replace
//! upstream mio everywhere in its dependency graph (tokio included) with
//!
//! ```toml
//! [patch.crates-io]
//! mio = { git = "<repository url>" }
//! ```
//!
//! Everything public in `mio_wasi` is re-exported unchanged: `mio::Poll`,
//! `mio::event`, `mio::net`, `mio::unix`, ... are the very same items, so
//! types from this crate and from `mio_wasi` can be mixed freely.

#![no_std]
#![deny(missing_docs)]

#[doc(inline)]
pub use mio_wasi::*;
