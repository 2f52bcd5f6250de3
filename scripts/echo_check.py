#!/usr/bin/env python3
"""Talks to the echo examples over loopback and checks what comes back.

Usage: echo_check.py tcp HOST:PORT CHECK
       echo_check.py udp HOST:PORT CHECK

Exits 0 when the check passes, 1 (with a reason on stderr) when it fails.
Used by scripts/test-examples.sh; every check is independent.
"""

import os
import socket
import sys
import threading

TIMEOUT = 20.0


def parse(addr):
    host, port = addr.rsplit(":", 1)
    return host.strip("[]"), int(port)


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def tcp_echo(addr, payload):
    """Sends payload (from a second thread), half-closes, reads until EOF."""
    sock = socket.create_connection(addr, timeout=TIMEOUT)
    sock.settimeout(TIMEOUT)
    errors = []

    def sender():
        try:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
        except OSError as err:
            errors.append(err)

    thread = threading.Thread(target=sender)
    thread.start()
    received = bytearray()
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break  # the server closed after echoing everything
            received += chunk
    finally:
        thread.join()
        sock.close()
    if errors:
        fail("send failed: %s" % errors[0])
    return bytes(received)


def check_tcp(addr, check):
    if check == "big":
        payload = os.urandom(1024 * 1024)
        got = tcp_echo(addr, payload)
        if got != payload:
            fail("1 MiB echo: got %d bytes, %s" % (len(got), "same prefix" if payload.startswith(got) else "different content"))
    elif check == "lines":
        payload = b"hello\nworld\n"
        got = tcp_echo(addr, payload)
        if got != payload:
            fail("line echo: %r" % got)
    elif check == "empty":
        # Connect and close at once: the server must close its side too.
        got = tcp_echo(addr, b"")
        if got != b"":
            fail("empty session echoed %r" % got)
    elif check == "many":
        # 32 clients at once, each with its own data, all open together.
        results = {}

        def client(i):
            data = bytes([i]) * (64 * 1024 + i)
            try:
                results[i] = tcp_echo(addr, data) == data
            except OSError as err:
                print("client %d: %s" % (i, err), file=sys.stderr)
                results[i] = False

        threads = [threading.Thread(target=client, args=(i,)) for i in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        bad = [i for i in range(32) if not results.get(i)]
        if bad:
            fail("clients with a wrong echo: %s" % bad)
    else:
        fail("unknown tcp check %s" % check)


def check_udp(addr, check):
    sock = socket.socket(socket.AF_INET6 if ":" in addr[0] else socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(5.0)
    try:
        if check == "small":
            sizes = [1, 5, 100, 1400]
        elif check == "large":
            sizes = [60000]
        else:
            fail("unknown udp check %s" % check)
        for n, size in enumerate(sizes):
            data = bytes([(n + k) % 251 for k in range(size)])
            sock.sendto(data, addr)
            got, peer = sock.recvfrom(65536)
            if got != data:
                fail("datagram of %d bytes came back as %d bytes" % (size, len(got)))
            if parse_peer(peer) != addr:
                fail("reply from %r, expected %r" % (peer, addr))
    except socket.timeout:
        fail("no reply within 5 s")
    finally:
        sock.close()


def parse_peer(peer):
    return peer[0], peer[1]


def main():
    if len(sys.argv) != 4:
        fail(__doc__)
    proto, addr, check = sys.argv[1], parse(sys.argv[2]), sys.argv[3]
    if proto == "tcp":
        check_tcp(addr, check)
    elif proto == "udp":
        check_udp(addr, check)
    else:
        fail("unknown protocol %s" % proto)


if __name__ == "__main__":
    main()
