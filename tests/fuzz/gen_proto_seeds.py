#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpora of fuzz_http and fuzz_dns (tests/fuzz/corpus/)
in the record formats their harnesses read (see fuzz_http.c, fuzz_dns.c).
Run from anywhere; the seeds are checked in, this only regenerates them."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def records(events):
    """events: (side, bytes) data, ('gap', side, n) or ('end', side)."""
    out = bytearray()
    for ev in events:
        if ev[0] == 'gap':
            k = max(0, min(31, (ev[2] - 1) // 8))
            out.append((k << 3) | (2 << 1) | ev[1])
            continue
        if ev[0] == 'end':
            out.append((3 << 1) | ev[1])
            continue
        side, data = ev
        while data:
            n = len(data)
            k = min(31, (n - 1) // 8)
            take = k * 8 + 1
            out.append((k << 3) | side)
            out += data[:take]
            data = data[take:]
    return bytes(out)


def write(name, seeds):
    d = os.path.join(HERE, 'corpus', name)
    os.makedirs(d, exist_ok=True)
    for fname, blob in seeds.items():
        with open(os.path.join(d, fname), 'wb') as f:
            f.write(blob)


HTTP = {
    'get-200': [(0, b'GET /index.html HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: t/1\r\n'
                 b'Referer: http://r/\r\n\r\n'),
                (1, b'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello')],
    'pipelined-chunked': [(0, b'GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\n'
                           b'Content-Length: 3\r\n\r\nabc'),
                          (1, b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n'
                           b'0\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n'
                           b'Content-Length: 0\r\n\r\n')],
    'head-204-304': [(0, b'HEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n'
                      b'GET /y HTTP/1.1\r\nHost: h\r\n\r\n'),
                     (1, b'HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nHTTP/1.1 204 No Content'
                      b'\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n')],
    'connect': [(0, b'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n\x16\x03\x01'),
                (1, b'HTTP/1.1 200 Connection established\r\n\r\n')],
    'websocket': [(0, b'GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n'
                   b'Connection: Upgrade\r\n\r\n'),
                  (1, b'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n'
                   b'Connection: Upgrade\r\n\r\n\x81\x00')],
    'http10-close': [(0, b'GET / HTTP/1.0\r\nUser-Agent: a\r\n  folded\r\n\r\n'),
                     (1, b'HTTP/1.0 200 OK\r\n\r\nuntil close'), ('end', 1)],
    'gap-resync': [(0, b'GET /1 HTTP/1.1\r\nHo'), ('gap', 0, 40),
                   (0, b'x\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n'),
                   (1, b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nab'), ('gap', 1, 98),
                   (1, b'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')],
    'garbage': [(0, b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03')],
    # request lines llhttp refuses but servers accept (the normaliser)
    'odd-request-lines': [(0, b'CCM_POST / HTTP/1.\nHost: a\n\nOPTIONS\r\nHost: b\r\n\r\n'
                           b'GET HTTP/1.1\r\nHost: c\r\n\r\nX-MAKE /a HTTP/2.0\r\n'
                           b'Content-Length: 2\r\n\r\nhiCONNECT m:25 / HTTP/1.0\r\n'
                           b'Mozilla 4.0\r\n\r\nHELO x\r\n'),
                          (1, b'HTTP/1.1 405 No\r\nContent-Length: 0\r\n\r\n'
                           b'HTTP/1.0 400 Bad\r\n\r\n')],
    # the host's responder sends the request
    'roles-swapped': [(1, b'GET /zeek.png HTTP/1.1\r\nHost: l\r\n\r\n'),
                      (0, b'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nPNG')],
    # request framing llhttp cannot follow: resync, not poison
    'unframeable': [(0, b'POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\nGET /s HTTP/1.1\r\n\r\n'
                     b'POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n'
                     b'POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n'
                     b'GET /t HTTP/1.1\r\n\r\n')],
    # a request line cut by a gap, then one cut by the end
    'line-cut': [(0, b'GET /images/a.gif HTT'), ('gap', 0, 9), (0, b'\r\nCCM_POST /x'), ('end', 0)],
}


def name(n):
    out = b''
    for label in n.split('.'):
        out += bytes([len(label)]) + label.encode()
    return out + b'\x00'


def dns_query(i, qn, qt):
    return struct.pack('>6H', i, 0x0100, 1, 0, 0, 1) + name(qn) + struct.pack('>HH', qt, 1) + \
        b'\x00' + struct.pack('>HHIH', 41, 4096, 0x8000, 0)


def dns_response(i, qn, qt):
    m = struct.pack('>6H', i, 0x8180, 1, 4, 0, 0) + name(qn) + struct.pack('>HH', qt, 1)
    m += b'\xc0\x0c' + struct.pack('>HHIH', 5, 1, 60, 6) + b'\x03cdn\xc0\x10'
    m += b'\xc0\x0c' + struct.pack('>HHIH', 1, 1, 30, 4) + bytes([192, 0, 2, 1])
    m += b'\xc0\x0c' + struct.pack('>HHIH', 28, 1, 30, 16) + bytes([0x20, 1, 0xd, 0xb8] + [0] * 11 + [1])
    m += b'\xc0\x0c' + struct.pack('>HHIH', 16, 1, 30, 6) + b'\x05hello'
    return m


def udp(msgs):
    out = b'\x00'
    for m in msgs:
        out += bytes([min(255, len(m))]) + m[:255]
    return out


def tcp(events):
    return b'\x01' + records(events)


def framed(m):
    return struct.pack('>H', len(m)) + m


DNS = {
    'udp-a': udp([dns_query(1, 'www.example.com', 1), dns_response(1, 'www.example.com', 1)]),
    'udp-unanswered': udp([dns_query(2, 'a.example', 28), dns_query(3, 'b.example', 15),
                           dns_response(9, 'c.example', 1)]),
    'udp-loop': udp([struct.pack('>6H', 5, 0, 1, 0, 0, 0) + b'\xc0\x0c\x00\x01\x00\x01']),
    'tcp-two-in-one': tcp([(0, framed(dns_query(7, 'x.example.org', 1)) +
                            framed(dns_query(8, 'y.example.org', 16))),
                           (1, framed(dns_response(8, 'y.example.org', 16)) +
                            framed(dns_response(7, 'x.example.org', 1)))]),
}

if __name__ == '__main__':
    write('fuzz_http', {k: bytes([0x01]) + records(v) for k, v in HTTP.items()})
    write('fuzz_http', {'all-headers-get': bytes([0x82]) + records(HTTP['get-200'])})
    write('fuzz_dns', DNS)
