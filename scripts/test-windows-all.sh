#!/usr/bin/env bash
# Windows backend suite (run by scripts/test.sh): lint for x86_64-pc-windows-gnu, then run
# the test suite (and the tcp_server example, when present) under Wine.
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-pc-windows-gnu
libdir="$(rustc --print target-libdir --target "$target")"
if ! ls "$libdir"/libstd-*.rlib >/dev/null 2>&1; then
  rustup target add "$target"
fi
cargo clippy --target "$target" --all-targets --features os-poll,net,os-ext -- -D warnings
# The backend must also build with os-poll off (shell) and without net.
cargo check --target "$target"
cargo check --target "$target" --features os-poll
exec bash scripts/test-windows.sh
