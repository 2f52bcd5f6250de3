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
# Needs the wasmtime (and jco) that `cargo xtask test wasip2` installs
# under .tools/ (or $MIO_WASI_TOOLS).
#
# Idle-connections mode: bash scripts/bench-wasip2.sh idle [RUNS] [ROUNDS]
# The echo server of benches/idle-echo under wasmtime, built four ways:
# this crate's WASI 0.3 backend (`--cfg mio_wasip3`, its own target dir),
# this crate's WASI 0.2 backend, upstream mio 1.2.5 (the anchor) and the
# host's floor (see below), driven
# by its native client: one connection ping-pongs 64-byte messages (ROUNDS
# round trips, default 5000) while 0, 100 or 1000 others stay open and
# silent, then 64 connections do 200 round trips of 1 KiB each at once.
# Prints the server's CPU time per round trip (the wasmtime process, all
# threads), the mean round-trip time and the wall time, each variant's
# median and range over RUNS runs (default 3; the variants take turns going
# first within each run), the ratios of the WASI 0.3 build to each other
# one, and each variant's cost at 100 and 1000 idle connections over its
# cost at none. All are built with $BENCH_TOOLCHAIN unless THIS_RUST or
# UPSTREAM_RUST say otherwise; IDLE_VARIANTS (default "p3 this upstream
# floor") picks the builds, the first being the one the ratios are taken
# of. `floor` is the host's floor (benches/idle-echo/src/floor_p2.rs: the
# same service on the bare `wasi:io`/`wasi:sockets` calls, no library),
# which shows what part of each figure is wasmtime's own.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS=${MIO_WASI_TOOLS:-$ROOT/.tools}
WASMTIME="$TOOLS/bin/wasmtime"
JCO="$TOOLS/jco/node_modules/.bin/jco"
TC=${BENCH_TOOLCHAIN:-1.99.1}
ROUNDS=${BENCH_ROUNDS:-5}
TARGET=wasm32-wasip2

if ! rustup run "$TC" rustc --version >/dev/null 2>&1; then
    rustup toolchain install "$TC" --profile minimal --target "$TARGET" || exit 1
fi
rustup target add "$TARGET" --toolchain "$TC" >/dev/null 2>&1 || true
[ -x "$WASMTIME" ] || { echo "no wasmtime at $WASMTIME: run \`cargo xtask test wasip2\` first"; exit 1; }

. scripts/idle-echo-lib.sh
# The native client of benches/idle-echo also sums up the tcp_echo rounds.
idle_echo_client || exit 1

if [ "${1:-}" = idle ]; then
    RUNS=${2:-3}
    ROUNDS=${3:-5000}
    THIS_RUST=${THIS_RUST:-$TC}
    UPSTREAM_RUST=${UPSTREAM_RUST:-$TC}
    read -r -a variants <<<"${IDLE_VARIANTS:-p3 this upstream floor}"
    for v in "${variants[@]}"; do
        bin=idle-echo-server
        case $v in
        p3) rust=$THIS_RUST feature=this flags="--cfg mio_wasip3" ;;
        this) rust=$THIS_RUST feature=this flags= ;;
        upstream) rust=$UPSTREAM_RUST feature=upstream flags= ;;
        floor) rust=$THIS_RUST feature=floor-p2 flags= bin=idle-echo-floor-p2 ;;
        *) echo "unknown variant $v (p3, this, upstream, floor)"; exit 1 ;;
        esac
        (cd benches/idle-echo && RUSTFLAGS="$flags" cargo "+$rust" build --quiet --release \
            --target wasm32-wasip2 --bin "$bin" --features "$feature" \
            --target-dir "$ROOT/target/idle-echo/$v") || exit 1
        # One name for every variant's module.
        cp "target/idle-echo/$v/wasm32-wasip2/release/$bin.wasm" "target/idle-echo/$v/server.wasm" || exit 1
    done
    RESULTS=$(mktemp)
    name() {
        case $1 in
        p3) echo "this-crate-wasi0.3" ;;
        this) echo "this-crate-wasi0.2" ;;
        floor) echo "host-floor-wasi0.2" ;;
        *) echo "upstream-1.2.5" ;;
        esac
    }
    idle_echo_runs "$RUNS" "$ROUNDS" server.wasm -- "$WASMTIME" run -S inherit-network
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

# Upstream mio, same benchmark source, in a package of its own.
upstream_manifest=benches/upstream-tcp-echo/Cargo.toml
upstream_dir=target/upstream-mio-bench/target-$TC
cargo "+$TC" build -q --release --target "$TARGET" --manifest-path "$upstream_manifest" \
    --target-dir "$upstream_dir" || exit 1
upstream=$upstream_dir/$TARGET/release/upstream-mio-bench.wasm

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

"$CLIENT" tcp-echo-summary "$results" "$TC"
[ $? -eq 0 ] || status=1

if [ "${BENCH_JCO:-0}" = 1 ]; then
    echo "== jco (mio_wasi only; informative)"
    timeout 600 "$JCO" run "$ours" || status=1
fi
if [ "${BENCH_NATIVE:-0}" = 1 ]; then
    echo "== native, mio_wasi"
    cargo "+$TC" bench -q --features os-poll,net --bench tcp_echo --target-dir "$ours_dir"
    echo "== native, mio 1.2.5"
    cargo "+$TC" run -q --release --manifest-path "$upstream_manifest" --target-dir "$upstream_dir"
fi
exit $status
