#!/usr/bin/env bash
# Benchmark on WasmEdge: this crate against `mio_wasi` 0.8.9 (crates.io), the
# same echo server (benches/wasip1-echo) built in release mode for each.
# Reports, per run, the echo throughput (MiB each way through the guest),
# the runtime's CPU time for the transfer, and its CPU time over 2 s idle
# with the connection registered for reading and writing, and 5000 64-byte
# request/response round trips (one poll wake-up each).
#
# Usage: WASMEDGE=/path/to/wasmedge bash scripts/bench-wasip1.sh [MIB] [RUNS]
set -uo pipefail
cd "$(dirname "$0")/.."
MIB=${1:-128}
RUNS=${2:-3}
WE="${WASMEDGE:-$(command -v wasmedge || true)}"
if [ -z "$WE" ]; then
    echo "SKIP bench-wasip1: no wasmedge binary (put it on PATH or set WASMEDGE)"
    exit 0
fi
for v in new old; do
    (cd benches/wasip1-echo &&
        cargo build --quiet --release --target wasm32-wasip1 --features "$v" \
            --target-dir "../../target/bench-wasip1/$v") || exit 1
done
for v in new old; do
    name=$([ "$v" = new ] && echo "mio_wasi (this crate)" || echo "mio_wasi 0.8.9")
    for i in $(seq "$RUNS"); do
        out=$(python3 scripts/wasip1/peer.py echo --mib "$MIB" --pingpong 5000 --name "$v" -- \
            "$WE" "target/bench-wasip1/$v/wasm32-wasip1/release/wasip1-echo-bench.wasm" 127.0.0.1:0 2>&1)
        echo "$name run $i: $(grep -E '^  (idle|echo|pingpong):' <<<"$out" | tr -s ' ' | tr '\n' ' ')$(grep -o 'polls=[0-9]*' <<<"$out")"
        grep '^FAIL' <<<"$out"
    done
done
