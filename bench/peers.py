"""Side by side against the frameworks a user would pick instead (issue 21): Keras 3 on JAX and on
TensorFlow, PyTorch 2.x eager and torch.compile (PyPI, cached venvs under build/pyvenv), and Debian's
PyTorch 1.13, on the seed model with Fashion-MNIST, in one run. Each system runs pinned to as many
cores as threads (taskset) with its own thread settings made, and its CPU time / wall is reported
so that a leak shows. s/epoch is the median of epochs 2.. (the first holds JIT compilation), best of
--rounds; whole process is `--epochs 1` on a warm cache, wall and peak RSS.
   python3 bench/peers.py [--trainer build/release/trainer] [--epochs 4] [--rounds 2] [--threads 1,2] [--record]
A peer whose venv cannot be had (PyPI unreachable) is skipped with the reason in the table."""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from bench_common import cpu_model, managed_cache  # noqa: E402
from pypi_venv import TF_REQUIREMENTS, ensure_venv  # noqa: E402

PEER = os.path.join(HERE, "peer_epoch.py")
# name, venv (None: Debian's /usr/bin/python3), requirements, framework argument, extra environment
PEERS = [
    ("Keras 3.15 on JAX 0.10.2", "peers-jax", ["keras==3.15.1", "jax[cpu]==0.10.2"], "keras",
     {"KERAS_BACKEND": "jax"}),
    ("Keras 3.15 on TensorFlow 2.21", "tf-interop", TF_REQUIREMENTS, "keras", {"KERAS_BACKEND": "tensorflow"}),
    ("PyTorch 2.15 eager", "peers-torch", ["torch==2.15.0"], "torch", {}),
    ("PyTorch 2.15 torch.compile", "peers-torch", ["torch==2.15.0"], "torch-compile", {}),
    ("PyTorch 1.13 (Debian)", None, [], "torch", {}),
]


def thread_environment(threads):
    """Every thread knob the peers read, set to `threads` (JAX's XLA pool only has an on/off)."""
    env = {name: str(threads) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                           "TF_NUM_INTRAOP_THREADS")}
    env["TF_NUM_INTEROP_THREADS"] = "1"
    if threads == 1:
        env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    return env


def pinned(command, threads):
    return ["taskset", "-c", ",".join(str(c) for c in range(threads))] + command


def run_process(command, env):
    """Runs `command`, returning (stdout, wall, cpu, rss_mb) from its own rusage."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, **env))
    # communicate() would reap the child itself; wait4 here instead, to have its own rusage. The
    # peers print little, so reading stdout before stderr cannot block on a full pipe.
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"exit {proc.returncode}: {err.strip()[-300:]}")
    return out, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def trainer_epochs(trainer, cache, threads, epochs):
    with tempfile.TemporaryDirectory() as out:
        _, wall, cpu, rss = run_process(pinned([trainer, "--epochs", str(epochs), "--dataset", "fashion-mnist",
                                                "--data-dir", cache, "--offline", "--model-dir", out,
                                                "--threads", str(threads), "--quiet"], threads), {})
        seconds = [json.loads(line)["seconds"] for line in open(os.path.join(out, "metrics.jsonl"))]
    return seconds, wall, cpu, rss


def peer_epochs(python, framework, env, data_dir, threads, epochs):
    out, wall, cpu, rss = run_process(pinned([python, PEER, framework, data_dir, str(threads), str(epochs)], threads),
                                      dict(thread_environment(threads), **env))
    result = json.loads(out.strip().splitlines()[-1])
    return result["seconds"], wall, cpu, rss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trainer", default="build/release/trainer")
    parser.add_argument("--data-dir", default="/usr/share/datasets")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--record", action="store_true", help="append the table to bench/RESULTS.md")
    args = parser.parse_args()
    thread_counts = [int(t) for t in args.threads.split(",")]

    systems = [("trainer", None, None, None)]
    skipped = []
    for name, venv, requirements, framework, env in PEERS:
        if venv is None:
            python = "/usr/bin/python3"
            if subprocess.run([python, "-c", "import torch"], capture_output=True).returncode != 0:
                skipped.append((name, "python3-torch is not installed"))
                continue
        else:
            bin_dir, reason = ensure_venv(venv, requirements)
            if bin_dir is None:
                skipped.append((name, reason))
                continue
            python = os.path.join(bin_dir, "python")
        systems.append((name, python, framework, env))

    # results[name][threads] = list of (median s/epoch, cpu / wall) per round
    results = {name: {t: [] for t in thread_counts} for name, *_ in systems}
    failures = {}
    with managed_cache(args.trainer, args.data_dir) as cache:
        for _ in range(args.rounds):
            for threads in thread_counts:
                for name, python, framework, env in systems:
                    try:
                        if python is None:
                            seconds, wall, cpu, _ = trainer_epochs(args.trainer, cache, threads, args.epochs)
                        else:
                            seconds, wall, cpu, _ = peer_epochs(python, framework, env, args.data_dir, threads,
                                                                args.epochs)
                    except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
                        failures[name] = str(e)
                        continue
                    results[name][threads].append((statistics.median(seconds[1:] or seconds), cpu / wall))
        whole = {}
        for name, python, framework, env in systems:
            if python is not None and framework != "keras" and "eager" not in name:
                continue  # whole process for trainer, the Keras peers and PyTorch eager
            rows = []
            for _ in range(3):
                try:
                    if python is None:
                        _, wall, _, rss = trainer_epochs(args.trainer, cache, 2, 1)
                    else:
                        _, wall, _, rss = peer_epochs(python, framework, env, args.data_dir, 2, 1)
                    rows.append((wall, rss))
                except (RuntimeError, subprocess.TimeoutExpired, ValueError) as e:
                    failures[name] = str(e)
                    break
            if rows:
                whole[name] = (statistics.median(r[0] for r in rows), max(r[1] for r in rows))

    best = {name: {t: min(r[0] for r in rounds) if rounds else None for t, rounds in per.items()}
            for name, per in results.items()}
    header = "| system | " + " | ".join(f"{t} thread{'s' if t > 1 else ''}: s/epoch (CPU/wall)" for t in thread_counts)
    lines = [header + " | vs trainer |", "|---|" + "---|" * len(thread_counts) + "---|"]
    for name, per in results.items():
        cells = []
        for t in thread_counts:
            if best[name][t] is None:
                cells.append("failed" if name in failures else "—")
            else:
                ratio = max(r[1] for r in per[t])
                cells.append(f"{best[name][t]:.3f} ({ratio:.2f})")
        ratios = [f"{best[name][t] / best['trainer'][t]:.2f}x" for t in thread_counts
                  if best[name][t] and best["trainer"][t]]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {' / '.join(ratios)} |")
    for name, reason in skipped:
        lines.append(f"| {name} | skipped: {reason} |" + " |" * len(thread_counts))
    peers_only = [n for n in results if n != "trainer"]
    for t in thread_counts:
        timed = [(best[n][t], n) for n in peers_only if best[n][t]]
        if timed and best["trainer"][t]:
            fastest = min(timed)
            lines.append("")
            lines.append(f"{t} thread(s): fastest peer {fastest[1]} {fastest[0]:.3f} s/epoch, trainer "
                         f"{best['trainer'][t]:.3f}: **{fastest[0] / best['trainer'][t]:.2f}x**.")
    if whole:
        lines += ["", "| whole process, `--epochs 1`, 2 threads, warm cache | median wall s | peak RSS MB |",
                  "|---|---|---|"]
        lines += [f"| {name} | {wall:.2f} | {rss:.0f} |" for name, (wall, rss) in whole.items()]
    for name, why in failures.items():
        lines.append(f"\n{name} failed: {why}")
    table = "\n".join(lines)
    print(table)
    if args.record:
        command = "python3 bench/peers.py " + " ".join(sys.argv[1:])
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write(f"\n## {datetime.date.today()}: against the PyPI peers (issue 21)\n\n"
                    f"`{command}` on {cpu_model()}, {os.cpu_count()} cores; seed model, Fashion-MNIST, batch 256, "
                    f"{args.epochs} epochs (median of epochs 2..{args.epochs}), best of {args.rounds} rounds, "
                    f"each system pinned with taskset to as many cores as threads.\n\n{table}\n")


if __name__ == "__main__":
    main()
