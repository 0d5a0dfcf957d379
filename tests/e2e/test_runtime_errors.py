"""Runtime failures: exit 1, one line naming the file and the cause, nothing half-written."""
import gzip
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, SMALL, Checks, run, temp_dir  # noqa: E402


def one_line(result, *needles):
    lines = result.stderr.splitlines()
    return result.returncode == 1 and len(lines) == 1 and all(n in lines[0] for n in needles)


def leftovers(directory):
    found = []
    for root, _, files in os.walk(directory):
        found += [os.path.join(root, f) for f in files if ".tmp." in f]
    return found


def main():
    checks = Checks()
    scratch = temp_dir("runtime")

    empty = os.path.join(scratch, "empty-data")
    os.makedirs(empty)
    result = run(["--data-dir", empty, "--model-dir", os.path.join(scratch, "m1")])
    checks.check(one_line(result, os.path.join(empty, "mnist", "train-images-idx3-ubyte.gz"), "not found"),
                 f"missing dataset: {result.stderr.strip()!r}")

    # --device cuda without a usable GPU (every CI machine): exit 1 with the driver's or build's
    # reason, never a silent CPU run. On a machine with a GPU the run succeeds instead.
    result = run(SMALL + ["--device", "cuda", "--model-dir", os.path.join(scratch, "m0")])
    if result.returncode == 0:
        print("SKIP  --device cuda failure: a CUDA device is usable here")
    else:
        checks.check(one_line(result, "--device cuda:") and not os.path.exists(os.path.join(scratch, "m0")),
                     f"--device cuda without a GPU: {result.stderr.strip()!r}")

    a_file = os.path.join(scratch, "a-file")
    open(a_file, "w").write("not a directory")
    result = run(SMALL + ["--model-dir", os.path.join(a_file, "model")])
    checks.check(one_line(result, a_file, "not a directory"), f"model dir below a file: {result.stderr.strip()!r}")

    # A truncated training-images file in an otherwise good dataset.
    bad = os.path.join(scratch, "bad-data", "fashion-mnist")
    os.makedirs(bad)
    for name in os.listdir(os.path.join(DATA_DIR, "fashion-mnist")):
        shutil.copy(os.path.join(DATA_DIR, "fashion-mnist", name), bad)
    with open(os.path.join(bad, "train-images-idx3-ubyte.gz"), "r+b") as f:
        f.truncate(1_000_000)
    model = os.path.join(scratch, "m2")
    result = run(["--dataset", "fashion-mnist", "--data-dir", os.path.dirname(bad), "--model-dir", model])
    checks.check(one_line(result, "train-images-idx3-ubyte.gz", "truncated gzip"),
                 f"truncated gzip: {result.stderr.strip()!r}")

    # Lying dimensions inside a valid gzip.
    with gzip.open(os.path.join(bad, "train-images-idx3-ubyte.gz"), "wb") as f:
        f.write(bytes([0, 0, 8, 3, 0, 0, 0xEA, 0x60, 0, 0, 0, 28, 0, 0, 0, 28]) + bytes(1000))
    result = run(["--dataset", "fashion-mnist", "--data-dir", os.path.dirname(bad), "--model-dir", model])
    checks.check(one_line(result, "train-images-idx3-ubyte.gz", "truncated", "60000 images of 28x28"),
                 f"lying dimensions: {result.stderr.strip()!r}")
    checks.check(not os.path.exists(os.path.join(model, "saved_model", "model.safetensors")),
                 "no model written by a failed run")

    # A good run, then a failing one into the same directory: the good files stay intact.
    good = os.path.join(scratch, "good")
    result = run(SMALL + ["--model-dir", good])
    checks.check(result.returncode == 0, "small run succeeds")
    before = open(os.path.join(good, "saved_model", "model.safetensors"), "rb").read()
    result = run(["--dataset", "fashion-mnist", "--data-dir", os.path.dirname(bad), "--model-dir", good])
    checks.check(result.returncode == 1, "failing run into an existing model dir exits 1")
    checks.check(open(os.path.join(good, "saved_model", "model.safetensors"), "rb").read() == before,
                 "previous model untouched by the failed run")
    checks.check(leftovers(scratch) == [], f"no temporary files left behind: {leftovers(scratch)}")
    shutil.rmtree(scratch)
    checks.finish()


if __name__ == "__main__":
    main()
