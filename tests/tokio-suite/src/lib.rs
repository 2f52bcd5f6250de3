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

/// `tokio::net::TcpListener::bind`, also on WASI preview 1 under WasmEdge.
///
/// tokio compiles its `bind` out on preview 1, which has no way to create
/// sockets. With the `wasmedge` feature the listener is created by mio
/// (WasmEdge's socket extension), converted to a std listener and handed to
/// tokio: `TcpListener::from_std(mio::net::TcpListener::bind(addr)?.into())`.
/// Everywhere else this is tokio's own `bind`.
pub async fn tcp_bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    #[cfg(all(target_os = "wasi", target_env = "p1"))]
    {
        tokio::net::TcpListener::from_std(p1_bind(addr)?)
    }
    #[cfg(not(all(target_os = "wasi", target_env = "p1")))]
    {
        tokio::net::TcpListener::bind(addr).await
    }
}

/// `tokio::net::TcpStream::connect`, also on WASI preview 1 under WasmEdge.
///
/// On preview 1 mio starts a non-blocking connect, tokio takes the socket
/// over with `from_std`, and the connect has finished once the socket is
/// writable: then `take_error` tells whether it failed. A socket that is
/// writable without error but has no peer yet is still connecting (a
/// spurious wake-up): its readiness is cleared and the wait starts again,
/// unless the host already reported the connection closed, which means the
/// connect failed without leaving an error behind.
pub async fn tcp_connect(addr: SocketAddr) -> std::io::Result<tokio::net::TcpStream> {
    #[cfg(all(target_os = "wasi", target_env = "p1"))]
    {
        use std::io::ErrorKind;
        let stream = tokio::net::TcpStream::from_std(p1_connect(addr)?)?;
        loop {
            let ready = stream.ready(tokio::io::Interest::WRITABLE).await?;
            if let Some(e) = stream.take_error()? {
                return Err(e);
            }
            match stream.peer_addr() {
                Ok(_) => return Ok(stream),
                Err(e) if e.kind() == ErrorKind::NotConnected => {
                    if ready.is_write_closed() || ready.is_read_closed() {
                        return Err(std::io::Error::new(
                            ErrorKind::ConnectionRefused,
                            format!("connect to {addr} failed"),
                        ));
                    }
                    // Forget the readiness that woke us; wait for the next.
                    let _ = stream.try_io(tokio::io::Interest::WRITABLE, || {
                        Err::<(), _>(ErrorKind::WouldBlock.into())
                    });
                }
                Err(e) => return Err(e),
            }
        }
    }
    #[cfg(not(all(target_os = "wasi", target_env = "p1")))]
    {
        tokio::net::TcpStream::connect(addr).await
    }
}

#[cfg(all(target_os = "wasi", target_env = "p1", feature = "wasmedge"))]
fn p1_bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    Ok(mio::net::TcpListener::bind(addr)?.into())
}

#[cfg(all(target_os = "wasi", target_env = "p1", feature = "wasmedge"))]
fn p1_connect(addr: SocketAddr) -> std::io::Result<std::net::TcpStream> {
    Ok(mio::net::TcpStream::connect(addr)?.into())
}

#[cfg(all(target_os = "wasi", target_env = "p1", not(feature = "wasmedge")))]
fn p1_bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        format!(
            "WASI preview 1 cannot bind {addr} (build with the `wasmedge` feature for WasmEdge)"
        ),
    ))
}

#[cfg(all(target_os = "wasi", target_env = "p1", not(feature = "wasmedge")))]
fn p1_connect(addr: SocketAddr) -> std::io::Result<std::net::TcpStream> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        format!("WASI preview 1 cannot connect to {addr} (build with the `wasmedge` feature for WasmEdge)"),
    ))
}
