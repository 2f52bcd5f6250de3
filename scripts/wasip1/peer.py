#!/usr/bin/env python3
"""Native peers for the WASI preview 1 test guests (loopback only).

Each subcommand starts a guest command (everything after `--`), plays the
other end, and prints `PASS <name>` / `FAIL <name>: <why>` lines; the exit
code is the number of failures.

  echo     guest echo server: idle CPU of the runtime, then N MiB each way
  client   native echo server for the guest client case
  udp      native UDP sender for the guest UDP echo case
"""
import argparse
import hashlib
import os
import socket
import subprocess
import sys
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User + system CPU time of a process (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def start(cmd):
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_line(proc, prefix, timeout=60):
    """Reads guest output until a line starts with `prefix`; returns the rest."""
    result = {}

    def reader():
        for line in proc.stdout:
            sys.stdout.write("  guest: " + line)
            if line.startswith(prefix) and "value" not in result:
                result["value"] = line[len(prefix):].strip()
                return

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    t.join(timeout)
    return result.get("value")


def drain_output(proc):
    def reader():
        for line in proc.stdout:
            sys.stdout.write("  guest: " + line)
    threading.Thread(target=reader, daemon=True).start()


def finish(proc, timeout=60):
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


class Results:
    def __init__(self):
        self.failed = 0

    def check(self, name, ok, why=""):
        if ok:
            print(f"PASS {name}")
        else:
            print(f"FAIL {name}: {why}")
            self.failed += 1


def connect(addr, timeout=10):
    host, port = addr.rsplit(":", 1)
    host = host.strip("[]")
    deadline = time.time() + timeout
    while True:
        try:
            return socket.create_connection((host, int(port)), timeout=30)
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def echo(args, cmd):
    res = Results()
    if any("{PORT}" in c for c in cmd):
        port = free_port()
        cmd = [c.replace("{PORT}", str(port)) for c in cmd]
        args.addr = f"127.0.0.1:{port}"
    proc = start(cmd)
    shown = wait_line(proc, "LISTENING ")
    if shown is None:
        res.check(f"{args.name}-start", False, "guest never printed LISTENING")
        proc.kill()
        return res.failed
    addr = args.addr if shown == "fd3" else shown
    try:
        sock = connect(addr)
    except OSError as e:
        res.check(f"{args.name}-connect", False, str(e))
        proc.kill()
        return res.failed
    drain_output(proc)

    # Idle: the guest has the connection registered for reading and
    # writing and nothing to do. A selector that re-subscribes to the
    # always-ready write side spins here at 100% CPU.
    time.sleep(0.3)
    before = cpu_seconds(proc.pid)
    time.sleep(args.idle)
    used = cpu_seconds(proc.pid) - before
    res.check(f"{args.name}-idle-cpu", used <= args.idle * 0.05,
              f"runtime used {used:.2f} s CPU in {args.idle} s idle")
    print(f"  idle: {used:.3f} s CPU over {args.idle} s")

    if args.pingpong:
        # Small request/response round trips: one poll wake-up each.
        msg = b"x" * 64
        start_time = time.time()
        start_cpu = cpu_seconds(proc.pid)
        ok = True
        for _ in range(args.pingpong):
            sock.sendall(msg)
            got = b""
            while len(got) < len(msg):
                chunk = sock.recv(len(msg) - len(got))
                if not chunk:
                    ok = False
                    break
                got += chunk
            if not ok or got != msg:
                ok = False
                break
        elapsed = time.time() - start_time
        used = cpu_seconds(proc.pid) - start_cpu
        res.check(f"{args.name}-pingpong", ok, "echo of a small message broke")
        print(f"  pingpong: {args.pingpong} round trips of 64 B in {elapsed:.3f} s"
              f" ({args.pingpong / elapsed:.0f}/s), runtime CPU {used:.3f} s")

    size = args.mib << 20
    data = os.urandom(1 << 20) * args.mib
    sent_hash = hashlib.sha256(data).hexdigest()
    errors = []

    def sender():
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            errors.append(e)

    start_time = time.time()
    start_cpu = cpu_seconds(proc.pid)
    t = threading.Thread(target=sender, daemon=True)
    t.start()
    got = hashlib.sha256()
    received = 0
    try:
        while True:
            chunk = sock.recv(1 << 16)
            if not chunk:
                break
            got.update(chunk)
            received += len(chunk)
    except OSError as e:
        errors.append(e)
    t.join(30)
    elapsed = time.time() - start_time
    try:
        echo_cpu = cpu_seconds(proc.pid) - start_cpu
    except OSError:
        echo_cpu = float("nan")
    sock.close()
    res.check(f"{args.name}-{args.mib}MiB", not errors and received == size and got.hexdigest() == sent_hash,
              f"received {received} of {size} bytes, errors {errors}")
    print(f"  echo: {args.mib} MiB each way in {elapsed:.3f} s ({2 * args.mib / elapsed:.1f} MiB/s total),"
          f" runtime CPU {echo_cpu:.3f} s")
    rc = finish(proc)
    res.check(f"{args.name}-exit", rc == 0, f"guest exit code {rc}")
    return res.failed


def client(args, cmd):
    """Native echo server; the guest connects to it."""
    res = Results()
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]

    def serve():
        conn, _ = server.accept()
        with conn:
            while True:
                chunk = conn.recv(1 << 16)
                if not chunk:
                    return
                conn.sendall(chunk)

    threading.Thread(target=serve, daemon=True).start()
    cmd = [c.replace("{ADDR}", f"127.0.0.1:{port}") for c in cmd]
    proc = start(cmd)
    out, _ = proc.communicate(timeout=120)
    sys.stdout.write("".join("  guest: " + line + "\n" for line in out.splitlines()))
    res.check(args.name, proc.returncode == 0 and "PASS" in out, f"exit {proc.returncode}")
    return res.failed


def udp(args, cmd):
    res = Results()
    proc = start(cmd)
    shown = wait_line(proc, "LISTENING ")
    if shown is None:
        res.check(f"{args.name}-start", False, "guest never printed LISTENING")
        proc.kill()
        return res.failed
    drain_output(proc)
    host, port = shown.rsplit(":", 1)
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    sock.settimeout(10)
    ok = True
    why = ""
    for i in range(args.count):
        payload = f"datagram {i} from port {sock.getsockname()[1]}".encode()
        sock.sendto(payload, (host, int(port)))
        try:
            reply, src = sock.recvfrom(4096)
        except socket.timeout:
            ok, why = False, f"no reply to datagram {i}: the guest sent it elsewhere"
            break
        if reply != b"echo:" + payload or src[1] != int(port):
            ok, why = False, f"reply {reply!r} from {src}"
            break
    res.check(args.name, ok, why)
    rc = finish(proc, 30)
    res.check(f"{args.name}-exit", rc == 0, f"guest exit code {rc}")
    return res.failed


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        sys.exit("usage: peer.py MODE [options] -- GUEST COMMAND...")
    split = argv.index("--")
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["echo", "client", "udp"])
    p.add_argument("--name", default="case")
    p.add_argument("--addr", help="address of a pre-opened listener (guest prints fd3);"
                   " `{PORT}` in the command is replaced by a free port")
    p.add_argument("--mib", type=int, default=16)
    p.add_argument("--idle", type=float, default=2.0)
    p.add_argument("--count", type=int, default=3)
    p.add_argument("--pingpong", type=int, default=0, help="small round trips before the bulk echo")
    args = p.parse_args(argv[:split])
    cmd = argv[split + 1:]
    failed = {"echo": echo, "client": client, "udp": udp}[args.mode](args, cmd)
    sys.exit(min(failed, 100))


if __name__ == "__main__":
    main()
