#!/usr/bin/env bash
# TCP ping-pong and 64-connection echo (benches/tcp_echo.rs): this crate
# natively, under wasmtime and under jco, and upstream mio 1.2.5 built for
# wasm32-wasip2 under wasmtime for comparison. Not a test: it prints figures.
# Needs the tools scripts/test-wasip2.sh installs under .tools/.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WASMTIME="$ROOT/.tools/bin/wasmtime"
JCO="$ROOT/.tools/jco/node_modules/.bin/jco"

echo "== native (this crate)"
cargo bench -q --features os-poll,net --bench tcp_echo

cargo build -q --release --target wasm32-wasip2 --features os-poll,net --bench tcp_echo || exit 1
wasm=$(ls -t target/wasm32-wasip2/release/deps/tcp_echo-*.wasm | head -n1)
echo "== wasmtime (this crate)"
timeout 300 "$WASMTIME" run -S inherit-network "$wasm"
echo "== jco (this crate)"
timeout 600 "$JCO" run "$wasm"

# Upstream mio, same benchmark source, in a scratch crate.
scratch=target/upstream-mio-bench
mkdir -p "$scratch/src"
cat >"$scratch/Cargo.toml" <<'TOML'
[package]
name = "upstream-mio-bench"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
mio = { version = "=1.2.5", features = ["os-poll", "net"] }

[workspace]
TOML
cp benches/tcp_echo.rs "$scratch/src/main.rs"
echo "== native (mio 1.2.5)"
(cd "$scratch" && cargo run -q --release)
echo "== wasmtime (mio 1.2.5)"
(cd "$scratch" && cargo build -q --release --target wasm32-wasip2) &&
    timeout 300 "$WASMTIME" run -S inherit-network "$scratch/target/wasm32-wasip2/release/upstream-mio-bench.wasm" ||
    echo "mio 1.2.5 on wasm32-wasip2 failed (its accept() goes through wasi-libc and returns EINVAL)"
exit 0
