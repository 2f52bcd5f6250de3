//! Running cargo, and reading what libtest prints.

use std::path::PathBuf;
use std::time::Duration;

use crate::harness::{Context, Counts, Fallible};
use crate::process::{self, Outcome, Run};

/// `cargo [+TOOLCHAIN] ARGS...` as a [`Run`]; `toolchain` `None` is the
/// default one.
pub fn cargo(toolchain: Option<&str>, args: &[&str]) -> Run {
    let mut run = process::cmd("cargo");
    if let Some(tc) = toolchain {
        run = run.arg(format!("+{tc}"));
    }
    run.args(args)
}

/// Counts from the output of a `cargo test` (or a libtest binary run
/// directly): the sum of its `test result:` lines.
///
/// A test binary that aborts (a panic on wasm) or is stopped by a time
/// limit prints no result line, so each `process didn't exit successfully`
/// without a matching `test result: FAILED` counts as one failure more; a
/// run that failed without any failed test (a build error) counts as one.
pub fn libtest_counts(out: &Outcome) -> Counts {
    let mut counts = Counts::default();
    let mut failed_results = 0;
    let mut failed_binaries = 0;
    for line in out.text.lines() {
        if let Some(rest) = line.trim_start().strip_prefix("test result: ") {
            if rest.starts_with("FAILED") {
                failed_results += 1;
            }
            counts += parse_result(rest);
        } else if line.contains("process didn't exit successfully") {
            failed_binaries += 1;
        }
    }
    if failed_binaries > failed_results {
        counts.failed += failed_binaries - failed_results;
    }
    if !out.success() && counts.failed == 0 {
        counts.failed = 1;
    }
    counts
}

/// `ok. 12 passed; 0 failed; 1 ignored; ...` after `test result: `.
fn parse_result(rest: &str) -> Counts {
    let mut counts = Counts::default();
    let words: Vec<&str> = rest.split_whitespace().collect();
    for pair in words.windows(2) {
        let n: u64 = pair[0].parse().unwrap_or(0);
        match pair[1].trim_end_matches([';', ',']) {
            "passed" => counts.passed += n,
            "failed" => counts.failed += n,
            _ => {}
        }
    }
    counts
}

/// Counts from a program that ends its output with our own
/// `N passed, N failed` line (the last such line wins); a run that failed
/// without a failed check, or printed no such line, counts one failure.
pub fn summary_counts(out: &Outcome) -> Counts {
    let mut found = None;
    for line in out.text.lines() {
        if let Some(counts) = parse_summary(line.trim()) {
            found = Some(counts);
        }
    }
    let mut counts = found.unwrap_or_default();
    if (!out.success() || found.is_none()) && counts.failed == 0 {
        counts.failed = 1;
    }
    counts
}

/// `N passed, N failed` (a whole line).
pub fn parse_summary(line: &str) -> Option<Counts> {
    let (p, rest) = line.split_once(" passed, ")?;
    let f = rest.strip_suffix(" failed")?;
    Some(Counts {
        passed: p.parse().ok()?,
        failed: f.parse().ok()?,
    })
}

/// Builds the test binaries of a `cargo test --no-run` command line (the
/// caller gives everything after `test`) and returns (target name,
/// executable) pairs, from cargo's JSON messages.
pub fn test_executables(
    toolchain: Option<&str>,
    args: &[&str],
    envs: &[(&str, &str)],
) -> Fallible<Vec<(String, PathBuf)>> {
    let mut run = cargo(
        toolchain,
        &[
            "test",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ],
    )
    .args(args)
    .quiet()
    .timeout(Duration::from_secs(1800));
    for (k, v) in envs {
        run = run.env(k, v);
    }
    let out = run.go();
    if !out.success() {
        return Err(format!(
            "{}\n{}",
            out.ok().err().unwrap_or_default(),
            out.tail(40)
        ));
    }
    let mut found = Vec::new();
    for line in out.text.lines().filter(|l| l.starts_with('{')) {
        let msg: serde_json::Value = serde_json::from_str(line).context("cargo message")?;
        if msg["reason"] == "compiler-artifact" && msg["profile"]["test"] == true {
            if let (Some(name), Some(exe)) =
                (msg["target"]["name"].as_str(), msg["executable"].as_str())
            {
                found.push((name.to_string(), PathBuf::from(exe)));
            }
        }
    }
    Ok(found)
}

/// The variable that makes cargo run wasm32-wasip2 binaries (test
/// binaries, doctests, `cargo run`) under `host` (`wasmtime` or `jco`)
/// through this driver's `runner` command, which stops a binary after
/// `MIO_WASI_RUN_TIMEOUT` seconds (default 300): set it with
/// `run.env(name, value)`. Install the host first (`ctx.tools.wasmtime()`).
pub fn wasip2_runner_env(host: &str) -> Fallible<(&'static str, String)> {
    let exe = std::env::current_exe().context("the test driver's own path")?;
    let exe = exe.to_str().ok_or("the test driver's path is not UTF-8")?;
    // Cargo splits a runner given in the environment at whitespace.
    if exe.contains(char::is_whitespace) {
        return Err(format!("the test driver's path has a space: {exe}"));
    }
    Ok((
        "CARGO_TARGET_WASM32_WASIP2_RUNNER",
        format!("{exe} runner {host}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(text: &str, ok: bool) -> Outcome {
        use std::os::unix::process::ExitStatusExt;
        Outcome {
            status: Some(std::process::ExitStatus::from_raw(if ok { 0 } else { 256 })),
            text: text.to_string(),
            command: "cargo test".into(),
        }
    }

    #[test]
    fn sums_result_lines() {
        let out = outcome(
            "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.1s\n\
             test result: ok. 3 passed; 0 failed; 0 ignored\n",
            true,
        );
        assert_eq!(
            libtest_counts(&out),
            Counts {
                passed: 15,
                failed: 0
            }
        );
    }

    #[test]
    fn an_aborted_binary_is_a_failure() {
        let out = outcome(
            "test result: ok. 2 passed; 0 failed\n\
             error: test failed, to rerun pass `--test udp`\n\
             Caused by:\n  process didn't exit successfully: `runner udp.wasm` (exit status: 134)\n",
            false,
        );
        assert_eq!(
            libtest_counts(&out),
            Counts {
                passed: 2,
                failed: 1
            }
        );
    }

    #[test]
    fn a_failed_result_is_not_counted_twice() {
        let out = outcome(
            "test result: FAILED. 4 passed; 2 failed\n\
             process didn't exit successfully: `x` (exit status: 101)\n",
            false,
        );
        assert_eq!(
            libtest_counts(&out),
            Counts {
                passed: 4,
                failed: 2
            }
        );
    }

    #[test]
    fn a_build_error_is_a_failure() {
        assert_eq!(
            libtest_counts(&outcome("error[E0425]: oops\n", false)),
            Counts {
                passed: 0,
                failed: 1
            }
        );
    }

    #[test]
    fn summary_lines() {
        assert_eq!(
            parse_summary("3 passed, 1 failed"),
            Some(Counts {
                passed: 3,
                failed: 1
            })
        );
        assert_eq!(parse_summary("features: 3 passed, 1 failed"), None);
        let out = outcome("1 passed, 0 failed\n7 passed, 0 failed\n", true);
        assert_eq!(
            summary_counts(&out),
            Counts {
                passed: 7,
                failed: 0
            }
        );
        assert_eq!(
            summary_counts(&outcome("nothing\n", true)),
            Counts {
                passed: 0,
                failed: 1
            }
        );
    }
}
