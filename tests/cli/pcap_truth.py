#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Independent truth from a capture's own bytes, for the CLI tests.

Reads classic pcap (either byte order, micro- or nanosecond), Ethernet with
802.1Q/802.1ad tags, IPv4/IPv6 (fixed header; no extension headers), TCP,
UDP, SCTP, ICMP and ICMPv6, and groups packets into connections the way
Zeek's conn.log counts them: the originator sends the first packet (the
first SYN without ACK for TCP), *_pkts count packets per side, *_ip_bytes
sum IP total lengths, *_bytes are payload bytes (TCP: the sequence span
between the SYN and the FIN). Community ID v1 is computed from the spec
(corelight/community-id-spec README), written separately from the C code.
No flowscope code or output is used here.
"""
import base64
import hashlib
import socket
import struct

ICMP4_PAIRS = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 17: 18, 18: 17}
ICMP6_PAIRS = {128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135,
               130: 131, 131: 130, 139: 140, 140: 139, 144: 145, 145: 144}


def community_id(proto, saddr, daddr, sport=None, dport=None, seed=0):
    """Community ID v1 of one direction; addresses as packed bytes."""
    one_way = False
    if proto in (1, 58):
        pairs = ICMP6_PAIRS if proto == 58 else ICMP4_PAIRS
        if sport in pairs:
            dport = pairs[sport]
        else:
            one_way = True
    has_ports = proto in (6, 17, 132, 1, 58)
    if not one_way and (saddr, sport if has_ports else 0) > (daddr, dport if has_ports else 0):
        saddr, daddr, sport, dport = daddr, saddr, dport, sport
    data = struct.pack("!H", seed) + saddr + daddr + struct.pack("!BB", proto, 0)
    if has_ports:
        data += struct.pack("!HH", sport, dport)
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()


def read_pcap(path):
    """Yields (ts_ns, linktype, frame bytes, wire length)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    table = {b"\xd4\xc3\xb2\xa1": ("<", 1000), b"\xa1\xb2\xc3\xd4": (">", 1000),
             b"\x4d\x3c\xb2\xa1": ("<", 1), b"\xa1\xb2\x3c\x4d": (">", 1)}
    if magic not in table:
        raise ValueError("%s: not a classic pcap file" % path)
    endian, mul = table[magic]
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", data[pos:pos + 16])
        pos += 16
        if pos + incl > len(data):
            return  # truncated record: stop, like libpcap
        yield sec * 1_000_000_000 + frac * mul, linktype, data[pos:pos + incl], orig
        pos += incl


def parse(frame, linktype):
    """Returns a dict of the packet's IP/L4 facts, or None."""
    vlans = []
    if linktype == 1:  # Ethernet
        if len(frame) < 14:
            return None
        etype = struct.unpack("!H", frame[12:14])[0]
        off = 14
        while etype in (0x8100, 0x88A8) and len(frame) >= off + 4:
            vlans.append(struct.unpack("!H", frame[off:off + 2])[0] & 0xFFF)
            etype = struct.unpack("!H", frame[off + 2:off + 4])[0]
            off += 4
    elif linktype == 101:  # raw IP
        off = 0
        etype = 0x0800 if frame and frame[0] >> 4 == 4 else 0x86DD
    else:
        return None
    ip = frame[off:]
    if etype == 0x0800 and len(ip) >= 20:
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        frag = struct.unpack("!H", ip[6:8])[0]
        if frag & 0x3FFF:
            return None  # fragments are out of scope here
        proto, src, dst = ip[9], ip[12:16], ip[16:20]
        l4 = ip[ihl:total]
        family = 4
    elif etype == 0x86DD and len(ip) >= 40:
        total = 40 + struct.unpack("!H", ip[4:6])[0]
        proto, src, dst = ip[6], ip[8:24], ip[24:40]
        l4 = ip[40:total]
        family = 6
    else:
        return None
    p = {"family": family, "proto": proto, "src": src, "dst": dst, "ip_len": total,
         "vlans": vlans, "sport": None, "dport": None, "payload": b"", "flags": 0, "seq": 0}
    if proto == 6 and len(l4) >= 20:
        p["sport"], p["dport"], p["seq"] = struct.unpack("!HHI", l4[:8])
        doff = (l4[12] >> 4) * 4
        p["flags"] = l4[13]
        p["payload"] = l4[doff:]
    elif proto in (17, 132) and len(l4) >= 8:
        p["sport"], p["dport"] = struct.unpack("!HH", l4[:4])
        p["payload"] = l4[8:] if proto == 17 else l4[12:]
    elif proto in (1, 58) and len(l4) >= 2:
        p["sport"], p["dport"] = l4[0], l4[1]  # type, code
    return p


def addr_text(family, a):
    return socket.inet_ntop(socket.AF_INET if family == 4 else socket.AF_INET6, a)


def connections(path):
    """Connections in order of their first packet, as dicts of conn.log facts."""
    conns = {}
    order = []
    for ts, lt, frame, _ in read_pcap(path):
        p = parse(frame, lt)
        if not p:
            continue
        if p["proto"] in (1, 58):
            pairs = ICMP6_PAIRS if p["proto"] == 58 else ICMP4_PAIRS
            t = p["sport"]
            fwd = (p["src"], t, p["dst"], pairs.get(t, p["dport"]))
            rev = (p["dst"], pairs.get(t, p["dport"]), p["src"], t)
        else:
            fwd = (p["src"], p["sport"], p["dst"], p["dport"])
            rev = (p["dst"], p["dport"], p["src"], p["sport"])
        key = (p["proto"], frozenset([fwd, rev]))
        c = conns.get(key)
        if c is None:
            c = {"proto": p["proto"], "family": p["family"], "orig": fwd,
                 "first": ts, "last": ts, "pkts": [0, 0], "ip_bytes": [0, 0],
                 "payload": [0, 0], "isn": [None, None], "fin_seq": [None, None],
                 "vlans": p["vlans"], "flags": [[], []]}
            conns[key] = c
            order.append(key)
        side = 0 if fwd == c["orig"] else 1
        c["last"] = ts
        c["pkts"][side] += 1
        c["ip_bytes"][side] += p["ip_len"]
        if p["proto"] == 6:
            fl = p["flags"]
            c["flags"][side].append(fl)
            if fl & 0x02:
                c["isn"][side] = p["seq"]
            if fl & 0x01:
                c["fin_seq"][side] = (p["seq"] + len(p["payload"])) & 0xFFFFFFFF
            c["payload"][side] += len(p["payload"])
        else:
            c["payload"][side] += len(p["payload"])
    out = []
    for key in order:
        c = conns[key]
        oh, op, rh, rp = c["orig"]
        fam = c["family"]
        r = {"proto": {6: "tcp", 17: "udp", 1: "icmp", 58: "icmp", 132: "sctp"}.get(c["proto"]),
             "id.orig_h": addr_text(fam, oh), "id.orig_p": op,
             "id.resp_h": addr_text(fam, rh), "id.resp_p": rp,
             "orig_pkts": c["pkts"][0], "resp_pkts": c["pkts"][1],
             "orig_ip_bytes": c["ip_bytes"][0], "resp_ip_bytes": c["ip_bytes"][1],
             "first_ns": c["first"], "last_ns": c["last"], "vlans": c["vlans"],
             "community_id": community_id(c["proto"], oh, rh, op, rp)}
        if c["proto"] == 6 and None not in c["isn"] and None not in c["fin_seq"]:
            # Zeek's sizes: the sequence span from SYN+1 to the FIN.
            r["orig_bytes"] = (c["fin_seq"][0] - c["isn"][0] - 1) & 0xFFFFFFFF
            r["resp_bytes"] = (c["fin_seq"][1] - c["isn"][1] - 1) & 0xFFFFFFFF
            # Equal to the summed payload when nothing was retransmitted.
            r["clean"] = r["orig_bytes"] == c["payload"][0] and r["resp_bytes"] == c["payload"][1]
        elif c["proto"] != 6:
            r["orig_bytes"], r["resp_bytes"] = c["payload"]
        out.append(r)
    return out


if __name__ == "__main__":
    import json
    import sys
    for conn in connections(sys.argv[1]):
        print(json.dumps(conn))
