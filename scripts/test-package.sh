#!/usr/bin/env bash
# The `package` suite: what `cargo publish` would upload builds and tests on
# its own, read-only, as on docs.rs or in a vendored/registry source.
#
# 1. stages the tracked files (plus untracked, not ignored ones) in a scratch
#    copy, so nothing local such as `.tools/` or `target/` is walked;
# 2. `cargo package --list`: no scripts/, .ci/, tests/ or benches/ files, and
#    the files a build needs are there;
# 3. `cargo package`, then unpacks the .crate and, with a target dir outside
#    it, builds and tests it with default features and with --all-features;
#    the --all-features builds (host, wasm32-wasip2, wasm32-wasip1; the
#    `regenerate-bindings` feature regenerates every binding into OUT_DIR)
#    run with the unpacked source made read-only, and its checksums must not
#    change;
#    the doc examples also run as a wasm32-wasip2 guest under wasmtime;
# 4. renders the docs as docs.rs does (`--cfg docsrs`, nightly), when a
#    nightly toolchain is available or installable;
# 5. `cargo publish --dry-run`.
#
# Prints `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

passed=0
failed=0
check() {
    local name=$1
    shift
    echo "--- package: $name"
    if "$@"; then
        passed=$((passed + 1))
    else
        echo "FAILED: package: $name"
        failed=$((failed + 1))
    fi
}

if command -v rustup >/dev/null; then
    rustup target add wasm32-wasip1 wasm32-wasip2 >/dev/null 2>&1 || true
fi

# Build products go under target/; the sources are staged and unpacked
# outside the checkout, so cargo does not take them for workspace members.
work="$root/target/package-suite"
scratch=$(mktemp -d)
stage="$scratch/stage"
unpacked="$scratch/unpacked"
cleanup() {
    chmod -R u+w "$scratch" 2>/dev/null
    rm -rf "$scratch"
}
trap cleanup EXIT
mkdir -p "$work" "$stage" "$unpacked"

# 1. Stage.
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done \
    | tar --null -T - -cf - | tar -xf - -C "$stage"
export CARGO_TARGET_DIR="$work/target"

# 2. What the package holds.
list_ok() {
    local list
    list=$(cd "$stage" && cargo package --list --allow-dirty 2>/dev/null) || return 1
    # Only these may ship (Cargo.toml's `exclude` keeps the rest out).
    local bad
    bad=$(printf '%s\n' "$list" | grep -v -E \
        '^(src/.*\.rs|generated/[a-z0-9_]+\.rs|wit/.*|build/[a-z0-9_]+\.rs|build\.rs|examples/[a-z0-9_]+\.rs|README\.md|LICENSE|CHANGELOG\.md|Cargo\.toml|Cargo\.toml\.orig|Cargo\.lock|\.cargo_vcs_info\.json)$' || true)
    if [ -n "$bad" ]; then
        echo "packaged but should not be:"
        echo "$bad"
        return 1
    fi
    local need missing=0
    for need in build.rs build/generate.rs build/witx_gen.rs generated/wasi_p2.rs \
        generated/wasi_p1.rs generated/wasmedge_sock.rs wit/wasi-0.2/world.wit \
        wit/preview1/wasi_snapshot_preview1.witx src/lib.rs examples/tcp_server.rs \
        README.md LICENSE CHANGELOG.md Cargo.toml Cargo.lock; do
        if ! printf '%s\n' "$list" | grep -qx -- "$need"; then
            echo "missing from the package: $need"
            missing=1
        fi
    done
    echo "$(printf '%s\n' "$list" | wc -l) files in the package"
    [ "$missing" -eq 0 ]
}
check "cargo package --list" list_ok

# 3. Package, unpack, build and test.
package() {
    (cd "$stage" && cargo package --allow-dirty --no-verify) &&
        tar -xzf "$CARGO_TARGET_DIR/package/mio_wasi-"*.crate -C "$unpacked"
}
check "cargo package" package
crate=$(ls -d "$unpacked"/mio_wasi-* 2>/dev/null | head -n 1)
if [ -z "$crate" ]; then
    echo "package: nothing to unpack; skipping the builds"
    echo "package: $passed passed, $((failed + 1)) failed"
    exit 1
fi
in_crate() { (cd "$crate" && "$@"); }
export CARGO_TARGET_DIR="$work/crate-target"

check "build, default features" in_crate cargo build --locked
check "test, default features" in_crate cargo test --locked

# The --all-features builds name the host target explicitly: then the host
# and both WASI builds share one build of the binding generator (a build
# dependency), instead of compiling it once without and once with --target.
host=$(rustc -vV | sed -n 's/^host: //p')

sums() { (cd "$crate" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
before=$(sums)
# tar gives the directories it creates the current time, so compare against
# a stamp made now rather than against the unpacked files.
touch "$scratch/stamp"
chmod -R a-w "$crate"
check "build, --all-features, read-only" \
    in_crate cargo build --locked --all-features --target "$host"
check "test, --all-features, read-only" \
    in_crate cargo test --locked --all-features --target "$host"
check "build wasm32-wasip2, --all-features, read-only" \
    in_crate cargo build --locked --all-features --target wasm32-wasip2
check "build wasm32-wasip1, --all-features, read-only" \
    in_crate cargo build --locked --all-features --target wasm32-wasip1
unchanged() {
    [ "$before" = "$(sums)" ] || { echo "the unpacked source changed during the build"; return 1; }
    [ -z "$(find "$crate" -newer "$scratch/stamp" -print -quit)" ] ||
        { echo "changed during the builds:"; find "$crate" -newer "$scratch/stamp"; return 1; }
}
check "source unchanged after the read-only builds" unchanged
chmod -R u+w "$crate"

# Doc examples of the packaged crate as a wasm32-wasip2 guest under
# wasmtime (installed by the wasip2 suite, which runs before this one).
wasm_doctests() {
    CARGO_TARGET_WASM32_WASIP2_RUNNER="$root/.ci/wasmtime-runner.sh" \
        in_crate cargo test --locked --doc --target wasm32-wasip2 --features os-poll,net
}
if [ -x "$root/.tools/bin/wasmtime" ] || command -v wasmtime >/dev/null; then
    check "doc examples on wasm32-wasip2 under wasmtime" wasm_doctests
else
    echo "SKIP package: doc examples on wasm32-wasip2: no wasmtime (scripts/test-wasip2.sh installs it)"
fi

# 4. docs.rs rendering.
docsrs() {
    local features="os-poll,os-ext,net,log,wasmedge" target
    for target in x86_64-unknown-linux-gnu wasm32-wasip2 wasm32-wasip1; do
        if ! rustup target list --installed --toolchain nightly | grep -qx "$target"; then
            echo "SKIP package: docs.rs render for $target: the installed nightly has no std for it and rustup could not add one"
            continue
        fi
        echo "docs.rs render: $target"
        in_crate env RUSTDOCFLAGS="--cfg docsrs -D warnings" \
            cargo +nightly doc --locked --no-deps --features "$features" --target "$target" ||
            return 1
    done
}
# An installed nightly is used as it is (never updated here); a missing one
# is installed.
have_nightly() {
    command -v rustup >/dev/null || return 1
    if cargo +nightly --version >/dev/null 2>&1; then
        # An old nightly's wasm std may no longer be downloadable; the
        # targets it lacks are skipped with a reason (see docsrs).
        rustup target add --toolchain nightly wasm32-wasip1 wasm32-wasip2 >/dev/null 2>&1 || true
    else
        rustup toolchain install nightly --profile minimal \
            --target wasm32-wasip1 --target wasm32-wasip2 >/dev/null 2>&1
    fi
}
if have_nightly; then
    check "docs.rs render (nightly, --cfg docsrs)" docsrs
else
    echo "SKIP package: docs.rs render: no nightly toolchain and rustup cannot install one"
fi

# 5. Publish dry run (packages and verifies again, uploads nothing).
export CARGO_TARGET_DIR="$work/target"
check "cargo publish --dry-run" bash -c 'cd "$0" && cargo publish --dry-run --allow-dirty' "$stage"

echo "package: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
