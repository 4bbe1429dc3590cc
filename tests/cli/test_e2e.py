#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests of the `flowscope` command on the project's own captures.

Expected values come from (a) the capture's own bytes (pcap_truth.py, an
independent decoder written for these tests), (b) the requests the
recording script made (tests/data/loopback_traffic.py: hosts, URIs, DNS
names, SNIs), (c) Zeek's documented rules checked by hand against the
tcpdump listing in tests/data/README.md, and (d) the Community ID spec's
published baseline for the corpus captures it was made from. Nothing is
copied from flowscope's own output.
"""
import argparse
import csv
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcap_truth  # noqa: E402

ARGS = None
DEMO = None
FAILS = []
SKIPS = []


# Under ASan/UBSan a sanitizer report must fail the test even where a
# non-zero exit status is expected: give reports their own status and look.
os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":exitcode=99"
os.environ["UBSAN_OPTIONS"] = os.environ.get("UBSAN_OPTIONS", "") + ":halt_on_error=1:exitcode=99"


def sanitizer_clean(err):
    if "Sanitizer" in err or "runtime error:" in err:
        raise AssertionError("sanitizer report:\n" + err)


def run(args, stdin=None, timeout=120, input_bytes=None):
    p = subprocess.run([ARGS.flowscope] + args, stdin=stdin, input=input_bytes,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    err = p.stderr.decode("utf-8", "replace")
    sanitizer_clean(err)
    return p.returncode, p.stdout.decode("utf-8", "replace"), err


def plugin_args():
    return ["--plugin-dir", ARGS.plugin_dir, "--no-system-plugins"]


def have_plugin(name):
    return os.path.exists(os.path.join(ARGS.plugin_dir, name + ".so"))


def no_duplicate_keys(pairs):
    keys = [k for k, _ in pairs]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise AssertionError("duplicate keys in a JSON object: %s" % dup)
    return dict(pairs)


def records(text):
    """Parses JSON lines strictly: one JSON object per line, no duplicate keys."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            raise AssertionError("empty line %d in JSON-lines output" % n)
        obj = json.loads(line, object_pairs_hook=no_duplicate_keys)
        assert isinstance(obj, dict), "line %d is not an object" % n
        out.append(obj)
    return out


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def eq(got, want, what):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def usec_text(ns):
    return ns // 1000 / 1e6


def tuple_of(r):
    return (r.get("proto"), r.get("id.orig_h"), r.get("id.orig_p"), r.get("id.resp_h"),
            r.get("id.resp_p"))


def truth_by_tuple():
    return {tuple_of(t): t for t in pcap_truth.connections(DEMO)}


# Zeek's history and state for these connections, checked by hand against the
# tcpdump listing: every TCP connection is SYN, SYN-ACK, ACK, data both ways,
# FIN from the originator then from the responder -> "ShADadFf", "SF"; every
# UDP DNS exchange is one query and one reply -> "Dd", "SF".
def expected_history(proto):
    return "ShADadFf" if proto == "tcp" else "Dd"


def check_conn_against_truth(r, t):
    what = "conn %s" % (tuple_of(r),)
    check(t.get("clean", True), what + ": the capture has retransmissions; truth would be wrong")
    eq(r["_path"], "conn", what + " _path")
    for f in ("orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes", "community_id"):
        eq(r.get(f), t[f], what + " " + f)
    eq(r.get("orig_bytes"), t["orig_bytes"], what + " orig_bytes")
    eq(r.get("resp_bytes"), t["resp_bytes"], what + " resp_bytes")
    eq(r.get("ts"), usec_text(t["first_ns"]), what + " ts")
    eq(round(r.get("duration", -1), 6), round(usec_text(t["last_ns"]) - usec_text(t["first_ns"]), 6),
       what + " duration")
    eq(r.get("conn_state"), "SF", what + " conn_state")
    eq(r.get("history"), expected_history(r["proto"]), what + " history")
    eq(r.get("missed_bytes"), 0, what + " missed_bytes")
    check(re.fullmatch(r"C[0-9A-Za-z]{17}", r.get("uid", "")), what + " uid format: %r" % r.get("uid"))
    check("vlan" not in r and "tunnel" not in r, what + ": no vlan/tunnel on loopback")


# ---------------------------------------------------------------- flows

def test_flows_demo():
    rc, out, err = run(["flows", DEMO])
    eq(rc, 0, "exit status (stderr: %s)" % err)
    recs = records(out)
    truth = truth_by_tuple()
    eq(len(recs), 10, "conn records (tests/data/README.md lists 10 connections)")
    seen = set()
    for r in recs:
        t = truth.get(tuple_of(r))
        check(t is not None, "record %s has no connection in the capture (orientation?)" % (tuple_of(r),))
        check_conn_against_truth(r, t)
        check("service" not in r, "flows does not run parsers: no service")
        seen.add(tuple_of(r))
        eq(r.get("end_reason"), "fin" if r["proto"] == "tcp" else "flush",
           "end_reason of %s" % (tuple_of(r),))
    eq(len(seen), 10, "distinct connections")
    eq(len({r["uid"] for r in recs}), 10, "distinct uids")
    # Orientation: the DNS client (port 3530x) is the originator although the
    # canonical key puts port 53 first.
    dns_udp = [r for r in recs if r["proto"] == "udp"]
    eq(sorted(r["id.orig_p"] for r in dns_udp), [35301, 35302, 35303, 35304], "DNS client ports")
    check(all(r["id.resp_p"] == 53 for r in dns_udp), "DNS server port is the responder")


def test_flows_stdin_and_uid_stability():
    rc1, out1, _ = run(["flows", DEMO])
    with open(DEMO, "rb") as f:
        rc2, out2, err2 = run(["flows", "-"], stdin=f)
    eq(rc2, 0, "stdin exit status (%s)" % err2)
    eq(out2, out1, "reading '-' (stdin) gives the same records as the file")
    rc3, out3, _ = run(["flows", "--uid-seed", "12345", DEMO])
    u1 = [r["uid"] for r in records(out1)]
    u3 = [r["uid"] for r in records(out3)]
    check(set(u1).isdisjoint(u3), "--uid-seed changes every uid")
    eq([r["community_id"] for r in records(out3)], [r["community_id"] for r in records(out1)],
       "community ids do not depend on --uid-seed")
    rc4, out4, _ = run(["flows", "--community-id-seed", "1", DEMO])
    truth = truth_by_tuple()
    for r in records(out4):
        t = truth[tuple_of(r)]
        fam = 6 if ":" in r["id.orig_h"] else 4
        af = socket.AF_INET6 if fam == 6 else socket.AF_INET
        want = pcap_truth.community_id({"tcp": 6, "udp": 17}[r["proto"]],
                                       socket.inet_pton(af, r["id.orig_h"]),
                                       socket.inet_pton(af, r["id.resp_h"]),
                                       r["id.orig_p"], r["id.resp_p"], seed=1)
        eq(r["community_id"], want, "community id with seed 1")
        check(r["community_id"] != t["community_id"], "seed 1 differs from seed 0")


def test_flows_filter():
    rc, out, err = run(["flows", "--filter", "udp", DEMO])
    eq(rc, 0, "exit status (%s)" % err)
    recs = records(out)
    eq(sorted(r["id.orig_p"] for r in recs), [35301, 35302, 35303, 35304], "udp-only flows")


def test_flows_csv():
    rc, out, err = run(["flows", "--format", "csv", DEMO])
    eq(rc, 0, "exit status (%s)" % err)
    rows = list(csv.DictReader(io.StringIO(out)))
    eq(len(rows), 10, "csv rows")
    truth = truth_by_tuple()
    for row in rows:
        key = (row["proto"], row["id.orig_h"], int(row["id.orig_p"]), row["id.resp_h"],
               int(row["id.resp_p"]))
        t = truth[key]
        for f in ("orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes", "orig_bytes",
                  "resp_bytes"):
            eq(int(row[f]), t[f], "csv %s %s" % (key, f))
        eq(row["community_id"], t["community_id"], "csv community_id")
        eq(row["conn_state"], "SF", "csv conn_state")


def test_flows_eve():
    rc, out, err = run(["flows", "--format", "eve", DEMO])
    eq(rc, 0, "exit status (%s)" % err)
    recs = records(out)
    eq(len(recs), 10, "eve flow events")
    truth = truth_by_tuple()
    for r in recs:
        eq(r["event_type"], "flow", "event_type")
        key = (r["proto"].lower(), r["src_ip"], r["src_port"], r["dest_ip"], r["dest_port"])
        t = truth[key]
        eq(r["flow"]["pkts_toserver"], t["orig_pkts"], "pkts_toserver")
        eq(r["flow"]["pkts_toclient"], t["resp_pkts"], "pkts_toclient")
        eq(r["flow"]["bytes_toserver"], t["orig_ip_bytes"], "bytes_toserver (IP bytes)")
        eq(r["community_id"], t["community_id"], "eve community_id")
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+0000", r["timestamp"]),
              "EVE timestamp format %r" % r["timestamp"])
        check(isinstance(r["flow_id"], int) and 0 <= r["flow_id"] < 2 ** 51, "flow_id")


def test_flows_stats_and_progress():
    import pty
    n_pkts = len(list(pcap_truth.read_pcap(DEMO)))
    rc, out, err = run(["flows", "--stats", DEMO])
    eq(rc, 0, "exit status")
    check("stats: packets %d," % n_pkts in err, "--stats counts the %d packets: %r" % (n_pkts, err))
    check("stats: flows 10," in err, "--stats counts 10 flows: %r" % err)
    check("stats: records: conn 10" in err, "--stats counts 10 conn records: %r" % err)
    # --progress draws only on a terminal: give stderr a pty.
    master, slave = pty.openpty()
    p = subprocess.run([ARGS.flowscope, "flows", "--progress", DEMO], stdout=subprocess.PIPE,
                       stderr=slave, timeout=60)
    os.close(slave)
    drawn = b""
    try:
        while True:
            chunk = os.read(master, 4096)
            if not chunk:
                break
            drawn += chunk
    except OSError:
        pass
    os.close(master)
    eq(p.returncode, 0, "--progress exit status")
    check(b"100%" in drawn and b"flows" in drawn, "progress line on the terminal: %r" % drawn[-200:])
    rc, out2, err2 = run(["flows", "--progress", DEMO])
    eq(err2, "", "no progress line when stderr is not a terminal")
    eq(out2, out, "--progress does not change the records")


def write_pcap(path, packets, linktype=1):
    import struct
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, linktype))
        for ts, frame in packets:
            f.write(struct.pack("<IIII", ts // 10 ** 9, ts % 10 ** 9, len(frame), len(frame)))
            f.write(frame)


def test_flows_dedup():
    d = tempfile.mkdtemp(prefix="fs-dup-")
    try:
        pkts = [(ts, frame) for ts, _, frame, _ in pcap_truth.read_pcap(DEMO)]
        doubled = []
        for ts, frame in pkts:
            doubled += [(ts, frame), (ts + 1000, frame)]  # the same frame 1 us later
        dup = os.path.join(d, "dup.pcap")
        write_pcap(dup, doubled)
        truth = truth_by_tuple()
        rc, out, err = run(["flows", "--dedup", "--stats", dup])
        eq(rc, 0, "exit status (%s)" % err)
        for r in records(out):
            t = truth[tuple_of(r)]
            eq((r["orig_pkts"], r["resp_pkts"]), (t["orig_pkts"], t["resp_pkts"]),
               "--dedup drops every copy")
        check("duplicate %d" % len(pkts) in err, "--stats counts %d duplicates: %r" % (len(pkts), err))
        rc, out, err = run(["flows", dup])
        udp = [r for r in records(out) if r["proto"] == "udp"]
        check(all(r["orig_pkts"] == 2 for r in udp), "without --dedup every copy counts")
    finally:
        shutil.rmtree(d)


def test_flows_limits():
    n_pkts = len(list(pcap_truth.read_pcap(DEMO)))
    rc, out, err = run(["flows", "--max-flows", "2", DEMO])
    eq(rc, 0, "exit status (%s)" % err)
    recs = records(out)
    check(any(r["end_reason"] == "evicted" for r in recs), "--max-flows 2 evicts")
    eq(sum(r["orig_pkts"] + r["resp_pkts"] for r in recs), n_pkts, "every packet in some record")
    # The UDP exchanges end 2 s before the capture does: with a 10 ms UDP
    # timeout they end idle, and TCP flows are untouched.
    rc, out, err = run(["flows", "--idle-timeout", "udp=0.01", DEMO])
    eq(rc, 0, "exit status (%s)" % err)
    for r in records(out):
        eq(r["end_reason"], "idle_timeout" if r["proto"] == "udp" else "fin",
           "end_reason with --idle-timeout udp=0.01 for %s" % (tuple_of(r),))


# ---------------------------------------------------------------- sessions

HTTP_TRUTH = [  # from loopback_traffic.py, in order
    ("127.0.0.1", "GET", "127.0.0.1", "/index.html", "flowscope-recorder/1.0", 200, 0, 42),
    ("127.0.0.1", "GET", "127.0.0.1", "/api/items?id=42", "flowscope-recorder/1.0", 200, 0, 26),
    ("127.0.0.1", "POST", "127.0.0.1", "/api/items", "flowscope-recorder/1.0", 201, 17, 10),
    ("127.0.0.1", "GET", "www.flowscope.test", "/missing", "curl-flowscope/1.0", 404, 0, 10),
    ("::1", "GET", "[::1]", "/index.html", "curl-flowscope/1.0", 200, 0, 42),
]
DNS_TRUTH = [  # trans_id, query, qtype_name, rcode_name, answers (None: not checked)
    (0x1001, "www.flowscope.test", "A", "NOERROR", ["127.0.0.10"]),
    (0x1002, "www.flowscope.test", "AAAA", "NOERROR", ["fd00::10"]),
    (0x1003, "alias.flowscope.test", "A", "NOERROR", ["www.flowscope.test", "127.0.0.10"]),
    (0x1004, "missing.flowscope.test", "A", "NXDOMAIN", []),
    (0x1005, "txt.flowscope.test", "TXT", "NOERROR", None),
]
TLS_TRUTH = [  # server_name, version, ALPN the server chose as seen in clear, ALPN offered
    # TLS 1.3 sends the server's ALPN choice in EncryptedExtensions: not visible.
    ("www.flowscope.test", "TLSv13", None, ["h2", "http/1.1"]),
    ("tls12.flowscope.test", "TLSv12", "http/1.1", ["http/1.1"]),
]


def sessions_records():
    rc, out, err = run(["sessions"] + plugin_args() + [DEMO])
    eq(rc, 0, "sessions exit status (stderr: %s)" % err)
    return records(out)


def test_sessions_conn_and_join():
    recs = sessions_records()
    conns = [r for r in recs if r["_path"] == "conn"]
    eq(len(conns), 10, "conn records in sessions")
    truth = truth_by_tuple()
    for r in conns:
        check_conn_against_truth(r, truth[tuple_of(r)])
    by_uid = {r["uid"]: r for r in conns}
    for r in recs:
        if r["_path"] == "conn":
            continue
        c = by_uid.get(r.get("uid"))
        check(c is not None, "%s record uid %r joins no conn record" % (r["_path"], r.get("uid")))
        for f in ("id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"):
            eq(r.get(f), c[f], "%s record %s equals its conn's" % (r["_path"], f))
        check(c["ts"] <= r["ts"] <= c["ts"] + c.get("duration", 0) + 1e-6,
              "%s record ts within its connection" % r["_path"])
    # Services where the plugins are built.
    want = {}
    if have_plugin("dns"):
        want[53] = "dns"
    if have_plugin("http"):
        want[80] = "http"
    if have_plugin("tls"):
        want[443] = "ssl"
    for r in conns:
        if r["id.resp_p"] in want:
            eq(r.get("service"), want[r["id.resp_p"]], "service of %s" % (tuple_of(r),))


def test_sessions_http():
    if not have_plugin("http"):
        raise Skip("http plugin not built")
    recs = [r for r in sessions_records() if r["_path"] == "http"]
    eq(len(recs), len(HTTP_TRUTH), "http records")
    for r, (orig_h, method, host, uri, ua, status, req_len, resp_len) in zip(recs, HTTP_TRUTH):
        what = "http %s %s" % (method, uri)
        eq(r["id.orig_h"], orig_h, what + " id.orig_h")
        eq(r["id.resp_p"], 80, what + " id.resp_p")
        eq(r.get("method"), method, what + " method")
        eq(r.get("host"), host, what + " host")
        eq(r.get("uri"), uri, what + " uri")
        eq(r.get("user_agent"), ua, what + " user_agent")
        eq(r.get("status_code"), status, what + " status_code")
        eq(r.get("version"), "1.1", what + " version")
        eq(r.get("request_body_len"), req_len, what + " request_body_len")
        eq(r.get("response_body_len"), resp_len, what + " response_body_len")


def test_sessions_dns():
    if not have_plugin("dns"):
        raise Skip("dns plugin not built")
    recs = [r for r in sessions_records() if r["_path"] == "dns"]
    eq(len(recs), len(DNS_TRUTH), "dns records")
    for r, (tid, query, qtype, rcode, answers) in zip(recs, DNS_TRUTH):
        what = "dns %s %s" % (query, qtype)
        eq(r.get("trans_id"), tid, what + " trans_id")
        eq(r.get("query"), query, what + " query")
        eq(r.get("qtype_name"), qtype, what + " qtype_name")
        eq(r.get("rcode_name"), rcode, what + " rcode_name")
        eq(r["id.resp_p"], 53, what + " id.resp_p")
        if answers is not None:
            eq(r.get("answers", []), answers, what + " answers")
        else:
            check(any("flowscope" in a for a in r.get("answers", [])), what + " TXT answer")
    if "proto" in recs[0]:
        eq([r["proto"] for r in recs], ["udp"] * 4 + ["tcp"], "dns proto (the TXT query used TCP)")


def test_sessions_tls():
    if not have_plugin("tls"):
        raise Skip("tls plugin not built")
    recs = [r for r in sessions_records() if r["_path"] == "ssl"]
    eq(len(recs), len(TLS_TRUTH), "ssl records")
    for r, (sni, version, alpn, offered) in zip(recs, TLS_TRUTH):
        eq(r.get("server_name"), sni, "ssl server_name")
        eq(r.get("version"), version, "ssl version of %s" % sni)
        eq(r.get("next_protocol"), alpn, "ssl next_protocol of %s" % sni)
        eq(r.get("client_alpn"), offered, "ssl client_alpn of %s" % sni)
        eq(r.get("established"), True, "ssl established of %s" % sni)
        eq(r["id.resp_p"], 443, "ssl id.resp_p")
    eq(recs[1].get("cipher"), "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS 1.2 cipher")


def test_sessions_eve():
    rc, out, err = run(["sessions", "--format", "eve"] + plugin_args() + [DEMO])
    eq(rc, 0, "exit status (%s)" % err)
    recs = records(out)
    flows = {r["flow_id"]: r for r in recs if r["event_type"] == "flow"}
    eq(len(flows), 10, "flow events")
    for r in recs:
        check(r["flow_id"] in flows, "%s event joins a flow event by flow_id" % r["event_type"])
        f = flows[r["flow_id"]]
        eq((r["src_ip"], r["src_port"], r["dest_ip"], r["dest_port"]),
           (f["src_ip"], f["src_port"], f["dest_ip"], f["dest_port"]), "endpoints as the flow's")
    if have_plugin("http"):
        http = [r["http"] for r in recs if r["event_type"] == "http"]
        eq([(h["http_method"], h["hostname"], h["url"], h["status"]) for h in http],
           [(m, h, u, st) for _, m, h, u, _, st, _, _ in HTTP_TRUTH], "EVE http fields")
        eq(http[0]["protocol"], "HTTP/1.1", "EVE http protocol")
    if have_plugin("dns"):
        dns = [r["dns"] for r in recs if r["event_type"] == "dns"]
        eq([(d["id"], d["rrname"], d["rrtype"], d["rcode"]) for d in dns],
           [(t, q, qt, rc_) for t, q, qt, rc_, _ in DNS_TRUTH], "EVE dns fields")
        eq(dns[0]["answers"], [{"rdata": "127.0.0.10"}], "EVE dns answers")
    if have_plugin("tls"):
        tls = [r["tls"] for r in recs if r["event_type"] == "tls"]
        eq([(t["sni"], t["version"]) for t in tls],
           [("www.flowscope.test", "TLS 1.3"), ("tls12.flowscope.test", "TLS 1.2")], "EVE tls")


def tcp_conversation(client_payloads, server_payloads, sport=40000, dport=80):
    """Ethernet/IPv4/TCP frames of one clean conversation, built by hand:
    handshake, the client's payloads then the server's (each ACKed), FINs."""
    import struct

    def frame(src, dst, sp, dp, seq, ack, flags, payload=b""):
        tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                         socket.inet_aton(src), socket.inet_aton(dst)) + tcp
        return b"\x00" * 12 + b"\x08\x00" + ip

    c, s_ = "10.1.1.1", "10.2.2.2"
    cs, ss = 1000, 5000
    out = [frame(c, s_, sport, dport, cs, 0, 0x02), frame(s_, c, dport, sport, ss, cs + 1, 0x12),
           frame(c, s_, sport, dport, cs + 1, ss + 1, 0x10)]
    cs += 1
    ss += 1
    for p in client_payloads:
        out.append(frame(c, s_, sport, dport, cs, ss, 0x18, p))
        cs += len(p)
        out.append(frame(s_, c, dport, sport, ss, cs, 0x10))
    for p in server_payloads:
        out.append(frame(s_, c, dport, sport, ss, cs, 0x18, p))
        ss += len(p)
        out.append(frame(c, s_, sport, dport, cs, ss, 0x10))
    out += [frame(c, s_, sport, dport, cs, ss, 0x11), frame(s_, c, dport, sport, ss, cs + 1, 0x11),
            frame(c, s_, sport, dport, cs + 1, ss + 1, 0x10)]
    t0 = 1_700_000_000 * 10 ** 9
    return [(t0 + i * 1000_000, f) for i, f in enumerate(out)]


def test_strings_stay_valid_json():
    if not have_plugin("http"):
        raise Skip("http plugin not built")
    # A URI with a byte that is not UTF-8 (0xff), a valid e-acute (C3 A9), a
    # quote and a backslash; a User-Agent with a tab and a lone 0xe9 (Latin-1,
    # not UTF-8). (HTTP forbids other control bytes in headers: the JSON
    # writer's \u00NN escapes are covered by test_cli_units.)
    uri = b"/a\xffb\xc3\xa9c\"d\\e"
    ua = b"x\ty\xe9z"
    req = b"GET " + uri + b" HTTP/1.1\r\nHost: example.test\r\nUser-Agent: " + ua + b"\r\n\r\n"
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    d = tempfile.mkdtemp(prefix="fs-utf8-")
    try:
        cap = os.path.join(d, "odd-bytes.pcap")
        write_pcap(cap, tcp_conversation([req], [resp]))
        rc, out, err = run(["sessions"] + plugin_args() + [cap])
        eq(rc, 0, "exit status (%s)" % err)
        out.encode("utf-8")  # the output itself is valid UTF-8 (decoded without loss)
        recs = [r for r in records(out) if r["_path"] == "http"]
        eq(len(recs), 1, "one http record")
        # Zeek's convention: an invalid byte becomes the text \xNN; valid
        # UTF-8, quotes and backslashes come back as they were.
        eq(recs[0]["uri"], "/a\\xffb\u00e9c\"d\\e", "uri after JSON decoding")
        eq(recs[0]["user_agent"], "x\ty\\xe9z", "tab kept, lone 0xe9 as \\xe9")
        check("x\\ty" in out, "tab written as \\t")
    finally:
        shutil.rmtree(d)


def test_log_dir():
    d = tempfile.mkdtemp(prefix="fs-logs-")
    try:
        rc, out, err = run(["sessions", "--log-dir", d] + plugin_args() + [DEMO])
        eq(rc, 0, "exit status (%s)" % err)
        eq(out, "", "nothing on stdout with --log-dir")
        files = sorted(os.listdir(d))
        check("conn.log" in files, "conn.log written: %s" % files)
        total = 0
        for name in files:
            check(name.endswith(".log"), "only .log files: %s" % name)
            with open(os.path.join(d, name), encoding="utf-8") as f:
                recs = [json.loads(line) for line in f]  # a JSON-lines reader
            check(recs, "%s is not empty" % name)
            for r in recs:
                eq(r["_path"] + ".log", name, "record in its _path's file")
            total += len(recs)
        eq(len([1 for _ in open(os.path.join(d, "conn.log"))]), 10, "conn.log lines")
        for plugin, log in (("http", "http.log"), ("dns", "dns.log"), ("tls", "ssl.log")):
            if have_plugin(plugin):
                check(log in files, "%s written" % log)
        if shutil.which("jq"):
            for name in files:
                p = subprocess.run(["jq", "-e", "-c", "._path", os.path.join(d, name)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                eq(p.returncode, 0, "jq reads %s (%s)" % (name, p.stderr.decode()))
        # The same records as on standard output.
        eq(total, len(sessions_records()), "records in files == records on stdout")
        # Other formats: one file each.
        for fmt, name in (("eve", "eve.json"), ("csv", "conn.csv")):
            sub = os.path.join(d, fmt)
            rc, out, err = run(["sessions", "--format", fmt, "--log-dir", sub] + plugin_args() +
                               [DEMO])
            eq(rc, 0, "--format %s --log-dir exit status (%s)" % (fmt, err))
            eq(sorted(os.listdir(sub)), [name], "--format %s writes %s" % (fmt, name))
            with open(os.path.join(sub, name)) as f:
                body = f.read()
            if fmt == "eve":
                eq(len(records(body)), total, "eve.json has every record")
            else:
                eq(len(body.splitlines()), 1 + 10, "conn.csv: header + 10 flows")
    finally:
        shutil.rmtree(d)


def test_replay_pace():
    truth = pcap_truth.connections(DEMO)
    span = (max(t["last_ns"] for t in truth) - min(t["first_ns"] for t in truth)) / 1e9
    t0 = time.monotonic()
    rc, out, err = run(["replay", "--speed", "4"] + plugin_args() + [DEMO])
    took = time.monotonic() - t0
    eq(rc, 0, "replay exit status (%s)" % err)
    check(took >= span / 4 * 0.8, "replay at 4x took %.2fs for a %.2fs capture" % (took, span))
    rc, fast, _ = run(["replay", "--speed", "0"] + plugin_args() + [DEMO])
    eq(fast, out, "replay output does not depend on the pace")
    check(len(records(fast)) == len(sessions_records()), "replay = sessions records")


def test_plugins_command():
    if not have_plugin("tls"):
        raise Skip("tls plugin not built")
    d = tempfile.mkdtemp(prefix="fs-plug-")
    try:
        shutil.copy(os.path.join(ARGS.plugin_dir, "tls.so"), os.path.join(d, "tls.so"))
        with open(os.path.join(d, "junk.so"), "w") as f:
            f.write("not an ELF file\n")
        rc, out, err = run(["plugins", "--plugin-dir", d, "--no-system-plugins", "--format", "json"],
                           )
        eq(rc, 0, "plugins exit status (%s)" % err)
        recs = records(out)
        loaded = [r for r in recs if "plugin" in r]
        refused = [r for r in recs if "refused" in r]
        eq([r["plugin"] for r in loaded], ["tls"], "loaded plugins")
        eq(loaded[0]["file"], os.path.join(d, "tls.so"), "file of tls")
        eq([p["name"] for p in loaded[0]["protocols"]], ["ssl"], "tls provides ssl (Zeek's name)")
        check([443, 443] in loaded[0]["protocols"][0]["ports"], "port hint 443")
        eq([r["refused"] for r in refused], [os.path.join(d, "junk.so")], "refused files")
        check(refused[0]["reason"], "a refusal has a reason")
        # Text table: the same plugin and the refusal with its path.
        rc, out, err = run(["plugins", "--plugin-dir", d, "--no-system-plugins"])
        eq(rc, 0, "plugins (text) exit status")
        check(re.search(r"^tls +\S+ +ssl +tcp +\S*443", out, re.M), "text row for tls: %r" % out)
        check("refused %s" % os.path.join(d, "junk.so") in out, "text refusal line")
        # Asked by name: found, or an error naming it.
        rc, out, err = run(["plugins", "--plugin-dir", d, "--no-system-plugins", "--plugin", "tls"])
        eq(rc, 0, "plugins --plugin tls")
        expect_error(["plugins", "--plugin-dir", d, "--no-system-plugins", "--plugin", "http"], 2,
                     "--plugin http")
    finally:
        shutil.rmtree(d)


# ---------------------------------------------------------------- errors

def expect_error(args, status, *needles, stdin=None):
    rc, out, err = run(args, stdin=stdin)
    eq(rc, status, "exit status of %s (stderr: %s)" % (args, err.strip()))
    lines = [l for l in err.splitlines() if l.startswith("flowscope: error: ")]
    eq(len(lines), 1, "one error line (flowscope: error: ...) on stderr for %s: %r" % (args, err))
    msg = lines[0]
    for n in needles:
        check(n in msg, "message %r names %r" % (msg, n))
    return out, err


def test_error_missing_capture():
    expect_error(["flows", "/nonexistent/capture.pcap"], 1, "/nonexistent/capture.pcap",
                 "No such file")


def test_error_unreadable_capture():
    d = tempfile.mkdtemp(prefix="fs-err-")
    try:
        junk = os.path.join(d, "notes.txt")
        with open(junk, "w") as f:
            f.write("this is not a capture file\n" * 4)
        expect_error(["flows", junk], 1, junk)
        expect_error(["flows", d], 1, d)  # a directory
        if os.geteuid() != 0:
            locked = os.path.join(d, "locked.pcap")
            shutil.copy(DEMO, locked)
            os.chmod(locked, 0)
            expect_error(["flows", locked], 1, locked, "Permission denied")
    finally:
        shutil.rmtree(d)


def test_error_bad_options():
    expect_error(["flows", "--bogus", DEMO], 2, "--bogus")
    expect_error(["flows", "--format", "xml", DEMO], 2, "--format", "xml")
    expect_error(["flows", "--idle-timeout", "tcp=abc", DEMO], 2, "--idle-timeout")
    expect_error(["flows", "--max-flows", "0", DEMO], 2, "--max-flows")
    expect_error(["flows"], 2, "CAPTURE")
    expect_error(["frobnicate", DEMO], 2, "frobnicate")
    expect_error(["flows", DEMO, DEMO], 2, "one CAPTURE")
    expect_error(["flows", "--filter"], 2, "--filter")


def test_error_bad_bpf():
    expect_error(["flows", "--filter", "tcp port nonsense-port-name", DEMO], 2, "--filter",
                 "nonsense-port-name")


def test_error_plugin_not_found():
    expect_error(["sessions", "--plugin", "nosuchproto"] + plugin_args() + [DEMO], 2,
                 "nosuchproto", "not found")


def truncated_copy(d):
    with open(DEMO, "rb") as f:
        data = f.read()
    cut = os.path.join(d, "cut.pcap")
    # Cut 20 bytes into the last record: everything before it is intact.
    last = list(pcap_truth.read_pcap(DEMO))
    keep = len(data) - len(last[-1][2]) + 20
    with open(cut, "wb") as f:
        f.write(data[:keep])
    return cut, len(last) - 1


def test_error_damaged_capture():
    import struct
    d = tempfile.mkdtemp(prefix="fs-bad-")
    try:
        with open(DEMO, "rb") as f:
            data = bytearray(f.read())
        # Record 51 claims 2^31-1 captured bytes: damage after 50 good packets.
        pos = 24
        for _ in range(50):
            pos += 16 + struct.unpack("<I", data[pos + 8:pos + 12])[0]
        data[pos + 8:pos + 12] = struct.pack("<I", 0x7FFFFFFF)
        bad = os.path.join(d, "bad.pcap")
        with open(bad, "wb") as f:
            f.write(data)
        out, err = expect_error(["flows", bad], 3, bad, "after 50 packets")
        recs = records(out)
        eq(sum(r["orig_pkts"] + r["resp_pkts"] for r in recs), 50, "the 50 good packets counted")
        rc, _, err = run(["flows", "--allow-truncated", bad])
        eq(rc, 0, "--allow-truncated accepts damage too (%s)" % err)
    finally:
        shutil.rmtree(d)


def test_error_truncated_capture():
    d = tempfile.mkdtemp(prefix="fs-cut-")
    try:
        cut, intact = truncated_copy(d)
        out, err = expect_error(["flows", "--stats", cut], 3, cut, "truncated")
        recs = records(out)
        eq(len(recs), 10, "every flow is still flushed")
        pkts = sum(r["orig_pkts"] + r["resp_pkts"] for r in recs)
        eq(pkts, intact, "packets before the damage are all counted")
        rc, out2, err2 = run(["flows", "--allow-truncated", cut])
        eq(rc, 0, "--allow-truncated exit status")
        check("warning" in err2 and "truncated" in err2, "--allow-truncated still reports: %r" % err2)
        eq(out2, out, "same records with --allow-truncated")
    finally:
        shutil.rmtree(d)


# ---------------------------------------------------------------- live, signals

def test_live_capture_sigint():
    port = 39000 + os.getpid() % 1000
    p = subprocess.Popen([ARGS.flowscope, "flows", "-i", "lo", "--filter",
                          "udp and port %d" % port, "--stats", "--snaplen", "128",
                          "--buffer-size", "1M", "--promisc"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(2.0)  # the capture must be open before the datagrams go out
    if p.poll() is not None:
        out, err = p.communicate()
        if b"ermission" in err or b"Operation not permitted" in err:
            raise Skip("no permission to capture on lo")
        raise AssertionError("live capture exited early: %s" % err.decode())
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    sport = s.getsockname()[1]
    for _ in range(3):
        s.sendto(b"hello", ("127.0.0.1", port))
    s.close()
    time.sleep(0.7)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    sanitizer_clean(err.decode())
    eq(p.returncode, 0, "exit status after SIGINT (%s)" % err.decode())
    recs = records(out.decode())
    mine = [r for r in recs if r.get("id.orig_p") == sport and r.get("id.resp_p") == port]
    eq(len(mine), 1, "the live flow is flushed at SIGINT")
    eq(mine[0]["orig_pkts"], 3, "three datagrams")
    eq(mine[0]["orig_ip_bytes"], 3 * (20 + 8 + 5), "IP bytes of three 5-byte datagrams")
    eq(mine[0]["end_reason"], "flush", "ended by the flush at exit")
    check("stats: capture: received" in err.decode(), "live drop statistics in --stats")


def test_live_records_flushed_as_flows_end():
    import select
    port = 38000 + os.getpid() % 1000
    p = subprocess.Popen([ARGS.flowscope, "flows", "-i", "lo", "--filter",
                          "udp and port %d" % port, "--idle-timeout", "udp=1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(2.0)
        if p.poll() is not None:
            err = p.stderr.read()
            if b"ermission" in err or b"not permitted" in err:
                raise Skip("no permission to capture on lo")
            raise AssertionError("live capture exited early: %s" % err.decode())
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"ping", ("127.0.0.1", port))
        s.close()
        # Without further packets, read timeouts advance time: the flow ends
        # idle after ~1-2 s and its record must reach the pipe at once.
        ready, _, _ = select.select([p.stdout], [], [], 8.0)
        check(ready, "a record on the pipe before the capture stops")
        line = p.stdout.readline().decode()
        r = records(line)[0]
        eq(r["id.resp_p"], port, "the flow's record")
        eq(r["end_reason"], "idle_timeout", "ended by the idle timeout while live")
    finally:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=20)
    eq(p.returncode, 0, "SIGTERM on live capture exits 0")


def test_sigterm_on_stdin():
    # A file read from a pipe that stays open: SIGTERM stops it, flows are flushed.
    with open(DEMO, "rb") as f:
        data = f.read()
    p = subprocess.Popen([ARGS.flowscope, "flows", "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdin.write(data)
    p.stdin.flush()
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=20)
    sanitizer_clean(err.decode())
    eq(p.returncode, 130, "interrupted file read exit status (%s)" % err.decode())
    eq(len(records(out.decode())), 10, "every flow read so far is flushed")


# ---------------------------------------------------------------- docs and help

def long_options_in_code():
    with open(os.path.join(ARGS.source_dir, "cli/src/options.c")) as f:
        src = f.read()
    return set(re.findall(r'\{"([a-z][a-z-]+)", (?:required|no)_argument', src))


def test_help_matches_code_and_docs():
    rc, out, err = run(["--help"])
    eq(rc, 0, "--help exit status")
    in_help = set(re.findall(r"--([a-z][a-z-]+)", out))
    code = long_options_in_code()
    eq(sorted(code - in_help), [], "options in the code missing from --help")
    eq(sorted(in_help - code), [], "options in --help the code does not accept")
    for cmd in ("flows", "sessions", "replay", "plugins"):
        check("flowscope %s" % cmd in out, "--help shows the %s command" % cmd)
    check("Examples:" in out, "--help has examples")
    with open(os.path.join(ARGS.source_dir, "docs/cli.md")) as f:
        doc = f.read()
    in_doc = set(re.findall(r"--([a-z][a-z-]+)", doc))
    eq(sorted(code - in_doc), [], "options missing from docs/cli.md")
    eq(sorted(in_doc - code), [], "options in docs/cli.md the code does not accept")
    rc, out, _ = run(["--version"])
    eq(rc, 0, "--version exit status")
    check(re.match(r"flowscope \d+\.\d+\.\d+ ", out), "--version text %r" % out)


def doc_fields(section):
    """Field names in the first column of the table under a '## section' heading."""
    with open(os.path.join(ARGS.source_dir, "docs/output.md")) as f:
        text = f.read()
    m = re.search(r"^## %s\n(.*?)(?=^## )" % re.escape(section), text, re.S | re.M)
    check(m, "docs/output.md has a '## %s' section" % section)
    return set(re.findall(r"^\| `([^`]+)` \|", m.group(1), re.M)), m.group(1)


def test_output_doc_matches_records():
    conn_doc, _ = doc_fields("conn")
    rc, out, _ = run(["flows", DEMO])
    for r in records(out):
        eq(sorted(set(r) - conn_doc), [], "conn fields not documented in docs/output.md")
    rc, out, _ = run(["flows", "--format", "csv", DEMO])
    header = out.splitlines()[0].split(",")
    eq(sorted(set(header) - conn_doc), [], "csv columns not documented as conn fields")
    recs = sessions_records()
    for r in recs:
        if r["_path"] == "conn":
            eq(sorted(set(r) - conn_doc), [], "conn fields not documented in docs/output.md")
    for path, plugin in (("http", "http"), ("dns", "dns"), ("ssl", "tls")):
        if not have_plugin(plugin):
            continue
        fields, _ = doc_fields(path)
        fields |= {"_path", "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"}
        for r in recs:
            if r["_path"] == path:
                eq(sorted(set(r) - fields), [], "%s fields not in docs/output.md" % path)


def test_output_doc_examples_are_records():
    with open(os.path.join(ARGS.source_dir, "docs/output.md")) as f:
        text = f.read()
    blocks = re.findall(r"```json\n(.*?)```", text, re.S)
    check(len(blocks) >= 5, "docs/output.md has an example per record type")
    paths = set()
    for b in blocks:
        for r in records(b.strip()):
            paths.add(r.get("_path") or "eve:" + r.get("event_type", "?"))
    for want in ("conn", "http", "dns", "ssl", "eve:flow"):
        check(want in paths, "docs/output.md has a %s example" % want)


def test_docs_examples_match_the_program():
    # The README's demo lines and docs/output.md's examples are real output:
    # each must appear verbatim in today's output for the demo capture.
    outputs = set()
    for args in (["sessions"] + plugin_args(), ["flows"],
                 ["sessions", "--format", "eve"] + plugin_args()):
        rc, out, err = run(args + [DEMO])
        eq(rc, 0, "%s exit status (%s)" % (args, err))
        outputs |= set(out.splitlines())
    for doc in ("README.md", "docs/output.md"):
        with open(os.path.join(ARGS.source_dir, doc)) as f:
            lines = [l for l in f.read().splitlines() if l.startswith('{"')]
        check(lines, "%s has example records" % doc)
        for l in lines:
            check(l in outputs, "%s example is not what the program writes now: %s" % (doc, l[:120]))


# ---------------------------------------------------------------- corpus

def test_vlan_and_tunnel_corpus():
    base = os.path.join(ARGS.corpus, "zeek") if ARGS.corpus else ""
    if not base or not os.path.isdir(base):
        raise Skip("corpus not available (FLOWSCOPE_CORPUS)")
    # VLAN ids of each connection's first packet, read from the bytes.
    for cap in ("http-vlan-0.pcap", "http-qinq-0.pcap", "vlan-qinqinq.pcap", "mpls-in-vlan.pcap"):
        path = os.path.join(base, cap)
        truth = {tuple_of(t): t for t in pcap_truth.connections(path)}
        rc, out, err = run(["flows", path])
        eq(rc, 0, "%s exit status (%s)" % (cap, err))
        n = 0
        for r in records(out):
            t = truth.get(tuple_of(r))
            if t:
                eq(r.get("vlan"), t["vlans"], "%s vlan of %s" % (cap, tuple_of(r)))
                n += 1
        check(n > 0, "%s: flows matched" % cap)
    # VXLAN: outer addresses and VNI of the first frame, read by hand here.
    import struct
    path = os.path.join(base, "tunnels", "vxlan.pcap")
    _, _, frame, _ = next(iter(pcap_truth.read_pcap(path)))
    ihl = (frame[14] & 15) * 4
    outer_src = socket.inet_ntop(socket.AF_INET, frame[26:30])
    outer_dst = socket.inet_ntop(socket.AF_INET, frame[30:34])
    udp = 14 + ihl
    eq(struct.unpack("!H", frame[udp + 2:udp + 4])[0], 4789, "vxlan.pcap: UDP 4789")
    vni = int.from_bytes(frame[udp + 12:udp + 15], "big")
    rc, out, err = run(["flows", path])
    recs = [r for r in records(out) if "tunnel" in r]
    check(recs, "vxlan.pcap: records with a tunnel")
    r = recs[0]
    eq(r["tunnel"], ["vxlan"], "tunnel kind")
    eq({r["tunnel_orig_h"], r["tunnel_resp_h"]}, {outer_src, outer_dst}, "outer addresses")
    eq(r["tunnel_id"], vni, "VNI")


# The spec's baseline (baseline_deflt.json) was made from these captures.
CID_BASELINE = [
    ("tcp.pcap", "tcp", "128.232.110.120", 34855, "66.35.250.204", 80,
     "1:LQU9qZlK+B5F3KDmev6m5PMibrg="),
    ("udp.pcap", "udp", "192.168.1.52", 54585, "8.8.8.8", 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="),
    ("sctp.pcap", "sctp", "192.168.170.8", 7, "192.168.170.56", 7,
     "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="),
    ("ipv6.pcap", "tcp", "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943,
     "2607:f8b0:400c:c03::1a", 25, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="),
    ("icmp.pcap", "icmp", "192.168.0.89", 8, "192.168.0.1", 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="),
]


def test_community_id_corpus():
    base = os.path.join(ARGS.corpus, "zeek", "communityid") if ARGS.corpus else ""
    if not base or not os.path.isdir(base):
        raise Skip("corpus zeek/communityid not available (FLOWSCOPE_CORPUS)")
    for cap, proto, oh, op, rh, rp, cid in CID_BASELINE:
        rc, out, err = run(["flows", os.path.join(base, cap)])
        eq(rc, 0, "%s exit status (%s)" % (cap, err))
        recs = records(out)
        match = [r for r in recs if r["proto"] == proto and
                 {(r["id.orig_h"], r["id.orig_p"]), (r["id.resp_h"], r["id.resp_p"])} ==
                 {(oh, op), (rh, rp)}]
        check(match, "%s: a %s flow %s:%d <-> %s:%d" % (cap, proto, oh, op, rh, rp))
        eq(match[0]["community_id"], cid, "%s community_id (spec baseline)" % cap)
        # And every flow of the capture against the independent Python computation.
        for t in pcap_truth.connections(os.path.join(base, cap)):
            r = [x for x in recs if tuple_of(x) == tuple_of(t)]
            if r:
                eq(r[0]["community_id"], t["community_id"], "%s %s" % (cap, tuple_of(t)))


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_") and callable(v)]


def main():
    global ARGS, DEMO
    ap = argparse.ArgumentParser()
    ap.add_argument("--flowscope", required=True)
    ap.add_argument("--plugin-dir", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--corpus", default="")
    ap.add_argument("only", nargs="*")
    ARGS = ap.parse_args()
    if not ARGS.corpus:
        ARGS.corpus = os.environ.get("FLOWSCOPE_CORPUS", "")
    DEMO = os.path.join(ARGS.data, "loopback-http-tls-dns.pcap")
    for t in TESTS:
        if ARGS.only and t.__name__ not in ARGS.only:
            continue
        try:
            t()
            print("PASS", t.__name__)
        except Skip as e:
            print("SKIP", t.__name__ + ":", e)
            SKIPS.append(t.__name__)
        except Exception as e:  # noqa: BLE001 - report every failure
            print("FAIL", t.__name__ + ":", "%s: %s" % (type(e).__name__, e))
            FAILS.append(t.__name__)
    print("%d failed, %d skipped, %d run" % (len(FAILS), len(SKIPS), len(TESTS)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
