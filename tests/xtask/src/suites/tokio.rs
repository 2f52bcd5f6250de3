//! tokio on mio_wasi: the tokio test suite (tests/tokio-suite) and the
//! tokio-echo example, natively on epoll and on the poll(2) selector; the
//! example on wasm32-wasip1 (wasmtime 46 in its legacy preview-1 mode, with
//! a pre-opened listener handed to tokio through `from_std`); suite and
//! example on wasm32-wasip1 under WasmEdge (feature `wasmedge`: sockets
//! made by mio and handed to tokio), skipped when there is no WasmEdge;
//! suite and example on wasm32-wasip2 under wasmtime 49 with each toolchain
//! of `WASIP2_TOKIO_TOOLCHAINS` (default "1.95.0 1.99.1", whose wasi-libc
//! releases differ); and tests/tokio-app, a project of its own that takes
//! the newest tokio 1.x and patches its `mio` with compat/mio as a user
//! would, under wasmtime and jco with the same toolchains.
//!
//! Environment:
//! - `TOKIO_WASIP2=require` (default): a failed wasip2 build fails;
//!   `auto`: it is a skip; `off`: no wasip2 part.
//! - `TOKIO_WASIP1=off`: no wasip1 part (wasmtime 46 and WasmEdge).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::cargo::{cargo, libtest_counts, summary_counts};
use crate::harness::{Context, Ctx, Fallible, Report, Suite};
use crate::peer::EchoPeer;
use crate::process::cmd;
use crate::suites::tokio_echo::{self, EchoCommand};

pub const TOKIO: Suite = Suite {
    name: "tokio",
    about: "tokio on this crate: tests/tokio-suite and tokio-echo natively (both selectors), \
            on wasip1 (wasmtime 46, WasmEdge) and wasip2 (Rust 1.95.0, 1.99.1); tests/tokio-app \
            under wasmtime and jco",
    run,
};

/// A hang fails the step instead of stalling CI.
const TEST_TIMEOUT: Duration = Duration::from_secs(900);
/// tokio offers `tokio::net` on WASI only with this cfg.
const TOKIO_UNSTABLE: &str = "--cfg tokio_unstable";
const P1_RUSTFLAGS: &str = "CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS";
const P2_RUSTFLAGS: &str = "CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS";

/// The wasm32-wasip2 toolchains: `WASIP2_TOKIO_TOOLCHAINS` or the two
/// whose wasi-libc releases differ.
pub fn wasip2_toolchains() -> Vec<String> {
    let list = std::env::var("WASIP2_TOKIO_TOOLCHAINS").unwrap_or_default();
    let list: Vec<String> = list.split_whitespace().map(String::from).collect();
    if list.is_empty() {
        vec!["1.95.0".into(), "1.99.1".into()]
    } else {
        list
    }
}

/// The target directory of toolchain `tc` for the workspace's wasip2
/// builds: the first toolchain shares `target/` (the http suite reuses
/// these builds).
pub fn wasip2_dir(ctx: &Ctx, tc: &str) -> PathBuf {
    if wasip2_toolchains().first().map(String::as_str) == Some(tc) {
        ctx.path("target")
    } else {
        ctx.path(&format!("target/wasip2-{tc}"))
    }
}

fn run(ctx: &Ctx, report: &mut Report) {
    report.section("mio resolution", resolution);
    report.section("compat/mio re-exports", |r| {
        // By manifest path: `-p mio` is ambiguous with upstream mio in the
        // graph too.
        let out = cargo(
            None,
            &[
                "test",
                "--manifest-path",
                "compat/mio/Cargo.toml",
                "--all-features",
            ],
        )
        .env_remove("RUSTFLAGS")
        .timeout(TEST_TIMEOUT)
        .go();
        r.add(libtest_counts(&out));
    });
    report.section("tokio suite, native (epoll)", |r| {
        tokio_suite(r, None, &[], &[]);
    });
    report.section("tokio suite, native (poll)", |r| {
        // The target directory the core_poll suite uses with this flag, so
        // the crate is not built twice.
        tokio_suite(
            r,
            None,
            &["--target-dir", "target/force-poll"],
            &[("RUSTFLAGS", "--cfg mio_unsupported_force_poll_poll")],
        );
    });
    report.section("tokio-echo, native", |r| native_echo(ctx, r));

    if std::env::var("TOKIO_WASIP1").as_deref() != Ok("off") {
        report.section(
            "tokio-echo, wasm32-wasip1 (wasmtime 46, pre-opened listener)",
            |r| wasip1_echo(ctx, r),
        );
        match ctx.tools.wasmedge() {
            Ok(wasmedge) => {
                report.section("tokio suite, wasm32-wasip1 (WasmEdge)", |r| {
                    wasmedge_suite(ctx, r, &wasmedge)
                });
                report.section("tokio-echo, wasm32-wasip1 (WasmEdge, --tcp)", |r| {
                    wasmedge_echo(ctx, r, &wasmedge)
                });
            }
            Err(why) => {
                report.skip("tokio suite, wasm32-wasip1 (WasmEdge)", why);
                report.skip("tokio-echo, wasm32-wasip1 (WasmEdge, --tcp)", why);
            }
        }
    }

    let mode = std::env::var("TOKIO_WASIP2").unwrap_or_else(|_| "require".into());
    if mode != "off" {
        for tc in wasip2_toolchains() {
            report.section(format!("tokio wasip2 (Rust {tc})"), |r| {
                wasip2(ctx, r, &tc, mode == "auto", Wasi::P2)
            });
        }
        // The WASI 0.3 backend, under wasmtime 49 (which runs WASI 0.3),
        // with the first toolchain.
        if let Some(tc) = wasip2_toolchains().first() {
            report.section(format!("tokio wasip3 (Rust {tc})"), |r| {
                wasip2(ctx, r, tc, mode == "auto", Wasi::P3)
            });
        }
        report.section("tokio app, wasm32-wasip2 (wasmtime, jco)", |r| {
            tokio_app(ctx, r)
        });
    }
}

// ------------------------------------------------------------ mio resolution

/// tokio must get compat/mio (and so mio_wasi) for its `mio` dependency; an
/// upstream mio from crates.io may only be there as an exactly pinned,
/// renamed dependency (benchmark comparisons), never for tokio.
fn resolution(report: &mut Report) {
    let out = cargo(None, &["metadata", "--format-version", "1"])
        .quiet()
        .timeout(Duration::from_secs(600))
        .go();
    let meta = out.ok().and_then(|()| {
        let json = out
            .text
            .lines()
            .find(|l| l.starts_with('{'))
            .ok_or("no JSON in `cargo metadata`'s output")?;
        serde_json::from_str::<Value>(json).context("cargo metadata")
    });
    match meta.and_then(|m| resolution_checks(&m)) {
        Ok(checks) => {
            for (name, result) in checks {
                report.check(name, result);
            }
        }
        Err(e) => report.fail("cargo metadata", format!("{e}\n{}", out.tail(20))),
    }
}

/// The checks on `cargo metadata`'s resolution, each with its name.
fn resolution_checks(meta: &Value) -> Fallible<Vec<(String, Fallible)>> {
    let packages = meta["packages"]
        .as_array()
        .ok_or("metadata without packages")?;
    let package = |id: &Value| packages.iter().find(|p| p["id"] == *id);
    let nodes = meta["resolve"]["nodes"]
        .as_array()
        .ok_or("metadata without a resolve graph")?;
    let mut tokio_mio = Vec::new();
    let mut others = Vec::new();
    for node in nodes {
        let user = package(&node["id"]).ok_or("a node without its package")?;
        for dep in node["deps"].as_array().into_iter().flatten() {
            let target = package(&dep["pkg"]).ok_or("a dependency without its package")?;
            if target["name"] != "mio" {
                continue;
            }
            if user["name"] == "tokio" {
                tokio_mio.push(target);
            } else {
                let extern_name = dep["name"].as_str().unwrap_or_default();
                others.push((user["name"].as_str().unwrap_or("?"), extern_name, target));
            }
        }
    }
    let mut checks = vec![(
        "tokio depends on mio".to_string(),
        if tokio_mio.len() == 1 {
            Ok(())
        } else {
            Err(format!("{} times", tokio_mio.len()))
        },
    )];
    for target in tokio_mio {
        let manifest = target["manifest_path"]
            .as_str()
            .unwrap_or_default()
            .replace('\\', "/");
        let ok = target["source"].is_null() && manifest.ends_with("compat/mio/Cargo.toml");
        checks.push((
            "tokio uses the compat/mio re-export of mio_wasi".into(),
            if ok {
                Ok(())
            } else {
                Err(format!("it uses {}", target["id"]))
            },
        ));
    }
    for (user, extern_name, target) in others {
        if !target["source"].is_null() {
            checks.push((
                format!("{user}: upstream mio only under a renamed dependency"),
                if extern_name != "mio" {
                    Ok(())
                } else {
                    Err(format!("extern {extern_name}"))
                },
            ));
        }
    }
    Ok(checks)
}

// ------------------------------------------------------------- tokio-suite

/// `cargo test -p tokio-suite` with `args` and `envs`, next to a native echo
/// server whose address the suite's client test (tests/native_peer.rs)
/// reads from `TOKIO_SUITE_PEER`.
fn tokio_suite(report: &mut Report, tc: Option<&str>, args: &[&str], envs: &[(&str, &str)]) {
    let peer = match EchoPeer::start() {
        Ok(peer) => peer,
        Err(e) => return report.fail("native echo peer", e),
    };
    let mut run = cargo(tc, &["test", "-p", "tokio-suite", "--no-fail-fast"])
        .args(args)
        .env_remove("RUSTFLAGS")
        .env("TOKIO_SUITE_PEER", peer.addr.to_string())
        .timeout(TEST_TIMEOUT);
    for (k, v) in envs {
        run = run.env(k, v);
    }
    report.add(libtest_counts(&run.go()));
}

// ------------------------------------------------------------- tokio-echo

fn native_echo(ctx: &Ctx, report: &mut Report) {
    let built = cargo(None, &["build", "-p", "tokio-echo"])
        .env_remove("RUSTFLAGS")
        .go()
        .ok();
    if let Err(e) = built {
        return report.fail("build tokio-echo", e);
    }
    let program = ctx.path("target/debug/tokio-echo");
    let command = EchoCommand {
        program: &program,
        args: vec![],
        native: true,
    };
    tokio_echo::check(report, "tokio-echo native", &command);
}

fn wasip1_echo(ctx: &Ctx, report: &mut Report) {
    let built = ctx.tools.target(None, "wasm32-wasip1").and_then(|()| {
        cargo(
            None,
            &["build", "-p", "tokio-echo", "--target", "wasm32-wasip1"],
        )
        .env_remove("RUSTFLAGS")
        .env(P1_RUSTFLAGS, TOKIO_UNSTABLE)
        .go()
        .ok()
    });
    if let Err(e) = built {
        return report.fail("build tokio-echo for wasm32-wasip1", e);
    }
    let wasmtime = match ctx.tools.wasmtime_p1() {
        Ok(path) => path,
        Err(e) => return report.fail("install wasmtime 46", e),
    };
    // Descriptor 3 is the pre-opened listener.
    let wasm = ctx.path("target/wasm32-wasip1/debug/tokio-echo.wasm");
    let command = EchoCommand {
        program: &wasmtime,
        args: strings(&[
            "run",
            "-S",
            "preview2=n",
            "-S",
            "tcplisten=127.0.0.1:{PORT}",
            &wasm.to_string_lossy(),
            "--tcp-fd",
            "3",
        ]),
        native: false,
    };
    tokio_echo::check(report, "tokio-echo wasip1 wasmtime 46", &command);
}

/// The suite on WasmEdge: every test binary runs next to a native echo
/// server (`cargo xtask runner peer` as the cargo runner), whose address
/// reaches the guest's client test as `TOKIO_SUITE_PEER`.
fn wasmedge_suite(ctx: &Ctx, report: &mut Report, wasmedge: &Path) {
    if let Err(e) = ctx.tools.target(None, "wasm32-wasip1") {
        return report.fail("add wasm32-wasip1", e);
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return report.fail("the driver's own path", e),
    };
    let runner = format!(
        "{} runner peer {} --env TOKIO_SUITE_PEER={{ADDR}}",
        exe.display(),
        wasmedge.display()
    );
    let out = cargo(
        None,
        &[
            "test",
            "-p",
            "tokio-suite",
            "--target",
            "wasm32-wasip1",
            "--features",
            "wasmedge",
            "--no-fail-fast",
            "--",
            "--nocapture",
        ],
    )
    .env_remove("RUSTFLAGS")
    .env(P1_RUSTFLAGS, TOKIO_UNSTABLE)
    .env("CARGO_TARGET_WASM32_WASIP1_RUNNER", runner)
    .timeout(TEST_TIMEOUT)
    .go();
    report.add(libtest_counts(&out));
}

/// The example with feature `wasmedge`: `--tcp ADDR` binds through mio, on
/// IPv4 and IPv6 loopback.
fn wasmedge_echo(ctx: &Ctx, report: &mut Report, wasmedge: &Path) {
    let built = ctx.tools.target(None, "wasm32-wasip1").and_then(|()| {
        cargo(
            None,
            &[
                "build",
                "-p",
                "tokio-echo",
                "--target",
                "wasm32-wasip1",
                "--features",
                "wasmedge",
            ],
        )
        .env_remove("RUSTFLAGS")
        .env(P1_RUSTFLAGS, TOKIO_UNSTABLE)
        .go()
        .ok()
    });
    // Copied aside, so that it cannot be mixed up with the plain preview 1
    // build.
    let wasm = ctx.path("target/wasm32-wasip1/debug/tokio-echo-wasmedge.wasm");
    let copied = built.and_then(|()| {
        std::fs::copy(
            ctx.path("target/wasm32-wasip1/debug/tokio-echo.wasm"),
            &wasm,
        )
        .map(|_| ())
        .context("copying tokio-echo.wasm")
    });
    if let Err(e) = copied {
        return report.fail("build tokio-echo for WasmEdge", e);
    }
    for (family, addr) in [("IPv4", "127.0.0.1:{PORT}"), ("IPv6", "[::1]:{PORT}")] {
        let command = EchoCommand {
            program: wasmedge,
            args: strings(&[&wasm.to_string_lossy(), "--tcp", addr]),
            native: false,
        };
        tokio_echo::check(report, &format!("tokio-echo WasmEdge {family}"), &command);
    }
}

// ------------------------------------------------------------------ wasip2

/// The suite and the example on wasm32-wasip2 with toolchain `tc`. When
/// `may_skip`, a failed build is a skip.
/// Which backend a wasm32-wasip2 build uses: WASI 0.2, or WASI 0.3
/// (`--cfg mio_wasip3`, its own target directory: the cfg changes every
/// artifact).
#[derive(Clone, Copy, PartialEq)]
enum Wasi {
    P2,
    P3,
}

impl Wasi {
    fn label(self) -> &'static str {
        match self {
            Wasi::P2 => "wasm32-wasip2",
            Wasi::P3 => "WASI 0.3 (--cfg mio_wasip3)",
        }
    }

    fn rustflags(self) -> &'static str {
        match self {
            Wasi::P2 => TOKIO_UNSTABLE,
            Wasi::P3 => "--cfg mio_wasip3 --cfg tokio_unstable",
        }
    }

    fn dir(self, ctx: &Ctx, tc: &str) -> PathBuf {
        match self {
            Wasi::P2 => wasip2_dir(ctx, tc),
            Wasi::P3 => ctx.path("target/wasip3-tokio"),
        }
    }
}

fn wasip2(ctx: &Ctx, report: &mut Report, tc: &str, may_skip: bool, wasi: Wasi) {
    let dir = wasi.dir(ctx, tc);
    let dir_arg = dir.to_string_lossy().into_owned();
    let label = wasi.label();
    let built = ctx.tools.toolchain(tc, &["wasm32-wasip2"]).and_then(|()| {
        // The suite's test binaries, then the example.
        let builds: [&[&str]; 2] = [
            &["test", "-p", "tokio-suite", "--no-run"],
            &["build", "-p", "tokio-echo"],
        ];
        builds.iter().try_for_each(|args| {
            let out = cargo(Some(tc), args)
                .args(["--target", "wasm32-wasip2", "--target-dir", &dir_arg])
                .env_remove("RUSTFLAGS")
                .env(P2_RUSTFLAGS, wasi.rustflags())
                .quiet()
                .go();
            out.ok().map_err(|e| format!("{e}\n{}", out.tail(40)))
        })
    });
    let name = format!("{label} build, Rust {tc}");
    match built {
        Ok(()) => println!("{name}: builds"),
        Err(e) if may_skip => {
            let first = e.lines().find(|l| l.starts_with("error")).unwrap_or("");
            return report.skip(
                format!("tokio {label} (Rust {tc})"),
                format!("tokio does not build for {label} against this tree yet ({first})"),
            );
        }
        Err(e) => return report.fail(name, e),
    }
    let wasmtime = match ctx.tools.wasmtime() {
        Ok(path) => path,
        Err(e) => return report.fail("install wasmtime 49", e),
    };

    report.part(format!("tokio suite, {label} (wasmtime, Rust {tc})"));
    match std::env::current_exe() {
        Ok(exe) => {
            // `cargo xtask runner wasmtime`: network and name lookup, and a
            // time limit per test binary; the guest gets the peer's address.
            let runner = format!("{} runner wasmtime --env TOKIO_SUITE_PEER", exe.display());
            tokio_suite(
                report,
                Some(tc),
                &[
                    "--target",
                    "wasm32-wasip2",
                    "--target-dir",
                    &dir_arg,
                    "--",
                    "--nocapture",
                ],
                &[
                    (P2_RUSTFLAGS, wasi.rustflags()),
                    ("CARGO_TARGET_WASM32_WASIP2_RUNNER", &runner),
                ],
            );
        }
        Err(e) => report.fail("the driver's own path", e),
    }

    report.part(format!("tokio-echo, {label} (wasmtime, Rust {tc})"));
    let wasm = dir.join("wasm32-wasip2/debug/tokio-echo.wasm");
    let command = EchoCommand {
        program: &wasmtime,
        args: strings(&["run", "-S", "inherit-network", &wasm.to_string_lossy()]),
        native: false,
    };
    let name = match wasi {
        Wasi::P2 => format!("tokio-echo wasip2 Rust {tc}"),
        Wasi::P3 => format!("tokio-echo wasip3 Rust {tc}"),
    };
    tokio_echo::check(report, &name, &command);
}

// --------------------------------------------------------------- tokio app

/// tests/tokio-app: a project of its own, as a user would write it (the
/// newest tokio 1.x, its `mio` patched with compat/mio, `tokio_unstable`
/// from its .cargo/config.toml), built for wasm32-wasip2 with every
/// toolchain and run under wasmtime and jco.
fn tokio_app(ctx: &Ctx, report: &mut Report) {
    let toolchains = wasip2_toolchains();
    let app = ctx.path("tests/tokio-app");
    let first = toolchains.first().map(String::as_str);
    // Its Cargo.lock is not committed: every run takes the newest tokio.
    let updated = cargo(first, &["update", "--quiet"])
        .dir(&app)
        .timeout(Duration::from_secs(600))
        .go()
        .ok();
    if let Err(e) = updated {
        return report.fail("tokio app: cargo update", e);
    }
    match std::fs::read_to_string(app.join("Cargo.lock")) {
        Ok(lock) => println!(
            "tokio {}",
            locked_version(&lock, "tokio").unwrap_or("(not in Cargo.lock)")
        ),
        Err(e) => println!("tokio app: no Cargo.lock: {e}"),
    }
    let hosts = ctx.tools.wasmtime().and_then(|w| Ok((w, ctx.tools.jco()?)));
    let (wasmtime, jco) = match hosts {
        Ok(hosts) => hosts,
        Err(e) => return report.fail("tokio app: install wasmtime and jco", e),
    };
    for tc in &toolchains {
        report.part(format!("tokio app, Rust {tc}"));
        let target_dir = ctx.path(&format!("target/tokio-app/{tc}"));
        let built = ctx.tools.toolchain(tc, &["wasm32-wasip2"]).and_then(|()| {
            cargo(Some(tc), &["build", "--target", "wasm32-wasip2"])
                .arg("--target-dir")
                .arg(&target_dir)
                .dir(&app)
                .env_remove("RUSTFLAGS")
                .env_remove(P2_RUSTFLAGS)
                .go()
                .ok()
        });
        if let Err(e) = built {
            report.fail(format!("tokio app: build, Rust {tc}"), e);
            continue;
        }
        let wasm = target_dir.join("wasm32-wasip2/debug/tokio-app.wasm");
        let out = cmd(&wasmtime)
            .args(["run", "-S", "inherit-network"])
            .arg(&wasm)
            .arg(format!("wasmtime, Rust {tc}"))
            .timeout(Duration::from_secs(300))
            .go();
        report.add(summary_counts(&out));
        // The checks avoid half-closing: jco's shutdown() closes the socket.
        report.part(format!("tokio app, Rust {tc}, jco"));
        let out = cmd(&jco)
            .arg("run")
            .arg(&wasm)
            .arg(format!("jco, Rust {tc}"))
            .timeout(Duration::from_secs(300))
            .go();
        report.add(summary_counts(&out));
    }
}

/// The version of package `name` in a Cargo.lock (the first entry).
fn locked_version<'a>(lock: &'a str, name: &str) -> Option<&'a str> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let version = lines.next()?.trim().strip_prefix("version = \"")?;
            return version.strip_suffix('"');
        }
    }
    None
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(tokio_mio_manifest: &str, tokio_mio_source: Value, bench_extern: &str) -> Value {
        json!({
            "packages": [
                {"id": "tokio", "name": "tokio"},
                {"id": "shim", "name": "mio", "source": tokio_mio_source,
                 "manifest_path": tokio_mio_manifest},
                {"id": "upstream", "name": "mio", "source": "registry+https://github.com/rust-lang/crates.io-index",
                 "manifest_path": "/registry/mio-1.2.5/Cargo.toml"},
                {"id": "crate", "name": "mio_wasi"}
            ],
            "resolve": {"nodes": [
                {"id": "tokio", "deps": [{"name": "mio", "pkg": "shim"}]},
                {"id": "crate", "deps": [{"name": bench_extern, "pkg": "upstream"}]},
                {"id": "shim", "deps": [{"name": "mio", "pkg": "crate"}]}
            ]}
        })
    }

    fn failures(meta: &Value) -> Vec<String> {
        resolution_checks(meta)
            .unwrap()
            .into_iter()
            .filter(|(_, r)| r.is_err())
            .map(|(n, _)| n)
            .collect()
    }

    #[test]
    fn resolution_as_it_should_be() {
        let m = meta("/src/compat/mio/Cargo.toml", Value::Null, "upstream_mio");
        let checks = resolution_checks(&m).unwrap();
        assert_eq!(checks.len(), 3);
        assert!(checks.iter().all(|(_, r)| r.is_ok()));
    }

    #[test]
    fn tokio_on_upstream_mio_fails() {
        let m = meta(
            "/registry/mio-1.2.5/Cargo.toml",
            json!("registry+https://github.com/rust-lang/crates.io-index"),
            "upstream_mio",
        );
        assert_eq!(
            failures(&m),
            ["tokio uses the compat/mio re-export of mio_wasi"]
        );
    }

    #[test]
    fn unrenamed_upstream_mio_fails() {
        let m = meta("/src/compat/mio/Cargo.toml", Value::Null, "mio");
        assert_eq!(
            failures(&m),
            ["mio_wasi: upstream mio only under a renamed dependency"]
        );
    }

    #[test]
    fn lock_versions() {
        let lock = "[[package]]\nname = \"bytes\"\nversion = \"1.12.2\"\n\n\
                    [[package]]\nname = \"tokio\"\nversion = \"1.54.1\"\nsource = \"x\"\n";
        assert_eq!(locked_version(lock, "tokio"), Some("1.54.1"));
        assert_eq!(locked_version(lock, "mio"), None);
    }
}
