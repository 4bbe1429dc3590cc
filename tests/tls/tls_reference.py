#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Independent reference for the tls plugin's tests, written from the
definitions only (salesforce/ja3 README; FoxIO JA4 technical_details/JA4.md;
RFC 8446/5246 for the message layout; RFC 8701 for GREASE). It shares no code
with the plugin. Usage:

  tls_reference.py hex "01 00 00 c0 ..."   # a handshake message (type 1 or 2)
  tls_reference.py pcap FILE.pcap          # every hello in a classic pcap
  tls_reference.py expected FILE.pcap      # the TSV the loopback test reads

For each ClientHello it prints the SNI, JA3 string, JA3 MD5 and JA4; for each
ServerHello the JA3S string and MD5.
"""
import hashlib
import struct
import sys


def grease(v):
    return (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF)


def u16s(b):
    return [struct.unpack(">H", b[i:i + 2])[0] for i in range(0, len(b) - 1, 2)]


def vec(b, off, nlen):
    n = int.from_bytes(b[off:off + nlen], "big")
    return b[off + nlen:off + nlen + n], off + nlen + n


def extensions(b, off):
    out = []
    if off >= len(b):
        return out
    block, _ = vec(b, off, 2)
    i = 0
    while i + 4 <= len(block):
        t, n = struct.unpack(">HH", block[i:i + 4])
        out.append((t, block[i + 4:i + 4 + n]))
        i += 4 + n
    return out


def client_hello(body):
    version = struct.unpack(">H", body[0:2])[0]
    off = 34
    _sid, off = vec(body, off, 1)
    ciphers_raw, off = vec(body, off, 2)
    _comp, off = vec(body, off, 1)
    exts = extensions(body, off)
    ciphers = [c for c in u16s(ciphers_raw) if not grease(c)]
    ext_types = [t for t, _ in exts if not grease(t)]
    groups, formats, sigs, versions, alpn, sni = [], [], [], [], None, None
    has_sni = False
    for t, d in exts:
        if t == 0:
            has_sni = True
            lst, _ = vec(d, 0, 2)
            if len(lst) >= 3 and lst[0] == 0:
                sni, _ = vec(lst, 1, 2)
        elif t == 10:
            groups = [g for g in u16s(vec(d, 0, 2)[0]) if not grease(g)]
        elif t == 11:
            formats = list(vec(d, 0, 1)[0])
        elif t == 13:
            sigs = [s for s in u16s(vec(d, 0, 2)[0]) if not grease(s)]
        elif t == 43:
            versions = [v for v in u16s(vec(d, 0, 1)[0]) if not grease(v)]
        elif t == 16 and alpn is None:
            lst, _ = vec(d, 0, 2)
            alpn = vec(lst, 0, 1)[0] if lst else b""
    j = lambda xs: "-".join(str(x) for x in xs)
    ja3 = ",".join([str(version), j(ciphers), j(ext_types), j(groups), j(formats)])
    # JA4 part a
    v = max(versions) if versions else version
    vnames = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
              0x0002: "s2", 0xFEFF: "d1", 0xFEFD: "d2", 0xFEFC: "d3"}
    if not alpn:
        ap = "00"
    else:
        a, z = alpn[0], alpn[-1]
        isal = lambda c: chr(c).isascii() and chr(c).isalnum()
        if isal(a) and isal(z):
            ap = chr(a) + chr(z)
        else:
            h = alpn.hex()
            ap = h[0] + h[-1]
    part_a = "t%s%s%02d%02d%s" % (vnames.get(v, "00"), "d" if has_sni else "i",
                                   min(len(ciphers), 99), min(len(ext_types), 99), ap)
    cl = ",".join("%04x" % c for c in sorted(ciphers))
    part_b = hashlib.sha256(cl.encode()).hexdigest()[:12] if ciphers else "0" * 12
    el = [e for e in sorted(ext_types) if e not in (0, 16)]
    text = ",".join("%04x" % e for e in el)
    if sigs:
        text += "_" + ",".join("%04x" % s for s in sigs)
    part_c = hashlib.sha256(text.encode()).hexdigest()[:12] if el else "0" * 12
    return {
        "sni": sni.decode("latin-1") if sni else "",
        "ja3_string": ja3,
        "ja3": hashlib.md5(ja3.encode()).hexdigest(),
        "ja4": "%s_%s_%s" % (part_a, part_b, part_c),
    }


def server_hello(body):
    version = struct.unpack(">H", body[0:2])[0]
    off = 34
    _sid, off = vec(body, off, 1)
    cipher = struct.unpack(">H", body[off:off + 2])[0]
    off += 3
    exts = [t for t, _ in extensions(body, off) if not grease(t)]
    s = "%d,%d,%s" % (version, cipher, "-".join(str(e) for e in exts))
    return {"ja3s_string": s, "ja3s": hashlib.md5(s.encode()).hexdigest()}


def hello(msg):
    t = msg[0]
    body = msg[4:4 + int.from_bytes(msg[1:4], "big")]
    return ("client", client_hello(body)) if t == 1 else ("server", server_hello(body))


def pcap_hellos(path, with_keys=False):
    """Handshake hellos of each TCP direction of a classic little-endian
    Ethernet or Linux-cooked pcap (enough for the captures we make)."""
    data = open(path, "rb").read()
    magic, = struct.unpack("<I", data[:4])
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), "classic little-endian pcap only"
    linktype, = struct.unpack("<I", data[20:24])
    off, streams = 24, {}
    while off + 16 <= len(data):
        _s, _u, incl, _orig = struct.unpack("<IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        l2 = {1: 14, 113: 16, 276: 20}[linktype]
        ip = pkt[l2:]
        if ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack(">H", ip[2:4])[0]
        tcp = ip[ihl:tot]
        key = (ip[12:16], tcp[0:2], ip[16:20], tcp[2:4])
        payload = tcp[(tcp[12] >> 4) * 4:]
        streams.setdefault(key, bytearray()).extend(payload)
    def handshake_bytes(s, past_ccs):
        # Handshake record fragments in order, up to the first application
        # data record, and up to the first ChangeCipherSpec unless past_ccs
        # (TLS 1.3, where CCS is a no-op and a second ClientHello may follow
        # a HelloRetryRequest).
        hs, i = bytearray(), 0
        while i + 5 <= len(s) and s[i] in (20, 21, 22):
            n = struct.unpack(">H", s[i + 3:i + 5])[0]
            if s[i] == 22:
                hs.extend(s[i + 5:i + 5 + n])
            elif s[i] == 20 and not past_ccs:
                break
            i += 5 + n
        return hs

    def messages(hs):
        j, msgs = 0, []
        while j + 4 <= len(hs):
            n = int.from_bytes(hs[j + 1:j + 4], "big")
            if hs[j] in (1, 2) and j + 4 + n <= len(hs):
                msgs.append(bytes(hs[j:j + 4 + n]))
            j += 4 + n
        return msgs

    def negotiated_tls13(key):
        peer = streams.get((key[2], key[3], key[0], key[1]), b"")
        mine = streams.get(key, b"")
        for s in (peer, mine):
            for m in messages(handshake_bytes(s, False)):
                if m[0] == 2:
                    body = m[4:]
                    off = 35 + body[34] + 3
                    for t, d in extensions(body, off):
                        if t == 43 and d == b"\x03\x04":
                            return True
        return False

    out = []
    for key, s in streams.items():
        for m in messages(handshake_bytes(s, negotiated_tls13(key))):
            h = hello(m)
            out.append((key, h) if with_keys else h)
    return out


def expected(path):
    """TSV rows per connection (keyed by the client's port): for each
    ClientHello `ch  port  sni  ja3_string  ja3  ja4`, for each ServerHello
    `sh  port  ja3s_string  ja3s`, in capture order per direction."""
    rows = []
    for key, (kind, h) in pcap_hellos(path, with_keys=True):
        src_port = struct.unpack(">H", key[1])[0]
        dst_port = struct.unpack(">H", key[3])[0]
        if kind == "client":
            rows.append("ch\t%d\t%s\t%s\t%s\t%s" % (src_port, h["sni"], h["ja3_string"],
                                                   h["ja3"], h["ja4"]))
        else:
            rows.append("sh\t%d\t%s\t%s" % (dst_port, h["ja3s_string"], h["ja3s"]))
    return rows


if __name__ == "__main__":
    if sys.argv[1] == "hex":
        print(hello(bytes.fromhex(" ".join(sys.argv[2:]))))
    elif sys.argv[1] == "expected":
        print("\n".join(expected(sys.argv[2])))
    else:
        for kind, h in pcap_hellos(sys.argv[2]):
            print(kind, h)
