#!/usr/bin/env python3
"""Client of scripts/bench-wasip3.sh: against one running echo server,
for each IDLE count opens IDLE idle connections, then runs ROUNDS
round trips of 64 bytes on one more connection, and prints one line per
count: idle, mean latency (us), server CPU per round trip (us).

Usage: bench-wasip3-client.py PORT SERVER_PID ROUNDS IDLE...
"""
import os
import socket
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 (1-based) of the whole line.
    return (int(fields[11]) + int(fields[12])) / TICK


def round_trips(port, rounds):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    msg = b"x" * 64
    # Warm up.
    for _ in range(50):
        s.sendall(msg)
        got = 0
        while got < len(msg):
            got += len(s.recv(4096))
    start = time.perf_counter()
    for _ in range(rounds):
        s.sendall(msg)
        got = 0
        while got < len(msg):
            chunk = s.recv(4096)
            if not chunk:
                raise SystemExit("server closed the connection")
            got += len(chunk)
    elapsed = time.perf_counter() - start
    s.close()
    return elapsed


def main():
    port, pid, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    for idle in [int(a) for a in sys.argv[4:]]:
        idle_socks = []
        for _ in range(idle):
            idle_socks.append(socket.create_connection(("127.0.0.1", port)))
        # Let the server accept and register them all.
        time.sleep(0.5 + idle / 2000)
        cpu0 = cpu_seconds(pid)
        elapsed = round_trips(port, rounds)
        cpu1 = cpu_seconds(pid)
        print(f"{idle} {elapsed / rounds * 1e6:.1f} {(cpu1 - cpu0) / rounds * 1e6:.1f}", flush=True)
        for s in idle_socks:
            s.close()
        time.sleep(0.3)


if __name__ == "__main__":
    main()
