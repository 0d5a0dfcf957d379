"""The full multi-stage image build (ctest label `slow`, run with `ctest --preset slow`): a Debian
12 base image made offline-style with debootstrap + podman import (tools/make_base_image.sh), the
build stage installing the README's packages, building the release preset and running the unit
tests, and the FROM-scratch result that holds only /trainer and runs."""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import SKIP, Checks, temp_dir  # noqa: E402
from containers import Containers, missing_tools  # noqa: E402

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    missing = missing_tools() + ([] if shutil.which("debootstrap") else ["debootstrap"])
    if missing:
        print(f"SKIP: {', '.join(missing)} not installed")
        sys.exit(SKIP)
    checks = Checks()
    revision = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=SOURCE, capture_output=True,
                              text=True).stdout.strip() or "unknown"
    with Containers(temp_dir("image-build")) as containers:
        started = time.monotonic()
        base = containers.run(os.path.join(SOURCE, "tools", "make_base_image.sh"), [], timeout=1800)
        base_seconds = time.monotonic() - started
        if not checks.check(base.returncode == 0, f"debian:bookworm made with debootstrap in {base_seconds:.0f} s: "
                            f"{base.stdout.strip()} {base.stderr.strip()[-500:]}"):
            checks.finish()
        started = time.monotonic()
        built = containers.buildah("bud", "--isolation", "chroot", "--pull=never", "--build-arg",
                                   f"GIT_REVISION={revision}", "-t", "trainer-built", "-f",
                                   os.path.join(SOURCE, "Dockerfile.scratch"), SOURCE, timeout=3600)
        build_seconds = time.monotonic() - started
        unit_line = [line for line in built.stdout.splitlines() if "tests passed" in line]
        checks.check(built.returncode == 0 and unit_line and "100% tests passed" in unit_line[-1],
                     f"multi-stage build with unit tests in {build_seconds:.0f} s: {unit_line} "
                     f"{built.stderr.strip()[-800:]}")
        size = containers.podman("image", "inspect", "--format", "{{.Size}}", "trainer-built").stdout.strip()
        version = containers.podman("run", "--rm", "trainer-built", "--version")
        checks.check(version.returncode == 0 and f"git {revision}" in version.stdout,
                     f"the built image runs: {version.stdout.strip()} (image size {size} bytes)")
    checks.finish()


if __name__ == "__main__":
    main()
