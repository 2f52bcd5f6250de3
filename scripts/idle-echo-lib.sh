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

# Runs every mode RUNS times for each build in the array `variants`, each
# run starting with the next build so that load from elsewhere on the
# machine hits all alike: idle_echo_runs RUNS ROUNDS MODULE -- RUNTIME ARGS...
# The module of build V is target/idle-echo/V/MODULE; the caller's `name V`
# gives the label the summary shows. The first run's order is the one the
# summary lists.
idle_echo_runs() {
    local runs=$1 rounds=$2 module=$3 run i v idle order n=${#variants[@]}
    shift 4
    for run in $(seq "$runs"); do
        order=()
        for i in $(seq 0 $((n - 1))); do
            order+=("${variants[$(((run - 1 + i) % n))]}")
        done
        for idle in 0 100 1000; do
            for v in "${order[@]}"; do
                idle_echo_run "idle=$idle" "$(name "$v")" pingpong "$idle" "$rounds" -- \
                    "$@" "target/idle-echo/$v/$module" 127.0.0.1:0
            done
        done
        for v in "${order[@]}"; do
            idle_echo_run "64x200x1K" "$(name "$v")" many 64 200 1024 -- \
                "$@" "target/idle-echo/$v/$module" 127.0.0.1:0
        done
    done
}

# Builds the native client of benches/idle-echo into $CLIENT.
idle_echo_client() {
    (cd benches/idle-echo && cargo build --quiet --release --bin idle-echo-client \
        --target-dir "$ROOT/target/idle-echo/client") || return 1
    CLIENT="$ROOT/target/idle-echo/client/release/idle-echo-client"
    # 1000 idle connections take 1000 descriptors in each process.
    ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
}
