#!/usr/bin/env bash
# WASI preview 1 backend suites (imports, wasmtime-46, wasmedge if available).
exec bash "$(dirname "$0")/../scripts/test-wasip1.sh" "$@"
