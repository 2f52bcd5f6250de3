#!/usr/bin/env bash
# Idle-connections benchmark under wasmtime 49: one echo server
# (benches/idle_echo.rs) built three ways -- this crate's WASI 0.3 backend
# (`--cfg mio_wasip3`), this crate's WASI 0.2 backend, and upstream mio
# 1.2.5 on wasm32-wasip2 (Rust 1.99.1) -- and a native client that holds
# 0, 100 and 1000 idle connections open while timing 64-byte round trips
# on one more. Prints, per variant and idle count, the mean latency and the
# server's CPU time (user + system of the wasmtime process) per round trip,
# then the ratios. Variants are interleaved and repeated (ROUNDS_OF_RUNS,
# default 3; the medians are reported) because the machine is shared.
# Not a test: it prints figures. Needs the wasmtime scripts/test-wasip3.sh
# installs under .tools/.
#
# Usage: bash scripts/bench-wasip3.sh [ROUND_TRIPS (default 2000)]
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WASMTIME="$ROOT/.tools/bin/wasmtime"
TRIPS=${1:-2000}
RUNS=${ROUNDS_OF_RUNS:-3}
IDLE=(0 100 1000)
UPSTREAM_TOOLCHAIN=${UPSTREAM_TOOLCHAIN:-1.99.1}

build() {
    RUSTFLAGS="--cfg mio_wasip3" cargo build -q --release --target wasm32-wasip2 \
        --features os-poll,net --bench idle_echo --target-dir target/wasip3 || return 1
    P3=$(ls -t target/wasip3/wasm32-wasip2/release/deps/idle_echo-*.wasm | head -n1)
    cargo build -q --release --target wasm32-wasip2 --features os-poll,net --bench idle_echo || return 1
    P2=$(ls -t target/wasm32-wasip2/release/deps/idle_echo-*.wasm | head -n1)
    local scratch=target/upstream-idle-echo
    mkdir -p "$scratch/src"
    cat >"$scratch/Cargo.toml" <<'TOML'
[package]
name = "upstream-idle-echo"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
mio = { version = "=1.2.5", features = ["os-poll", "net"] }

[workspace]
TOML
    cp benches/idle_echo.rs "$scratch/src/main.rs"
    UP=
    if (cd "$scratch" && cargo "+$UPSTREAM_TOOLCHAIN" build -q --release --target wasm32-wasip2); then
        UP=$scratch/target/wasm32-wasip2/release/upstream-idle-echo.wasm
    else
        echo "upstream mio 1.2.5 did not build for wasm32-wasip2 with Rust $UPSTREAM_TOOLCHAIN; left out"
    fi
}

# run_variant NAME WASM: prints "NAME IDLE LATENCY_US CPU_US" lines.
run_variant() {
    local name=$1 wasm=$2 out pid port
    out=$(mktemp)
    "$WASMTIME" run -S inherit-network "$wasm" 127.0.0.1:0 >"$out" 2>&1 &
    pid=$!
    port=
    for _ in $(seq 1 200); do
        port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out" | head -n1)
        [ -n "$port" ] && break
        sleep 0.05
    done
    if [ -z "$port" ]; then
        echo "$name: server did not start" >&2
        cat "$out" >&2
    else
        timeout 600 python3 scripts/bench-wasip3-client.py "$port" "$pid" "$TRIPS" "${IDLE[@]}" |
            sed "s/^/$name /"
    fi
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rm -f "$out"
}

build || exit 1
results=$(mktemp)
for run in $(seq 1 "$RUNS"); do
    run_variant p3 "$P3" | tee -a "$results"
    run_variant p2 "$P2" | tee -a "$results"
    [ -n "$UP" ] && run_variant upstream-p2 "$UP" | tee -a "$results"
done
echo
echo "== medians of $RUNS runs, $TRIPS round trips each (latency us, server CPU us per round trip)"
python3 - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, idle, lat, cpu = line.split()
    rows.setdefault((name, int(idle)), []).append((float(lat), float(cpu)))
med = {k: (statistics.median(v[0] for v in vs), statistics.median(v[1] for v in vs)) for k, vs in rows.items()}
names = [n for n in ("p3", "p2", "upstream-p2") if any(k[0] == n for k in med)]
idles = sorted({k[1] for k in med})
print(f"{'variant':<12} {'idle':>5} {'latency':>9} {'cpu/rt':>8}")
for n in names:
    for i in idles:
        if (n, i) in med:
            lat, cpu = med[(n, i)]
            print(f"{n:<12} {i:>5} {lat:>9.1f} {cpu:>8.1f}")
print()
for i in idles:
    p3 = med.get(("p3", i))
    for other in names[1:]:
        o = med.get((other, i))
        if p3 and o and p3[1] > 0 and p3[0] > 0:
            print(f"idle {i:>5}: {other} / p3   cpu {o[1] / p3[1]:.2f}x   latency {o[0] / p3[0]:.2f}x")
for n in names:
    base = med.get((n, 0))
    top = med.get((n, max(idles)))
    if base and top and base[1] > 0:
        print(f"{n}: cpu/rt at {max(idles)} idle / at 0 idle = {top[1] / base[1]:.2f}x; latency {top[0] / base[0]:.2f}x")
PY
rm -f "$results"
