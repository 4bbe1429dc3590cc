#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Makes the traffic of tests/data/loopback-http-tls-dns.pcap on loopback.

Run by record-loopback.sh while tcpdump listens. Every request below is a
fixed value the CLI tests check against (tests/cli/), so change them only
together with the tests and tests/data/README.md.
"""
import http.client
import http.server
import os
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time

V4 = "127.0.0.1"

# ---------------------------------------------------------------- DNS
# name -> list of (type, rdata bytes); built by hand (no DNS library).
A, AAAA, CNAME, TXT = 1, 28, 5, 16


def qname(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


ZONE = {
    ("www.flowscope.test", A): [(A, "www.flowscope.test", socket.inet_aton("127.0.0.10"))],
    ("www.flowscope.test", AAAA): [(AAAA, "www.flowscope.test",
                                    socket.inet_pton(socket.AF_INET6, "fd00::10"))],
    ("alias.flowscope.test", A): [(CNAME, "alias.flowscope.test", qname("www.flowscope.test")),
                                  (A, "www.flowscope.test", socket.inet_aton("127.0.0.10"))],
    ("txt.flowscope.test", TXT): [(TXT, "txt.flowscope.test", b"\x09flowscope")],
}
TTL = 300


def dns_answer(query):
    """Answers one query message (bytes) with a response message."""
    qid, flags, qd = struct.unpack("!HHH", query[:6])
    pos, labels = 12, []
    while query[pos]:
        n = query[pos]
        labels.append(query[pos + 1:pos + 1 + n].decode())
        pos += 1 + n
    qtype, qclass = struct.unpack("!HH", query[pos + 1:pos + 5])
    question = query[12:pos + 5]
    name = ".".join(labels)
    records = ZONE.get((name, qtype))
    rcode = 0 if records else 3  # NXDOMAIN for everything not in ZONE
    rflags = 0x8000 | 0x0400 | (flags & 0x0100) | 0x0080 | rcode  # QR AA RD RA
    body = b""
    for rtype, owner, rdata in records or []:
        body += qname(owner) + struct.pack("!HHIH", rtype, 1, TTL, len(rdata)) + rdata
    return struct.pack("!HHHHHH", qid, rflags, 1, len(records or []), 0, 0) + question + body


def dns_query(qid, name, qtype):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname(name) + struct.pack("!HH", qtype, 1)


def dns_udp_server(sock):
    while True:
        data, peer = sock.recvfrom(4096)
        sock.sendto(dns_answer(data), peer)


def dns_tcp_server(sock):
    conn, _ = sock.accept()
    with conn:
        hdr = conn.recv(2)
        (n,) = struct.unpack("!H", hdr)
        data = b""
        while len(data) < n:
            data += conn.recv(n - len(data))
        ans = dns_answer(data)
        conn.sendall(struct.pack("!H", len(ans)) + ans)


# ---------------------------------------------------------------- HTTP
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: several requests per connection
    server_version = "flowscope-test"
    sys_version = ""

    def _send(self, code, ctype, body):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        if self.path == "/index.html":
            self._send(200, "text/html", b"<html><body>hello flowscope</body></html>\n")
        elif self.path == "/api/items?id=42":
            self._send(200, "application/json", b'{"id":42,"name":"widget"}\n')
        else:
            self._send(404, "text/plain", b"not found\n")

    do_HEAD = do_GET

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        self._send(201, "application/json", b'{"id":43}\n')

    def log_message(self, *args):
        pass


class V6Server(socketserver.TCPServer):
    address_family = socket.AF_INET6
    allow_reuse_address = True


class V4Server(socketserver.TCPServer):
    allow_reuse_address = True


def main():
    workdir = sys.argv[1]
    pause = 0.3

    # DNS servers on 127.0.0.1:53 (UDP and TCP).
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((V4, 53))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((V4, 53))
    tcp.listen(1)
    threading.Thread(target=dns_udp_server, args=(udp,), daemon=True).start()
    threading.Thread(target=dns_tcp_server, args=(tcp,), daemon=True).start()

    # HTTP servers on 127.0.0.1:80 and [::1]:80.
    h4 = V4Server((V4, 80), Handler)
    h6 = V6Server(("::1", 80), Handler)
    for s in (h4, h6):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    time.sleep(pause)

    # 1. DNS over UDP: four queries, each from its own fixed client port.
    queries = [
        (0x1001, "www.flowscope.test", A, 35301),
        (0x1002, "www.flowscope.test", AAAA, 35302),
        (0x1003, "alias.flowscope.test", A, 35303),
        (0x1004, "missing.flowscope.test", A, 35304),
    ]
    for qid, name, qtype, sport in queries:
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.bind((V4, sport))
        c.sendto(dns_query(qid, name, qtype), (V4, 53))
        c.recvfrom(4096)
        c.close()
        time.sleep(0.05)
    # 2. DNS over TCP: one TXT query.
    c = socket.create_connection((V4, 53))
    q = dns_query(0x1005, "txt.flowscope.test", TXT)
    c.sendall(struct.pack("!H", len(q)) + q)
    c.recv(4096)
    c.close()
    time.sleep(pause)

    # 3. HTTP/1.1 keep-alive connection with three requests.
    conn = http.client.HTTPConnection(V4, 80)
    ua = {"User-Agent": "flowscope-recorder/1.0"}
    conn.request("GET", "/index.html", headers=ua)
    conn.getresponse().read()
    conn.request("GET", "/api/items?id=42", headers=ua)
    conn.getresponse().read()
    conn.request("POST", "/api/items", body=b'{"name":"widget"}',
                 headers=dict(ua, **{"Content-Type": "application/json"}))
    conn.getresponse().read()
    conn.close()
    time.sleep(pause)
    # 4. curl: a 404 with a name in Host, then one request over IPv6.
    subprocess.run(["curl", "-s", "-o", "/dev/null", "-A", "curl-flowscope/1.0",
                    "--resolve", "www.flowscope.test:80:127.0.0.1",
                    "http://www.flowscope.test/missing"], check=True)
    time.sleep(pause)
    subprocess.run(["curl", "-s", "-o", "/dev/null", "-g", "-A", "curl-flowscope/1.0",
                    "http://[::1]:80/index.html"], check=True)
    time.sleep(pause)

    # 5. TLS: openssl s_server on 127.0.0.1:443; a TLS 1.3 and a TLS 1.2 client.
    key, crt = os.path.join(workdir, "key.pem"), os.path.join(workdir, "crt.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=www.flowscope.test", "-keyout", key, "-out", crt],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    srv = subprocess.Popen(["openssl", "s_server", "-quiet", "-accept", "127.0.0.1:443",
                            "-cert", crt, "-key", key, "-alpn", "http/1.1", "-naccept", "2"],
                           stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    for extra in (["-tls1_3", "-servername", "www.flowscope.test", "-alpn", "h2,http/1.1"],
                  ["-tls1_2", "-servername", "tls12.flowscope.test", "-alpn", "http/1.1",
                   "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"]):
        subprocess.run(["openssl", "s_client", "-quiet", "-no_ign_eof", "-connect", "127.0.0.1:443"] + extra,
                       input=b"ping\n", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=10)
        time.sleep(pause)
    srv.stdin.close()
    try:
        srv.wait(timeout=3)
    except subprocess.TimeoutExpired:
        srv.kill()

    h4.shutdown()
    h6.shutdown()


if __name__ == "__main__":
    main()
