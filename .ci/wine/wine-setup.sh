#!/usr/bin/env bash
# Prepare a headless Wine prefix that can run x86_64-pc-windows-gnu test binaries
# (Debian 12 ships Wine 8.0). Idempotent. Usage: wine-setup.sh  (WINEPREFIX may be set;
# the default is `.tools/wine-prefix` in the repository).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export WINEPREFIX="${WINEPREFIX:-$here/../../.tools/wine-prefix}" WINEDEBUG="${WINEDEBUG:--all}"
unset DISPLAY
if ! command -v wine >/dev/null || ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
  if [ "$(id -u)" != 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wine64 wine gcc-mingw-w64-x86-64 >/dev/null
fi
mkdir -p "$WINEPREFIX"
WINEPREFIX="$(cd "$WINEPREFIX" && pwd)"
if [ ! -f "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" ]; then
  wine wineboot -u >/dev/null 2>&1 || true
  wineserver -w
  # Rust std >= 1.78 imports ProcessPrng from bcryptprimitives.dll, which Wine 8.0 lacks:
  # build a tiny stand-in that forwards to RtlGenRandom.
  out="$(mktemp -d)"
  x86_64-w64-mingw32-gcc -O2 -shared -s -o "$out/bcryptprimitives.dll" \
    "$here/bcryptprimitives.c" "$here/bcryptprimitives.def" -ladvapi32
  cp "$out/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
fi
echo "wine prefix ready: $WINEPREFIX"
