#!/usr/bin/env bash
# CI entry for the kqueue backend: cross-target clippy (see the script).
exec "$(dirname "$0")/../scripts/check-kqueue-targets.sh" "$@"
