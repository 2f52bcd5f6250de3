#!/usr/bin/env bash
# Regenerates the bindings from wit/ (into the build script's OUT_DIR) and
# fails when the result differs from the committed generated/, i.e. when
# someone changed wit/ or the generator without refreshing generated/, or
# edited generated/ by hand. Covers every snapshot the generator knows:
# wit/wasi-0.2 (wasi_p2.rs), wit/wasi-0.3 (wasi_p3.rs) and the preview-1
# WITX. Also fails when the generator versions named in the files are not
# the ones cargo resolved.
#
# Usage: .ci/regen-check.sh        (from anywhere inside a checkout)
set -euo pipefail
cd "$(dirname "$0")/.."
exec bash scripts/regenerate-bindings.sh --check
