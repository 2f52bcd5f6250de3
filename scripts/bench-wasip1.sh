#!/usr/bin/env bash
# Benchmark on WasmEdge: this crate against `mio_wasi` 0.8.9 (crates.io), the
# same echo server (benches/wasip1-echo) built in release mode for each.
# Reports, per run, the echo throughput (MiB each way through the guest),
# the runtime's CPU time for the transfer, and its CPU time over 2 s idle
# with the connection registered for reading and writing, and 5000 64-byte
# request/response round trips (one poll wake-up each).
#
# Usage: WASMEDGE=/path/to/wasmedge bash scripts/bench-wasip1.sh [MIB] [RUNS]
#        WASMEDGE=/path/to/wasmedge bash scripts/bench-wasip1.sh idle [RUNS] [ROUNDS]
#
# Idle-connections mode: bash scripts/bench-wasip1.sh idle [RUNS] [ROUNDS]
# The echo server of benches/idle-echo under WasmEdge, built against this
# crate (`wasmedge` feature) and against mio_wasi 0.8.9, driven by its
# native client as in `scripts/bench-wasip2.sh idle`: one connection
# ping-pongs 64-byte messages (ROUNDS, default 2000) beside 0, 100 or 1000
# silent ones, then 64 connections x 200 round trips of 1 KiB. Prints the
# runtime's CPU time per round trip, the mean round-trip time and the wall
# time (median and range over RUNS runs, default 3, variants taking turns
# to go first) and the ratios this crate / each other variant.
# IDLE_VARIANTS (default "wasmedge old floor") picks the builds: this crate,
# mio_wasi 0.8.9, and the host's floor (benches/idle-echo/src/floor_p1.rs:
# the same service on the bare host calls, no library), which shows what
# part of each figure is the host's own.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WE="${WASMEDGE:-$(command -v wasmedge || true)}"
if [ -z "$WE" ]; then
    echo "SKIP bench-wasip1: no wasmedge binary (put it on PATH or set WASMEDGE)"
    exit 0
fi

if [ "${1:-}" = idle ]; then
    . scripts/idle-echo-lib.sh
    RUNS=${2:-3}
    ROUNDS=${3:-2000}
    idle_echo_client || exit 1
    read -r -a variants <<<"${IDLE_VARIANTS:-wasmedge old floor}"
    for v in "${variants[@]}"; do
        case $v in
        wasmedge | old) bin=idle-echo-server feature=$v ;;
        floor) bin=idle-echo-floor-p1 feature=floor-p1 ;;
        *) echo "unknown variant $v (wasmedge, old, floor)"; exit 1 ;;
        esac
        (cd benches/idle-echo && cargo build --quiet --release --target wasm32-wasip1 \
            --bin "$bin" --features "$feature" --target-dir "$ROOT/target/idle-echo/$v") || exit 1
        # One name for every variant's module.
        cp "target/idle-echo/$v/wasm32-wasip1/release/$bin.wasm" "target/idle-echo/$v/server-p1.wasm" || exit 1
    done
    RESULTS=$(mktemp)
    name() {
        case $1 in
        wasmedge) echo "this-crate" ;;
        old) echo "mio_wasi-0.8.9" ;;
        *) echo "host-floor" ;;
        esac
    }
    idle_echo_runs "$RUNS" "$ROUNDS" server-p1.wasm -- "$WE"
    echo "== $("$WE" --version | head -n1): ${variants[*]}, $RUNS runs of $ROUNDS round trips"
    "$CLIENT" summary "$RESULTS"
    rm -f "$RESULTS"
    exit 0
fi

MIB=${1:-128}
RUNS=${2:-3}
# The native peer is the test driver's (`cargo xtask peer echo`).
cargo build --quiet -p xtask || exit 1
for v in new old; do
    (cd benches/wasip1-echo &&
        cargo build --quiet --release --target wasm32-wasip1 --features "$v" \
            --target-dir "../../target/bench-wasip1/$v") || exit 1
done
for v in new old; do
    name=$([ "$v" = new ] && echo "mio_wasi (this crate)" || echo "mio_wasi 0.8.9")
    for i in $(seq "$RUNS"); do
        out=$(cargo xtask peer echo --mib "$MIB" --pingpong 5000 --name "$v" -- \
            "$WE" "target/bench-wasip1/$v/wasm32-wasip1/release/wasip1-echo-bench.wasm" 127.0.0.1:0 2>&1)
        echo "$name run $i: $(grep -E '^  (idle|echo|pingpong):' <<<"$out" | tr -s ' ' | tr '\n' ' ')$(grep -o 'polls=[0-9]*' <<<"$out")"
        grep '^FAIL' <<<"$out"
    done
done
