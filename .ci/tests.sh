#!/usr/bin/env bash
# Integration test suite (tests/) on the native Unix selectors:
#   1. the platform default (epoll on Linux),
#   2. the portable poll(2) selector, forced with
#      --cfg mio_unsupported_force_poll_poll (in target/force-poll, the same
#      directory scripts/test.sh uses, so the two share one build).
# Each run ends with cargo's own "test result:" lines.
set -euo pipefail
cd "$(dirname "$0")/.."

features=os-poll,net,os-ext

echo "== integration tests: default selector"
cargo test --features "$features"

echo "== integration tests: poll(2) selector"
RUSTFLAGS="${RUSTFLAGS:-} --cfg mio_unsupported_force_poll_poll" \
RUSTDOCFLAGS="${RUSTDOCFLAGS:-} --cfg mio_unsupported_force_poll_poll" \
    cargo test --features "$features" --target-dir target/force-poll
