#!/usr/bin/env bash
# TCP ping-pong and 64-connection echo (benches/tcp_echo.rs) on
# wasm32-wasip2 under wasmtime: this crate against upstream mio 1.2.5, the
# same benchmark source built by the same toolchain, in the same run.
# Rounds alternate the two (and their order) so that load from elsewhere on
# the machine hits both alike; the medians and their ratios come last.
# Not a test: it prints figures.
#
# Upstream mio goes through wasi-libc's socket calls, and runs this
# benchmark on wasm32-wasip2 only with the wasi-libc of Rust 1.97 or later
# (wasi-sdk 33; measured: EBADF with 1.91, EINVAL with 1.93 and 1.95). So
# the comparison uses Rust $BENCH_TOOLCHAIN (default 1.99.1), installed with
# rustup when missing.
#
# Environment: BENCH_TOOLCHAIN (default 1.99.1), BENCH_ROUNDS (default 5),
# BENCH_JCO=1 also runs this crate's build once under jco, BENCH_NATIVE=1
# also runs both natively once.
# Needs the wasmtime (and jco) that scripts/test-wasip2.sh installs under
# .tools/.
#
# Idle-connections mode: bash scripts/bench-wasip2.sh idle [RUNS] [ROUNDS]
# The echo server of benches/idle-echo under wasmtime, built three ways:
# this crate's WASI 0.3 backend (`--cfg mio_wasip3`, its own target dir),
# this crate's WASI 0.2 backend, and upstream mio 1.2.5 (the anchor), driven
# by its native client: one connection ping-pongs 64-byte messages (ROUNDS
# round trips, default 5000) while 0, 100 or 1000 others stay open and
# silent, then 64 connections do 200 round trips of 1 KiB each at once.
# Prints the server's CPU time per round trip (the wasmtime process, all
# threads), the mean round-trip time and the wall time, each variant's
# median and range over RUNS runs (default 3; the variants take turns going
# first within each run), the ratios of the WASI 0.3 build to each other
# one, and each variant's cost at 100 and 1000 idle connections over its
# cost at none. All are built with $BENCH_TOOLCHAIN unless THIS_RUST or
# UPSTREAM_RUST say otherwise; IDLE_VARIANTS (default "p3 this upstream")
# picks the builds, the first being the one the ratios are taken of.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WASMTIME="$ROOT/.tools/bin/wasmtime"
JCO="$ROOT/.tools/jco/node_modules/.bin/jco"
TC=${BENCH_TOOLCHAIN:-1.99.1}
ROUNDS=${BENCH_ROUNDS:-5}
TARGET=wasm32-wasip2

if ! rustup run "$TC" rustc --version >/dev/null 2>&1; then
    rustup toolchain install "$TC" --profile minimal --target "$TARGET" || exit 1
fi
rustup target add "$TARGET" --toolchain "$TC" >/dev/null 2>&1 || true
[ -x "$WASMTIME" ] || { echo "no wasmtime at $WASMTIME: run scripts/test-wasip2.sh first"; exit 1; }

. scripts/idle-echo-lib.sh

if [ "${1:-}" = idle ]; then
    RUNS=${2:-3}
    ROUNDS=${3:-5000}
    THIS_RUST=${THIS_RUST:-$TC}
    UPSTREAM_RUST=${UPSTREAM_RUST:-$TC}
    read -r -a variants <<<"${IDLE_VARIANTS:-p3 this upstream}"
    idle_echo_client || exit 1
    for v in "${variants[@]}"; do
        case $v in
        p3) rust=$THIS_RUST feature=this flags="--cfg mio_wasip3" ;;
        this) rust=$THIS_RUST feature=this flags= ;;
        upstream) rust=$UPSTREAM_RUST feature=upstream flags= ;;
        *) echo "unknown variant $v (p3, this, upstream)"; exit 1 ;;
        esac
        (cd benches/idle-echo && RUSTFLAGS="$flags" cargo "+$rust" build --quiet --release \
            --target wasm32-wasip2 --bin idle-echo-server --features "$feature" \
            --target-dir "$ROOT/target/idle-echo/$v") || exit 1
    done
    RESULTS=$(mktemp)
    name() {
        case $1 in
        p3) echo "this-crate-wasi0.3" ;;
        this) echo "this-crate-wasi0.2" ;;
        *) echo "upstream-1.2.5" ;;
        esac
    }
    for run in $(seq "$RUNS"); do
        # Each run starts with the next variant; the first run's order is
        # the one the summary lists.
        n=${#variants[@]}
        order=()
        for i in $(seq 0 $((n - 1))); do
            order+=("${variants[$(((run - 1 + i) % n))]}")
        done
        for idle in 0 100 1000; do
            for v in "${order[@]}"; do
                idle_echo_run "idle=$idle" "$(name "$v")" pingpong "$idle" "$ROUNDS" -- \
                    "$WASMTIME" run -S inherit-network \
                    "target/idle-echo/$v/wasm32-wasip2/release/idle-echo-server.wasm" 127.0.0.1:0
            done
        done
        for v in "${order[@]}"; do
            idle_echo_run "64x200x1K" "$(name "$v")" many 64 200 1024 -- \
                "$WASMTIME" run -S inherit-network \
                "target/idle-echo/$v/wasm32-wasip2/release/idle-echo-server.wasm" 127.0.0.1:0
        done
    done
    echo "== wasmtime $("$WASMTIME" --version | cut -d' ' -f2): ${variants[*]} (this crate: Rust $THIS_RUST, upstream mio 1.2.5: Rust $UPSTREAM_RUST), $RUNS runs of $ROUNDS round trips"
    "$CLIENT" summary "$RESULTS"
    rm -f "$RESULTS"
    exit 0
fi


# This crate's build, in a directory of its own for this toolchain.
ours_dir=target/bench-wasip2-$TC
cargo "+$TC" build -q --release --target "$TARGET" --features os-poll,net --bench tcp_echo \
    --target-dir "$ours_dir" || exit 1
ours=$(ls -t "$ours_dir/$TARGET/release/deps/"tcp_echo-*.wasm | head -n1)

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
(cd "$scratch" && cargo "+$TC" build -q --release --target "$TARGET" --target-dir "target-$TC") || exit 1
upstream=$scratch/target-$TC/$TARGET/release/upstream-mio-bench.wasm

results=$(mktemp)
trap 'rm -f "$results"' EXIT

# Runs one build once and records "<name> <us per round trip> <round trips/s>".
run_one() {
    local name=$1 wasm=$2 out
    if ! out=$(timeout 300 "$WASMTIME" run -S inherit-network "$wasm" 2>&1); then
        echo "$name failed under wasmtime: $out"
        return 1
    fi
    echo "$out" | sed "s/^/  $name: /"
    local lat thr
    lat=$(echo "$out" | sed -n 's/.* = \([0-9.]*\) us\/round trip$/\1/p')
    thr=$(echo "$out" | sed -n 's/.* = \([0-9.]*\) round trips\/s$/\1/p')
    echo "$name $lat $thr" >>"$results"
}

echo "== wasm32-wasip2 under wasmtime, Rust $TC: mio_wasi against mio 1.2.5, $ROUNDS rounds"
status=0
for round in $(seq 1 "$ROUNDS"); do
    echo "round $round"
    if [ $((round % 2)) -eq 1 ]; then
        run_one mio_wasi "$ours" || status=1
        run_one upstream "$upstream" || status=1
    else
        run_one upstream "$upstream" || status=1
        run_one mio_wasi "$ours" || status=1
    fi
done

python3 - "$results" "$TC" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1]) if len(line.split()) == 3]
def med(name, col):
    vals = [float(r[col]) for r in rows if r[0] == name]
    return statistics.median(vals) if vals else None
ours_lat, up_lat = med("mio_wasi", 1), med("upstream", 1)
ours_thr, up_thr = med("mio_wasi", 2), med("upstream", 2)
if None in (ours_lat, up_lat, ours_thr, up_thr):
    print("no complete pair of results: no ratios")
    sys.exit(1)
# The same ratios per round (each round ran both back to back), then their
# median: steadier than the ratio of medians when the machine is busy.
ours = [r for r in rows if r[0] == "mio_wasi"]
ups = [r for r in rows if r[0] == "upstream"]
pairs = list(zip(ours, ups))
lat_r = statistics.median(float(o[1]) / float(u[1]) for o, u in pairs)
thr_r = statistics.median(float(o[2]) / float(u[2]) for o, u in pairs)
print(f"medians (Rust {sys.argv[2]}, wasmtime):")
print(f"  ping-pong:   mio_wasi {ours_lat:.1f} us/round trip, mio 1.2.5 {up_lat:.1f} us/round trip;"
      f" ratio mio_wasi/upstream = {ours_lat / up_lat:.2f} (below 1: mio_wasi faster)")
print(f"  64-conn echo: mio_wasi {ours_thr:.0f} round trips/s, mio 1.2.5 {up_thr:.0f} round trips/s;"
      f" ratio mio_wasi/upstream = {ours_thr / up_thr:.2f} (above 1: mio_wasi faster)")
print(f"  per-round ratios, median of {len(pairs)}: ping-pong {lat_r:.2f}, 64-conn echo {thr_r:.2f}")
PY
[ $? -eq 0 ] || status=1

if [ "${BENCH_JCO:-0}" = 1 ]; then
    echo "== jco (mio_wasi only; informative)"
    timeout 600 "$JCO" run "$ours" || status=1
fi
if [ "${BENCH_NATIVE:-0}" = 1 ]; then
    echo "== native, mio_wasi"
    cargo "+$TC" bench -q --features os-poll,net --bench tcp_echo --target-dir "$ours_dir"
    echo "== native, mio 1.2.5"
    (cd "$scratch" && cargo "+$TC" run -q --release --target-dir "target-$TC")
fi
exit $status
