#!/usr/bin/env bash
# Cargo runner for wasm32-wasip2: runs a component under wasmtime with
# loopback networking and name lookup allowed. Uses the wasmtime that
# scripts/test-wasip2.sh installs under .tools/, else one on PATH.
here="$(cd "$(dirname "$0")/.." && pwd)"
wasmtime="$here/.tools/bin/wasmtime"
[ -x "$wasmtime" ] || wasmtime=wasmtime
# A hung test binary fails after WASMTIME_RUN_TIMEOUT seconds (default 300)
# instead of stalling the run.
exec timeout "${WASMTIME_RUN_TIMEOUT:-300}" "$wasmtime" run -S inherit-network -S allow-ip-name-lookup "$@"
