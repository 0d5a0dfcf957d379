"""The release binary is statically linked and trains inside an empty root that holds only the
binary and the data (no libc, no /etc, no /dev, no /proc)."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, SKIP, TRAINER, Checks, temp_dir  # noqa: E402


def main():
    checks = Checks()
    description = subprocess.run(["file", "-L", TRAINER], capture_output=True, text=True).stdout
    checks.check("statically linked" in description or "static-pie linked" in description,
                 f"file: {description.strip()}")
    root = temp_dir("root")
    shutil.copy(TRAINER, os.path.join(root, "trainer"))
    shutil.copytree(os.path.join(DATA_DIR, "fashion-mnist"), os.path.join(root, "data", "fashion-mnist"))
    command = ["chroot", root, "/trainer", "--epochs", "1", "--limit", "512", "--dataset", "fashion-mnist",
               "--data-dir", "/data", "--model-dir", "/out"]
    if os.geteuid() != 0:
        if shutil.which("unshare") is None:
            print("SKIP: not root and no unshare: cannot chroot")
            sys.exit(SKIP)
        command = ["unshare", "-mr"] + command
    print("entries in the root:", sorted(os.listdir(root)))
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    print(result.stdout, result.stderr)
    checks.check(result.returncode == 0, f"trains inside the empty root (exit {result.returncode})")
    checks.check(os.path.getsize(os.path.join(root, "out", "saved_model", "model.safetensors")) > 900_000,
                 "model.safetensors written inside the root")
    shutil.rmtree(root)
    checks.finish()


if __name__ == "__main__":
    main()
