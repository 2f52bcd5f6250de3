//! The crate on the machine it runs on (Linux): tests on both selectors,
//! every feature set, and the lints.

use crate::cargo::{cargo, libtest_counts};
use crate::harness::{Ctx, Report, Suite};

const FEATURES: &str = "os-poll,net,os-ext";
const FORCE_POLL: &str = "--cfg mio_unsupported_force_poll_poll";

pub const CORE_EPOLL: Suite = Suite {
    name: "core_epoll",
    about: "tests/ and doctests on Linux with epoll; tests/drop_in.rs again in release; the driver's own tests",
    run: core_epoll,
};

pub const CORE_POLL: Suite = Suite {
    name: "core_poll",
    about: "the same with the poll(2) selector forced",
    run: core_poll,
};

pub const FEATURE_MATRIX: Suite = Suite {
    name: "feature_matrix",
    about: "every feature combination builds without warnings",
    run: feature_matrix,
};

pub const LINT: Suite = Suite {
    name: "lint",
    about:
        "rustfmt; clippy -D warnings on both selectors, the WASI targets and the driver; rustdoc",
    run: lint,
};

/// `cargo test` with `extra` arguments, counted into `report`.
fn test(report: &mut Report, title: &str, rustflags: Option<&str>, extra: &[&str]) {
    report.part(title);
    let mut run = cargo(None, &["test", "--features", FEATURES]).args(extra);
    if let Some(flags) = rustflags {
        run = run.env("RUSTFLAGS", flags).env("RUSTDOCFLAGS", flags);
    }
    report.add(libtest_counts(&run.go()));
}

fn core_epoll(_: &Ctx, report: &mut Report) {
    test(report, "tests and doctests", None, &[]);
    // Some misuse (two Wakers, one source in two Polls) only reaches the
    // backends in release: debug builds stop it earlier.
    test(
        report,
        "tests/drop_in.rs, release",
        None,
        &["--release", "--test", "drop_in"],
    );
    report.part("the test driver's own tests");
    report.add(libtest_counts(&cargo(None, &["test", "-p", "xtask"]).go()));
}

fn core_poll(_: &Ctx, report: &mut Report) {
    // A target directory of its own, so that the two selectors' builds do
    // not invalidate each other.
    let dir = ["--target-dir", "target/force-poll"];
    test(
        report,
        "tests and doctests, poll(2)",
        Some(FORCE_POLL),
        &dir,
    );
    test(
        report,
        "tests/drop_in.rs, release, poll(2)",
        Some(FORCE_POLL),
        &["--release", "--test", "drop_in", dir[0], dir[1]],
    );
}

fn feature_matrix(_: &Ctx, report: &mut Report) {
    // Builds without `os-poll` use the shell backend; each must be
    // warning-free.
    for features in [
        "",
        "os-poll",
        "net",
        "os-poll,net",
        "os-ext",
        "os-ext,net",
        "os-poll,net,os-ext,log",
    ] {
        let out = cargo(
            None,
            &[
                "build",
                "--quiet",
                "--no-default-features",
                "--features",
                features,
                "--target-dir",
                "target/features",
            ],
        )
        .env("RUSTFLAGS", "-D warnings")
        .go();
        report.check(format!("features '{features}' build"), out.ok());
    }
}

fn lint(ctx: &Ctx, report: &mut Report) {
    let all = ["--all-targets", "--all-features", "--", "-D", "warnings"];
    report.check(
        "rustfmt",
        cargo(None, &["fmt", "--all", "--check"]).go().ok(),
    );
    report.check(
        "clippy (epoll)",
        cargo(None, &["clippy"]).args(all).go().ok(),
    );
    report.check(
        "clippy (poll(2))",
        cargo(None, &["clippy", "--target-dir", "target/force-poll"])
            .args(all)
            .env("RUSTFLAGS", FORCE_POLL)
            .go()
            .ok(),
    );
    report.check(
        "clippy (test driver)",
        cargo(
            None,
            &[
                "clippy",
                "-p",
                "xtask",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        )
        .go()
        .ok(),
    );
    report.check(
        "rustdoc -D warnings",
        cargo(None, &["doc", "--no-deps", "--all-features"])
            .env("RUSTDOCFLAGS", "-D warnings")
            .go()
            .ok(),
    );
    // The WASI backends and the tests built for them: the native runs above
    // compile neither.
    for target in ["wasm32-wasip2", "wasm32-wasip1"] {
        let name = format!("clippy ({target})");
        if let Err(e) = ctx.tools.target(None, target) {
            report.fail(&name, e);
            continue;
        }
        let mut features = format!("{FEATURES},host-call-count");
        if target == "wasm32-wasip1" {
            features.push_str(",wasmedge");
        }
        let out = cargo(
            None,
            &[
                "clippy",
                "--target",
                target,
                "--tests",
                "--features",
                &features,
                "--",
                "-D",
                "warnings",
            ],
        )
        .go();
        report.check(name, out.ok());
    }
}
