#!/usr/bin/env bash
# Refreshes the committed bindings under generated/ from wit/ (maintainers).
#
#   scripts/regenerate-bindings.sh           copy the fresh bindings into generated/
#   scripts/regenerate-bindings.sh --check   only compare; fail when they differ
#
# The build script never writes into the source tree: with the
# `regenerate-bindings` feature it generates into its OUT_DIR and the crate
# compiles that copy (build/generate.rs). This script builds with the feature,
# asks cargo where that OUT_DIR is, checks that the generator versions named
# in the files' headers are the ones cargo resolved for this build (from
# `cargo metadata`, not from Cargo.toml's text), then copies or compares.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "regenerate-bindings: $*" >&2; exit 1; }

mode=copy
case "${1:-}" in
    "") ;;
    --check) mode=check ;;
    *) die "usage: $0 [--check]" ;;
esac

command -v rustfmt >/dev/null 2>&1 || die "rustfmt is required (rustup component add rustfmt)"
command -v python3 >/dev/null 2>&1 || die "python3 is required"

echo "regenerate-bindings: cargo build --features regenerate-bindings"
messages=$(cargo build --features regenerate-bindings --message-format=json-render-diagnostics)
out_dir=$(printf '%s\n' "$messages" | python3 -c '
import json, re, sys
dirs = set()
for line in sys.stdin:
    if not line.startswith("{"):
        continue
    msg = json.loads(line)
    package = msg.get("package_id", "")
    if msg.get("reason") == "build-script-executed" and re.search(r"#mio_wasi@|^mio_wasi ", package):
        dirs.add(msg["out_dir"])
if len(dirs) != 1:
    sys.exit("expected one build-script run of mio_wasi, found %d" % len(dirs))
print(dirs.pop())
')
fresh="$out_dir/generated"
[ -d "$fresh" ] || die "the build script wrote no $fresh"

# The generator versions cargo resolved for this build script, against the
# ones the headers name (build/generate.rs writes them).
cargo metadata --format-version 1 --features regenerate-bindings --locked \
    | python3 -c '
import json, re, sys
fresh = sys.argv[1]
meta = json.load(sys.stdin)
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
pkgs = {p["id"]: p for p in meta["packages"]}
root = next(p for p in meta["packages"] if p["name"] == "mio_wasi")
resolved = {}
for dep in nodes[root["id"]]["deps"]:
    pkg = pkgs[dep["pkg"]]
    resolved.setdefault(pkg["name"], set()).add(pkg["version"])
def one(name):
    versions = resolved.get(name, set())
    if len(versions) != 1:
        sys.exit("regenerate-bindings: cargo resolved %s to %s" % (name, sorted(versions) or "nothing"))
    return next(iter(versions))
p2 = open(fresh + "/wasi_p2.rs").read()
p1 = open(fresh + "/wasi_p1.rs").read()
want = {
    "wit-bindgen-rust": re.search(r"Generator: wit-bindgen-rust ([^,]+),", p2).group(1),
    "wit-parser": re.search(r"wit-parser ([^ .]+\.[^ .]+\.[^ .]+)\.\n", p2).group(1),
    "witx": re.search(r"with witx ([0-9.]+)\.\n", p1).group(1),
}
want["wit-bindgen-core"] = want["wit-bindgen-rust"]
bad = 0
for name, version in sorted(want.items()):
    got = one(name)
    status = "ok" if got == version else "MISMATCH"
    if got != version:
        bad += 1
    print("regenerate-bindings: %-17s header %-8s cargo %-8s %s" % (name, version, got, status))
# The runtime crate the generated code calls must be the generator release.
runtime = one("wit-bindgen")
series = lambda v: v.split(".")[:2]
if series(runtime) != series(want["wit-bindgen-rust"]):
    print("regenerate-bindings: wit-bindgen runtime %s does not match generator %s"
          % (runtime, want["wit-bindgen-rust"]))
    bad += 1
if bad:
    sys.exit("regenerate-bindings: update the versions in build/generate.rs to the Cargo.toml pins")
' "$fresh"

if [ "$mode" = copy ]; then
    mkdir -p generated
    for file in "$fresh"/*.rs; do
        name=$(basename "$file")
        if ! cmp -s "$file" "generated/$name"; then
            cp "$file" "generated/$name"
            echo "regenerate-bindings: updated generated/$name"
        fi
    done
    for file in generated/*.rs; do
        [ -e "$fresh/$(basename "$file")" ] || echo "regenerate-bindings: $file is no longer generated; remove it"
    done
    echo "regenerate-bindings: done; review and commit generated/"
    exit 0
fi

status=0
if ! diff -r -q "$fresh" generated >/dev/null; then
    diff -r -u generated "$fresh" | head -n 60 || true
    status=1
fi
if [ "$status" -ne 0 ]; then
    cat >&2 <<'MSG'
regen-check: FAILED: generated/ does not match what wit/ and build/ produce.
Refresh it with
    scripts/regenerate-bindings.sh
and commit the changes under generated/ (never edit those files by hand).
MSG
    exit 1
fi
echo "regen-check: OK: generated/ is what wit/ and build/ produce"
