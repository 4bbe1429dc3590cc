#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of fuzz_decode (tests/fuzz/corpus/fuzz_decode/).

Each seed: byte 0 = index into the harness's link-type table, byte 1 =
configuration bits (0 = five-tuple, auto encapsulation, reassembly on), then
records of a 2-byte big-endian length and a hand-built frame. Run it from
anywhere; it rewrites the folder's files deterministically."""
import os
import struct

LINKS = [1, 0, 9, 10, 12, 14, 50, 51, 101, 108, 113, 228, 229, 239, 276, 147, 105, 127]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_decode")


def ip4(proto, payload, src=b"\x0a\x01\x01\x01", dst=b"\x0a\x02\x02\x02", ident=1, frag=0):
    total = 20 + len(payload)
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, frag, 64, proto, 0, src, dst) + payload


def ip6(nh, payload, src=b"\x20\x01\x0d\xb8" + b"\0" * 11 + b"\x01",
        dst=b"\x20\x01\x0d\xb8" + b"\0" * 11 + b"\x02"):
    return struct.pack("!IHBB", 0x60000001, len(payload), nh, 64) + src + dst + payload


def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def tcp(sport, dport, flags=0x02, data=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, 1000, 0, 0x50, flags, 65535, 0, 0) + data


def eth(etype, payload):
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01" + struct.pack("!H", etype) + payload


INNER4 = ip4(17, udp(1000, 2000, b"xy"))
INNER6 = ip6(6, tcp(443, 5555, 0x10))


def seed(name, link, opts, frames):
    data = bytes([LINKS.index(link), opts])
    for f in frames:
        data += struct.pack("!H", len(f)) + f
    with open(os.path.join(OUT, name), "wb") as fh:
        fh.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    seed("eth-ipv4-tcp", 1, 0, [eth(0x0800, ip4(6, tcp(49153, 80, 0x02, b"hello")))])
    seed("eth-ipv6-udp", 1, 0, [eth(0x86DD, ip6(17, udp(53, 5000, b"abc")))])
    seed("eth-arp", 1, 0, [eth(0x0806, bytes(28))])
    seed("qinq", 1, 0x20, [b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x88\xa8\x00\x0a\x81\x00\x00\x14\x08\x00" + INNER4])
    seed("mpls", 1, 0, [eth(0x8847, b"\x00\x01\x00\x40\x00\x01\x11\x40" + INNER4)])
    seed("pppoe", 1, 0, [eth(0x8864, b"\x11\x00\x00\x07" + struct.pack("!H", 2 + len(INNER6)) + b"\x00\x57" + INNER6)])
    vx = b"\x08\0\0\0\x12\x34\x56\0" + eth(0x0800, INNER4)
    seed("vxlan", 1, 0x40, [eth(0x0800, ip4(17, udp(12345, 4789, vx), b"\xc0\0\2\1", b"\xc0\0\2\2"))])
    gtp = struct.pack("!BBHI", 0x34, 0xFF, 8 + len(INNER4), 0x11223344) + b"\0\0\0\x85" + b"\x01\x00\x09\x00" + INNER4
    seed("gtpu-ext", 1, 0, [eth(0x0800, ip4(17, udp(2152, 2152, gtp)))])
    seed("gre-key-seq", 1, 0, [eth(0x0800, ip4(47, b"\x30\x00\x08\x00\x00\x00\xab\xcd\x00\x00\x00\x01" + INNER4))])
    seed("gre-teb", 1, 0, [eth(0x0800, ip4(47, b"\x20\x00\x65\x58\x00\x00\x00\x05" + eth(0x0800, INNER4)))])
    seed("erspan2", 1, 0, [eth(0x0800, ip4(47, b"\x10\x00\x88\xbe\0\0\0\x07\x10\x64\x00\x01\0\0\0\0" + eth(0x0800, INNER4)))])
    seed("erspan3", 1, 0, [eth(0x0800, ip4(47, b"\x10\x00\x22\xeb\0\0\0\x07\x20\x00\x00\x01\0\0\0\x10\0\0\0\x01" + bytes(8) + eth(0x0800, INNER4)))])
    seed("pptp", 1, 0, [eth(0x0800, ip4(47, b"\x30\x81\x88\x0b\x00\x22\x00\x09\0\0\0\x02\0\0\0\x01\xff\x03\x00\x21" + INNER4))])
    seed("ipip", 1, 0, [eth(0x0800, ip4(4, INNER4))])
    seed("6in4", 1, 0, [eth(0x0800, ip4(41, INNER6))])
    seed("geneve", 1, 0, [eth(0x0800, ip4(17, udp(54321, 6081, b"\x01\x00\x65\x58\x00\x00\x2a\x00\x01\x02\x80\x00" + eth(0x0800, INNER4))))])
    ay = b"\x41\x52\x11\x29\x5e\0\0\0" + bytes(range(1, 17)) + bytes(20) + INNER6
    seed("ayiya", 1, 0, [eth(0x0800, ip4(17, udp(5072, 5072, ay)))])
    # Teredo: bare IPv6 to UDP 3544; origin indication off-port; a bubble.
    seed("teredo", 1, 0, [eth(0x0800, ip4(17, udp(40000, 3544, INNER6))),
                          eth(0x0800, ip4(17, udp(40000, 50000, b"\x00\x00\xf2\x27\x3f\xfd\xfd\xfe" + INNER6))),
                          eth(0x0800, ip4(17, udp(3544, 40000, ip6(59, b"") + b"pad")))])
    # Cisco FabricPath (0x8903, FTag/TTL, customer frame); VN-Tag (0x8926) then VLAN.
    seed("fabricpath", 1, 0, [eth(0x8903, b"\x00\x3f" + eth(0x0800, INNER4))])
    seed("vntag", 1, 0, [eth(0x8926, b"\x00\x00\x00\x33\x81\x00" + b"\x00\x0b\x08\x00" + INNER4)])
    # 802.11 QoS data (from-DS) + LLC/SNAP; the same behind radiotap; Aruba GRE.
    wlan = b"\x88\x02\x00\x00" + bytes(18) + b"\x10\x00\x00\x00" + b"\xaa\xaa\x03\x00\x00\x00\x08\x00"
    seed("wlan", 105, 0, [wlan + INNER4, b"\x88\x02\x00\x00" + bytes(18) + b"\x10\x00\x80\x00" + bytes(12) + b"\x00\x26" + wlan[26:] + INNER4])
    seed("radiotap", 127, 0, [b"\x00\x00\x0c\x00\x02\x00\x00\x00\x00\x00\x00\x00" + wlan + INNER4])
    seed("aruba-gre", 1, 0, [eth(0x0800, ip4(47, b"\x00\x00\x82\x00" + wlan + INNER4))])
    # IPv4 datagram in three fragments, out of order, plus a duplicate.
    dg = udp(1000, 2000, bytes(range(40)))
    f1 = ip4(17, dg[0:16], ident=9, frag=0x2000)
    f2 = ip4(17, dg[16:32], ident=9, frag=0x2000 | 2)
    f3 = ip4(17, dg[32:48], ident=9, frag=4)
    seed("frag4", 12, 0, [f3, f1, f1, f2])
    # IPv6 fragments behind a hop-by-hop header.
    def frag6(off, more, data):
        return ip6(0, b"\x2c\x00\x01\x04\0\0\0\0" + struct.pack("!BBHI", 17, 0, off | more, 0x10000) + data)
    seed("frag6", 12, 0, [frag6(24, 0, dg[24:]), frag6(0, 1, dg[:24])])
    seed("sll", 113, 0, [b"\x00\x00\x00\x01\x00\x06\x02\0\0\0\0\x01\0\0\x08\x00" + INNER4])
    seed("sll2", 276, 0, [b"\x86\xdd\0\0\0\0\0\x02\x00\x01\x04\x06\x02\0\0\0\0\x01\0\0" + INNER6])
    seed("null", 0, 0, [b"\x02\0\0\0" + INNER4, b"\x1e\0\0\0" + INNER6])
    seed("ppp", 9, 0, [b"\xff\x03\x00\x21" + INNER4])
    seed("nflog", 239, 0, [b"\x02\x00\x00\x01\x08\x00\x01\x00\x08\x00\x00\x01" + struct.pack("<HH", 4 + len(INNER4), 9) + INNER4])
    seed("fddi", 10, 0, [b"\x50" + bytes(12) + b"\xaa\xaa\x03\0\0\0\x08\x00" + INNER4])
    rh = b"\x11\x02\x00\x01\0\0\0\0" + b"\x20\x01\x0d\xb8" + bytes(11) + b"\x99"
    seed("ipv6-ext", 101, 0, [ip6(0, b"\x3c\x00\x01\x04\0\0\0\0" + b"\x2b\x00\x01\x04\0\0\0\0" + rh + udp(1, 2, b"hi"))])
    seed("icmp-echo", 228, 0, [ip4(1, b"\x08\x00\x00\x00\x12\x34\x00\x01"), ip4(1, b"\x00\x00\x00\x00\x12\x34\x00\x01", b"\x0a\x02\x02\x02", b"\x0a\x01\x01\x01")])
    seed("mac-pair", 1, 3, [eth(0x0800, INNER4), eth(0x0806, bytes(28))])


if __name__ == "__main__":
    main()
