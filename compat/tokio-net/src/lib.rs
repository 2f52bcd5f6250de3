//! `bind` and `connect` for tokio's TCP types that work on every target
//! mio_wasi supports, WASI preview 1 under WasmEdge included.
//!
//! On native targets and on `wasm32-wasip2` these are tokio's own
//! `TcpListener::bind` and `TcpStream::connect`. On `wasm32-wasip1` tokio
//! compiles both out (preview 1 has no standard way to create a socket);
//! with this crate's `wasmedge` feature the socket is created by mio_wasi
//! through WasmEdge's socket extension and handed to tokio with
//! `from_std`. Without the feature they return `Unsupported` there: take a
//! listener the runtime pre-opened instead (`std::net::TcpListener::
//! from_raw_fd`, then `tokio::net::TcpListener::from_std`).
//!
//! Host names need a lookup, which tokio runs on its blocking thread pool
//! and WASI has no threads for, so both functions take a `SocketAddr`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let listener = mio_wasi_tokio::bind("127.0.0.1:8080".parse().unwrap()).await?;
//! let stream = mio_wasi_tokio::connect(listener.local_addr()?).await?;
//! # drop(stream);
//! # Ok(())
//! # }
//! ```

use std::io;
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};

/// A listening socket bound to `addr`, registered with the current tokio
/// runtime.
///
/// # Errors
///
/// The OS's or host's error for creating, binding or listening;
/// `Unsupported` on WASI preview 1 without the `wasmedge` feature.
pub async fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    #[cfg(all(target_os = "wasi", target_env = "p1"))]
    {
        TcpListener::from_std(p1::bind(addr)?)
    }
    #[cfg(not(all(target_os = "wasi", target_env = "p1")))]
    {
        TcpListener::bind(addr).await
    }
}

/// A connected stream to `addr`, registered with the current tokio runtime.
///
/// # Errors
///
/// The error of the connect (for example `ConnectionRefused`);
/// `Unsupported` on WASI preview 1 without the `wasmedge` feature.
pub async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    #[cfg(all(target_os = "wasi", target_env = "p1"))]
    {
        p1::finish_connect(TcpStream::from_std(p1::connect(addr)?)?, addr).await
    }
    #[cfg(not(all(target_os = "wasi", target_env = "p1")))]
    {
        TcpStream::connect(addr).await
    }
}

#[cfg(all(target_os = "wasi", target_env = "p1"))]
mod p1 {
    use std::io::{self, ErrorKind};
    use std::net::SocketAddr;

    use tokio::io::Interest;
    use tokio::net::TcpStream;

    #[cfg(feature = "wasmedge")]
    pub(crate) fn bind(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
        Ok(mio::net::TcpListener::bind(addr)?.into())
    }

    #[cfg(feature = "wasmedge")]
    pub(crate) fn connect(addr: SocketAddr) -> io::Result<std::net::TcpStream> {
        Ok(mio::net::TcpStream::connect(addr)?.into())
    }

    #[cfg(not(feature = "wasmedge"))]
    pub(crate) fn bind(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
        Err(unsupported("bind", addr))
    }

    #[cfg(not(feature = "wasmedge"))]
    pub(crate) fn connect(addr: SocketAddr) -> io::Result<std::net::TcpStream> {
        Err(unsupported("connect to", addr))
    }

    #[cfg(not(feature = "wasmedge"))]
    fn unsupported(what: &str, addr: SocketAddr) -> io::Error {
        io::Error::new(
            ErrorKind::Unsupported,
            format!(
                "WASI preview 1 cannot {what} {addr}: build with the `wasmedge` feature \
                 and run on WasmEdge, or use a socket the runtime pre-opened"
            ),
        )
    }

    /// Waits for a non-blocking connect started by mio to finish: the
    /// socket becomes writable, then `take_error` says whether it failed.
    /// Writable without an error and without a peer is a spurious wake-up
    /// (the connect is still in progress): the readiness is cleared and the
    /// wait starts again, unless the host reported the connection closed,
    /// which means the connect failed without leaving an error behind.
    pub(crate) async fn finish_connect(
        stream: TcpStream,
        addr: SocketAddr,
    ) -> io::Result<TcpStream> {
        loop {
            let ready = stream.ready(Interest::WRITABLE).await?;
            if let Some(err) = stream.take_error()? {
                return Err(err);
            }
            match stream.peer_addr() {
                Ok(_) => return Ok(stream),
                Err(err) if err.kind() == ErrorKind::NotConnected => {
                    if ready.is_write_closed() || ready.is_read_closed() {
                        return Err(io::Error::new(
                            ErrorKind::ConnectionRefused,
                            format!("connect to {addr} failed"),
                        ));
                    }
                    // Forget the readiness that woke us; wait for the next.
                    let _ = stream.try_io(Interest::WRITABLE, || {
                        Err::<(), _>(ErrorKind::WouldBlock.into())
                    });
                }
                Err(err) => return Err(err),
            }
        }
    }
}
