#!/usr/bin/env bash
# Builds the examples and checks them against real clients on loopback:
# tcp_server (1 MiB echo, line echo, empty session, 32 clients at once),
# tcp_client against tcp_server (stdin mode and message mode), and
# udp_server (small and large datagrams). Prints "N passed, N failed" and
# exits non-zero when anything failed.
#
# Environment:
#   TARGET  build for this target triple (default: the host)
#   RUNNER  command that runs a built example (for example
#           "wasmtime run -S inherit-network"); default: run it directly
#   PROFILE cargo profile directory, "debug" (default) or "release"
set -u

cd "$(dirname "$0")/.."

PROFILE=${PROFILE:-debug}
RUNNER=${RUNNER:-}
build=(cargo build --examples --features os-poll,net)
[ "$PROFILE" = release ] && build+=(--release)
dir=${CARGO_TARGET_DIR:-target}
ext=
if [ -n "${TARGET:-}" ]; then
    build+=(--target "$TARGET")
    dir="$dir/$TARGET"
    case "$TARGET" in wasm32-*) ext=.wasm ;; esac
fi
bin="$dir/$PROFILE/examples"

passed=0
failed=0
pids=()
tmp=$(mktemp -d)
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }

finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

if ! "${build[@]}"; then
    fail build "cargo build failed"
    finish
fi

# start NAME: runs example NAME on a free loopback port, sets $addr to the
# address from its "listening on ADDR" line.
start() {
    local name=$1 out="$tmp/$1.out"
    # shellcheck disable=SC2086 # RUNNER is a command line on purpose
    $RUNNER "$bin/$name$ext" 127.0.0.1:0 >"$out" 2>"$tmp/$name.err" &
    pids+=($!)
    addr=
    for _ in $(seq 100); do
        line=$(head -n 1 "$out" 2>/dev/null)
        case "$line" in
            "listening on "*) addr=${line#listening on }; return 0 ;;
        esac
        sleep 0.1
    done
    echo "--- $name stderr:"; cat "$tmp/$name.err"
    return 1
}

# check NAME COMMAND...: one test case.
check() {
    local name=$1; shift
    if out=$(timeout 60 "$@" 2>&1); then
        pass "$name"
    else
        fail "$name" "$out"
    fi
}

if start tcp_server; then
    pass "tcp_server prints its address ($addr)"
    check "tcp_server echoes 1 MiB" python3 scripts/echo_check.py tcp "$addr" big
    check "tcp_server echoes lines and closes on EOF" python3 scripts/echo_check.py tcp "$addr" lines
    check "tcp_server closes an empty session" python3 scripts/echo_check.py tcp "$addr" empty
    check "tcp_server serves 32 clients at once" python3 scripts/echo_check.py tcp "$addr" many

    # shellcheck disable=SC2086
    got=$(printf 'one\ntwo words\n' | timeout 30 $RUNNER "$bin/tcp_client$ext" "$addr" 2>&1)
    if [ "$got" = $'one\ntwo words' ]; then
        pass "tcp_client echoes stdin lines"
    else
        fail "tcp_client echoes stdin lines" "got: $got"
    fi
    # shellcheck disable=SC2086
    got=$(timeout 30 $RUNNER "$bin/tcp_client$ext" "$addr" hello there </dev/null 2>&1)
    if [ "$got" = "hello there" ]; then
        pass "tcp_client sends a message"
    else
        fail "tcp_client sends a message" "got: $got"
    fi
    # The server must still be alive after all of that.
    check "tcp_server still serves after the other tests" python3 scripts/echo_check.py tcp "$addr" lines
else
    fail "tcp_server prints its address" "no 'listening on' line"
fi

if start udp_server; then
    pass "udp_server prints its address ($addr)"
    check "udp_server echoes small datagrams" python3 scripts/echo_check.py udp "$addr" small
    check "udp_server echoes a 60000-byte datagram" python3 scripts/echo_check.py udp "$addr" large
else
    fail "udp_server prints its address" "no 'listening on' line"
fi

finish
