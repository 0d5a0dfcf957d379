"""Runtime failures: exit 1, one line naming the file and the cause, nothing half-written."""
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
    result = run(["--data-dir", empty, "--offline", "--model-dir", os.path.join(scratch, "m1")])
    checks.check(one_line(result, os.path.join(empty, "mnist", "train-images-idx3-ubyte.gz"), "not in the cache",
                          "--offline") and os.listdir(empty) == [],
                 f"missing dataset, --offline: {result.stderr.strip()!r}")

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

    # A truncated training-images file in an otherwise good cache, and no mirror allowed to replace
    # it (the catalog's own mirrors are the subject of test_download.py).
    bad = os.path.join(scratch, "bad-data", "fashion-mnist")
    os.makedirs(bad)
    for name in os.listdir(os.path.join(DATA_DIR, "fashion-mnist")):
        shutil.copy(os.path.join(DATA_DIR, "fashion-mnist", name), bad)
    with open(os.path.join(bad, "train-images-idx3-ubyte.gz"), "r+b") as f:
        f.truncate(1_000_000)
    model = os.path.join(scratch, "m2")
    cache_only = ["--dataset", "fashion-mnist", "--data-dir", os.path.dirname(bad), "--offline",
                  "--no-catalog-mirrors"]
    result = run(cache_only + ["--model-dir", model])
    checks.check(one_line(result, "train-images-idx3-ubyte.gz", "does not verify", "truncated gzip",
                          "no mirror may be used"),
                 f"truncated cached file: {result.stderr.strip()!r}")
    checks.check(not os.path.exists(model), "no model dir made by a failed run")

    # A good run, then a failing one into the same directory: the good files stay intact.
    good = os.path.join(scratch, "good")
    result = run(SMALL + ["--model-dir", good])
    checks.check(result.returncode == 0, "small run succeeds")
    before = open(os.path.join(good, "weights", "model.safetensors"), "rb").read()
    # Same flags as the good run (so it resumes), two epochs: the damaged data is what fails.
    result = run(cache_only + ["--limit", "2048", "--epochs", "2", "--model-dir", good])
    checks.check(result.returncode == 1, "failing run into an existing model dir exits 1")
    checks.check(open(os.path.join(good, "weights", "model.safetensors"), "rb").read() == before,
                 "previous model untouched by the failed run")
    checks.check(leftovers(scratch) == [], f"no temporary files left behind: {leftovers(scratch)}")
    shutil.rmtree(scratch)
    checks.finish()


if __name__ == "__main__":
    main()
