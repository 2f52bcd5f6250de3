# Shared by scripts/bench-wasip2.sh and scripts/bench-wasip1.sh (sourced
# from the repository root): runs the idle-connections echo benchmark of
# benches/idle-echo.

# Starts `$@` (a runtime serving the idle-echo server) in the background,
# waits for its LISTENING line and runs the client against it with the
# runtime's pid: idle_echo_run LABEL VARIANT CLIENT-ARGS -- RUNTIME ARGS...
# Appends "LABEL VARIANT RESULT ..." to $RESULTS.
#
# With taskset and two or more CPUs, the server runs on CPU 0 and the
# client on CPU 1 (BENCH_PIN=0 turns this off): with both left to the
# scheduler, the spread of the CPU time per round trip between runs of one
# build was about twice as wide (measured: 53-75 against 47-55 us).
idle_echo_run() {
    local label=$1 variant=$2 out pid addr i
    shift 2
    local args=()
    while [ "$1" != "--" ]; do
        args+=("$1")
        shift
    done
    shift
    local server_cpu=() client_cpu=()
    if [ "${BENCH_PIN:-1}" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
        server_cpu=(taskset -c 0)
        client_cpu=(taskset -c 1)
    fi
    out=$(mktemp)
    "${server_cpu[@]}" "$@" >"$out" 2>&1 &
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
        result=$("${client_cpu[@]}" "$CLIENT" "$mode" "$addr" "$pid" "${args[@]:1}" 2>&1)
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
