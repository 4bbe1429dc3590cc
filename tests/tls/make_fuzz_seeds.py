#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of fuzz_tls (tests/fuzz/corpus/fuzz_tls/) from the
same hand-built and RFC 8448 handshakes the unit tests use. Input format of
the harness: chunks of (header byte: bit 7 side, bits 0-6 length; 127 = gap)
followed by the bytes. Run from anywhere: python3 make_fuzz_seeds.py"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fuzz", "corpus", "fuzz_tls")

RFC8448_CH = bytes.fromhex(
    "010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7000006130113031302"
    "010000910000000b0009000006736572766572ff01000100000a00140012001d00170018001901000101010201030104"
    "00230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b"
    "0003020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d0002010100"
    "1c00024001")
RFC8448_SH = bytes.fromhex(
    "020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e26928001301002e00330024"
    "001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304")
GREASE_CH = bytes.fromhex(
    "01000084030311111111111111111111111111111111111111111111111111111111111111110000080a0a1301c02f"
    "00ff010000531a1a00000000000e000c000009612e6578616d706c65000a000800062a2a001d0017000b0002010000"
    "0d00060004040308040010000e000c02683208687474702f312e31002b0005043a3a0304001500020000")
SH12 = bytes.fromhex(
    "0200003c0303222222222222222222222222222222222222222222222222222222222222222200c02f000014ff0100"
    "0100000b00020100001000050003026832")

# HelloRetryRequest: random = SHA-256("HelloRetryRequest"), cipher 1301,
# supported_versions 0x0304, key_share asking for secp256r1.
HRR13 = bytes.fromhex(
    "020000340303cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c00130100000c"
    "002b00020304003300020017")

# One certificate (hand-built DER: issuer CN "Flowscope Root", subject CN
# "leaf.example"), as in test_tls_hello.c.
CERT_BODY = bytes.fromhex(
    "000097000094308191308184a003020102020101300406022a033035311a3018060355040a1311466c6f7773"
    "636f706520546573742043413117301506035504030c0e466c6f7773636f706520526f6f743000303b3116"
    "30140603550403130d66697273742e6578616d706c65310a3008060355040a0c0178311530130603550403"
    "130c6c6561662e6578616d706c65300406022a03030200aa")


def rec(t, body, minor=3):
    return bytes([t, 3, minor]) + len(body).to_bytes(2, "big") + body


def chunks(side, data):
    out = b""
    for i in range(0, len(data), 126):
        part = data[i:i + 126]
        out += bytes([(side << 7) | len(part)]) + part
    return out


def gap(side):
    return bytes([(side << 7) | 127])


seeds = {
    "tls13_rfc8448": chunks(0, rec(22, RFC8448_CH, 1))
    + chunks(1, rec(22, RFC8448_SH) + rec(20, b"\x01") + rec(23, b"\xde\xad\xbe\xef"))
    + chunks(0, rec(20, b"\x01") + rec(23, b"\x01\x02\x03")),
    "tls12_grease": chunks(0, rec(22, GREASE_CH[:50], 1) + rec(22, GREASE_CH[50:], 1))
    + chunks(1, rec(22, SH12 + bytes.fromhex("0b0000030000000c00000803001701040001aa0e000000")))
    + chunks(0, rec(22, bytes.fromhex("10000003020102")) + rec(20, b"\x01") + rec(22, b"\x8f" * 16))
    + chunks(1, rec(20, b"\x01") + rec(22, b"\x7f" * 16)),
    "tls12_certificate": chunks(0, rec(22, GREASE_CH, 1))
    + chunks(1, rec(22, SH12 + bytes.fromhex("0b00009a") + CERT_BODY + bytes.fromhex("0e000000"))),
    "alert": chunks(0, rec(22, GREASE_CH, 1)) + chunks(1, rec(21, b"\x02\x28")),
    "gap_after_hello": chunks(0, rec(22, RFC8448_CH, 1)) + gap(1) + chunks(1, rec(22, RFC8448_SH)),
    "sslv2_compat": chunks(0, bytes.fromhex(
        "802e01030000150000001000000400000500000a0100800700c00300800000ff") + b"\x33" * 16)
    + chunks(1, rec(22, bytes.fromhex("020000260300") + b"\x44" * 32 + bytes.fromhex("00000a00"), 0)
             + rec(20, b"\x01", 0)),
    "server_first": chunks(1, rec(22, RFC8448_SH)) + chunks(0, rec(22, RFC8448_CH, 1)),
    # Clear text before TLS: SMTP STARTTLS (RFC 3207), PostgreSQL SSLRequest,
    # SOCKS 5 (RFC 1928).
    "smtp_starttls": chunks(1, b"220 mx.example ESMTP\r\n") + chunks(0, b"EHLO c.example\r\n")
    + chunks(1, b"250-mx.example\r\n250 STARTTLS\r\n") + chunks(0, b"STARTTLS\r\n")
    + chunks(1, b"220 2.0.0 Ready\r\n") + chunks(0, rec(22, RFC8448_CH, 1))
    + chunks(1, rec(22, RFC8448_SH) + rec(20, b"\x01") + rec(23, b"\xde\xad")),
    "postgres_sslrequest": chunks(0, bytes.fromhex("0000000804d2162f")) + chunks(1, b"S")
    + chunks(0, rec(22, GREASE_CH, 1)) + chunks(1, rec(22, SH12)),
    "socks5": chunks(0, bytes.fromhex("050100")) + chunks(1, bytes.fromhex("0500"))
    + chunks(0, bytes.fromhex("05010001010203040 1bb".replace(" ", "")))
    + chunks(1, bytes.fromhex("05000001000000000000")) + chunks(0, rec(22, RFC8448_CH, 1)),
    # HelloRetryRequest (RFC 8446 4.1.3) and a second ClientHello.
    "hello_retry": chunks(0, rec(22, RFC8448_CH, 1))
    + chunks(1, rec(22, HRR13) + rec(20, b"\x01"))
    + chunks(0, rec(20, b"\x01") + rec(22, GREASE_CH))
    + chunks(1, rec(22, RFC8448_SH) + rec(20, b"\x01") + rec(23, b"\xde\xad"))
    + chunks(0, rec(23, b"\x01\x02")),
}

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print("wrote %d seeds to %s" % (len(seeds), os.path.normpath(OUT)))
