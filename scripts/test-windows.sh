#!/usr/bin/env bash
# Builds the crate for x86_64-pc-windows-gnu and runs its tests under Wine.
# Idempotent: installs what is missing (Rust target, Wine and MinGW from
# apt, a Wine prefix in `.tools/wine-prefix`), then
#   1. cargo test --target x86_64-pc-windows-gnu --features os-poll,net,os-ext
#      (and tests/drop_in.rs once more in release)
#   2. if examples/tcp_server.rs exists: starts it under Wine and checks its
#      echo from a native (Linux) client over loopback.
# Prints `N passed, N failed` for step 2.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
target=x86_64-pc-windows-gnu
features=os-poll,net,os-ext

libdir="$(rustc --print target-libdir --target "$target")"
if ! ls "$libdir"/libstd-*.rlib >/dev/null 2>&1; then
  rustup target add "$target"
fi
export WINEPREFIX="$root/.tools/wine-prefix"
bash .ci/wine/wine-setup.sh
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$root/.ci/wine/wine-runner.sh"
# Keep one wineserver up for the whole suite: by default it exits a few
# seconds after its last client, and a test binary started while it is
# shutting down dies with "recvmsg: Connection reset by peer".
wineserver -p
trap 'wineserver -k 2>/dev/null || true' EXIT

start=$(date +%s)
cargo test --target "$target" --features "$features"
# tests/drop_in.rs in release too: some misuse only reaches the backend
# there (debug builds stop it earlier).
cargo test --release --target "$target" --features "$features" --test drop_in
echo "wine cargo test took $(( $(date +%s) - start ))s"

if [ ! -f examples/tcp_server.rs ]; then
  echo "SKIP tcp_server under Wine: examples/tcp_server.rs does not exist"
  exit 0
fi

cargo build --target "$target" --features "$features" --example tcp_server
exe="target/$target/debug/examples/tcp_server.exe"
log="$(mktemp)"
"$CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER" "$exe" 127.0.0.1:0 >"$log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -f "$log"
  wineserver -k 2>/dev/null || true
}
trap cleanup EXIT

addr=""
for _ in $(seq 1 300); do
  addr="$(sed -n 's/^listening on \(.*\)$/\1/p' "$log" | tr -d '\r' | head -n 1)"
  [ -n "$addr" ] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
passed=0
failed=0
if [ -z "$addr" ]; then
  echo "FAIL tcp_server under Wine: no 'listening on' line; output:"
  cat "$log"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "tcp_server (Wine) listening on $addr"
host="${addr%:*}"
port="${addr##*:}"

# Native client: bash's /dev/tcp, one connection per check.
check_echo() { # name, line to send
  local name="$1" msg="$2" reply=""
  if exec 3<>"/dev/tcp/$host/$port"; then
    printf '%s\n' "$msg" >&3
    IFS= read -r -t 10 -u 3 reply || true
    exec 3<&- 3>&-
  fi
  if [ "$reply" = "$msg" ]; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name: sent '$msg', got '$reply'"
    failed=$((failed + 1))
  fi
}
check_echo "short line" "hello from linux"
check_echo "second connection" "second client"
long="$(head -c 6000 /dev/zero | tr '\0' 'x')"
check_echo "6000-byte line" "$long"
# Two clients at once: the second is served while the first stays open.
if exec 4<>"/dev/tcp/$host/$port"; then
  check_echo "while another client is connected" "concurrent"
  printf 'first\n' >&4
  reply=""
  IFS= read -r -t 10 -u 4 reply || true
  exec 4<&- 4>&-
  if [ "$reply" = "first" ]; then
    echo "ok   held-open client"
    passed=$((passed + 1))
  else
    echo "FAIL held-open client: got '$reply'"
    failed=$((failed + 1))
  fi
else
  echo "FAIL held-open client: connect failed"
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
