"""Shared helpers for the end-to-end tests: run the trainer, read its outputs."""
import atexit
import hashlib
import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile

TRAINER = os.environ.get("TRAINER_BIN", "build/release/trainer")
DATA_DIR = os.environ.get("TRAINER_TEST_DATA_DIR", "/usr/share/datasets")
SKIP = 77  # ctest SKIP_RETURN_CODE

# A small, fast training run on Debian's Fashion-MNIST.
SMALL = ["--dataset", "fashion-mnist", "--data-dir", DATA_DIR, "--limit", "2048", "--epochs", "1"]


def run(args, env_extra=None, **kwargs):
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run([TRAINER] + list(args), capture_output=True, text=True, env=env, timeout=600, **kwargs)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


_TEMP_DIRS = []


def temp_dir(tag):
    """A fresh directory under $TMPDIR, removed when the test process exits (set
    TRAINER_KEEP_TEST_DIRS=1 to keep them for a post-mortem). CI machines share a disk with
    little free space: a suite that leaks ~1 GB per run filled one (download test, ENOSPC)."""
    path = tempfile.mkdtemp(prefix=f"trainer-{tag}-")
    _TEMP_DIRS.append(path)
    return path


def _remove_tree(root):
    """shutil.rmtree that undoes a test's chmod 0 inside `root` (and only there: the parent of
    `root` is $TMPDIR, whose mode is not ours to change)."""
    def make_writable_and_retry(function, path, _):
        for inside in (os.path.dirname(path), path):
            if inside == root or inside.startswith(root + os.sep):
                try:
                    os.chmod(inside, stat.S_IRWXU)
                except OSError:
                    pass
        try:
            function(path)
        except OSError:
            pass

    shutil.rmtree(root, onerror=make_writable_and_retry)


@atexit.register
def _remove_temp_dirs():
    if os.environ.get("TRAINER_KEEP_TEST_DIRS"):
        return
    for path in _TEMP_DIRS:
        if os.path.lexists(path):  # many tests remove their own at the end
            _remove_tree(path)


def model_bytes(model_dir):
    with open(os.path.join(model_dir, "weights", "model.safetensors"), "rb") as f:
        return f.read()


def losses(model_dir):
    """(epoch, step, train_loss, test_loss) per line of metrics.jsonl."""
    with open(os.path.join(model_dir, "metrics.jsonl")) as f:
        return [(m["epoch"], m["step"], m["train_loss"], m["test_loss"]) for m in map(json.loads, f)]


def checkpoints(model_dir):
    return sorted(os.listdir(os.path.join(model_dir, "checkpoints")))


def read_safetensors(path):
    """{name: (shape, list of floats)} from a safetensors file, using only the standard library."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        values = struct.unpack(f"<{(end - begin) // 4}f", data[begin:end])
        tensors[name] = (entry["shape"], values)
    return tensors


class Checks:
    """Collects failures so that one run reports every broken case, then exits non-zero."""

    def __init__(self):
        self.failures = 0
        self.count = 0

    def check(self, ok, what):
        self.count += 1
        if ok:
            print(f"ok    {what}")
        else:
            self.failures += 1
            print(f"FAIL  {what}")
        return ok

    def finish(self):
        print(f"{self.count - self.failures}/{self.count} checks passed")
        sys.exit(1 if self.failures else 0)
