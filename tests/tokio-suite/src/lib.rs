//! Helpers shared by the tokio test files.
//!
//! Each file under `tests/` is its own test binary: on WASI a failing test
//! aborts its whole binary, so keeping the areas apart keeps one failure
//! from hiding the results of the others.

use std::io::Write;
use std::net::SocketAddr;

/// Loopback with a port picked by the OS.
pub fn any_local() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// `len` bytes of a pattern that does not repeat with any short period, so
/// that lost, duplicated or reordered chunks change the bytes.
pub fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            // xorshift32
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

/// Reports a test that cannot run on this target. Written straight to the
/// stderr handle so the line shows even when the test harness captures
/// output.
pub fn skip(name: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "SKIP {name}: {why}");
}

/// The value of a socket operation that a WASI host may not offer at all.
///
/// On WASI, an operation the host has no equivalent for fails with
/// `ErrorKind::Unsupported`; that is reported as a skip and gives `None`.
/// Any other error, and `Unsupported` on other targets, fails the test.
pub fn supported<T>(name: &str, result: std::io::Result<T>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(e) if cfg!(target_os = "wasi") && e.kind() == std::io::ErrorKind::Unsupported => {
            skip(name, &format!("not supported by this host ({e})"));
            None
        }
        Err(e) => panic!("{name}: {e}"),
    }
}

/// `tokio::net::TcpListener::bind`, also on WASI preview 1 under WasmEdge
/// (see the `mio-wasi-tokio` crate in compat/tokio-net).
pub use mio_wasi_tokio::bind as tcp_bind;
/// `tokio::net::TcpStream::connect`, also on WASI preview 1 under WasmEdge.
pub use mio_wasi_tokio::connect as tcp_connect;
