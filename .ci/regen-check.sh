#!/usr/bin/env bash
# Regenerates generated/ from wit/ and fails when the result differs from the
# committed files, i.e. when someone changed wit/ or the generator without
# regenerating, or edited generated/ by hand. Covers every snapshot the
# generator knows: wit/wasi-0.2 (wasi_p2.rs), wit/wasi-0.3 (wasi_p3.rs) and
# the preview-1 WITX.
#
# Usage: .ci/regen-check.sh        (from anywhere inside a checkout)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v rustfmt >/dev/null 2>&1; then
    echo "regen-check: rustfmt is required (rustup component add rustfmt)" >&2
    exit 1
fi

echo "regen-check: regenerating bindings (cargo build --features regenerate-bindings)"
cargo build --features regenerate-bindings --quiet

status=0
if ! git diff --exit-code --stat -- generated/; then
    status=1
fi
untracked=$(git ls-files --others --exclude-standard -- generated/)
if [ -n "$untracked" ]; then
    echo "untracked generated files:"
    echo "$untracked"
    status=1
fi

if [ "$status" -ne 0 ]; then
    cat >&2 <<'MSG'
regen-check: FAILED: generated/ does not match what wit/ and build/ produce.
Regenerate with
    cargo build --features regenerate-bindings
and commit the changes under generated/ (never edit those files by hand).
MSG
    exit 1
fi
echo "regen-check: OK: generated/ is up to date"
