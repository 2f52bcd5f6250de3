#!/usr/bin/env python3
"""End-to-end check of the tokio-echo example from outside the process.

Usage: tokio-echo-check.py COMMAND [ARG...]

COMMAND starts the server (the native binary, or a wasm runtime followed by
the module); this script adds `--timeout` itself. `{PORT}` in COMMAND is
replaced by a free loopback port for each start (for runtimes that pre-open
the listener, e.g. `-S tcplisten=127.0.0.1:{PORT} ... --tcp-fd 3`, or for
`--tcp 127.0.0.1:{PORT}`), and is the port used when the server cannot tell
its address; a server that prints its address must serve that port. A server without UDP
(WASI preview 1) prints `udp unavailable: ...` and the UDP check is skipped. It reads the
`tcp listening on ADDR` / `udp listening on ADDR` lines, talks to the server
over loopback TCP and UDP, asks it to quit, and checks that it exits cleanly.
A second run checks the shutdown on `--timeout` with an idle client still
connected. Prints `N passed, N failed`; exits non-zero if anything failed.
"""

import os
import queue
import random
import socket
import subprocess
import sys
import threading
import time

START_TIMEOUT = 60.0  # a wasm runtime may compile the module first
IO_TIMEOUT = 10.0

passed = 0
failed = 0


def check(name, fn):
    global passed, failed
    try:
        fn()
    except Exception as e:  # any failure of one check is reported, not fatal
        failed += 1
        print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
    else:
        passed += 1
        print(f"ok   {name}", flush=True)


class Server:
    def __init__(self, command, extra, pass_fds=()):
        command, port = with_port(command)
        self.proc = subprocess.Popen(
            command + extra,
            pass_fds=pass_fds,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines = queue.Queue()
        self.stdout = []
        self.stderr = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.stdout, True), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr, False), daemon=True).start()
        self.tcp = self.udp = None
        self.has_udp = True
        deadline = time.monotonic() + START_TIMEOUT
        while self.tcp is None or (self.has_udp and self.udp is None):
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"server did not print its addresses; stderr: {''.join(self.stderr)!r}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise RuntimeError(f"server exited early; stderr: {''.join(self.stderr)!r}")
            if line.startswith("udp unavailable"):
                self.has_udp = False
            if line.startswith("tcp listening on fd "):
                if port is None:
                    raise RuntimeError(f"server does not know its address and no {{PORT}} was given: {line!r}")
                self.tcp = ("127.0.0.1", port)
                continue
            for proto in ("tcp", "udp"):
                prefix = f"{proto} listening on "
                if line.startswith(prefix):
                    host, port_text = line[len(prefix):].strip().rsplit(":", 1)
                    setattr(self, proto, (host.strip("[]"), int(port_text)))
                    # `--tcp ADDR:{PORT}` must be served on that very port.
                    if proto == "tcp" and port is not None and int(port_text) != port:
                        raise RuntimeError(f"server was given port {port}, serves {line.strip()!r}")

    def _pump(self, stream, sink, to_queue):
        for line in stream:
            sink.append(line)
            if to_queue:
                self.lines.put(line)
        if to_queue:
            self.lines.put(None)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"server still running after {timeout} s")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def with_port(command):
    """COMMAND with `{PORT}` replaced by a free port, and that port (None if
    COMMAND has no placeholder)."""
    if not any("{PORT}" in arg for arg in command):
        return command, None
    port = free_port()
    return [arg.replace("{PORT}", str(port)) for arg in command], port


def tcp_connect(server):
    sock = socket.create_connection(server.tcp, timeout=IO_TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def recv_exactly(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(min(65536, n - len(data)))
        if not chunk:
            raise RuntimeError(f"EOF after {len(data)} of {n} bytes")
        data += chunk
    return bytes(data)


def send_all_while_reading(sock, payload):
    """Writes payload from a thread while reading the echo back, so a large
    payload cannot deadlock on full socket buffers."""
    errors = []

    def writer():
        try:
            sock.sendall(payload)
        except Exception as e:
            errors.append(e)

    t = threading.Thread(target=writer)
    t.start()
    echoed = recv_exactly(sock, len(payload))
    t.join()
    if errors:
        raise errors[0]
    return echoed


def run_quit_session(command):
    server = Server(command, ["--timeout", "120"])
    try:
        def tcp_line():
            with tcp_connect(server) as s:
                s.sendall(b"hello\n")
                assert recv_exactly(s, 6) == b"hello\n"

        def tcp_pipelined_lines():
            payload = b"".join(b"line %d\n" % i for i in range(2000))
            with tcp_connect(server) as s:
                assert send_all_while_reading(s, payload) == payload

        def tcp_long_line():
            rng = random.Random(7)
            payload = bytes(rng.randrange(256) for _ in range(300 * 1024)).replace(b"\n", b" ") + b"\n"
            with tcp_connect(server) as s:
                assert send_all_while_reading(s, payload) == payload

        def tcp_interleaved_clients():
            with tcp_connect(server) as a, tcp_connect(server) as b:
                for i in range(20):
                    a.sendall(b"a%d\n" % i)
                    b.sendall(b"b%d\n" % i)
                    assert recv_exactly(b, len(b"b%d\n" % i)) == b"b%d\n" % i
                    assert recv_exactly(a, len(b"a%d\n" % i)) == b"a%d\n" % i

        def udp_datagrams():
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(IO_TIMEOUT)
                for size in (1, 512, 1400, 9000):
                    payload = os.urandom(size)
                    s.sendto(payload, server.udp)
                    data, peer = s.recvfrom(65536)
                    assert data == payload, f"{size}-byte datagram came back as {len(data)} bytes"
                    assert peer[1] == server.udp[1]

        def quit_line():
            with tcp_connect(server) as s:
                s.sendall(b"quit\n")
                assert recv_exactly(s, 4) == b"bye\n"
                assert s.recv(16) == b"", "connection not closed after bye"
            code = server.wait(IO_TIMEOUT)
            assert code == 0, f"exit status {code}"
            assert "shutdown: quit\n" in server.stdout, f"stdout: {server.stdout}"

        check("tcp line echo", tcp_line)
        check("tcp 2000 pipelined lines", tcp_pipelined_lines)
        check("tcp 300 KiB line", tcp_long_line)
        check("tcp two interleaved clients", tcp_interleaved_clients)
        if server.has_udp:
            check("udp datagrams", udp_datagrams)
        else:
            print("SKIP udp datagrams: the server has no UDP on this target", flush=True)
        check("quit line stops the server", quit_line)
    finally:
        server.stop()


def run_timeout_session(command):
    server = Server(command, ["--timeout", "1"])
    try:
        def timeout_with_idle_client():
            # An idle connection must not keep the server alive past its
            # grace period.
            with tcp_connect(server) as s:
                s.sendall(b"still here\n")
                assert recv_exactly(s, 11) == b"still here\n"
                code = server.wait(IO_TIMEOUT)
            assert code == 0, f"exit status {code}"
            assert "shutdown: timeout\n" in server.stdout, f"stdout: {server.stdout}"

        check("--timeout stops the server", timeout_with_idle_client)
    finally:
        server.stop()


def run_fd_session(command):
    """A listener created here and inherited by the server (`--tcp-fd`),
    the route tokio takes through `TcpListener::from_std`."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    address = listener.getsockname()
    try:
        server = Server(command, ["--tcp-fd", str(listener.fileno()), "--timeout", "120"], pass_fds=[listener.fileno()])
    finally:
        listener.close()
    try:
        def inherited_listener():
            assert server.tcp == address, f"serves {server.tcp}, was given {address}"
            with tcp_connect(server) as s:
                s.sendall(b"inherited\nquit\n")
                assert recv_exactly(s, 14) == b"inherited\nbye\n"
            assert server.wait(IO_TIMEOUT) == 0

        check("--tcp-fd serves an inherited listener", inherited_listener)
    finally:
        server.stop()


def main():
    command = sys.argv[1:]
    if not command:
        print(__doc__)
        return 2
    sessions = [run_quit_session, run_timeout_session]
    # Descriptors can be inherited by a native server only (a WASI runtime
    # pre-opens its own).
    if os.name == "posix" and os.path.basename(command[0]) == "tokio-echo":
        sessions.append(run_fd_session)
    for session in sessions:
        try:
            session(command)
        except Exception as e:
            global failed
            failed += 1
            print(f"FAIL {session.__name__}: {e}", flush=True)

    def bad_argument():
        result = subprocess.run(with_port(command)[0] + ["--no-such-flag"], capture_output=True, text=True, timeout=START_TIMEOUT)
        # 2 natively; a WASI 0.2 component can only report failure (1).
        assert result.returncode != 0, "exit status 0"
        assert "unknown argument" in result.stderr, f"stderr: {result.stderr!r}"

    check("unknown argument is refused", bad_argument)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
