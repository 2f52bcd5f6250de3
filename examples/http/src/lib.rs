//! The HTTP example's shared parts: the axum app, a small hyper client and
//! the check of which `mio` the build got.
//!
//! Binaries:
//!
//! - `http-server [ADDR]`: the axum app (`GET /hello`, `POST /echo`), on
//!   `ADDR` (default `127.0.0.1:0`); prints `listening on ADDR`.
//! - `http-client ADDR`: requests against a server at `ADDR` through hyper's
//!   connection API, hyper-util's pooled `Client` and reqwest; prints one
//!   line per check and `N passed, N failed`.
//! - `http-load ADDR [--bench]`: the load a CI run puts on a server
//!   (sequential keep-alive requests, concurrent connections, a 1 MiB echo
//!   compared byte for byte), with request rates.
//!
//! Every one runs tokio's current-thread runtime: WASI has no threads, and
//! a multi-threaded runtime panics there when it starts its workers.

use std::io;
use std::net::SocketAddr;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::HOST;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;

/// Which `mio` tokio runs on in this build. Refers to a constant only
/// mio_wasi's `mio` re-export has: against upstream mio (a patch Cargo did
/// not apply) this crate does not compile.
#[cfg(not(feature = "upstream-mio"))]
pub const MIO: &str = mio::MIO_WASI;

/// The benchmark baseline's build (feature `upstream-mio`) runs on
/// upstream mio on purpose.
#[cfg(feature = "upstream-mio")]
pub const MIO: &str = "upstream mio (benchmark baseline)";

/// The body of `GET /hello`.
pub const HELLO: &str = "Hello, World!";

/// The largest body `POST /echo` takes.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// The server's routes: `GET /hello` and `POST /echo` (the request body,
/// returned as it came).
pub fn app() -> Router {
    Router::new()
        .route("/hello", get(|| async { HELLO }))
        .route("/echo", post(|body: Bytes| async move { body }))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// Parses `ADDR` as a socket address (no host names: tokio resolves them
/// on its blocking pool, and WASI has no threads for it).
pub fn parse_addr(arg: &str) -> Result<SocketAddr, String> {
    arg.parse()
        .map_err(|e| format!("not a socket address: {arg}: {e}"))
}

/// One HTTP/1.1 connection through hyper's connection API.
pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Conn {
    /// Connects to `addr` and starts the connection task on the current
    /// runtime.
    pub async fn open(addr: SocketAddr) -> io::Result<Conn> {
        let stream = mio_wasi_tokio::connect(addr).await?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(io::Error::other)?;
        tokio::spawn(async move {
            // Ends with the connection; errors surface in `send`.
            let _ = connection.await;
        });
        Ok(Conn {
            sender,
            host: addr.to_string(),
        })
    }

    /// Sends one request and collects the response body.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Bytes,
    ) -> Result<(StatusCode, Bytes), String> {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, &self.host)
            .body(Full::new(body))
            .map_err(|e| format!("request: {e}"))?;
        self.sender
            .ready()
            .await
            .map_err(|e| format!("connection: {e}"))?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| format!("send: {e}"))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        Ok((status, body))
    }

    /// `GET /hello`, checked.
    pub async fn hello(&mut self) -> Result<(), String> {
        let (status, body) = self.send(Method::GET, "/hello", Bytes::new()).await?;
        expect(status, &body, HELLO.as_bytes())
    }

    /// `POST /echo` of `data`, checked byte for byte.
    pub async fn echo(&mut self, data: Bytes) -> Result<(), String> {
        let (status, body) = self.send(Method::POST, "/echo", data.clone()).await?;
        expect(status, &body, &data)
    }
}

/// `Ok` for a 200 response with exactly `want` as its body.
pub fn expect(status: StatusCode, got: &[u8], want: &[u8]) -> Result<(), String> {
    if status != StatusCode::OK {
        return Err(format!("status {status}"));
    }
    if got != want {
        let at = got.iter().zip(want).position(|(a, b)| a != b);
        return Err(format!(
            "body differs: {} bytes, expected {} (first difference at {:?})",
            got.len(),
            want.len(),
            at.unwrap_or(got.len().min(want.len()))
        ));
    }
    Ok(())
}

/// `len` bytes of a fixed pseudo-random pattern (every byte value, no
/// period that lines up with buffer sizes).
pub fn pattern(len: usize) -> Bytes {
    let mut state: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

/// Counts checks and prints one line per check, then the total.
#[derive(Default)]
pub struct Report {
    passed: usize,
    failed: usize,
}

impl Report {
    /// Records one check.
    pub fn check(&mut self, name: &str, result: Result<(), String>) {
        match result {
            Ok(()) => {
                self.passed += 1;
                println!("ok   {name}");
            }
            Err(err) => {
                self.failed += 1;
                println!("FAIL {name}: {err}");
            }
        }
    }

    /// Prints `N passed, N failed`; `true` if nothing failed.
    pub fn finish(self) -> bool {
        println!("{} passed, {} failed", self.passed, self.failed);
        self.failed == 0
    }
}
