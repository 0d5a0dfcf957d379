#!/usr/bin/env python3
"""Side by side: what a run pays before training starts. `trainer download` on an already cached,
Debian-origin Fashion-MNIST (read, gunzip, SHA-256 of the content, IDX checks) against Python doing
the same read + gunzip + SHA-256 (zlib and OpenSSL's SHA-NI SHA-256). Also a fresh download over
local HTTPS (the test fixture's server). Medians of N runs; --record appends to bench/RESULTS.md.

    python3 bench/data_load.py [--runs 7] [--record]
"""
import argparse
import datetime
import gzip
import hashlib
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from common import temp_dir  # noqa: E402
from fixture_servers import Fixture  # noqa: E402

FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz"]


def timed(command, env=None):
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def python_verify(directory):
    start = time.perf_counter()
    for name in FILES:
        content = gzip.decompress(open(os.path.join(directory, name), "rb").read())
        hashlib.sha256(content).hexdigest()
    return time.perf_counter() - start


def cpu_name():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trainer", default=os.path.join(ROOT, "build", "release", "trainer"))
    parser.add_argument("--data-dir", default="/usr/share/datasets")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    debian = os.path.join(args.data_dir, "fashion-mnist")
    cached = [timed([args.trainer, "download", "--dataset", "fashion-mnist", "--data-dir", args.data_dir,
                     "--offline"]) for _ in range(args.runs)]
    python = [python_verify(debian) for _ in range(args.runs)]
    scratch = temp_dir("bench")
    fixture = Fixture(os.path.join(scratch, "pki"), args.data_dir)
    env = dict(os.environ, SSL_CERT_FILE=fixture.ca_pem)
    fresh = [timed([args.trainer, "download", "--dataset", "fashion-mnist", "--data-dir",
                    os.path.join(scratch, f"cache{i}"), "--mirror", fixture.url("data"), "--no-catalog-mirrors"],
                   env) for i in range(3)]
    fixture.close()
    megabytes = sum(os.path.getsize(os.path.join(debian, f)) for f in FILES) / 1e6
    rows = [
        ("trainer: cached run (read, gunzip, SHA-256, IDX checks)", statistics.median(cached)),
        ("Python: read, gunzip, SHA-256 (hashlib)", statistics.median(python)),
        (f"trainer: fresh download of {megabytes:.1f} MB over local HTTPS (median of 3)", statistics.median(fresh)),
    ]
    table = ["| what | median s |", "|---|---|"] + [f"| {what} | {seconds:.3f} |" for what, seconds in rows]
    ratio = statistics.median(python) / statistics.median(cached)
    text = "\n".join(table) + f"\n\nPython / trainer for the cached-data check: **{ratio:.2f}x**.\n"
    print(text)
    if args.record:
        with open(os.path.join(ROOT, "bench", "RESULTS.md"), "a") as f:
            f.write(f"\n## {datetime.date.today()}: data load and download\n\n"
                    f"Machine: {cpu_name()}, {os.cpu_count()} cores, Linux {platform.release()}.  \n"
                    f"Command: `python3 bench/data_load.py --runs {args.runs} --record`\n\n{text}")


if __name__ == "__main__":
    main()
