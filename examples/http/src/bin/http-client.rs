//! HTTP requests against a server (this example's `http-server`, or any
//! with the same routes), through three client stacks:
//!
//! - hyper's connection API over `tokio::net::TcpStream` (every target);
//! - hyper-util's pooled `Client` with its `HttpConnector`, and reqwest
//!   (not on WASI preview 1, where tokio has no `TcpSocket`).
//!
//! ```text
//! http-client ADDR
//! ```
//!
//! Prints one line per check and `N passed, N failed`; exits non-zero if a
//! check failed.

use std::net::SocketAddr;
use std::process::ExitCode;

use bytes::Bytes;
use http_example::{parse_addr, pattern, Conn, Report, MIO};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let addr = match std::env::args().nth(1).as_deref().map(parse_addr) {
        Some(Ok(addr)) => addr,
        Some(Err(err)) => {
            eprintln!("usage: http-client ADDR: {err}");
            return ExitCode::from(2);
        }
        None => {
            eprintln!("usage: http-client ADDR");
            return ExitCode::from(2);
        }
    };
    println!("mio: {MIO}");
    let mut report = Report::default();
    hyper_conn(addr, &mut report).await;
    #[cfg(not(all(target_os = "wasi", target_env = "p1")))]
    {
        pooled::hyper_util_client(addr, &mut report).await;
        pooled::reqwest_client(addr, &mut report).await;
    }
    if report.finish() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn hyper_conn(addr: SocketAddr, report: &mut Report) {
    let mut conn = match Conn::open(addr).await {
        Ok(conn) => conn,
        Err(err) => return report.check("hyper conn: connect", Err(err.to_string())),
    };
    report.check("hyper conn: GET /hello", conn.hello().await);
    report.check(
        "hyper conn: POST /echo",
        conn.echo(Bytes::from_static(b"ping")).await,
    );
    let mut keep_alive = Ok(());
    for i in 0..100 {
        keep_alive = if i % 5 == 4 {
            conn.echo(Bytes::from(format!("request {i}"))).await
        } else {
            conn.hello().await
        }
        .map_err(|e| format!("request {i}: {e}"));
        if keep_alive.is_err() {
            break;
        }
    }
    report.check("hyper conn: 100 requests on one connection", keep_alive);
    report.check(
        "hyper conn: 1 MiB echo, byte for byte",
        conn.echo(pattern(1 << 20)).await,
    );
}

#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
mod pooled {
    use std::net::SocketAddr;

    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use http_example::{expect, pattern, Report, HELLO};
    use hyper::{Method, Request};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;

    /// Records `result`, except for the one failure known to come from the
    /// toolchain rather than from this crate: socket2 (under hyper-util's
    /// `HttpConnector`) sets a new socket non-blocking with `fcntl`, which
    /// fails with error 28 in the wasi-libc of Rust 1.95 and older
    /// (`ConnectError("tcp set_nonblocking error", ..)`). That is printed as
    /// a SKIP line with the error.
    fn check_connector(report: &mut Report, name: &str, result: Result<(), String>) {
        match result {
            Err(err) if cfg!(target_os = "wasi") && err.contains("tcp set_nonblocking error") => {
                println!(
                    "SKIP {name}: this toolchain's wasi-libc refuses socket2's \
                     fcntl(F_SETFL, O_NONBLOCK) ({err})"
                );
            }
            result => report.check(name, result),
        }
    }

    pub async fn hyper_util_client(addr: SocketAddr, report: &mut Report) {
        let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
        let result = async {
            for (method, path, body) in [
                (Method::GET, "/hello", Bytes::from_static(HELLO.as_bytes())),
                (Method::POST, "/echo", pattern(64 * 1024)),
            ] {
                let sent = if method == Method::GET {
                    Bytes::new()
                } else {
                    body.clone()
                };
                let request = Request::builder()
                    .method(method)
                    .uri(format!("http://{addr}{path}"))
                    .body(Full::new(sent))
                    .map_err(|e| e.to_string())?;
                let response = client
                    .request(request)
                    .await
                    .map_err(|e| format!("{e:?}"))?;
                let status = response.status();
                let got = response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| e.to_string())?
                    .to_bytes();
                expect(status, &got, &body).map_err(|e| format!("{path}: {e}"))?;
            }
            Ok(())
        }
        .await;
        check_connector(
            report,
            "hyper-util Client (HttpConnector): GET /hello, POST /echo 64 KiB",
            result,
        );
    }

    pub async fn reqwest_client(addr: SocketAddr, report: &mut Report) {
        let result = async {
            let client = reqwest::Client::builder()
                .no_proxy()
                .build()
                .map_err(|e| format!("{e:?}"))?;
            let response = client
                .get(format!("http://{addr}/hello"))
                .send()
                .await
                .map_err(|e| format!("{e:?}"))?;
            let status = response.status();
            let got = response.bytes().await.map_err(|e| format!("{e:?}"))?;
            expect(status, &got, HELLO.as_bytes()).map_err(|e| format!("/hello: {e}"))?;
            let body = pattern(64 * 1024);
            let response = client
                .post(format!("http://{addr}/echo"))
                .body(body.clone())
                .send()
                .await
                .map_err(|e| format!("{e:?}"))?;
            let status = response.status();
            let got = response.bytes().await.map_err(|e| format!("{e:?}"))?;
            expect(status, &got, &body).map_err(|e| format!("/echo: {e}"))
        }
        .await;
        check_connector(report, "reqwest: GET /hello, POST /echo 64 KiB", result);
    }
}
