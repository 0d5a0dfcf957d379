"""Helpers the bench scripts share: the machine's name and a warm data cache like a user's."""
import contextlib
import os
import platform
import subprocess
import tempfile


def cpu_model():
    """The CPU's name with its family and model, as `trainer bench` prints it: a VM's name is often
    the generic "Intel(R) Xeon(R) Processor", which says nothing of the core."""
    fields = {}
    for line in open("/proc/cpuinfo"):
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
        if not line.strip():
            break  # the first CPU's block is enough
    name = fields.get("model name") or platform.processor()
    if "cpu family" in fields and "model" in fields:
        name += f" (family {fields['cpu family']} model {fields['model']})"
    return name


@contextlib.contextmanager
def managed_cache(trainer, data_dir):
    """A temporary data dir the trainer manages (decoded files included, README "Decoded cache"),
    filled from Debian's read-only copy in data_dir: what a user's warm cache looks like."""
    with tempfile.TemporaryDirectory() as cache:
        subprocess.run([trainer, "download", "--dataset", "fashion-mnist", "--data-dir", cache, "--offline",
                        "--mirror", "file://" + os.path.abspath(data_dir) + "/", "--no-catalog-mirrors"],
                       check=True, capture_output=True)
        yield cache
