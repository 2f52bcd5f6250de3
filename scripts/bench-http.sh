#!/usr/bin/env bash
# Requests per second of examples/http's axum server on each host, under the
# native load client (http-load), with wasm/native ratios from the same run.
# Not a test: it prints figures.
#
#   native           the server natively on this crate (epoll)
#   native-upstream  the same server on upstream mio (the tokio users' mio),
#                    built in a scratch project without the patch
#   wasmtime, jco    the wasm32-wasip2 server
#   wasmedge         the wasm32-wasip1 server (feature `wasmedge`), when a
#                    WasmEdge is found ($WASMEDGE or `wasmedge` on PATH);
#                    ahead-of-time compiled when that WasmEdge can (see below)
#
# WasmEdge mode (WASMEDGE_AOT): unset tries `wasmedge compile` (a WasmEdge
# built with LLVM) and runs the compiled universal wasm, else falls back to
# the interpreter; 1 requires AOT (wasmedge is skipped if compiling fails);
# 0 always runs the interpreter. The mode measured is printed with the table.
#
# Each round runs every variant once, in turn (the machine may be busy with
# other work: interleaving keeps the ratios fair); a variant's figure is its
# median over the rounds. Per variant and round: a warm-up of 200 requests,
# then `seq` (REQUESTS sequential keep-alive requests on one connection,
# 1 in 5 a small POST, the rest GET /hello) and `conc` (20 connections x 50
# requests). Release builds. Needs the tools `cargo xtask test http` installs
# (into $MIO_WASI_TOOLS, default .tools/).
#
# Usage: [ROUNDS=5] [REQUESTS=2000] [VARIANTS="native ..."] [WASMEDGE=path]
#        [WASMEDGE_AOT=1|0] bash scripts/bench-http.sh
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS=${MIO_WASI_TOOLS:-$ROOT/.tools}
WASMTIME=$TOOLS/bin/wasmtime
JCO=$TOOLS/jco/node_modules/.bin/jco
ROUNDS=${ROUNDS:-5}
REQUESTS=${REQUESTS:-2000}
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
unset RUSTFLAGS CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS

REL=$ROOT/target/release
UPSTREAM_DIR=$ROOT/target/http-upstream
WASMEDGE_SERVER=$ROOT/target/wasm32-wasip1/release/http-server-wasmedge.wasm
WASMEDGE_AOT_SERVER=$ROOT/target/wasm32-wasip1/release/http-server-wasmedge-aot.wasm
WASMEDGE=${WASMEDGE:-$(command -v wasmedge || true)}
WASMEDGE_AOT=${WASMEDGE_AOT:-}
# What the wasmedge variant runs, and how (set once it is built).
wasmedge_wasm=$WASMEDGE_SERVER
wasmedge_mode=interpreter
wasmedge_run_opts=

variants=(${VARIANTS:-native native-upstream wasmtime jco wasmedge})

build() {
    echo "--- build: $*" >&2
    (cd examples/http && cargo build -q --release "$@")
}

# The example's own sources, built against upstream mio: benches/http-upstream,
# a project of its own that depends on it by path, without the
# `[patch.crates-io]`.
build_upstream() {
    echo "--- build: native on upstream mio" >&2
    (cd benches/http-upstream && cargo build -q --release --target-dir "$UPSTREAM_DIR")
}

available=()
build --bins || exit 1
for v in "${variants[@]}"; do
    case "$v" in
        native) ;;
        native-upstream) build_upstream || { echo "SKIP native-upstream: build failed"; continue; } ;;
        wasmtime | jco)
            if [ ! -x "$WASMTIME" ] || [ ! -x "$JCO" ]; then
                echo "SKIP $v: run \`cargo xtask test http\` once to install wasmtime and jco"
                continue
            fi
            build --target wasm32-wasip2 --bin http-server || continue
            ;;
        wasmedge)
            if [ -z "$WASMEDGE" ] || [ ! -x "$WASMEDGE" ]; then
                echo "SKIP wasmedge: no WasmEdge (set WASMEDGE or put wasmedge on PATH)"
                continue
            fi
            build --target wasm32-wasip1 --features wasmedge --bin http-server &&
                cp "$ROOT/target/wasm32-wasip1/release/http-server.wasm" "$WASMEDGE_SERVER" || continue
            if [ "$WASMEDGE_AOT" != 0 ]; then
                # A WasmEdge without LLVM has the subcommand but fails it.
                echo "--- wasmedge compile (AOT)" >&2
                rm -f "$WASMEDGE_AOT_SERVER"
                if "$WASMEDGE" compile "$WASMEDGE_SERVER" "$WASMEDGE_AOT_SERVER" >"$ROOT/target/wasmedge-compile.log" 2>&1 &&
                    [ -s "$WASMEDGE_AOT_SERVER" ]; then
                    wasmedge_wasm=$WASMEDGE_AOT_SERVER
                    wasmedge_mode="AOT (wasmedge compile, universal wasm)"
                    # Newer WasmEdge runs even a compiled universal wasm in
                    # the interpreter unless told otherwise.
                    # (Help captured first: grep -q closing the pipe early
                    # would fail it under pipefail.)
                    run_help=$("$WASMEDGE" run --help 2>&1)
                    if grep -q -- --run-mode <<<"$run_help"; then
                        wasmedge_run_opts="--run-mode aot"
                        wasmedge_mode="$wasmedge_mode, --run-mode aot"
                    fi
                elif [ "$WASMEDGE_AOT" = 1 ]; then
                    echo "SKIP wasmedge: WASMEDGE_AOT=1 but '$WASMEDGE compile' failed:"
                    cat "$ROOT/target/wasmedge-compile.log"
                    continue
                else
                    echo "wasmedge: this WasmEdge cannot compile ahead of time; measuring the interpreter"
                fi
            fi
            echo "wasmedge mode: $wasmedge_mode ($("$WASMEDGE" --version 2>/dev/null | head -n1))"
            ;;
        *) echo "unknown variant: $v"; exit 2 ;;
    esac
    available+=("$v")
done

server_cmd() {
    case "$1" in
        native) echo "$REL/http-server 127.0.0.1:0" ;;
        native-upstream) echo "$UPSTREAM_DIR/release/http-upstream-baseline" ;;
        wasmtime) echo "$WASMTIME run -S inherit-network $ROOT/target/wasm32-wasip2/release/http-server.wasm 127.0.0.1:0" ;;
        jco) echo "$JCO run $ROOT/target/wasm32-wasip2/release/http-server.wasm 127.0.0.1:0" ;;
        wasmedge) echo "$WASMEDGE $wasmedge_run_opts $wasmedge_wasm 127.0.0.1:0" ;;
    esac
}

out=$(mktemp)
results=$(mktemp)
trap 'rm -f "$out" "$results"' EXIT

# One measurement of variant $1: appends "variant seq|conc req/s" lines.
measure() {
    local v=$1 pid addr load
    # Emptied first: the background start truncates it only once it runs.
    : >"$out"
    $(server_cmd "$v") >"$out" 2>&1 &
    pid=$!
    addr=
    for _ in $(seq 1 600); do
        addr=$(sed -n 's/^listening on \(.*\)$/\1/p' "$out" | head -n1)
        [ -n "$addr" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$addr" ]; then
        echo "$v: server did not start"; cat "$out"
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        return
    fi
    timeout 300 "$REL/http-load" "$addr" seq 200 >/dev/null
    load=$(timeout 600 "$REL/http-load" "$addr" seq "$REQUESTS" conc 20 50)
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if ! grep -qE '^[0-9]+ passed, 0 failed$' <<<"$load"; then
        echo "$v: load failed:"; echo "$load"
        return
    fi
    sed -nE "s/^ok   (seq|conc):.* ([0-9]+) req\/s$/$v \1 \2/p" <<<"$load" | tee -a "$results"
}

for round in $(seq 1 "$ROUNDS"); do
    echo "--- round $round of $ROUNDS"
    for v in "${available[@]}"; do
        measure "$v"
    done
done

median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; else print 0}'; }

echo
echo "median req/s over $ROUNDS rounds (seq: $REQUESTS sequential keep-alive requests, 1 in 5 a POST; conc: 20 connections x 50)"
for v in "${available[@]}"; do
    [ "$v" = wasmedge ] && echo "wasmedge mode: $wasmedge_mode"
done
printf '%-16s %10s %10s %10s %10s %10s %10s\n' variant seq 'x native' 'x upstr.' conc 'x native' 'x upstr.'
declare -A med
for v in "${available[@]}"; do
    for kind in seq conc; do
        med[$v.$kind]=$(awk -v v="$v" -v k="$kind" '$1 == v && $2 == k {print $3}' "$results" | median)
    done
done
ratio() {
    awk -v a="$1" -v b="${2:-0}" 'BEGIN { if (b > 0) printf "%.3f", a / b; else printf "-" }'
}
for v in "${available[@]}"; do
    printf '%-16s %10s %10s %10s %10s %10s %10s\n' "$v" \
        "${med[$v.seq]}" "$(ratio "${med[$v.seq]}" "${med[native.seq]:-}")" "$(ratio "${med[$v.seq]}" "${med[native-upstream.seq]:-}")" \
        "${med[$v.conc]}" "$(ratio "${med[$v.conc]}" "${med[native.conc]:-}")" "$(ratio "${med[$v.conc]}" "${med[native-upstream.conc]:-}")"
done
