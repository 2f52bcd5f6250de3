#!/usr/bin/env bash
# Cargo runner for Windows test binaries under Wine:
#   CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=.ci/wine/wine-runner.sh \
#     cargo test --target x86_64-pc-windows-gnu
# Uses the prefix under `.tools/wine-prefix` of the repository unless
# WINEPREFIX is set.
here="$(cd "$(dirname "$0")" && pwd)"
export WINEPREFIX="${WINEPREFIX:-$here/../../.tools/wine-prefix}" WINEDEBUG="${WINEDEBUG:--all}"
unset DISPLAY
exec wine "$@"
