#!/usr/bin/env bash
# Moves the crate to another WASI 0.2.x or 0.3.x snapshot in one command:
#
#   scripts/update-wasi-snapshot.sh 0.2.X [WASIP2_CRATE_VERSION]
#   scripts/update-wasi-snapshot.sh 0.3.X [WASIP3_CRATE_VERSION]
#
# 1. picks the release of the `wasip2` (for 0.2.X) or `wasip3` (for 0.3.X)
#    crate that carries that WASI version (its version ends in
#    `+wasi-0.2.X`/`+wasi-0.3.X`; the newest such release wins), or the one
#    given as second argument;
# 2. fetches it with cargo in a throwaway project and copies the WIT packages
#    the backend needs into wit/wasi-0.2/deps/ (io, clocks, sockets) or
#    wit/wasi-0.3/deps/ (cli, clocks, sockets, filesystem, random);
# 3. points the snapshot's world.wit and SNAPSHOT at the new version;
# 4. regenerates generated/ (`cargo xtask regenerate`), including the
#    raw wasi:io/poll imports of src/sys/wasi/p2/bindings.rs;
# 5. builds for wasm32-wasip2 with os-poll,net (for 0.3 with
#    `--cfg mio_wasip3`) and runs the tests (override the test command with
#    TEST_CMD="..."; for 0.3 the default is `cargo xtask test wasip3`).
#
# Review and commit the result afterwards (wit/wasi-0.X/, generated/).
set -euo pipefail

die() { echo "update-wasi-snapshot: $*" >&2; exit 1; }

version=${1:-}
crate_version=${2:-}
[[ $version =~ ^0\.[23]\.[0-9]+$ ]] || die "usage: $0 0.2.X|0.3.X [CRATE_VERSION]"
minor=${version%.*}

root=$(cd "$(dirname "$0")/.." && pwd)
snapshot_dir="$root/wit/wasi-$minor"
if [ "$minor" = 0.2 ]; then
    crate=wasip2
    packages=(io clocks sockets)
else
    crate=wasip3
    packages=(cli clocks sockets filesystem random)
fi

probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
mkdir -p "$probe/src"
: > "$probe/src/lib.rs"
write_probe_manifest() {
    cat > "$probe/Cargo.toml" <<TOML
[package]
name = "wasi-snapshot-probe"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$crate = "$1"

[workspace]
TOML
}

if [ -z "$crate_version" ]; then
    # Resolve once so cargo's index cache holds every release, then
    # pick the newest non-yanked one whose build metadata names our snapshot.
    write_probe_manifest "*"
    (cd "$probe" && cargo generate-lockfile --quiet)
    cargo_home=${CARGO_HOME:-$HOME/.cargo}
    entry=$(find "$cargo_home/registry/index" -path "*/.cache/wa/si/$crate" -print -quit 2>/dev/null || true)
    [ -n "$entry" ] || die "cannot read cargo's index entry for $crate; pass the crate version as second argument"
    releases=$(tr '\0' '\n' < "$entry" | grep -a '"vers"' | grep -a -v '"yanked": *true' \
        | grep -a -o '"vers": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' | sort -u)
    crate_version=$(printf '%s\n' "$releases" | grep -E "\+wasi-${version//./\\.}$" | sort -V | tail -n 1 || true)
    if [ -z "$crate_version" ]; then
        carried=$(printf '%s\n' "$releases" | sed -n 's/.*+wasi-//p' | sort -uV | tr '\n' ' ')
        die "no $crate release carries WASI $version (releases carry: $carried)"
    fi
fi
echo "update-wasi-snapshot: WASI $version from $crate $crate_version"

write_probe_manifest "=$crate_version"
(cd "$probe" && cargo fetch --quiet)
manifest=$(cd "$probe" && cargo metadata --format-version 1 --locked \
    | grep -o "\"manifest_path\":\"[^\"]*/$crate-[^\"/]*/Cargo.toml\"" | head -n 1 \
    | sed 's/^"manifest_path":"//; s/"$//')
[ -n "$manifest" ] || die "cargo metadata did not report the $crate source"
src=$(dirname "$manifest")
resolved=$(basename "$src")
[ "$resolved" = "$crate-$crate_version" ] || die "resolved $resolved, expected $crate-$crate_version"

# Replace the vendored packages with the new release's, unchanged.
rm -rf "$snapshot_dir/deps"
mkdir -p "$snapshot_dir/deps"
files=()
for pkg in "${packages[@]}"; do
    if [ -f "$src/wit/deps/$pkg.wit" ]; then
        cp "$src/wit/deps/$pkg.wit" "$snapshot_dir/deps/"
        files+=("wit/deps/$pkg.wit")
    elif [ -d "$src/wit/deps/$pkg" ]; then
        cp -R "$src/wit/deps/$pkg" "$snapshot_dir/deps/"
        files+=("wit/deps/$pkg/")
    else
        die "$crate $crate_version has no wit/deps/$pkg(.wit)"
    fi
done

# Point our world's imports at the new package versions.
sed -i -E "s/((import|export) wasi:[a-z-]+\/[a-z-]+)@${minor//./\\.}\.[0-9]+;/\1@$version;/" "$snapshot_dir/world.wit"

cat > "$snapshot_dir/SNAPSHOT" <<SNAP
wasi-version = $version
source-package = $crate $crate_version (crates.io)
source-files = ${files[*]}
SNAP

cd "$root"
echo "update-wasi-snapshot: regenerating bindings"
cargo xtask regenerate

if command -v rustup >/dev/null 2>&1; then
    rustup target add wasm32-wasip2 >/dev/null
fi
if [ "$minor" = 0.2 ]; then
    echo "update-wasi-snapshot: cargo build --target wasm32-wasip2 --features os-poll,net"
    cargo build --target wasm32-wasip2 --features os-poll,net
    test_cmd=${TEST_CMD:-cargo test --features os-poll,net}
else
    echo "update-wasi-snapshot: RUSTFLAGS=\"--cfg mio_wasip3\" cargo build --target wasm32-wasip2 --features os-poll,net"
    RUSTFLAGS="--cfg mio_wasip3" cargo build --target wasm32-wasip2 --features os-poll,net --target-dir target/wasip3
    test_cmd=${TEST_CMD:-cargo xtask test wasip3}
fi
echo "update-wasi-snapshot: $test_cmd"
$test_cmd

echo "update-wasi-snapshot: done; review and commit wit/wasi-$minor/ and generated/"
git status --short -- wit/ generated/
