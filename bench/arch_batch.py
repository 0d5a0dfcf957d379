"""Every SIMD path at every batch size, on real data: trains the seed model on Fashion-MNIST with
TRAINER_SIMD=avx512/avx2/sse2 (those this CPU runs) at batch 32, 64, 256 and 1024 and prints the
median seconds per epoch, images/s, the slowest epoch over the first (later epochs slow down when
subnormal values appear, see RESULTS.md) and each arch's ratio to the best. With --record, appends
the table to bench/RESULTS.md with the date, machine and command.
   python3 bench/arch_batch.py [--trainer build/release/trainer] [--epochs 3] [--threads 2] [--record]"""
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
ARCHS = ["avx512", "avx2", "sse2"]
BATCHES = [32, 64, 256, 1024]


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


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
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    archs = supported_archs(args.trainer)
    if not archs:
        sys.exit("arch_batch.py: `trainer info` names no SIMD arch")
    results = {}
    with tempfile.TemporaryDirectory() as cache:
        # A warm cache the trainer manages (decoded files included), made from Debian's copy.
        subprocess.run([args.trainer, "download", "--dataset", "fashion-mnist", "--data-dir", cache, "--offline",
                        "--mirror", "file://" + os.path.abspath(args.data_dir) + "/", "--no-catalog-mirrors"],
                       check=True, capture_output=True)
        for batch in BATCHES:
            for arch in archs:
                seconds = epoch_seconds(args.trainer, cache, arch, batch, args.epochs, args.threads)
                results[(arch, batch)] = seconds
                print(f"{arch} batch {batch}: {' '.join(f'{s:.2f}' for s in seconds)} s", file=sys.stderr)
    lines = [f"| batch | {' | '.join(archs)} | {' | '.join(f'{a} / {archs[0]}' for a in archs[1:])} |",
             "|---|" + "---|" * (2 * len(archs) - 1)]
    for batch in BATCHES:
        cells, medians = [], []
        for arch in archs:
            seconds = results[(arch, batch)]
            median = statistics.median(seconds)
            medians.append(median)
            cells.append(f"{median:.2f} s ({60000 / median:,.0f} img/s; slowest {max(seconds) / seconds[0]:.2f}x "
                         f"epoch 1)")
        ratios = [f"{m / medians[0]:.2f}x" for m in medians[1:]]
        lines.append(f"| {batch} | {' | '.join(cells)} | {' | '.join(ratios)} |")
    table = "\n".join(lines)
    print(table)
    if args.record:
        header = (f"\n## {datetime.date.today().isoformat()}: SIMD paths and batch sizes\n\n"
                  f"Machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}.  \n"
                  f"Command: `python3 bench/arch_batch.py --epochs {args.epochs} --threads {args.threads} --record` "
                  f"(median s/epoch of {args.epochs}, Fashion-MNIST 60k, seed model)\n\n")
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write(header + table + "\n")


if __name__ == "__main__":
    main()
