#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of fuzz_source_reader (tests/fuzz/corpus/fuzz_source_reader/).

Each seed is a small capture file, verbatim: classic pcap with the µs and ns
magic in both byte orders, versions 2.2 to 2.5, records longer than the
snapshot length, files cut inside a record header and inside record data,
link type 231 (D-Bus) with snaplen 0, link type 220 (USB mmapped, which
libpcap post-processes), odd time fields, the modified-libpcap magic and a
minimal pcapng file. Every seed stays under 4 KiB. Run it from anywhere; it
rewrites the folder's files deterministically."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_source_reader")

MAGIC_US = 0xA1B2C3D4
MAGIC_NS = 0xA1B23C4D
MAGIC_MODIFIED = 0xA1B2CD34  # Kuznetzov's patched libpcap: 24-byte record headers


def frame(n, seed):
    """n bytes: an Ethernet/IPv4/UDP start, then a pattern."""
    head = (b"\xff\xff\xff\xff\xff\xff" b"\x02\x00\x00\x00\x00\x01" b"\x08\x00"
            b"\x45\x00\x00\x1c\x00\x01\x00\x00\x40\x11\x00\x00"
            b"\x0a\x00\x00\x01\x0a\x00\x00\x02" b"\x04\xd2\x00\x35\x00\x08\x00\x00")
    body = bytes((seed + 7 * i) & 0xFF for i in range(max(0, n - len(head))))
    return (head + body)[:n]


class Pcap:
    def __init__(self, magic=MAGIC_US, major=2, minor=4, snaplen=65535, link=1, big=False):
        self.e = ">" if big else "<"
        self.magic = magic
        self.b = struct.pack(self.e + "IHHiIII", magic, major, minor, 0, 0, snaplen, link)

    def rec(self, sec, frac, caplen, length=None, data=None, stored=None):
        if length is None:
            length = caplen
        if data is None:
            data = frame(caplen, sec & 0xFF)
        if stored is not None:
            data = data[:stored]
        self.b += struct.pack(self.e + "IIII", sec & 0xFFFFFFFF, frac & 0xFFFFFFFF, caplen, length)
        if self.magic == MAGIC_MODIFIED:
            self.b += struct.pack(self.e + "IHBB", 7, 2, 0x0800 & 0xFF, 1)  # ifindex, proto, type, pad
        self.b += data
        return self

    def raw(self, b):
        self.b += b
        return self


def pcapng():
    def block(t, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", t, n) + body + struct.pack("<I", n)
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = block(1, struct.pack("<HHI", 1, 0, 65535))
    pkt = frame(60, 3)
    epb = block(6, struct.pack("<IIIII", 0, 0, 1000, len(pkt), len(pkt)) + pkt)
    return shb + idb + epb + epb


def seeds():
    s = {}
    for name, magic in (("us", MAGIC_US), ("ns", MAGIC_NS)):
        for order, big in (("le", False), ("be", True)):
            p = Pcap(magic, big=big)
            p.rec(1700000000, 999999, 60).rec(1700000001, 5, 42, 1514).rec(1700000002, 0, 0, 0)
            s[f"plain_{name}_{order}"] = p.b
    for minor in (2, 3, 5):
        p = Pcap(minor=minor)
        p.rec(1, 2, 60, 60).rec(3, 4, 70, 60, data=frame(70, 1))  # 2.3: caplen > len swaps
        p.rec(5, 6, 40, 100)
        s[f"version_2_{minor}"] = p.b
    # Records longer than the snapshot length (cut by libpcap), then a normal one.
    s["over_snaplen"] = Pcap(snaplen=64).rec(1, 0, 60).rec(2, 0, 100).rec(3, 0, 64).b
    # Longer than libpcap's maximum for Ethernet: an error.
    s["over_max"] = Pcap(snaplen=0).rec(1, 0, 60).rec(2, 0, 300000, stored=20).b
    # Cut inside a record's data and inside a header.
    s["cut_data"] = Pcap().rec(1, 0, 60).rec(2, 0, 60, stored=25).b
    s["cut_header"] = Pcap().rec(1, 0, 60).raw(b"\x02\0\0\0\0\0").b
    s["header_only"] = Pcap().b
    s["header_cut"] = Pcap().b[:14]
    # D-Bus with snaplen 0 (libpcap: 128 MiB), records of several sizes.
    s["dbus_snaplen0"] = Pcap(snaplen=0, link=231).rec(1, 0, 100).rec(2, 0, 1000).rec(3, 0, 7).b
    # USB Linux mmapped: libpcap rewrites len of an isochronous IN completion
    # from its descriptors (64-byte header, then 16-byte descriptors).
    usb = bytearray(64 + 16)
    usb[8] = ord("C")  # event type: completion
    usb[9] = 0  # transfer type: isochronous
    usb[10] = 0x81  # endpoint 1, IN
    usb[15] = 0  # data_flag: data present
    struct.pack_into("<I", usb, 32, 100)  # urb_len
    struct.pack_into("<I", usb, 60, 1)  # ndesc
    struct.pack_into("<iIII", usb, 64, 0, 0, 20, 0)  # descriptor: status, offset 0, len 20
    s["usb_mmapped"] = Pcap(link=220).rec(1, 0, 80, 64 + 16 + 100, bytes(usb)).rec(2, 0, 64, 80, bytes(usb[:64])).b
    # Linux cooked, raw IP, FCS bits in the link-type field.
    s["sll"] = Pcap(link=113).rec(1, 0, 44, data=b"\0\0\0\1\0\6" + bytes(8) + frame(30, 2)).b
    s["raw_ip"] = Pcap(link=101).rec(1, 0, 28, data=frame(42, 0)[14:]).b
    s["fcs_bits"] = Pcap(link=0x10000000 | 1).rec(1, 0, 64).b
    # Odd time fields: negative seconds, fractions at and over one second.
    p = Pcap()
    p.rec(-1, -2, 60).rec(0x7FFFFFFF, 999999, 60).rec(5, 1000000, 60).rec(6, 0xFFFFFFFF, 60)
    s["odd_times_us"] = p.b
    p = Pcap(MAGIC_NS)
    p.rec(-1, -2, 60).rec(5, 999999999, 60).rec(6, 1000000000, 60).rec(7, 0x80000000, 60)
    s["odd_times_ns"] = p.b
    s["len_below_caplen"] = Pcap().rec(1, 0, 60, 20).rec(2, 0, 60, 0).b
    s["modified_magic"] = Pcap(MAGIC_MODIFIED).rec(1, 0, 60).rec(2, 0, 60).b
    s["pcapng"] = pcapng()
    # Many small records, so a batch of 32 fills up.
    p = Pcap(MAGIC_NS, snaplen=128)
    for k in range(40):
        p.rec(k, k * 1000, (k * 13) % 129)
    s["many_small"] = p.b
    return s


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.unlink(os.path.join(OUT, f))
    for name, b in sorted(seeds().items()):
        assert len(b) < 4096, name
        with open(os.path.join(OUT, name + ".pcap"), "wb") as f:
            f.write(b)


if __name__ == "__main__":
    main()
