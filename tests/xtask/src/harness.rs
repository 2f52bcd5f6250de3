//! Suites, their results, and the run over all of them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use crate::suites;
use crate::tools::Tools;

/// What a check or a step gives back: `Err` carries the reason, printed
/// after `FAIL`.
pub type Fallible<T = ()> = Result<T, String>;

/// Adds a description to an error on its way up (`io::Error`, `String`, ...).
pub trait Context<T> {
    fn context(self, what: impl fmt::Display) -> Fallible<T>;
}

impl<T, E: fmt::Display> Context<T> for Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Fallible<T> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

/// One suite: a name to select it by, a line for `cargo xtask list`, and
/// the function that runs it.
pub struct Suite {
    pub name: &'static str,
    pub about: &'static str,
    pub run: fn(&Ctx, &mut Report),
}

/// What every suite gets: where the checkout is and where tools go.
pub struct Ctx {
    /// The workspace root (the mio_wasi checkout).
    pub root: PathBuf,
    pub tools: Tools,
}

impl Ctx {
    /// A path inside the checkout.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
}

/// Passed and failed counts, from libtest's `test result:` lines or from
/// our own checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)
    }
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

impl std::ops::Sub for Counts {
    type Output = Counts;
    fn sub(self, other: Counts) -> Counts {
        Counts {
            passed: self.passed - other.passed,
            failed: self.failed - other.failed,
        }
    }
}

/// A suite's running tally. Every check prints one line as it happens:
/// `ok   NAME`, `FAIL NAME: WHY` or `SKIP NAME: WHY`.
#[derive(Default)]
pub struct Report {
    pub counts: Counts,
    pub skipped: u64,
}

impl Report {
    pub fn pass(&mut self, name: impl fmt::Display) {
        println!("ok   {name}");
        self.counts.passed += 1;
    }

    pub fn fail(&mut self, name: impl fmt::Display, why: impl fmt::Display) {
        println!("FAIL {name}: {why}");
        self.counts.failed += 1;
    }

    /// Something that could not run here, with the reason (a skipped case
    /// always says why).
    pub fn skip(&mut self, name: impl fmt::Display, why: impl fmt::Display) {
        println!("SKIP {name}: {why}");
        self.skipped += 1;
    }

    /// One check: passes on `Ok`, fails with the error's text.
    pub fn check(&mut self, name: impl fmt::Display, result: Fallible) -> bool {
        match result {
            Ok(()) => {
                self.pass(name);
                true
            }
            Err(why) => {
                self.fail(name, why);
                false
            }
        }
    }

    /// Adds counts from elsewhere (a `cargo test` run, a guest's own
    /// `N passed, N failed`).
    pub fn add(&mut self, counts: Counts) {
        self.counts += counts;
    }

    /// Starts a part of a suite: a heading in the log.
    pub fn part(&self, title: impl fmt::Display) {
        println!("\n--- {title}");
    }

    /// Runs `f` as one labelled part and prints `LABEL: N passed, N failed`
    /// for what it added.
    pub fn section(&mut self, label: impl fmt::Display, f: impl FnOnce(&mut Report)) {
        self.part(&label);
        let before = self.counts;
        f(self);
        println!("{label}: {}", self.counts - before);
    }
}

/// The checkout this driver was built from (it lives in `tests/xtask/`).
pub fn checkout() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors().nth(2).unwrap_or(here).to_path_buf()
}

/// `cargo xtask test [SUITE...]`.
pub fn run(args: &[String]) -> ExitCode {
    let mut selected: Vec<&'static Suite> = Vec::new();
    for name in args {
        match suites::ALL.iter().find(|s| s.name == name) {
            Some(suite) => selected.push(suite),
            None => {
                eprintln!("unknown suite: {name} (`cargo xtask list` names them)");
                return ExitCode::from(2);
            }
        }
    }
    if selected.is_empty() {
        selected = suites::ALL.iter().collect();
    }

    let root = checkout();
    if let Err(e) = std::env::set_current_dir(&root) {
        eprintln!("cannot enter {}: {e}", root.display());
        return ExitCode::FAILURE;
    }
    let ctx = Ctx {
        tools: Tools::new(&root),
        root,
    };
    // Nested cargo runs print plain text, and do not fight over
    // incremental caches between toolchains.
    std::env::set_var(
        "CARGO_TERM_COLOR",
        std::env::var("CARGO_TERM_COLOR").unwrap_or_else(|_| "never".into()),
    );
    std::env::set_var("CARGO_INCREMENTAL", "0");

    let mut lines = Vec::new();
    let mut total = Counts::default();
    let mut suites_passed = 0;
    let mut failed_names = Vec::new();
    for suite in &selected {
        println!("\n=== suite: {}", suite.name);
        let start = Instant::now();
        let mut report = Report::default();
        (suite.run)(&ctx, &mut report);
        let secs = start.elapsed().as_secs();
        let ok = report.counts.failed == 0 && report.counts.passed > 0;
        if report.counts.passed == 0 && report.counts.failed == 0 {
            // A suite that checked nothing has not passed.
            println!("FAIL {}: ran no check", suite.name);
            report.counts.failed = 1;
        }
        println!("{}: {}", suite.name, report.counts);
        total += report.counts;
        if ok {
            suites_passed += 1;
        } else {
            failed_names.push(suite.name);
        }
        let skipped = if report.skipped > 0 {
            format!(", {} skipped", report.skipped)
        } else {
            String::new()
        };
        lines.push(format!(
            "{:<16} {:<7} {:>5}s  {}{skipped}",
            suite.name,
            if ok { "ok" } else { "FAILED" },
            secs,
            report.counts
        ));
    }

    println!("\n=== summary");
    for line in &lines {
        println!("{line}");
    }
    if !failed_names.is_empty() {
        println!("failed suites: {}", failed_names.join(" "));
    }
    println!("checks: {total}");
    println!(
        "suites: {suites_passed} passed, {} failed",
        failed_names.len()
    );
    if failed_names.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
