//! The WASI 0.3 backend (wasm32-wasip2 built with `--cfg mio_wasip3`)
//! under wasmtime, which runs WASI 0.3 by default: clippy for each feature
//! set, the tests/ that apply to the backend (what it cannot do yet is
//! skipped with the reason), and guests against native peers.

use super::wasip2::{self, Guests, Host, FEATURES, TARGET};
use crate::cargo::{cargo, libtest_counts, wasip2_runner_env};
use crate::harness::{Ctx, Fallible, Report, Suite};
use crate::process::{cmd, Run};

pub const WASIP3: Suite = Suite {
    name: "wasip3",
    about: "the WASI 0.3 backend under wasmtime: clippy per feature set, tests/ (skips printed), guests against native TCP/UDP peers",
    run: wasip3,
};

const FLAGS: &str = "--cfg mio_wasip3";
/// The cfg changes every artifact: a target directory of its own.
const DIR: &str = "target/wasip3";
/// Seconds a test binary may run (`MIO_WASI_RUN_TIMEOUT` overrides it).
const RUN_TIMEOUT: &str = "120";

/// The test binaries that apply to this backend.
const TESTS: &[&str] = &[
    "drop_in",
    "poll",
    "poll_no_alloc",
    "tcp",
    "tcp_many",
    "udp",
    "waker",
    "wasi_poll",
    "wasi_tcp",
    "wasi_tcp_connect_error",
    "wasi_alloc",
    "wasi_dns",
    "wasi_udp",
    "wasi_ipv6",
    "wasi_registration",
    "wasi_p3_linger",
    "wasi_p3_raw_fd",
];

const STD_REASON: &str = "uses std::net sockets (from_std), which are WASI 0.2 descriptors";

/// Test binaries compiled out with `mio_wasip3`.
const NOT_RUN: &[&str] = &["wasi_std_interop", "wasi_close_kinds"];

fn install(ctx: &Ctx) -> Fallible<Host> {
    ctx.tools.target(None, TARGET)?;
    let wasmtime = ctx.tools.wasmtime()?;
    cmd(&wasmtime).arg("--version").go().ok()?;
    Ok(Host::wasmtime(&wasmtime, &[]))
}

fn wasip3(ctx: &Ctx, report: &mut Report) {
    let host = match install(ctx) {
        Ok(host) => host,
        Err(e) => {
            report.fail("installing the wasm32-wasip2 target and wasmtime", e);
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
    let timeout = std::env::var("MIO_WASI_RUN_TIMEOUT").unwrap_or_else(|_| RUN_TIMEOUT.into());
    // Every cargo run of this suite: the backend's cfg, its own target
    // directory, test binaries under wasmtime with a time limit.
    let cargo3 = |args: &[&str]| -> Run {
        cargo(None, args)
            .env("RUSTFLAGS", FLAGS)
            .env("CARGO_TARGET_DIR", ctx.path(DIR))
            .env(runner.0, &runner.1)
            .env("MIO_WASI_RUN_TIMEOUT", &timeout)
    };
    report.section("wasip3 lint", |r| lint(r, &cargo3));
    report.section("wasip3 tests", |r| tests(r, &cargo3));
    report.section("wasip3 cross", |r| cross(ctx, r, &host));
}

/// clippy -D warnings for each feature set with os-poll: the library alone
/// for the smaller ones (tests/ need `net`).
fn lint(report: &mut Report, cargo3: &dyn Fn(&[&str]) -> Run) {
    for (features, what) in [
        ("os-poll", "--lib"),
        ("os-poll,net", "--lib"),
        (FEATURES, "--all-targets"),
    ] {
        let out = cargo3(&[
            "clippy",
            "--quiet",
            "--target",
            TARGET,
            "--features",
            features,
            what,
            "--",
            "-D",
            "warnings",
        ])
        .go();
        report.check(format!("clippy, features '{features}' ({what})"), out.ok());
    }
}

/// The test binaries of `TESTS`, then tests/wasi_host_calls.rs with the
/// `host-call-count` feature.
fn tests(report: &mut Report, cargo3: &dyn Fn(&[&str]) -> Run) {
    for test in NOT_RUN {
        report.skip(
            format!("test binary {test}"),
            format!("{STD_REASON} (compiled out with mio_wasip3)"),
        );
    }
    // Then host calls per wait and per echo round trip, pinned by the test
    // (the `host-call-count` feature builds the library apart).
    let counting = format!("{FEATURES},host-call-count");
    let runs = TESTS.iter().map(|test| (*test, FEATURES, false)).chain([(
        "wasi_host_calls",
        counting.as_str(),
        true,
    )]);
    for (test, features, nocapture) in runs {
        let mut args = vec![
            "test",
            "--target",
            TARGET,
            "--features",
            features,
            "--test",
            test,
        ];
        if nocapture {
            args.extend(["--", "--nocapture"]);
        }
        let out = cargo3(&args).quiet().go();
        for line in out.text.lines() {
            if line.starts_with("test ")
                || line.contains("test result")
                || line.contains("host calls per")
            {
                println!("{line}");
            }
        }
        let counts = libtest_counts(&out);
        if !out.success() {
            // Aborted (a panic on wasm), timed out or did not build.
            println!("{}", out.tail(30));
        }
        report.add(counts);
    }
}

fn cross(ctx: &Ctx, report: &mut Report, host: &Host) {
    let guests = match Guests::build(ctx, Some(FLAGS), DIR) {
        Ok(guests) => guests,
        Err(e) => {
            report.fail("building the guests", e);
            return;
        }
    };
    report.check(
        "WASI 0.3: examples/tcp_server, native client, 16 MiB echo",
        wasip2::example_tcp_server(host, &guests.tcp_server),
    );
    wasip2::guest_cases(report, "WASI 0.3:", host, &guests);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binaries_compiled_out_are_not_run() {
        for test in NOT_RUN {
            assert!(!TESTS.contains(test), "{test}");
        }
    }
}
