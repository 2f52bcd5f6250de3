#!/usr/bin/env bash
# Integration test suite (tests/) on the native Unix selectors:
#   1. the platform default (epoll on Linux),
#   2. the portable poll(2) selector, forced with
#      --cfg mio_unsupported_force_poll_poll (separate target dir so the
#      two builds do not invalidate each other).
# Each run ends with cargo's own "test result:" lines.
set -euo pipefail
cd "$(dirname "$0")/.."

features=os-poll,net,os-ext
jobs="${CARGO_BUILD_JOBS:-2}"

echo "== integration tests: default selector"
cargo test -j "$jobs" --features "$features"

echo "== integration tests: poll(2) selector"
RUSTFLAGS="${RUSTFLAGS:-} --cfg mio_unsupported_force_poll_poll" \
    cargo test -j "$jobs" --features "$features" --target-dir target/poll
