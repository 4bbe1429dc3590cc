#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`flowscope flows` and `flowscope sessions` with `--workers 1` and
`--workers 2` write exactly the same records (order aside) on every capture
of the test suite: tests/data and, when given, the corpus. Every line is a
record; the two runs' lines are compared as multisets. A sanitizer report or a non-zero exit fails."""
import argparse
import collections
import concurrent.futures
import os
import subprocess
import sys


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
           "--allow-truncated", path]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    err = p.stderr.decode(errors="replace")
    if "Sanitizer" in err or "runtime error" in err:
        raise AssertionError(f"{path}: sanitizer report ({command} --workers {workers}):\n{err}")
    return p.returncode, collections.Counter(p.stdout.splitlines())


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
    return 0 if files > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
