#!/usr/bin/env bash
# Examples and benchmark check (a suite of scripts/test.sh):
#  1. scripts/test-examples.sh with the default selector (epoll on Linux);
#  2. the same with the poll(2) selector (--cfg mio_unsupported_force_poll_poll);
#  3. benches/compare.rs builds and completes one round (a smoke run: the
#     figures of a single round on a shared CI machine mean nothing).
# Prints "N passed, N failed" over all of them; exits non-zero on failure.
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0

# suite NAME COMMAND...: runs a script that ends with "N passed, N failed".
suite() {
    local name=$1; shift
    local out line
    out=$("$@" 2>&1)
    printf '%s\n' "$out" | grep -E '^(PASS|FAIL) '
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    if [ -z "$line" ]; then
        printf '%s\n' "$out" | tail -n 30
        echo "FAIL $name: no summary line"
        failed=$((failed + 1))
        return
    fi
    echo "$name: $line"
    passed=$((passed + ${line%% passed*}))
    local f=${line#*passed, }
    failed=$((failed + ${f%% failed}))
}

suite "examples (default selector)" bash scripts/test-examples.sh
suite "examples (poll(2) selector)" env RUSTFLAGS="--cfg mio_unsupported_force_poll_poll" \
    CARGO_TARGET_DIR=target/force-poll bash scripts/test-examples.sh

if out=$(COMPARE_ROUNDS=1 timeout 600 cargo bench --bench compare --features os-poll,net,os-ext 2>&1); then
    printf '%s\n' "$out" | grep -E '^(benchmark|socketpair|register|wake|tcp echo)'
    echo "PASS bench compare: one round"
    passed=$((passed + 1))
else
    printf '%s\n' "$out" | tail -n 30
    echo "FAIL bench compare: one round"
    failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
