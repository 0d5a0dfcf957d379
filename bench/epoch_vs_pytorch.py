"""Side-by-side epoch benchmark: trainer vs PyTorch (Debian's python3-torch) on the same machine,
data and model, in one run. Prints a table of median seconds per epoch and ratios; with --record,
appends it to bench/RESULTS.md with the date, machine and command.
   python3 bench/epoch_vs_pytorch.py [--trainer build/release/trainer] [--epochs 5] [--record]"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_common import cpu_model, managed_cache  # noqa: E402


def timed(command):
    """Runs command under GNU time: (stdout, wall seconds, peak RSS in MB)."""
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M"] + command, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    return done.stdout, wall, int(done.stderr.strip().splitlines()[-1]) / 1024


def whole_process(binary, data_dir, torch_data_dir, runs=3):
    """`--epochs 1` with a warm cache, as a user runs it: median wall, ready time and peak RSS of
    the trainer (2 threads) and of the PyTorch script (default threads)."""
    ours, torch_runs = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            stdout, wall, rss = timed([binary, "--epochs", "1", "--dataset", "fashion-mnist", "--data-dir", data_dir,
                                       "--model-dir", out])
            ready = float(stdout.split("(ready ")[1].split(" s")[0])
            ours.append((wall, ready, rss))
        stdout, wall, rss = timed(["/usr/bin/python3", os.path.join(HERE, "pytorch_epoch.py"), torch_data_dir, "0",
                                   "1"])
        epoch = json.loads(stdout.strip().splitlines()[-1])["seconds"][0]
        torch_runs.append((wall, wall - epoch, rss))
    median = lambda rows, i: statistics.median(r[i] for r in rows)  # noqa: E731
    lines = ["| whole process, `--epochs 1`, warm cache | median wall s | to first step s | peak RSS MB |",
             "|---|---|---|---|",
             f"| trainer | {median(ours, 0):.2f} | {median(ours, 1):.2f} (its own report) | {median(ours, 2):.0f} |",
             f"| PyTorch script | {median(torch_runs, 0):.2f} | {median(torch_runs, 1):.2f} (wall - epoch) | "
             f"{median(torch_runs, 2):.0f} |",
             "",
             f"Whole process PyTorch / trainer: **{median(torch_runs, 0) / median(ours, 0):.2f}x** (median of {runs})."]
    return "\n".join(lines)


def run_trainer(binary, data_dir, threads, epochs):
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([binary, "--epochs", str(epochs), "--dataset", "fashion-mnist", "--data-dir", data_dir,
                        "--model-dir", out, "--threads", str(threads)], check=True, capture_output=True)
        wall = time.perf_counter() - start
        metrics = [json.loads(line) for line in open(os.path.join(out, "metrics.jsonl"))]
    return [m["seconds"] for m in metrics], wall


def run_pytorch(data_dir, threads, epochs):
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "pytorch_epoch.py"), data_dir, str(threads),
                           str(epochs)], check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["seconds"], wall, result["torch"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trainer", default="build/release/trainer")
    parser.add_argument("--data-dir", default="/usr/share/datasets")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--record", action="store_true", help="append the table to bench/RESULTS.md")
    args = parser.parse_args()

    rows = []
    cores = os.cpu_count()
    # Interleave the contenders so that a noisy neighbour hurts both alike.
    for threads in sorted({1, cores}):
        seconds, wall = run_trainer(args.trainer, args.data_dir, threads, args.epochs)
        rows.append((f"trainer, {threads} thread{'s' if threads > 1 else ''}", seconds, wall))
        seconds, wall, version = run_pytorch(args.data_dir, threads, args.epochs)
        rows.append((f"PyTorch {version}, {threads} thread{'s' if threads > 1 else ''}", seconds, wall))
    seconds, wall, version = run_pytorch(args.data_dir, 0, args.epochs)
    rows.append((f"PyTorch {version}, default threads", seconds, wall))

    best_ours = min(statistics.median(s) for name, s, _ in rows if name.startswith("trainer"))
    best_torch = min(statistics.median(s) for name, s, _ in rows if name.startswith("PyTorch"))
    lines = [
        f"| configuration | median s/epoch | img/s | whole process s ({args.epochs} epochs) | vs best trainer |",
        "|---|---|---|---|---|",
    ]
    for name, seconds, wall in rows:
        median = statistics.median(seconds)
        lines.append(f"| {name} | {median:.3f} | {60000 / median:,.0f} | {wall:.2f} | {median / best_ours:.2f}x |")
    lines.append("")
    lines.append(f"Best PyTorch / best trainer: **{best_torch / best_ours:.2f}x** "
                 f"(median of {args.epochs} epochs each, Fashion-MNIST 60k, batch 256, seed model).")
    with managed_cache(args.trainer, args.data_dir) as cache:
        whole = whole_process(args.trainer, cache, torch_data_dir=args.data_dir)
    table = "\n".join(lines) + "\n\n" + whole
    print(table)
    if args.record:
        header = (f"\n## {datetime.date.today().isoformat()}: epoch vs PyTorch\n\n"
                  f"Machine: {cpu_model()}, {cores} cores, {platform.system()} {platform.release()}.  \n"
                  f"Command: `python3 bench/epoch_vs_pytorch.py --epochs {args.epochs} --record`\n\n")
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write(header + table + "\n")


if __name__ == "__main__":
    sys.exit(main())
