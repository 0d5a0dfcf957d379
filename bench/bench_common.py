"""Helpers the bench scripts share: the machine's name and a warm data cache like a user's."""
import contextlib
import os
import platform
import subprocess
import tempfile


def cpu_model():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


@contextlib.contextmanager
def managed_cache(trainer, data_dir):
    """A temporary data dir the trainer manages (decoded files included, README "Decoded cache"),
    filled from Debian's read-only copy in data_dir: what a user's warm cache looks like."""
    with tempfile.TemporaryDirectory() as cache:
        subprocess.run([trainer, "download", "--dataset", "fashion-mnist", "--data-dir", cache, "--offline",
                        "--mirror", "file://" + os.path.abspath(data_dir) + "/", "--no-catalog-mirrors"],
                       check=True, capture_output=True)
        yield cache
