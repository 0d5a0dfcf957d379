"""The release binary is statically linked: inside an empty root that holds only the binary, an
/etc/hosts and a CA file (no libc, no /dev, no /proc, no data) it downloads Fashion-MNIST over
HTTPS from a local server and trains."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, SKIP, TRAINER, Checks, temp_dir  # noqa: E402
from fixture_servers import Fixture  # noqa: E402


def main():
    checks = Checks()
    description = subprocess.run(["file", "-L", TRAINER], capture_output=True, text=True).stdout
    checks.check("statically linked" in description or "static-pie linked" in description,
                 f"file: {description.strip()}")
    if shutil.which("openssl") is None:
        print("SKIP: openssl (to make the test CA) is not installed")
        sys.exit(SKIP)
    scratch = temp_dir("root")
    fixture = Fixture(os.path.join(scratch, "pki"), DATA_DIR)
    root = os.path.join(scratch, "root")
    os.makedirs(os.path.join(root, "etc"))
    shutil.copy(TRAINER, os.path.join(root, "trainer"))
    shutil.copy(fixture.ca_pem, os.path.join(root, "ca.pem"))
    with open(os.path.join(root, "etc", "hosts"), "w") as f:
        f.write("127.0.0.1 trainer-test.example\n")
    command = ["chroot", root, "/trainer", "--epochs", "1", "--limit", "512", "--dataset", "fashion-mnist",
               "--data-dir", "/data", "--model-dir", "/out", "--no-catalog-mirrors",
               "--mirror", fixture.url("data", host="trainer-test.example")]
    if os.geteuid() != 0:
        if shutil.which("unshare") is None:
            print("SKIP: not root and no unshare: cannot chroot")
            sys.exit(SKIP)
        command = ["unshare", "-mr"] + command
    listing = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
    print("files in the root:", listing)
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["SSL_CERT_FILE"] = "/ca.pem"
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    print(result.stdout, result.stderr)
    checks.check(result.returncode == 0, f"downloads and trains inside the empty root (exit {result.returncode})")
    checks.check(result.stdout.count("fetched fashion-mnist/") == 4, "fetched the four files over HTTPS")
    checks.check(os.path.getsize(os.path.join(root, "out", "weights", "model.safetensors")) > 900_000,
                 "model.safetensors written inside the root")
    fixture.close()
    shutil.rmtree(scratch)
    checks.finish()


if __name__ == "__main__":
    main()
