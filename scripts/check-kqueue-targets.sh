#!/usr/bin/env bash
# Type-checks and lints the kqueue backend for the macOS, FreeBSD and NetBSD
# targets (cross-checking only: nothing is run). Prints one line per target
# and a final `N passed, N failed`; exits non-zero if any target failed.
#
# Environment:
#   KQUEUE_TARGETS   space-separated targets (default: the four below)
#   KQUEUE_FEATURES  cargo feature arguments (default: the OS features;
#                    `--all-features` once every feature builds everywhere)
set -u

cd "$(dirname "$0")/.."

targets=${KQUEUE_TARGETS:-"x86_64-apple-darwin aarch64-apple-darwin x86_64-unknown-freebsd x86_64-unknown-netbsd"}
features=${KQUEUE_FEATURES:-"--features os-poll,net,os-ext"}

# shellcheck disable=SC2086 # word splitting of the target list is intended
if ! out=$(rustup target add $targets 2>&1); then
    echo "rustup could not install the targets: $targets"
    echo "$out"
fi

passed=0
failed=0
for target in $targets; do
    log=$(mktemp)
    # shellcheck disable=SC2086
    if cargo clippy --quiet --target "$target" --all-targets $features -- -D warnings >"$log" 2>&1; then
        echo "PASS $target"
        passed=$((passed + 1))
    else
        echo "FAIL $target"
        sed 's/^/    /' "$log"
        failed=$((failed + 1))
    fi
    rm -f "$log"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
