#!/usr/bin/env python3
"""Native peers for the wasm32-wasip2 cross-boundary tests.

  wasip2-peer.py tcp-client PORT BYTES      connect, send BYTES, check the echo
  wasip2-peer.py tcp-server BYTES           serve one echo connection; prints the port
  wasip2-peer.py udp-client PORT DATAGRAMS  send DATAGRAMS datagrams, check each echo

Exit status 0 on success; errors go to stderr.
"""
import socket
import sys
import threading


def pattern(start, length):
    return bytes(((i * 31) ^ (i >> 8)) & 0xFF for i in range(start, start + length))


def tcp_client(port, total):
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    data = pattern(0, total)
    errors = []

    def send():
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            errors.append(e)

    sender = threading.Thread(target=send)
    sender.start()
    got = bytearray()
    while True:
        chunk = sock.recv(1 << 16)
        if not chunk:
            break
        got += chunk
    sender.join()
    if errors:
        raise errors[0]
    if bytes(got) != data:
        raise SystemExit(f"echo differs: got {len(got)} of {total} bytes")
    print(f"ok {total}")


def tcp_server(total):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(60)
    print(listener.getsockname()[1], flush=True)
    conn, _ = listener.accept()
    conn.settimeout(60)
    seen = 0
    # Stops after `total` bytes: the guest client does not half-close
    # (jco's shutdown closes the whole socket).
    while seen < total:
        chunk = conn.recv(min(1 << 16, total - seen))
        if not chunk:
            break
        conn.sendall(chunk)
        seen += len(chunk)
    conn.shutdown(socket.SHUT_WR)
    conn.close()
    if seen != total:
        raise SystemExit(f"server saw {seen} of {total} bytes")


def udp_client(port, count):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(2)
    for i in range(count):
        payload = f"datagram {i} ".encode() * (1 + i % 50)
        for attempt in range(5):
            sock.sendto(payload, ("127.0.0.1", port))
            try:
                echo, _ = sock.recvfrom(65536)
                break
            except socket.timeout:
                continue
        else:
            raise SystemExit(f"no echo for datagram {i}")
        if echo != payload:
            raise SystemExit(f"datagram {i} came back different")
    print(f"ok {count}")


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "tcp-client":
        tcp_client(int(sys.argv[2]), int(sys.argv[3]))
    elif mode == "tcp-server":
        tcp_server(int(sys.argv[2]))
    elif mode == "udp-client":
        udp_client(int(sys.argv[2]), int(sys.argv[3]))
    else:
        raise SystemExit(__doc__)
