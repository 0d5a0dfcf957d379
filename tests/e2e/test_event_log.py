"""TensorBoard event files without TensorBoard (README "TensorBoard"): read here with a small
TFRecord + protobuf reader of our own, so that the rules hold on machines without PyPI too.

- kill -9 at random moments (inside epochs, at epoch ends, during checkpoints), rerun until the run
  completes: every progress step, every epoch summary and every run's flags appear exactly once
  across the files, none missing; the model is byte-identical to a straight run's.
- A replaced run's files never hide a new run's points: a --fresh --no-tensorboard run with another
  seed, then a resumed run with logs, leaves only files of the new run, whose epoch losses are
  metrics.jsonl's.
- Foreign bytes in the flags text (a --model-dir with \\xff and ESC) are escaped: the text is UTF-8.

  test_event_log.py [--seed N]
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, TRAINER, Checks, losses, model_bytes, run, temp_dir  # noqa: E402

EVENT_FILE = re.compile(r"^events\.out\.tfevents\.\d{10}\.\d{6}\..+\.\d+\.([0-9a-f]{8})\.trainer$")
BASE = ["--dataset", "fashion-mnist", "--data-dir", DATA_DIR, "--offline", "--limit", "2048", "--batch-size", "8",
        "--device", "cpu", "--checkpoint-every", "3", "--tensorboard-every", "1", "--quiet"]
EPOCHS, STEPS = 6, 2048 // 8


def varint(data, at):
    value, shift = 0, 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def fields(data):
    """(number, wire type, value) of one protobuf message; value is bytes for length-delimited."""
    at = 0
    while at < len(data):
        key, at = varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = varint(data, at)
        elif wire == 1:
            value, at = data[at:at + 8], at + 8
        elif wire == 5:
            value, at = data[at:at + 4], at + 4
        elif wire == 2:
            size, at = varint(data, at)
            value, at = data[at:at + size], at + size
        else:
            raise ValueError(f"wire type {wire}")
        yield number, wire, value


def events(path):
    """(step, tag, value bytes) of each summary value in an event file, up to a cut last record
    (the CRCs are TensorBoard's business and the unit tests'; here: whole records only)."""
    with open(path, "rb") as f:
        raw = f.read()
    at, found = 0, []
    while at + 12 <= len(raw):
        (length,) = struct.unpack("<Q", raw[at:at + 8])
        if at + 16 + length > len(raw):
            break
        record = raw[at + 12:at + 12 + length]
        at += 16 + length
        step = 0
        for number, wire, value in fields(record):
            if number == 2 and wire == 0:
                step = value
            if number == 5:
                for _, _, summary_value in fields(value):
                    parts = {n: v for n, _, v in fields(summary_value)}
                    found.append((step, parts[1].decode(), summary_value))
    return found


def logged(model_dir):
    """{(tag, step): count} over every event file of ours, and the files' run ids."""
    logs = os.path.join(model_dir, "logs")
    seen, run_ids = {}, set()
    for name in sorted(os.listdir(logs)):
        match = EVENT_FILE.match(name)
        if not match:
            continue
        run_ids.add(match.group(1))
        for step, tag, _ in events(os.path.join(logs, name)):
            seen[(tag, step)] = seen.get((tag, step), 0) + 1
    return seen, run_ids


def kill_loop(checks, scratch, rng):
    straight = os.path.join(scratch, "straight")
    result = run(BASE + ["--epochs", str(EPOCHS), "--model-dir", straight])
    checks.check(result.returncode == 0, f"straight run: {result.stderr.strip()}")
    started = time.monotonic()
    run(BASE + ["--epochs", str(EPOCHS), "--model-dir", os.path.join(scratch, "timing")])
    seconds = time.monotonic() - started
    killed = os.path.join(scratch, "killed")
    kills, starts = 0, 0
    while True:
        starts += 1
        process = subprocess.Popen([TRAINER] + BASE + ["--epochs", str(EPOCHS), "--model-dir", killed],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            # Six kills, each a random moment in the first 15% of a straight run's time (a
            # checkpoint every 3 steps: each run gets on), then one run to the end.
            process.wait(timeout=rng.uniform(0.05, 0.15 * seconds) if starts <= 6 else 600)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
            continue
        checks.check(process.returncode == 0, f"the run after {kills} kills completes: "
                                              f"{process.stderr.read().decode().strip()}")
        break
    checks.check(kills >= 4, f"kill -9 at {kills} random moments before the run completed ({starts} starts, "
                             f"a straight run takes {seconds:.1f} s)")
    checks.check(model_bytes(killed) == model_bytes(straight), "killed and resumed: the model is the straight run's")
    seen, run_ids = logged(killed)
    wanted = {("progress/loss", s) for s in range(1, EPOCHS * STEPS + 1)}
    wanted |= {("progress/step_size", s) for s in range(1, EPOCHS * STEPS + 1)}
    wanted |= {(tag, e * STEPS) for e in range(1, EPOCHS + 1) for tag in
               ("epoch/train_loss", "epoch/test_loss", "epoch/seconds", "epoch/images_per_second", "reconstructions")}
    twice = sorted(k for k, n in seen.items() if n > 1)
    missing = sorted(wanted - set(seen))
    extra = sorted(k for k in set(seen) - wanted if k[0] != "flags")
    checks.check(not twice and not missing and not extra and len(run_ids) == 1,
                 f"after {kills} kills: every step's progress and every epoch's summary once ({len(seen)} points; "
                 f"twice {twice[:5]}, missing {missing[:5]}, extra {extra[:5]}; run ids {sorted(run_ids)})")
    straight_seen, _ = logged(straight)
    checks.check(set(straight_seen) - {k for k in straight_seen if k[0] == "flags"} == wanted,
                 f"the straight run logs the same points ({len(straight_seen)})")


def replaced_run(checks, scratch):
    out = os.path.join(scratch, "replaced")
    first = run(BASE + ["--epochs", "2", "--model-dir", out])
    fresh = run(BASE + ["--epochs", "1", "--model-dir", out, "--fresh", "--no-tensorboard", "--seed", "5"])
    old_files = sorted(os.listdir(os.path.join(out, "logs")))
    resumed = run(BASE + ["--epochs", "3", "--model-dir", out, "--seed", "5"])
    seen, run_ids = logged(out)
    checks.check(first.returncode == fresh.returncode == resumed.returncode == 0 and old_files == []
                 and len(run_ids) == 1,
                 f"--fresh --no-tensorboard removes the replaced run's event files ({old_files}); then one run id "
                 f"{sorted(run_ids)} {fresh.stderr.strip()} {resumed.stderr.strip()}")
    by_step = {}
    for name in os.listdir(os.path.join(out, "logs")):
        for step, tag, value in events(os.path.join(out, "logs", name)):
            if tag == "epoch/train_loss":
                by_step[step] = struct.unpack("<f", dict((n, v) for n, _, v in fields(value))[2])[0]
    reported = {step: train for _, step, train, _ in losses(out)}
    checks.check(sorted(by_step) == [2 * STEPS, 3 * STEPS]
                 and all(abs(by_step[s] - reported[s]) <= 1e-6 * reported[s] for s in by_step),
                 f"the resumed run logs its own epochs 2 and 3 (epoch 1 ran without logs), equal to metrics.jsonl: "
                 f"{by_step} {reported}")


def foreign_bytes(checks, scratch):
    out = os.path.join(scratch.encode(), b"odd\xff\x1b[2J|dir")
    result = subprocess.run([TRAINER.encode()] + [a.encode() for a in BASE] + [b"--epochs", b"1", b"--model-dir", out],
                            capture_output=True)
    texts = []
    logs = os.path.join(out, b"logs")
    for name in os.listdir(logs):
        for _, tag, value in events(os.path.join(logs, name)):
            if tag == "flags":
                tensor = dict((n, v) for n, _, v in fields(value))[8]
                texts += [v for n, _, v in fields(tensor) if n == 8]
    try:
        decoded = [t.decode("utf-8") for t in texts]
    except UnicodeDecodeError as e:
        decoded = [f"not UTF-8: {e}"]
    checks.check(result.returncode == 0 and len(decoded) == 1 and "\\xff" in decoded[0] and "\x1b" not in decoded[0]
                 and "\\|dir" in decoded[0],
                 f"a --model-dir with \\xff, ESC and | appears escaped in the flags text: "
                 f"{[d[d.find('model-dir'):][:60] for d in decoded]} {result.stderr.strip()}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int)
    options = parser.parse_args()
    seed = options.seed if options.seed is not None else random.randrange(1 << 30)
    print(f"random seed {seed} (rerun with --seed {seed})")
    checks = Checks()
    scratch = temp_dir("event-log")
    kill_loop(checks, scratch, random.Random(seed))
    replaced_run(checks, scratch)
    foreign_bytes(checks, scratch)
    if not checks.failures:
        shutil.rmtree(scratch)
    checks.finish()


if __name__ == "__main__":
    main()
