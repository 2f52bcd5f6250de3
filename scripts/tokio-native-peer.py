#!/usr/bin/env python3
"""Runs a command next to a native TCP echo server on loopback.

Usage: tokio-native-peer.py COMMAND [ARG...]

Starts an echo server on 127.0.0.1 (every connection gets every byte back
until it shuts down its write side), replaces `{ADDR}` in COMMAND with the
server's address, runs COMMAND and exits with its status. Used as the cargo
runner for the tokio suite under WasmEdge, so that a guest can check its
outgoing connections against a peer outside the runtime
(`wasmedge --env TOKIO_SUITE_PEER={ADDR}`).
"""

import socket
import subprocess
import sys
import threading


def echo(conn):
    with conn:
        while True:
            chunk = conn.recv(1 << 16)
            if not chunk:
                return
            conn.sendall(chunk)


def serve(server):
    while True:
        conn, _ = server.accept()
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


def main():
    command = sys.argv[1:]
    if not command:
        print(__doc__)
        return 2
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    host, port = server.getsockname()
    threading.Thread(target=serve, args=(server,), daemon=True).start()
    command = [arg.replace("{ADDR}", f"{host}:{port}") for arg in command]
    return subprocess.run(command).returncode


if __name__ == "__main__":
    sys.exit(main())
