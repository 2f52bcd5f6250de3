//! The `http` suite: examples/http (an axum server, hyper and reqwest
//! clients, on tokio over this crate) against real peers on loopback.
//!
//! - native: the server under the native load client (`http-load`: 2000
//!   sequential keep-alive requests, 1 in 5 a small POST; 20 connections x
//!   10 requests; a 1 MiB echo compared byte for byte), and the native
//!   client against the native server;
//! - wasmtime: the wasm32-wasip2 server under the native load client, and
//!   the wasm32-wasip2 client against the native server, built with each
//!   toolchain of `WASIP2_TOKIO_TOOLCHAINS` (default "1.95.0 1.99.1": their
//!   wasi-libc releases differ, and hyper-util's `HttpConnector` and
//!   reqwest work only with the newer one);
//! - jco: the same two under jco (Node.js), first toolchain's build;
//! - WasmEdge: the wasm32-wasip1 server (feature `wasmedge`) under the
//!   native load client, and the client against the native server; skipped
//!   with a reason when there is no WasmEdge.
//!
//! Every server's first line must name mio_wasi as the mio it runs on.
//! Everything is built in debug from examples/http (so its
//! .cargo/config.toml gives the wasm builds `--cfg tokio_unstable`, as a
//! user's project would), into the target directories the tokio suite's
//! wasip2 builds use.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cargo::{cargo, summary_counts};
use crate::harness::{Context, Ctx, Fallible, Report, Suite};
use crate::process::{cmd, Background};
use crate::suites::tokio::{wasip2_dir, wasip2_toolchains};

pub const HTTP: Suite = Suite {
    name: "http",
    about: "examples/http (axum, hyper, reqwest): servers natively, under wasmtime, jco and \
            WasmEdge under a native load client; the clients against a native server",
    run,
};

const START_TIMEOUT: Duration = Duration::from_secs(60);
const CLIENT_TIMEOUT: Duration = Duration::from_secs(600);

fn run(ctx: &Ctx, report: &mut Report) {
    report.part("build: native");
    if let Err(e) = build(ctx, None, &["--bins"]) {
        return report.fail("build: native", e);
    }
    let native = ctx.path("target/debug");
    let toolchains = wasip2_toolchains();

    report.section("http: native", |r| {
        server_under_load(r, "native", &native, &native.join("http-server"), &[]);
        client_against_native(r, "native", &native, &native.join("http-client"), &[]);
    });

    report.section("http: wasmtime", |r| {
        let wasmtime = match ctx.tools.wasmtime() {
            Ok(path) => path,
            Err(e) => return r.fail("install wasmtime", e),
        };
        for tc in &toolchains {
            let Some(p2) = build_p2(ctx, r, tc) else {
                continue;
            };
            let label = format!("wasmtime, Rust {tc}");
            let run = |wasm: &str| -> Vec<String> {
                vec![
                    "run".into(),
                    "-S".into(),
                    "inherit-network".into(),
                    p2.join(wasm).to_string_lossy().into_owned(),
                ]
            };
            server_under_load(r, &label, &native, &wasmtime, &run("http-server.wasm"));
            client_against_native(r, &label, &native, &wasmtime, &run("http-client.wasm"));
        }
    });

    report.section("http: jco", |r| {
        let jco = match ctx.tools.jco() {
            Ok(path) => path,
            Err(e) => return r.fail("install jco", e),
        };
        let Some(tc) = toolchains.first() else {
            return r.fail("jco", "no wasip2 toolchain");
        };
        let Some(p2) = build_p2(ctx, r, tc) else {
            return;
        };
        let label = format!("jco, Rust {tc}");
        let run = |wasm: &str| vec!["run".into(), p2.join(wasm).to_string_lossy().into_owned()];
        server_under_load(r, &label, &native, &jco, &run("http-server.wasm"));
        client_against_native(r, &label, &native, &jco, &run("http-client.wasm"));
    });

    match ctx.tools.wasmedge() {
        Ok(wasmedge) => report.section("http: wasmedge", |r| {
            wasmedge_part(ctx, r, &native, &wasmedge)
        }),
        Err(why) => report.skip("http: wasmedge", why),
    }
}

/// `cargo [+TC] build ARGS` in examples/http, whose .cargo/config.toml
/// gives the wasm targets their flags.
fn build(ctx: &Ctx, tc: Option<&str>, args: &[&str]) -> Fallible {
    cargo(tc, &["build"])
        .args(args)
        .dir(ctx.path("examples/http"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS")
        .env_remove("CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS")
        .go()
        .ok()
}

/// Builds the wasm32-wasip2 server and client with toolchain `tc`; the
/// directory they are in.
fn build_p2(ctx: &Ctx, report: &mut Report, tc: &str) -> Option<PathBuf> {
    let name = format!("build: wasm32-wasip2, Rust {tc}");
    report.part(&name);
    let dir = wasip2_dir(ctx, tc);
    let built = ctx.tools.toolchain(tc, &["wasm32-wasip2"]).and_then(|()| {
        build(
            ctx,
            Some(tc),
            &[
                "--target",
                "wasm32-wasip2",
                "--target-dir",
                &dir.to_string_lossy(),
                "--bin",
                "http-server",
                "--bin",
                "http-client",
            ],
        )
    });
    match built {
        Ok(()) => Some(dir.join("wasm32-wasip2/debug")),
        Err(e) => {
            report.fail(name, e);
            None
        }
    }
}

/// The WasmEdge part: the preview 1 server and client with the `wasmedge`
/// feature.
fn wasmedge_part(ctx: &Ctx, report: &mut Report, native: &Path, wasmedge: &Path) {
    let debug = ctx.path("target/wasm32-wasip1/debug");
    let built = ctx.tools.target(None, "wasm32-wasip1").and_then(|()| {
        build(
            ctx,
            None,
            &[
                "--target",
                "wasm32-wasip1",
                "--features",
                "wasmedge",
                "--bin",
                "http-server",
                "--bin",
                "http-client",
            ],
        )
    });
    // Kept aside, so that they are not mixed up with a plain preview 1
    // build.
    let copied = built.and_then(|()| {
        for bin in ["http-server", "http-client"] {
            std::fs::copy(
                debug.join(format!("{bin}.wasm")),
                debug.join(format!("{bin}-wasmedge.wasm")),
            )
            .context(format!("copying {bin}.wasm"))?;
        }
        Ok(())
    });
    if let Err(e) = copied {
        return report.fail("build: wasm32-wasip1 (wasmedge)", e);
    }
    let wasm = |bin: &str| vec![debug.join(bin).to_string_lossy().into_owned()];
    server_under_load(
        report,
        "WasmEdge",
        native,
        wasmedge,
        &wasm("http-server-wasmedge.wasm"),
    );
    client_against_native(
        report,
        "WasmEdge",
        native,
        wasmedge,
        &wasm("http-client-wasmedge.wasm"),
    );
}

/// Starts a server (`program args 127.0.0.1:0`) and waits for its
/// `listening on ADDR` line; its first line must say it runs on mio_wasi
/// (one check).
fn start_server(
    report: &mut Report,
    label: &str,
    program: &Path,
    args: &[String],
) -> Option<(Background, SocketAddr)> {
    let started = cmd(program)
        .args(args)
        .arg("127.0.0.1:0")
        .quiet()
        .spawn()
        .and_then(|mut server| {
            let addr = server.listening(START_TIMEOUT)?;
            Ok((server, addr))
        });
    let (server, addr) = match started {
        Ok(started) => started,
        Err(e) => {
            report.fail(format!("{label}: server starts"), e);
            return None;
        }
    };
    let output = server.output();
    let first = output.lines().next().unwrap_or_default();
    report.check(
        format!("{label}: server on {addr} runs on mio_wasi"),
        runs_on_mio_wasi(first),
    );
    Some((server, addr))
}

/// A server's first line: `mio: mio_wasi ...`.
fn runs_on_mio_wasi(first_line: &str) -> Fallible {
    if first_line.starts_with("mio: mio_wasi") {
        Ok(())
    } else {
        Err(format!("first line `{first_line}`"))
    }
}

/// Runs a client (`program args ADDR`) and adds its `N passed, N failed`.
fn run_client(report: &mut Report, program: &Path, args: &[String], addr: SocketAddr) {
    let out = cmd(program)
        .args(args)
        .arg(addr.to_string())
        .timeout(CLIENT_TIMEOUT)
        .go();
    report.add(summary_counts(&out));
}

/// Stops the server; it must still be running (a crash under load fails).
fn stop_server(report: &mut Report, label: &str, server: Background) {
    if let Err(e) = server.stop() {
        report.fail(format!("{label}: server still running at the end"), e);
    }
}

/// The server under the native load client.
fn server_under_load(
    report: &mut Report,
    label: &str,
    native: &Path,
    program: &Path,
    args: &[String],
) {
    report.part(format!("{label}: server under the native load client"));
    if let Some((server, addr)) = start_server(report, label, program, args) {
        run_client(report, &native.join("http-load"), &[], addr);
        stop_server(report, label, server);
    }
}

/// A client against the native server.
fn client_against_native(
    report: &mut Report,
    label: &str,
    native: &Path,
    program: &Path,
    args: &[String],
) {
    report.part(format!("{label}: client against the native server"));
    let server = native.join("http-server");
    let server_label = format!("{label}: native server");
    if let Some((server, addr)) = start_server(report, &server_label, &server, &[]) {
        run_client(report, program, args, addr);
        stop_server(report, label, server);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line() {
        assert!(runs_on_mio_wasi("mio: mio_wasi 1.2.0 (compat/mio)").is_ok());
        assert!(runs_on_mio_wasi("mio: upstream 1.2.5").is_err());
        assert!(runs_on_mio_wasi("listening on 127.0.0.1:1").is_err());
    }
}
