//! The `windows-wine` suite: the Windows backend for x86_64-pc-windows-gnu,
//! linted and checked, its tests run under Wine, and the `tcp_server`
//! example under Wine against a native client.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cargo::{cargo, libtest_counts};
use crate::harness::{Context, Ctx, Fallible, Report, Suite};
use crate::peer;
use crate::process::{cmd, Run};

pub const WINDOWS_WINE: Suite = Suite {
    name: "windows-wine",
    about: "x86_64-pc-windows-gnu: clippy and builds; tests/ under Wine (drop_in again in release); tcp_server under Wine with a native client",
    run: windows_wine,
};

const TARGET: &str = "x86_64-pc-windows-gnu";
const FEATURES: &str = "os-poll,net,os-ext";

fn windows_wine(ctx: &Ctx, report: &mut Report) {
    if let Err(e) = ctx.tools.target(None, TARGET) {
        report.fail(format!("Rust target {TARGET}"), e);
        return;
    }
    report.part("clippy and builds");
    let quick = |args: &[&str]| {
        let (command, rest) = args.split_first().unwrap_or((&"check", &[]));
        cargo(None, &[command, "--target", TARGET])
            .args(rest)
            .timeout(Duration::from_secs(1200))
            .go()
            .ok()
    };
    report.check(
        "clippy --all-targets -D warnings",
        quick(&[
            "clippy",
            "--all-targets",
            "--features",
            FEATURES,
            "--",
            "-D",
            "warnings",
        ]),
    );
    // The backend must also build with os-poll off (shell) and without net.
    report.check("check, no features", quick(&["check"]));
    report.check("check, os-poll", quick(&["check", "--features", "os-poll"]));

    report.part("Wine");
    let prefix = match ctx.tools.wine(&ctx.root) {
        Ok(prefix) => prefix,
        Err(e) => {
            report.fail("Wine prefix", e);
            return;
        }
    };
    let runner = match std::env::current_exe() {
        Ok(exe) => format!("{} runner wine", exe.display()),
        Err(e) => {
            report.fail("the driver's own path", e);
            return;
        }
    };
    // One wineserver for the whole suite: by default it exits a few seconds
    // after its last client, and a program started while it is shutting
    // down dies with "recvmsg: Connection reset by peer".
    let _server = Wineserver::start(&prefix);

    let wine_env = |run: Run| {
        run.env("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER", &runner)
            .env("WINEPREFIX", &prefix)
            .env("WINEDEBUG", "-all")
            .env_remove("DISPLAY")
            .timeout(Duration::from_secs(1800))
    };
    report.section("cargo test under Wine", |report| {
        let out = wine_env(cargo(
            None,
            &["test", "--target", TARGET, "--features", FEATURES],
        ))
        .go();
        report.add(libtest_counts(&out));
    });
    // tests/drop_in.rs in release too: some misuse only reaches the backend
    // there (debug builds stop it earlier).
    report.section("tests/drop_in.rs under Wine, release", |report| {
        let out = wine_env(cargo(
            None,
            &[
                "test",
                "--release",
                "--target",
                TARGET,
                "--features",
                FEATURES,
                "--test",
                "drop_in",
            ],
        ))
        .go();
        report.add(libtest_counts(&out));
    });
    report.section("tcp_server under Wine, native client", |report| {
        tcp_server(ctx, report, &prefix)
    });
}

/// A persistent wineserver for a prefix, stopped (`wineserver -k`) on drop.
struct Wineserver(PathBuf);

impl Wineserver {
    fn start(prefix: &Path) -> Wineserver {
        // A failure here only costs the persistence; the programs start a
        // server of their own.
        let _ = Self::command(prefix)
            .arg("-p")
            .timeout(Duration::from_secs(60))
            .go();
        Wineserver(prefix.to_path_buf())
    }

    fn command(prefix: &Path) -> Run {
        cmd("wineserver")
            .env("WINEPREFIX", prefix)
            .env("WINEDEBUG", "-all")
    }
}

impl Drop for Wineserver {
    fn drop(&mut self) {
        let _ = Self::command(&self.0)
            .arg("-k")
            .timeout(Duration::from_secs(60))
            .quiet()
            .go();
    }
}

/// Builds the example, starts it under Wine and talks to it over loopback
/// with line echoes, one connection per check, then two at once.
fn tcp_server(ctx: &Ctx, report: &mut Report, prefix: &Path) {
    let build = cargo(
        None,
        &[
            "build",
            "--target",
            TARGET,
            "--features",
            FEATURES,
            "--example",
            "tcp_server",
        ],
    )
    .timeout(Duration::from_secs(1200))
    .go();
    if !report.check("build examples/tcp_server.rs", build.ok()) {
        return;
    }
    let exe = ctx.path(&format!("target/{TARGET}/debug/examples/tcp_server.exe"));
    let started = cmd("wine")
        .arg(&exe)
        .arg("127.0.0.1:0")
        .env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .env_remove("DISPLAY")
        .spawn()
        .and_then(|mut server| {
            let addr = server.listening(Duration::from_secs(60))?;
            Ok((server, addr))
        });
    let (server, addr) = match started {
        Ok(started) => started,
        Err(e) => {
            report.fail("tcp_server under Wine prints its address", e);
            return;
        }
    };
    report.pass(format!("tcp_server under Wine prints its address ({addr})"));
    let timeout = Duration::from_secs(10);
    let one = |line: &str| -> Fallible {
        let mut stream = peer::connect(addr, timeout)?;
        peer::line_echo(&mut stream, line)
    };
    report.check("short line", one("hello from linux"));
    report.check("second connection", one("second client"));
    report.check("6000-byte line", one(&"x".repeat(6000)));
    // Two clients at once: the second is served while the first stays open.
    match peer::connect(addr, timeout) {
        Ok(mut held) => {
            report.check("while another client is connected", one("concurrent"));
            report.check("held-open client", peer::line_echo(&mut held, "first"));
        }
        Err(e) => {
            report.fail("while another client is connected", &e);
            report.fail("held-open client", e);
        }
    }
    if let Err(e) = server.stop().context("tcp_server under Wine") {
        report.fail("tcp_server under Wine keeps running", e);
    }
}
