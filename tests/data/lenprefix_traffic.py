#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Makes the lenprefix traffic recorded into lenprefix.pcap (see README.md).

Two TCP connections on 127.0.0.1. Every frame is: u32 big-endian body length,
u8 type (1 request, 2 response, 3 notify, 4 heartbeat), body. TCP_NODELAY and
pauses between send() calls make each listed piece its own segment, so frames
straddle segments exactly as the README table says.
"""
import socket
import struct
import sys
import threading
import time

PAUSE = 0.05


def frame(ftype, body):
    return struct.pack(">IB", len(body), ftype) + body


# Conversation 1 (port 7777, the plugin's port hint).
C1_CLIENT = [
    # (pieces sent as separate segments)
    [frame(1, b"hello")],                                  # request, one segment
    [frame(4, b"")],                                       # heartbeat, empty body
    # request "split-header" cut inside the header: 2 bytes, then 3 + 4 body bytes, then rest
    [frame(1, b"split-header")[:2], frame(1, b"split-header")[2:9], frame(1, b"split-header")[9:]],
    # two frames in one segment
    [frame(1, b"one") + frame(1, b"two")],
]
C1_SERVER = [
    [frame(2, b"world")],                                  # response to hello
    # notify with a 3000-byte body (bytes i % 251), in 1000-byte segments
    [lambda: frame(3, bytes(i % 251 for i in range(3000)))],
    [frame(2, b"ok")],
]
# Conversation 2 (port 40123: no hint, found by the probe).
C2_CLIENT = [[frame(1, b"probe-me") + frame(4, b"")]]
C2_SERVER = [[frame(2, b"found")]]


def send_pieces(sock, pieces):
    for p in pieces:
        data = p() if callable(p) else p
        if callable(p):
            # the big notify: header + body in 1000-byte segments
            for i in range(0, len(data), 1000):
                sock.sendall(data[i:i + 1000])
                time.sleep(PAUSE)
            continue
        sock.sendall(data)
        time.sleep(PAUSE)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def total(groups):
    n = 0
    for g in groups:
        for p in g:
            n += len(p() if callable(p) else p)
    return n


def conversation(port, client_groups, server_groups, interleave):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1)
    ready = threading.Event()

    def serve():
        conn, _ = srv.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i, g in enumerate(server_groups):
            ready.wait()
            ready.clear()
            send_pieces(conn, g)
        recv_exact(conn, total(client_groups))
        conn.close()

    t = threading.Thread(target=serve)
    t.start()
    cli = socket.create_connection(("127.0.0.1", port))
    cli.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    time.sleep(PAUSE)
    got = 0
    for i, g in enumerate(client_groups):
        send_pieces(cli, g)
        if i in interleave:
            # let the server answer now, and read the answer before going on
            want = total([server_groups[interleave.index(i)]])
            ready.set()
            got += len(recv_exact(cli, want))
    cli.shutdown(socket.SHUT_WR)
    t.join()
    while cli.recv(65536):
        pass
    cli.close()
    srv.close()


def main():
    # Server answers after client groups 0 (hello), 2 (split) and 3 (one/two).
    conversation(7777, C1_CLIENT, C1_SERVER, [0, 2, 3])
    time.sleep(PAUSE)
    conversation(40123, C2_CLIENT, C2_SERVER, [0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
