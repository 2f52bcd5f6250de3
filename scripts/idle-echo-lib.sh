# Shared by scripts/bench-wasip2.sh and scripts/bench-wasip1.sh (sourced
# from the repository root): runs the idle-connections echo benchmark of
# benches/idle-echo.

# Starts `$@` (a runtime serving the idle-echo server) in the background,
# waits for its LISTENING line and runs the client against it with the
# runtime's pid: idle_echo_run LABEL VARIANT CLIENT-ARGS -- RUNTIME ARGS...
# Appends "LABEL VARIANT RESULT ..." to $RESULTS.
idle_echo_run() {
    local label=$1 variant=$2 out pid addr i
    shift 2
    local args=()
    while [ "$1" != "--" ]; do
        args+=("$1")
        shift
    done
    shift
    out=$(mktemp)
    "$@" >"$out" 2>&1 &
    pid=$!
    for i in $(seq 200); do
        grep -q LISTENING "$out" && break
        sleep 0.05
    done
    addr=$(grep -o 'LISTENING [^ ]*' "$out" | cut -d' ' -f2)
    if [ -z "$addr" ]; then
        echo "FAIL $variant: the server did not start: $(head -c 500 "$out")"
    else
        local mode=${args[0]}
        local result
        result=$("$CLIENT" "$mode" "$addr" "$pid" "${args[@]:1}" 2>&1)
        echo "$label $variant $result" | tee -a "$RESULTS"
    fi
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rm -f "$out"
}

# Builds the native client of benches/idle-echo into $CLIENT.
idle_echo_client() {
    (cd benches/idle-echo && cargo build --quiet --release --bin idle-echo-client \
        --target-dir "$ROOT/target/idle-echo/client") || return 1
    CLIENT="$ROOT/target/idle-echo/client/release/idle-echo-client"
    # 1000 idle connections take 1000 descriptors in each process.
    ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
}
