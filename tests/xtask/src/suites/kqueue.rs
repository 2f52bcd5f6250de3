//! The `kqueue-targets` suite: the kqueue backend type-checks and lints for
//! macOS, FreeBSD and NetBSD (cross-checking only: nothing runs).

use std::time::Duration;

use crate::cargo::cargo;
use crate::harness::{Ctx, Report, Suite};

pub const KQUEUE_TARGETS: Suite = Suite {
    name: "kqueue-targets",
    about: "clippy -D warnings for macOS (x86_64, aarch64), FreeBSD and NetBSD",
    run: kqueue_targets,
};

const TARGETS: [&str; 4] = [
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-unknown-freebsd",
    "x86_64-unknown-netbsd",
];

fn kqueue_targets(ctx: &Ctx, report: &mut Report) {
    for target in TARGETS {
        if let Err(e) = ctx.tools.target(None, target) {
            report.fail(target, e);
            continue;
        }
        let out = cargo(
            None,
            &[
                "clippy",
                "--quiet",
                "--target",
                target,
                "--all-targets",
                "--features",
                "os-poll,net,os-ext",
                "--",
                "-D",
                "warnings",
            ],
        )
        .timeout(Duration::from_secs(1200))
        .quiet()
        .go();
        match out.ok() {
            Ok(()) => report.pass(target),
            Err(e) => report.fail(target, format!("{e}\n{}", out.tail(60))),
        }
    }
}
