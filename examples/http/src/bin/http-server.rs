//! The axum app of this example on a TCP listener.
//!
//! ```text
//! http-server [ADDR]     (default 127.0.0.1:0; prints `listening on ADDR`)
//! ```
//!
//! Natively and on wasm32-wasip2 (`wasmtime run -S inherit-network ...`)
//! the listener is tokio's own; on wasm32-wasip1 built with the `wasmedge`
//! feature it is made by mio_wasi through WasmEdge's socket extension and
//! handed to tokio (`mio_wasi_tokio::bind`).

use std::process::ExitCode;

use http_example::{app, parse_addr, MIO};

// A current-thread runtime: the multi-threaded one panics on WASI ("OS
// can't spawn worker thread").
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let arg = std::env::args().nth(1);
    let addr = match parse_addr(arg.as_deref().unwrap_or("127.0.0.1:0")) {
        Ok(addr) => addr,
        Err(err) => {
            eprintln!("usage: http-server [ADDR]: {err}");
            return ExitCode::from(2);
        }
    };
    println!("mio: {MIO}");
    let listener = match mio_wasi_tokio::bind(addr).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("bind {addr}: {err}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(addr) => println!("listening on {addr}"),
        Err(err) => {
            eprintln!("local_addr: {err}");
            return ExitCode::FAILURE;
        }
    }
    if let Err(err) = axum::serve(listener, app()).await {
        eprintln!("serve: {err}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
