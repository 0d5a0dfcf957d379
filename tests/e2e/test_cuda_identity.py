"""The model trained on a CUDA GPU is byte-identical to the one trained on the CPU from the same seed
(default ReLU model, fp32), for 1 and 3 epochs, several seeds and batch sizes with ragged last
batches; and two CUDA runs are identical. Skipped, with the reason, where no GPU can be used."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, SKIP, Checks, run, sha256, temp_dir  # noqa: E402

DATA = ["--dataset", "fashion-mnist", "--data-dir", DATA_DIR]
CASES = [
    ["--epochs", "1"],
    ["--epochs", "3"],
    ["--epochs", "2", "--seed", "7", "--limit", "5003", "--batch-size", "100", "--hidden", "100", "--code", "30"],
    ["--epochs", "3", "--seed", "1", "--limit", "4099", "--batch-size", "1000"],
    ["--epochs", "2", "--seed", "3", "--limit", "777", "--batch-size", "32", "--no-shuffle"],
]


def main():
    scratch = temp_dir("cuda")
    probe = run(DATA + ["--device", "cuda", "--epochs", "1", "--limit", "64", "--model-dir", os.path.join(scratch, "probe")])
    if probe.returncode != 0:
        print(f"SKIPPED: --device cuda is not usable here: {probe.stderr.strip()}")
        sys.exit(SKIP)
    print(probe.stdout.splitlines()[0])
    checks = Checks()
    for i, case in enumerate(CASES):
        hashes = {}
        for device in ("cpu", "cuda"):
            out = os.path.join(scratch, f"{i}-{device}")
            result = run(DATA + case + ["--device", device, "--model-dir", out])
            if not checks.check(result.returncode == 0, f"{device} {' '.join(case)}: exit {result.returncode} "
                                                        f"{result.stderr.strip()}"):
                continue
            print("   ", result.stdout.splitlines()[-2])
            hashes[device] = sha256(os.path.join(out, "saved_model", "model.safetensors"))
        checks.check(len(hashes) == 2 and hashes["cpu"] == hashes["cuda"],
                     f"cuda == cpu bytes for {' '.join(case)}: {hashes}")
    again = os.path.join(scratch, "again")
    result = run(DATA + CASES[0] + ["--device", "cuda", "--model-dir", again])
    checks.check(result.returncode == 0 and sha256(os.path.join(again, "saved_model", "model.safetensors")) ==
                 sha256(os.path.join(scratch, "0-cuda", "saved_model", "model.safetensors")),
                 "two CUDA runs give identical bytes")
    checks.finish()


if __name__ == "__main__":
    main()
