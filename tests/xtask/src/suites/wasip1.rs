//! The WASI preview 1 backend: builds the guests for `wasm32-wasip1` (with
//! and without the `wasmedge` feature), checks their imports against the
//! WITX, and runs them with native peers on loopback:
//!
//! - imports: every `wasi_snapshot_preview1` import matches the WITX; a
//!   build without `wasmedge` imports nothing WasmEdge-only (and the
//!   checker rejects what it should);
//! - wasmtime-46: generic preview 1 (wasmtime 46's legacy preview-1 mode,
//!   a listener pre-opened at descriptor 3): selector cases, a 16 MiB echo,
//!   idle CPU;
//! - wasmedge: WasmEdge's socket extension, the host calls of a wait and
//!   of an echo round trip, the backend's unit tests; skipped (with the
//!   reason) when no `wasmedge` binary is on `PATH` or in `$WASMEDGE`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cargo::cargo;
use crate::harness::{Ctx, Fallible, Report, Suite};
use crate::p1_imports::{self, Expected};
use crate::peer_p1::{self, free_port, EchoOptions};
use crate::process::{cmd, Run};
use crate::suites::wasip2::{idle_echo_build, idle_echo_check};

pub const WASIP1: Suite = Suite {
    name: "wasip1",
    about: "wasm32-wasip1: imports against the WITX; guests under wasmtime 46 (pre-opened listener) and WasmEdge (if present)",
    run,
};

const TARGET: &str = "wasm32-wasip1";
/// Target directories per build flavour (kept from the shell suite, so
/// their caches stay warm).
const STD_DIR: &str = "target/wasip1/std";
const WASMEDGE_DIR: &str = "target/wasip1/wasmedge";
const COUNT_DIR: &str = "target/wasip1/count";
/// (feature, binary) of the WasmEdge servers of benches/idle-echo: this
/// crate's and the host's floor.
const IDLE_ECHO: [(&str, &str); 2] = [
    ("wasmedge", "idle-echo-server"),
    ("floor-p1", "idle-echo-floor-p1"),
];
/// How long one guest case may run.
const CASE_TIMEOUT: Duration = Duration::from_secs(120);
const BUILD_TIMEOUT: Duration = Duration::from_secs(1800);

/// The guests of one build flavour.
struct Guests {
    /// `wasi_p1_cases` (package mio-test-programs), debug.
    cases: PathBuf,
    /// `examples/wasi_p1_echo.rs`, debug.
    echo: PathBuf,
}

impl Guests {
    fn in_dir(ctx: &Ctx, dir: &str) -> Guests {
        let debug = ctx.path(dir).join(TARGET).join("debug");
        Guests {
            cases: debug.join("wasi_p1_cases.wasm"),
            echo: debug.join("examples/wasi_p1_echo.wasm"),
        }
    }
}

/// `wasi_p1_cases` built in `profile` ("debug" or "release") in `dir`.
fn cases_wasm(ctx: &Ctx, dir: &str, profile: &str) -> PathBuf {
    ctx.path(dir)
        .join(TARGET)
        .join(profile)
        .join("wasi_p1_cases.wasm")
}

/// `cargo build` of `wasi_p1_cases` with `features` (of mio-test-programs)
/// into `dir`.
fn build_cases(dir: &str, features: &str, release: bool) -> Fallible {
    let mut args = vec![
        "build",
        "--quiet",
        "-p",
        "mio-test-programs",
        "--bin",
        "wasi_p1_cases",
        "--target",
        TARGET,
        "--target-dir",
        dir,
    ];
    if !features.is_empty() {
        args.extend(["--features", features]);
    }
    if release {
        args.push("--release");
    }
    cargo(None, &args).timeout(BUILD_TIMEOUT).go().ok()
}

/// `cargo build` of the crate's examples (among them `wasi_p1_echo`) with
/// `features` into `dir`: every example must build for preview 1.
fn build_examples(dir: &str, features: &str) -> Fallible {
    cargo(
        None,
        &[
            "build",
            "--quiet",
            "--target",
            TARGET,
            "--features",
            features,
            "--examples",
            "--target-dir",
            dir,
        ],
    )
    .timeout(BUILD_TIMEOUT)
    .go()
    .ok()
}

/// Every build the imports and wasmtime parts use.
fn build(ctx: &Ctx) -> Fallible {
    ctx.tools.target(None, TARGET)?;
    build_examples(STD_DIR, "os-poll,net")?;
    build_cases(STD_DIR, "", false)?;
    build_examples(WASMEDGE_DIR, "os-poll,net,wasmedge")?;
    build_cases(WASMEDGE_DIR, "wasmedge", false)?;
    // The WasmEdge servers of `scripts/bench-wasip1.sh idle`, run below
    // only where WasmEdge is.
    for (feature, bin) in IDLE_ECHO {
        idle_echo_build(ctx, TARGET, feature, bin)?;
    }
    // The waker and registry cases once more in release: two wakers and a
    // second Poll only reach the backend there (debug builds stop them).
    build_cases(STD_DIR, "", true)
}

fn run(ctx: &Ctx, report: &mut Report) {
    report.part("build");
    if let Err(e) = build(ctx) {
        report.fail("wasip1 build", e);
        return;
    }
    report.section("wasip1 imports", |r| imports(ctx, r));
    report.section("wasip1 wasmtime-46", |r| wasmtime(ctx, r));
    match ctx.tools.wasmedge() {
        Ok(we) => report.section("wasip1 wasmedge", |r| wasmedge(ctx, r, &we)),
        Err(why) => report.skip("wasip1 wasmedge", why),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn imports(ctx: &Ctx, report: &mut Report) {
    let expected = match Expected::load(&ctx.path("wit/preview1")) {
        Ok(expected) => expected,
        Err(e) => return report.fail("reading the WITX", e),
    };
    let std = Guests::in_dir(ctx, STD_DIR);
    let we = Guests::in_dir(ctx, WASMEDGE_DIR);
    for (label, guests, allow_wasmedge) in [("no-wasmedge", &std, false), ("wasmedge", &we, true)] {
        for module in [&guests.cases, &guests.echo] {
            let result = expected.check_file(module, allow_wasmedge).map(|count| {
                println!("  {count} {} imports match", p1_imports::MODULE);
            });
            report.check(format!("{label} imports {}", file_name(module)), result);
        }
    }
    // The checker itself must reject what it is meant to reject.
    report.check("checker self-test", p1_imports::self_test(&expected));
    report.check(
        "checker rejects a wasmedge build under --no-wasmedge",
        match expected.check_file(&we.cases, false) {
            Ok(_) => Err("it accepted WasmEdge imports in a build without `wasmedge`".into()),
            Err(why) if why.contains("WasmEdge-only") => Ok(()),
            Err(why) => Err(format!("rejected for another reason: {why}")),
        },
    );
}

/// Runs one guest case: passes if it exits 0 and printed a `PASS` line.
fn case(report: &mut Report, name: &str, run: Run) {
    let out = run.quiet().timeout(CASE_TIMEOUT).go();
    let passed = out.ok().and_then(|()| {
        if out.text.lines().any(|l| l.starts_with("PASS")) {
            Ok(())
        } else {
            Err("the guest printed no PASS line".into())
        }
    });
    if passed.is_err() {
        // What the guest said, without the runtime's warnings.
        let lines: Vec<&str> = out
            .text
            .lines()
            .filter(|l| !l.starts_with("WARNING") && !l.trim().is_empty())
            .collect();
        for line in &lines[lines.len().saturating_sub(20)..] {
            println!("  {line}");
        }
    }
    report.check(name, passed);
}

/// `-S tcplisten=127.0.0.1:PORT` with a free port, for a guest that needs
/// a listener at descriptor 3.
fn tcplisten() -> Fallible<String> {
    Ok(format!("tcplisten=127.0.0.1:{}", free_port()?))
}

fn wasmtime(ctx: &Ctx, report: &mut Report) {
    let wasmtime = match ctx.tools.wasmtime_p1() {
        Ok(path) => path,
        Err(e) => return report.fail("wasmtime 46", e),
    };
    // Legacy preview-1 mode: the only one with socket I/O on pre-opens.
    let runtime = || cmd(&wasmtime).args(["run", "-S", "preview2=n"]);
    let std = Guests::in_dir(ctx, STD_DIR);
    let release = cases_wasm(ctx, STD_DIR, "release");

    for c in ["timeout", "waker", "error-event", "unsupported"] {
        case(report, c, runtime().arg(&std.cases).arg(c));
    }
    for (name, module, c) in [
        ("no-alloc", &std.cases, "no-alloc"),
        ("registry", &std.cases, "registry"),
    ] {
        match tcplisten() {
            Ok(listen) => case(
                report,
                name,
                runtime().args(["-S", &listen]).arg(module).arg(c),
            ),
            Err(e) => report.fail(name, e),
        }
    }
    case(
        report,
        "waker-release",
        runtime().arg(&release).arg("waker"),
    );
    match tcplisten() {
        Ok(listen) => case(
            report,
            "registry-release",
            runtime()
                .args(["-S", &listen])
                .arg(&release)
                .arg("registry"),
        ),
        Err(e) => report.fail("registry-release", e),
    }

    let guest = |module: &Path, args: &[&str]| -> Vec<String> {
        let mut command: Vec<String> = [
            wasmtime.to_string_lossy().as_ref(),
            "run",
            "-S",
            "preview2=n",
            "-S",
            "tcplisten=127.0.0.1:{PORT}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        command.push(module.to_string_lossy().into_owned());
        command.extend(args.iter().map(|s| s.to_string()));
        command
    };
    echo_peers(
        report,
        &guest(&std.echo, &[]),
        &guest(&std.cases, &["peek-echo"]),
    );
}

/// The echo checks every host runs: the echo example (16 MiB each way,
/// idle CPU, exit status) and the cases' peek-echo (1 MiB, idle CPU over
/// half a second).
fn echo_peers(report: &mut Report, echo: &[String], peek_echo: &[String]) {
    peer_p1::echo(
        report,
        &EchoOptions {
            name: "echo".into(),
            ..EchoOptions::default()
        },
        echo,
    );
    peer_p1::echo(
        report,
        &EchoOptions {
            name: "peek-echo".into(),
            mib: 1,
            idle: 0.5,
            pingpong: 0,
        },
        peek_echo,
    );
}

/// The WasmEdge part. It cannot run where no WasmEdge is installed (no
/// package registry has it); it is skipped there.
fn wasmedge(ctx: &Ctx, report: &mut Report, we: &Path) {
    let guests = Guests::in_dir(ctx, WASMEDGE_DIR);
    let m = &guests.cases;
    let runtime = |module: &Path, args: &[&str]| cmd(we).arg(module).args(args);

    for c in ["timeout", "waker", "error-event", "dns", "options"] {
        case(report, c, runtime(m, &[c]));
    }
    case(
        report,
        "no-alloc",
        runtime(m, &["no-alloc", "--listen", "127.0.0.1:0"]),
    );
    case(
        report,
        "registry",
        runtime(m, &["registry", "--listen", "127.0.0.1:0"]),
    );
    // Release build (two wakers, a second Poll): built here, only when
    // WasmEdge is there to run it.
    match build_cases(WASMEDGE_DIR, "wasmedge", true) {
        Ok(()) => {
            let release = cases_wasm(ctx, WASMEDGE_DIR, "release");
            case(report, "waker-release", runtime(&release, &["waker"]));
            case(
                report,
                "registry-release",
                runtime(&release, &["registry", "--listen", "127.0.0.1:0"]),
            );
        }
        Err(e) => report.fail("release build", e),
    }
    case(
        report,
        "self-connect-v4",
        runtime(m, &["self-connect", "127.0.0.1:0"]),
    );
    case(
        report,
        "self-connect-v6",
        runtime(m, &["self-connect", "[::1]:0"]),
    );
    match free_port() {
        Ok(port) => case(
            report,
            "refused",
            runtime(m, &["refused", &format!("127.0.0.1:{port}")]),
        ),
        Err(e) => report.fail("refused", e),
    }
    case(
        report,
        "udp-pair-v4",
        runtime(m, &["udp-pair", "127.0.0.1:0"]),
    );
    case(report, "udp-pair-v6", runtime(m, &["udp-pair", "[::1]:0"]));
    // Host calls per wait and per echo round trip (test-only feature).
    match build_cases(COUNT_DIR, "wasmedge,host-call-count", false) {
        Ok(()) => case(
            report,
            "host-calls",
            runtime(
                &cases_wasm(ctx, COUNT_DIR, "debug"),
                &["host-calls", "127.0.0.1:0"],
            ),
        ),
        Err(e) => report.fail("host-calls (build)", e),
    }

    let guest = |module: &Path, args: &[&str]| -> Vec<String> {
        let mut command = vec![
            we.to_string_lossy().into_owned(),
            module.to_string_lossy().into_owned(),
        ];
        command.extend(args.iter().map(|s| s.to_string()));
        command
    };
    peer_p1::client(report, "client", &guest(m, &["client", "{ADDR}"]));
    peer_p1::udp(
        report,
        "udp-v4",
        3,
        &guest(m, &["udp-echo", "127.0.0.1:0", "3"]),
    );
    peer_p1::udp(
        report,
        "udp-v6",
        3,
        &guest(m, &["udp-echo", "[::1]:0", "3"]),
    );
    echo_peers(
        report,
        &guest(&guests.echo, &["--listen", "127.0.0.1:0"]),
        &guest(m, &["peek-echo", "--listen", "127.0.0.1:0"]),
    );

    for (feature, bin) in IDLE_ECHO {
        report.check(
            format!("benches/idle-echo {bin} ({feature}), native client, 1 MiB echo"),
            idle_echo_build(ctx, TARGET, feature, bin)
                .and_then(|wasm| idle_echo_check(cmd(we).arg(&wasm).arg("127.0.0.1:0"))),
        );
    }

    // The backend's unit tests (address conversion, the recv_from port
    // fix): the test binary imports WasmEdge functions, so it runs there
    // only.
    let out = cargo(
        None,
        &[
            "test",
            "--quiet",
            "--target",
            TARGET,
            "--features",
            "os-poll,net,wasmedge",
            "--lib",
            "--target-dir",
            WASMEDGE_DIR,
        ],
    )
    .env("CARGO_TARGET_WASM32_WASIP1_RUNNER", we)
    .timeout(BUILD_TIMEOUT)
    .go();
    report.check(
        "unit-tests",
        out.ok().and_then(|()| {
            if out.text.contains("test result: ok") {
                Ok(())
            } else {
                Err("no `test result: ok` line".into())
            }
        }),
    );
}
