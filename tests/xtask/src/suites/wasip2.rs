//! wasm32-wasip2 with the WASI 0.2 backend: the crate's tests/ and
//! doctests under wasmtime with three toolchains and without wasi-libc
//! interop, the same test binaries under jco, and guests against native
//! peers across the runtime boundary. The guest cases are shared with the
//! wasip3 suite.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cargo::{cargo, libtest_counts, test_executables, wasip2_runner_env};
use crate::harness::{Context, Ctx, Fallible, Report, Suite};
use crate::peer;
use crate::process::{cmd, Outcome, Run};

pub const WASIP2: Suite = Suite {
    name: "wasip2",
    about: "wasm32-wasip2: tests/ and doctests under wasmtime (Rust 1.95, 1.99, 1.85; no libc interop) and jco; guests against native TCP/UDP peers",
    run: wasip2,
};

pub const TARGET: &str = "wasm32-wasip2";
pub const FEATURES: &str = "os-poll,net,os-ext";
/// Three kinds of wasi-libc descriptor table (1.85 runs no doctests on
/// wasm). The first builds into `target/`, whose test binaries the jco part
/// runs; the others each into `target/wasip2-<toolchain>`.
const TOOLCHAINS: &[&str] = &["1.95.0", "1.99.1", "1.85.0"];
/// The toolchain of the run with `--cfg mio_wasip2_no_libc_interop`
/// (sockets outside wasi-libc's descriptor table, std interop unsupported).
const FALLBACK_TOOLCHAIN: &str = "1.99.1";
const NO_LIBC_INTEROP: &str = "--cfg mio_wasip2_no_libc_interop";
/// Whether tests/wasi_std_interop.rs must find std interop on (`1`) or off
/// (`0`): a probe that stops recognising a wasi-libc fails the run.
const EXPECT_STD_INTEROP: &str = "MIO_WASIP2_EXPECT_STD_INTEROP";
/// Bytes each TCP cross case echoes, each way.
const ECHO_BYTES: usize = 16 * 1024 * 1024;
/// Datagrams the UDP cross case echoes.
const DATAGRAMS: usize = 200;
/// How long a guest server may take to print `listening on ADDR`.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(30);
/// A limit for each read or write of a native peer.
const PEER_TIMEOUT: Duration = Duration::from_secs(60);
/// A limit for a whole guest run that has a fixed amount of work.
const GUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// The runtimes this suite drives.
struct Runtimes {
    wasmtime: PathBuf,
    jco: PathBuf,
}

fn install(ctx: &Ctx) -> Fallible<Runtimes> {
    for tc in TOOLCHAINS.iter().chain([&FALLBACK_TOOLCHAIN]) {
        ctx.tools.toolchain(tc, &[TARGET])?;
    }
    // The guests of the cross part are built with the default toolchain.
    ctx.tools.target(None, TARGET)?;
    let wasmtime = ctx.tools.wasmtime()?;
    let jco = ctx.tools.jco()?;
    cmd(&wasmtime).arg("--version").go().ok()?;
    Ok(Runtimes { wasmtime, jco })
}

fn wasip2(ctx: &Ctx, report: &mut Report) {
    let runtimes = match install(ctx) {
        Ok(runtimes) => runtimes,
        Err(e) => {
            report.fail("installing toolchains, wasmtime and jco", e);
            return;
        }
    };
    let runner = match wasip2_runner_env("wasmtime") {
        Ok(runner) => runner,
        Err(e) => {
            report.fail("the wasmtime runner", e);
            return;
        }
    };
    for (i, tc) in TOOLCHAINS.iter().enumerate() {
        let dir = if i == 0 {
            "target".to_string()
        } else {
            format!("target/wasip2-{tc}")
        };
        report.section(format!("wasip2 wasmtime ({tc})"), |r| {
            wasmtime_run(r, &runner, tc, "", &dir)
        });
    }
    report.section(
        format!("wasip2 wasmtime ({FALLBACK_TOOLCHAIN}, no libc interop)"),
        |r| {
            wasmtime_run(
                r,
                &runner,
                FALLBACK_TOOLCHAIN,
                NO_LIBC_INTEROP,
                "target/wasip2-no-libc-interop",
            )
        },
    );
    report.section("wasip2 jco", |r| jco_runs(r, &runtimes.jco));
    report.section("wasip2 cross", |r| cross(ctx, r, &runtimes));
}

/// tests/ and the doctests (`--nocapture`: the SKIP lines of passing tests
/// show), tests/drop_in.rs in release (some misuse only reaches the backend
/// there), and tests/wasi_host_calls.rs with the `host-call-count` feature
/// (host calls per wait and per echo round trip), all with toolchain `tc`,
/// extra RUSTFLAGS `flags`, into target directory `dir`.
fn wasmtime_run(report: &mut Report, runner: &(&str, String), tc: &str, flags: &str, dir: &str) {
    let expect = if flags.is_empty() { "1" } else { "0" };
    let test = |args: &[&str]| {
        cargo(Some(tc), &["test", "--target", TARGET, "--target-dir", dir])
            .args(args)
            .env("RUSTFLAGS", flags)
            .env(runner.0, &runner.1)
    };
    let all = test(&[
        "--features",
        FEATURES,
        "--no-fail-fast",
        "--",
        "--nocapture",
    ])
    .env(EXPECT_STD_INTEROP, expect)
    .go();
    report.add(libtest_counts(&all));
    let drop_in = test(&["--release", "--features", FEATURES, "--test", "drop_in"])
        .env(EXPECT_STD_INTEROP, expect)
        .go();
    report.add(libtest_counts(&drop_in));
    let features = format!("{FEATURES},host-call-count");
    let host_calls = test(&["--features", &features, "--test", "wasi_host_calls"]).go();
    report.add(libtest_counts(&host_calls));
}

/// The test binaries of the first toolchain's run, each under jco. A
/// binary that fails is run once more with its tests' output shown (a
/// panic on wasm aborts before libtest prints what it captured); jco has
/// been seen to abort a binary once under load that then passed, which is
/// reported as `FLAKY`. The first failure stays in the log either way.
fn jco_runs(report: &mut Report, jco: &Path) {
    let binaries = test_executables(
        Some(TOOLCHAINS[0]),
        &["--target", TARGET, "--features", FEATURES, "--tests"],
        &[(EXPECT_STD_INTEROP, "1"), ("RUSTFLAGS", "")],
    );
    let binaries = match binaries {
        Ok(binaries) if binaries.is_empty() => {
            report.fail("jco test binaries", "cargo built no test binary");
            return;
        }
        Ok(binaries) => binaries,
        Err(e) => {
            report.fail("building the jco test binaries", e);
            return;
        }
    };
    for (name, exe) in binaries {
        println!("--- jco: {name}");
        let run = |extra: &[&str]| -> Outcome {
            cmd(jco)
                .arg("run")
                .arg(&exe)
                .args(extra)
                .env("MIO_WASI_HOST", "jco")
                .timeout(Duration::from_secs(300))
                .quiet()
                .go()
        };
        let first = run(&[]);
        let last = if first.success() {
            first
        } else {
            print!("{}", first.text);
            println!("RERUN {name} under jco, output not captured");
            let again = run(&["--nocapture", "--test-threads", "1"]);
            print!("{}", again.text);
            if again.success() {
                println!("FLAKY {name} under jco: failed once, passed when run again");
            }
            again
        };
        if let Err(e) = last.ok() {
            println!("FAILED {name} under jco: {e}");
        }
        for line in last.text.lines().filter(|l| l.contains("test result")) {
            println!("{line}");
        }
        report.add(libtest_counts(&last));
    }
}

fn cross(ctx: &Ctx, report: &mut Report, runtimes: &Runtimes) {
    let guests = Guests::build(ctx, None, "target");
    let guests = match guests {
        Ok(guests) => guests,
        Err(e) => {
            report.fail("building the guests", e);
            return;
        }
    };
    let wasmtime = Host::wasmtime(&runtimes.wasmtime, &["-S", "allow-ip-name-lookup"]);
    let jco = Host::jco(&runtimes.jco);
    report.check(
        "wasmtime: examples/tcp_server, native client, 16 MiB echo",
        example_tcp_server(&wasmtime, &guests.tcp_server),
    );
    for host in [&wasmtime, &jco] {
        guest_cases(report, host.name, host, &guests);
    }
    idle_echo_servers(ctx, report, &wasmtime);
}

/// The servers of the idle-connections benchmark (`scripts/bench-wasip2.sh
/// idle`), this crate's and the host's floor, built as the script builds
/// them: each must echo what a native client sends, so that a benchmark
/// never times a server that does not do the work.
fn idle_echo_servers(ctx: &Ctx, report: &mut Report, wasmtime: &Host) {
    for (feature, bin) in [
        ("this", "idle-echo-server"),
        ("floor-p2", "idle-echo-floor-p2"),
    ] {
        report.check(
            format!("wasmtime: benches/idle-echo {bin} ({feature}), native client, 1 MiB echo"),
            idle_echo_build(ctx, TARGET, feature, bin)
                .and_then(|wasm| idle_echo_check(wasmtime.run(&wasm, &["127.0.0.1:0"]))),
        );
    }
}

/// Builds server `bin` of benches/idle-echo with `feature` for `target`
/// (release, as the benchmark scripts do) and returns the module.
pub fn idle_echo_build(ctx: &Ctx, target: &str, feature: &str, bin: &str) -> Fallible<PathBuf> {
    let dir = ctx.root.join("target/idle-echo-check").join(feature);
    cargo(None, &["build", "--release", "--target", target])
        .args(["--bin", bin, "--features", feature, "--target-dir"])
        .arg(&dir)
        .dir(ctx.root.join("benches/idle-echo"))
        .go()
        .ok()?;
    Ok(dir.join(target).join("release").join(format!("{bin}.wasm")))
}

/// Starts an idle-echo server (`server` runs the module with its address
/// argument), has a native client echo 1 MiB through it and stops it.
pub fn idle_echo_check(server: Run) -> Fallible {
    let mut server = server.quiet().spawn()?;
    let addr = server.address_after("LISTENING ", LISTEN_TIMEOUT)?;
    if let Err(e) = peer::tcp_echo(addr, 1024 * 1024, PEER_TIMEOUT) {
        return Err(format!("{e}; server output:\n{}", server.output()));
    }
    server.stop()
}

/// The guests of the cross cases, built for wasm32-wasip2.
pub struct Guests {
    /// tests/programs' `wasi_echo`: TCP echo server and client, UDP echo.
    pub echo: PathBuf,
    /// examples/tcp_server, the one README runs natively.
    pub tcp_server: PathBuf,
}

impl Guests {
    /// Builds both in release with the default toolchain, with RUSTFLAGS
    /// `flags` (when given) into target directory `dir`.
    pub fn build(ctx: &Ctx, flags: Option<&str>, dir: &str) -> Fallible<Guests> {
        let with_flags = |run: Run| match flags {
            Some(flags) => run.env("RUSTFLAGS", flags),
            None => run,
        };
        let release = ["--release", "--target", TARGET, "--target-dir", dir];
        with_flags(
            cargo(
                None,
                &["build", "-p", "mio-test-programs", "--bin", "wasi_echo"],
            )
            .args(release),
        )
        .go()
        .ok()?;
        with_flags(
            cargo(
                None,
                &[
                    "build",
                    "--features",
                    "os-poll,net",
                    "--example",
                    "tcp_server",
                ],
            )
            .args(release),
        )
        .go()
        .ok()?;
        let out = ctx.root.join(dir).join(TARGET).join("release");
        Ok(Guests {
            echo: out.join("wasi_echo.wasm"),
            tcp_server: out.join("examples/tcp_server.wasm"),
        })
    }
}

/// The guest echo cases under one host, `label` naming them: the guest TCP
/// server and client (16 MiB each way) and the guest UDP echo (200
/// datagrams), each against a native peer.
pub fn guest_cases(report: &mut Report, label: &str, host: &Host, guests: &Guests) {
    report.check(
        format!("{label} guest TCP server, native client, 16 MiB echo"),
        guest_tcp_server(host, &guests.echo),
    );
    report.check(
        format!("{label} guest TCP client, native server, 16 MiB echo"),
        guest_tcp_client(host, &guests.echo),
    );
    report.check(
        format!("{label} guest UDP echo, native peer, {DATAGRAMS} datagrams"),
        guest_udp_server(host, &guests.echo),
    );
}

/// A runtime that runs a component: the program and its arguments before
/// the component's path.
pub struct Host {
    pub name: &'static str,
    program: PathBuf,
    args: Vec<&'static str>,
}

impl Host {
    /// wasmtime with the host's network (`-S inherit-network`) and
    /// `extra` options.
    pub fn wasmtime(path: &Path, extra: &[&'static str]) -> Host {
        let mut args = vec!["run", "-S", "inherit-network"];
        args.extend_from_slice(extra);
        Host {
            name: "wasmtime",
            program: path.to_path_buf(),
            args,
        }
    }

    pub fn jco(path: &Path) -> Host {
        Host {
            name: "jco",
            program: path.to_path_buf(),
            args: vec!["run"],
        }
    }

    /// Runs `wasm` with `args`.
    pub fn run(&self, wasm: &Path, args: &[&str]) -> Run {
        cmd(&self.program).args(&self.args).arg(wasm).args(args)
    }
}

/// The example echo server as a guest: a native client exchanges 16 MiB
/// with it; then it must still be running (it serves forever) and is
/// stopped.
pub fn example_tcp_server(host: &Host, wasm: &Path) -> Fallible {
    let mut server = host.run(wasm, &["127.0.0.1:0"]).quiet().spawn()?;
    let addr = server.listening(LISTEN_TIMEOUT)?;
    if let Err(e) = peer::tcp_echo(addr, ECHO_BYTES, PEER_TIMEOUT) {
        return Err(format!("{e}; guest output:\n{}", server.output()));
    }
    server.stop()
}

/// `wasi_echo tcp-server` for one connection: a native client sends 16
/// MiB, half-closes and checks the echo and the EOF; the guest must then
/// exit with status 0.
pub fn guest_tcp_server(host: &Host, wasm: &Path) -> Fallible {
    let mut server = host
        .run(wasm, &["tcp-server", "127.0.0.1:0", "1"])
        .quiet()
        .spawn()?;
    let addr = server.listening(LISTEN_TIMEOUT)?;
    if let Err(e) = peer::tcp_echo(addr, ECHO_BYTES, PEER_TIMEOUT) {
        return Err(format!("{e}; guest output:\n{}", server.output()));
    }
    server.wait(Duration::from_secs(30))
}

/// `wasi_echo tcp-client` against a native echo server that stops after
/// 16 MiB (the guest does not half-close: jco's `shutdown` closes the
/// whole socket); the guest checks the echo and prints `ok BYTES`.
pub fn guest_tcp_client(host: &Host, wasm: &Path) -> Fallible {
    let server = peer::EchoServer::start_exact(ECHO_BYTES as u64, PEER_TIMEOUT)?;
    let out = host
        .run(
            wasm,
            &[
                "tcp-client",
                &server.addr.to_string(),
                &ECHO_BYTES.to_string(),
            ],
        )
        .quiet()
        .timeout(GUEST_TIMEOUT)
        .go();
    // On failure the server thread is left to its own time limit.
    out.ok().map_err(|e| format!("{e}:\n{}", out.tail(20)))?;
    let echoed = server.finish().context("native echo server")?;
    if echoed != ECHO_BYTES as u64 {
        return Err(format!("the server echoed {echoed} bytes"));
    }
    let done = format!("ok {ECHO_BYTES}");
    if !out.text.lines().any(|l| l.trim() == done) {
        return Err(format!(
            "no `{done}` line from the guest:\n{}",
            out.tail(20)
        ));
    }
    Ok(())
}

/// `wasi_echo udp-server` for 200 datagrams: a native peer sends each
/// and checks its echo; then the guest must exit with status 0.
pub fn guest_udp_server(host: &Host, wasm: &Path) -> Fallible {
    let count = DATAGRAMS.to_string();
    let mut server = host
        .run(wasm, &["udp-server", "127.0.0.1:0", &count])
        .quiet()
        .spawn()?;
    let addr = server.listening(LISTEN_TIMEOUT)?;
    // Few resends: every datagram that reaches the guest counts towards
    // the 200 it echoes before exiting.
    if let Err(e) = peer::udp_echo_each(addr, DATAGRAMS, Duration::from_secs(2), 5) {
        return Err(format!("{e}; guest output:\n{}", server.output()));
    }
    server.wait(Duration::from_secs(10))
}
