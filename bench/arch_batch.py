"""Every SIMD path at every batch size, on real data: trains the seed model on Fashion-MNIST with
TRAINER_SIMD=avx512/avx2/sse2 (those this CPU runs) at batch 32, 64, 256 and 1024 and prints the
median seconds per epoch, images/s, the slowest epoch over the first (later epochs slow down when
subnormal values appear, see RESULTS.md) and each arch's ratio to the best. With --record, appends
the table to bench/RESULTS.md with the date, machine and command. --rounds R repeats the whole sweep
R times, archs in a different order each round, and keeps each configuration's best median: a busy
neighbour on a shared machine slows whichever run it overlaps, never speeds one up. --pytorch adds
PyTorch (Debian's python3-torch, 1 thread, its fastest setting here) at the same batch sizes, once.
   python3 bench/arch_batch.py [--trainer build/release/trainer] [--epochs 3] [--threads 2] [--rounds 2]
                               [--pytorch] [--record]"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_common import cpu_model, managed_cache  # noqa: E402
ARCHS = ["avx512", "avx2", "sse2"]
BATCHES = [32, 64, 256, 1024]


def supported_archs(binary):
    """The archs `trainer info` lists as available on this CPU."""
    info = subprocess.run([binary, "info"], check=True, capture_output=True, text=True).stdout
    line = next((l for l in info.splitlines() if l.startswith("simd:")), "")
    return [a for a in ARCHS if a in line]


def epoch_seconds(binary, cache, arch, batch, epochs, threads):
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([binary, "--epochs", str(epochs), "--batch-size", str(batch), "--threads", str(threads),
                        "--dataset", "fashion-mnist", "--data-dir", cache, "--model-dir", out],
                       check=True, capture_output=True, env=dict(os.environ, TRAINER_SIMD=arch))
        with open(os.path.join(out, "metrics.jsonl")) as f:
            return [json.loads(line)["seconds"] for line in f]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainer", default=os.path.join(HERE, "..", "build", "release", "trainer"))
    parser.add_argument("--data-dir", default="/usr/share/datasets")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pytorch", action="store_true")
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    archs = supported_archs(args.trainer)
    if not archs:
        sys.exit("arch_batch.py: `trainer info` names no SIMD arch")
    results = {}
    with managed_cache(args.trainer, args.data_dir) as cache:
        for round_index in range(args.rounds):
            order = archs if round_index % 2 == 0 else list(reversed(archs))
            for batch in BATCHES:
                for arch in order:
                    seconds = epoch_seconds(args.trainer, cache, arch, batch, args.epochs, args.threads)
                    best = results.get((arch, batch))
                    if best is None or statistics.median(seconds) < statistics.median(best):
                        results[(arch, batch)] = seconds
                    print(f"round {round_index + 1} {arch} batch {batch}: {' '.join(f'{s:.2f}' for s in seconds)} s",
                          file=sys.stderr)
    torch = {}
    if args.pytorch:
        for batch in BATCHES:
            done = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "pytorch_epoch.py"), args.data_dir, "1",
                                   str(args.epochs), "cpu", str(batch)], check=True, capture_output=True, text=True)
            torch[batch] = json.loads(done.stdout.strip().splitlines()[-1])["seconds"]
            print(f"PyTorch batch {batch}: {' '.join(f'{s:.2f}' for s in torch[batch])} s", file=sys.stderr)
    extra = " | PyTorch 1 thread | PyTorch / " + archs[0] if torch else ""
    lines = [f"| batch | {' | '.join(archs)} | {' | '.join(f'{a} / {archs[0]}' for a in archs[1:])}{extra} |",
             "|---|" + "---|" * (2 * len(archs) - 1 + (2 if torch else 0))]
    for batch in BATCHES:
        cells, medians = [], []
        for arch in archs:
            seconds = results[(arch, batch)]
            median = statistics.median(seconds)
            medians.append(median)
            cells.append(f"{median:.2f} s ({60000 / median:,.0f} img/s; slowest {max(seconds) / seconds[0]:.2f}x "
                         f"epoch 1)")
        ratios = [f"{m / medians[0]:.2f}x" for m in medians[1:]]
        if torch:
            median = statistics.median(torch[batch])
            ratios += [f"{median:.2f} s ({60000 / median:,.0f} img/s)", f"{median / medians[0]:.2f}x"]
        lines.append(f"| {batch} | {' | '.join(cells)} | {' | '.join(ratios)} |")
    table = "\n".join(lines)
    print(table)
    if args.record:
        header = (f"\n## {datetime.date.today().isoformat()}: SIMD paths and batch sizes\n\n"
                  f"Machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}.  \n"
                  f"Command: `python3 bench/arch_batch.py --epochs {args.epochs} --threads {args.threads} "
                  f"--rounds {args.rounds}{' --pytorch' if torch else ''} --record` (median s/epoch of {args.epochs}, best of {args.rounds} rounds, "
                  f"Fashion-MNIST 60k, seed model)\n\n")
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write(header + table + "\n")


if __name__ == "__main__":
    main()
