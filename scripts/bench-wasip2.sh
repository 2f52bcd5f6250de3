#!/usr/bin/env bash
# TCP ping-pong and 64-connection echo (benches/tcp_echo.rs): this crate
# natively, under wasmtime and under jco, and upstream mio 1.2.5 built for
# wasm32-wasip2 under wasmtime for comparison. Not a test: it prints figures.
# Needs the tools scripts/test-wasip2.sh installs under .tools/.
#
# Idle-connections mode: bash scripts/bench-wasip2.sh idle [RUNS] [ROUNDS]
# The echo server of benches/idle-echo under wasmtime, built against this
# crate and against upstream mio 1.2.5 (the anchor), driven by its native
# client: one connection ping-pongs 64-byte messages (ROUNDS round trips,
# default 5000) while 0, 100 or 1000 others stay open and silent, then 64
# connections do 200 round trips of 1 KiB each at once. Prints the server's
# CPU time per round trip (the wasmtime process, all threads), the mean
# round-trip time and the wall time, each variant's median and range over
# RUNS runs (default 3; the variants alternate within each run), and the
# ratios this crate / upstream. Toolchains: THIS_RUST (default 1.99.1) and
# UPSTREAM_RUST (default 1.99.1; mio 1.2.5's accept fails on wasm32-wasip2
# with the wasi-libc of Rust 1.95).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WASMTIME="$ROOT/.tools/bin/wasmtime"
JCO="$ROOT/.tools/jco/node_modules/.bin/jco"

. scripts/idle-echo-lib.sh

if [ "${1:-}" = idle ]; then
    RUNS=${2:-3}
    ROUNDS=${3:-5000}
    THIS_RUST=${THIS_RUST:-1.99.1}
    UPSTREAM_RUST=${UPSTREAM_RUST:-1.99.1}
    idle_echo_client || exit 1
    for v in this upstream; do
        rust=$([ "$v" = this ] && echo "$THIS_RUST" || echo "$UPSTREAM_RUST")
        (cd benches/idle-echo && cargo "+$rust" build --quiet --release --target wasm32-wasip2 \
            --bin idle-echo-server --features "$v" --target-dir "$ROOT/target/idle-echo/$v") || exit 1
    done
    RESULTS=$(mktemp)
    name() { [ "$1" = this ] && echo "this-crate" || echo "upstream-1.2.5"; }
    for run in $(seq "$RUNS"); do
        # Alternate which variant goes first.
        order="this upstream"
        [ $((run % 2)) -eq 0 ] && order="upstream this"
        for idle in 0 100 1000; do
            for v in $order; do
                idle_echo_run "idle=$idle" "$(name $v)" pingpong "$idle" "$ROUNDS" -- \
                    "$WASMTIME" run -S inherit-network \
                    "target/idle-echo/$v/wasm32-wasip2/release/idle-echo-server.wasm" 127.0.0.1:0
            done
        done
        for v in $order; do
            idle_echo_run "64x200x1K" "$(name $v)" many 64 200 1024 -- \
                "$WASMTIME" run -S inherit-network \
                "target/idle-echo/$v/wasm32-wasip2/release/idle-echo-server.wasm" 127.0.0.1:0
        done
    done
    echo "== wasmtime $("$WASMTIME" --version | cut -d' ' -f2): this crate (Rust $THIS_RUST) / upstream mio 1.2.5 (Rust $UPSTREAM_RUST), $RUNS runs"
    "$CLIENT" summary "$RESULTS"
    rm -f "$RESULTS"
    exit 0
fi

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
