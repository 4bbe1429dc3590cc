#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`flowscope flows` and `flowscope sessions` with `--workers 1` and
`--workers 2` write exactly the same records (order aside) on every capture
of the test suite: tests/data and, when given, the corpus. Every line is a
record; the two runs' lines are compared as multisets, and the record counts
of --stats must match the lines written. On the shipped captures also
--log-dir, EVE and CSV output. A sanitizer report or differing exits fail."""
import argparse
import collections
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile


def captures(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.endswith(".truth"))
        for name in sorted(filenames):
            if name.endswith((".pcap", ".pcapng", ".cap")):
                yield os.path.join(dirpath, name)


def run(flowscope, plugin_dir, command, workers, path):
    # A flow table far above any test capture's flow count: eviction would
    # differ (per-worker tables), and records with it.
    cmd = [flowscope, command, "--format", "json", "--plugin-dir", plugin_dir,
           "--no-system-plugins", "--max-flows", "65536", "--workers", str(workers),
           "--allow-truncated", "--stats", path]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    err = p.stderr.decode(errors="replace")
    if "Sanitizer" in err or "runtime error" in err:
        raise AssertionError(f"{path}: sanitizer report ({command} --workers {workers}):\n{err}")
    lines = p.stdout.splitlines()
    # --stats counts records per log as the writers (one per worker) hand
    # them over: they must match the lines actually written.
    written = collections.Counter(json.loads(l)["_path"] for l in lines)
    stated = collections.Counter()
    for l in err.splitlines():
        if l.startswith("stats: records:"):
            for item in l.split(": ", 2)[2].split(", "):
                name, _, n = item.rpartition(" ")
                if name != "not written":
                    stated[name] += int(n)
    if p.returncode == 0 and stated != written:
        raise AssertionError(f"{path}: {command} --workers {workers}: --stats says {dict(stated)}, "
                             f"the output has {dict(written)}")
    return p.returncode, collections.Counter(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flowscope", required=True)
    ap.add_argument("--plugin-dir", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--corpus", default="")
    a = ap.parse_args()
    roots = [a.data] + ([a.corpus] if a.corpus and os.path.isdir(a.corpus) else [])
    if len(roots) == 1:
        print("corpus not configured: tests/data only")
    files = records = 0
    paths = [p for root in roots for p in captures(root)]

    jobs = [(c, p) for p in paths for c in ("flows", "sessions")]

    def both(job):
        command, path = job
        return (command, path, run(a.flowscope, a.plugin_dir, command, 1, path),
                run(a.flowscope, a.plugin_dir, command, 2, path))

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for command, path, (rc1, one), (rc2, two) in pool.map(both, jobs):
            if rc1 != rc2:
                print(f"FAIL {command} {path}: exit {rc1} with 1 worker, {rc2} with 2")
                return 1
            if one != two:
                only1 = list((one - two).elements())[:3]
                only2 = list((two - one).elements())[:3]
                print(f"FAIL {command} {path}: records differ\n  only with 1 worker: {only1}\n"
                      f"  only with 2 workers: {only2}")
                return 1
            files += command == "flows"
            records += sum(one.values())
    print(f"ok: {files} captures, {records} flows+sessions records, identical with 1 and 2 workers")
    if files == 0:
        return 1
    # The other ways records leave the workers: one file per log (each
    # record written under the output's lock), EVE and CSV to standard
    # output (batches), and the per-log record counts of --stats (each
    # worker's counts joined at the end). On the shipped captures.
    for path in captures(a.data):
        for fmt in ("eve", "csv"):
            runs = [run_format(a, w, path, fmt) for w in (1, 2)]
            if runs[0] != runs[1]:
                print(f"FAIL sessions --format {fmt} {path}: records differ between 1 and 2 workers")
                return 1
        logs = [run_log_dir(a, w, path) for w in (1, 2)]
        if logs[0] != logs[1]:
            print(f"FAIL sessions --log-dir {path}: logs or --stats counts differ between 1 and 2 workers")
            return 1
        if not logs[0][0]:
            print(f"FAIL sessions --log-dir {path}: no log written")
            return 1
    print("ok: --log-dir, eve, csv and --stats counts identical with 1 and 2 workers")
    return 0


def run_format(a, workers, path, fmt):
    cmd = [a.flowscope, "sessions", "--format", fmt, "--plugin-dir", a.plugin_dir,
           "--no-system-plugins", "--max-flows", "65536", "--workers", str(workers),
           "--allow-truncated", path]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    lines = p.stdout.splitlines()
    header = lines[0] if fmt == "csv" and lines else b""  # CSV: the header stays first
    return p.returncode, header, collections.Counter(lines)


def run_log_dir(a, workers, path):
    with tempfile.TemporaryDirectory() as d:
        cmd = [a.flowscope, "sessions", "--log-dir", d, "--stats", "--plugin-dir", a.plugin_dir,
               "--no-system-plugins", "--max-flows", "65536", "--workers", str(workers),
               "--allow-truncated", path]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        logs = {}
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                logs[name] = collections.Counter(f.read().splitlines())
        counts = [l for l in p.stderr.decode(errors="replace").splitlines()
                  if l.startswith("stats: records:")]
        # Paths are listed in the order they first appeared: compare them as a set.
        counts = sorted(counts[0].split(": ", 2)[2].split(", ")) if counts else []
        return logs, counts, p.returncode


if __name__ == "__main__":
    sys.exit(main())
