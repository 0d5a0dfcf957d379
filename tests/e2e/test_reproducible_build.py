"""Two builds of one commit in different directories give byte-identical binaries (ctest label
`slow`): no timestamps, no absolute paths (-ffile-prefix-map), the revision from git. Builds the
committed HEAD of this checkout, so uncommitted changes are not part of the comparison."""
import hashlib
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import Checks, temp_dir  # noqa: E402

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def build(checkout):
    """Configures the release preset without tests and builds the trainer; returns its image dir."""
    for command in (["cmake", "--preset", "release", "-DTRAINER_BUILD_TESTS=OFF"],
                    ["cmake", "--build", "--preset", "release", "--target", "trainer"]):
        result = subprocess.run(command, cwd=checkout, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} in {checkout}: {result.stderr[-500:]}")
    return os.path.join(checkout, "build", "release")


def main():
    checks = Checks()
    scratch = temp_dir("repro")
    # Different depths and names, so any absolute path that leaks in changes the bytes.
    first = os.path.join(scratch, "a")
    second = os.path.join(scratch, "another", "checkout", "of-trainer")
    started = time.monotonic()
    for checkout in (first, second):
        subprocess.run(["git", "clone", "--quiet", SOURCE, checkout], check=True)
    built = [build(first), build(second)]
    for name in ("trainer", os.path.join("image", "trainer")):
        a, b = (os.path.join(d, name) for d in built)
        checks.check(sha256(a) == sha256(b),
                     f"build/release/{name} identical in {first} and {second}: {sha256(a)[:16]} vs {sha256(b)[:16]}")
    version = subprocess.run([os.path.join(built[0], "trainer"), "--version"], capture_output=True, text=True).stdout
    head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=SOURCE, capture_output=True,
                          text=True).stdout.strip()
    checks.check(f"git {head}" in version and "build: GNU" in version,
                 f"--version names the revision and the build flags: {version.strip()}")
    print(f"two builds in {time.monotonic() - started:.0f} s")
    shutil.rmtree(scratch)
    checks.finish()


if __name__ == "__main__":
    main()
