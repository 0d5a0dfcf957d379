"""Standard output that goes away or cannot be written (README "Failure behaviour"): a training run
whose log pipe closes (`trainer | head -1`) stops as on SIGTERM, with a checkpoint and one stderr
line, exit 141 (128 + SIGPIPE), having saved every finished epoch, and the rerun resumes to the
same bytes as a straight run; --quiet writes nothing there and trains on. Every other command
whose output cannot be written (stdout on /dev/full) exits 1 with one line."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, TRAINER, Checks, checkpoints, model_bytes, run, temp_dir  # noqa: E402

TRAIN = ["--dataset", "fashion-mnist", "--data-dir", DATA_DIR, "--offline", "--limit", "8192"]


def train_then_close_stdout(args):
    """Runs the trainer, reads its first stdout line, closes the pipe; returns (code, stderr)."""
    proc = subprocess.Popen([TRAINER] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(timeout=600)
    return proc.returncode, err, first


def main():
    checks = Checks()
    scratch = temp_dir("closed-stdout")
    straight = os.path.join(scratch, "straight")
    checks.check(run(TRAIN + ["--epochs", "4", "--model-dir", straight]).returncode == 0, "4 epochs straight")
    for fmt in ("text", "json"):
        model_dir = os.path.join(scratch, f"piped-{fmt}")
        code, err, first = train_then_close_stdout(TRAIN + ["--epochs", "4", "--log-format", fmt,
                                                            "--model-dir", model_dir])
        lines = err.splitlines()
        saved = [name for name in checkpoints(model_dir)]
        checks.check(code == 141 and len(lines) == 1 and "standard output was closed" in lines[0]
                     and saved and saved[-1] in lines[0] and "run the same command again" in lines[0],
                     f"{fmt}: a closed log pipe stops the run with a checkpoint, exit 141: {code} {err.strip()} {saved}")
        result = run(TRAIN + ["--epochs", "4", "--log-format", fmt, "--model-dir", model_dir])
        checks.check(result.returncode == 0 and "resum" in result.stdout and model_bytes(model_dir) == model_bytes(straight),
                     f"{fmt}: the rerun resumes and ends byte-identical to the straight run")
    # stdout closed from the start (>&-): the same stop, and the log lands nowhere (not in .lock).
    closed = os.path.join(scratch, "closed")
    result = subprocess.run([TRAINER] + TRAIN + ["--epochs", "4", "--model-dir", closed], stdout=None,
                            stderr=subprocess.PIPE, text=True, timeout=600, close_fds=True,
                            preexec_fn=lambda: os.close(1))
    lock = os.path.join(closed, ".lock")
    checks.check(result.returncode == 141 and "standard output was closed" in result.stderr
                 and os.path.getsize(lock) == 0 and checkpoints(closed),
                 f">&-: exit {result.returncode}, .lock {os.path.getsize(lock)} bytes: {result.stderr.strip()}")
    for args in (["info"], ["--version"]):
        result = subprocess.run([TRAINER] + args, stderr=subprocess.PIPE, text=True, timeout=60,
                                preexec_fn=lambda: os.close(1))
        checks.check(result.returncode == 1 and "cannot write to standard output" in result.stderr,
                     f"{args[0]} >&-: exit {result.returncode}: {result.stderr.strip()}")
    quiet = os.path.join(scratch, "quiet")
    code, err, _ = train_then_close_stdout(TRAIN + ["--epochs", "2", "--quiet", "--model-dir", quiet])
    checks.check(code == 0 and not err, f"--quiet writes nothing to stdout and trains on: {code} {err.strip()}")

    with open("/dev/full", "w") as full:
        for args in (["--version"], ["info"], ["--help"], ["eval", "--model-dir", straight, "--data-dir", DATA_DIR,
                                                           "--offline"],
                     ["download", "--dataset", "fashion-mnist", "--data-dir", os.path.join(scratch, "cache"),
                      "--offline", "--mirror", "file://" + os.path.abspath(DATA_DIR) + "/"]):
            result = subprocess.run([TRAINER] + args, stdout=full, stderr=subprocess.PIPE, text=True, timeout=600)
            lines = result.stderr.splitlines()
            checks.check(result.returncode == 1 and len(lines) == 1 and "cannot write to standard output" in lines[0],
                         f"{' '.join(args[:1])} with stdout on /dev/full: exit {result.returncode}: {result.stderr.strip()}")
    checks.finish()


if __name__ == "__main__":
    main()
