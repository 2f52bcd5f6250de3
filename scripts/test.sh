#!/usr/bin/env bash
# Runs the whole test suite of mio_wasi, on a fresh machine as on CI: a thin
# call into the Rust test driver (tests/xtask), which installs what the
# suites need, runs them, and ends with `suites: N passed, N failed`.
#
# Usage: bash scripts/test.sh [SUITE...]   (no argument: every suite;
#        `cargo xtask list` names them)
set -euo pipefail
cd "$(dirname "$0")/.."
# clippy and rustfmt come with rustup's default profile; add them when the
# toolchain was installed with a smaller one (the lint suite needs both).
if command -v rustup >/dev/null; then
    for component in clippy rustfmt; do
        if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
            rustup component add "$component"
        fi
    done
fi
exec cargo xtask test "$@"
