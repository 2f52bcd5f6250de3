//! The WASI backends: `p1` (wasm32-wasip1), `p2` (wasm32-wasip2, WASI 0.2)
//! and `p3` (wasm32-wasip2 with `--cfg mio_wasip3`, WASI 0.3). Exactly one
//! is compiled, re-exported as `backend`.

#[cfg(mio_backend = "wasi_p1")]
pub(crate) mod p1;
#[cfg(mio_backend = "wasi_p1")]
pub(crate) use self::p1 as backend;

#[cfg(mio_backend = "wasi_p2")]
pub(crate) mod p2;
#[cfg(mio_backend = "wasi_p2")]
pub(crate) use self::p2 as backend;

#[cfg(mio_backend = "wasi_p3")]
pub(crate) mod p3;

#[cfg(any(mio_backend = "wasi_p1", mio_backend = "wasi_p2"))]
mod flag_waker;
#[cfg(any(mio_backend = "wasi_p2", mio_backend = "wasi_p3"))]
mod io_source;
#[cfg(all(any(mio_backend = "wasi_p2", mio_backend = "wasi_p3"), feature = "net"))]
pub(crate) mod name_resolver;
#[cfg(any(mio_backend = "wasi_p2", mio_backend = "wasi_p3"))]
mod shared;
#[cfg(mio_backend = "wasi_p3")]
pub(crate) use self::p3 as backend;
