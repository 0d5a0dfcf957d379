"""The model trained on a CUDA GPU is byte-identical to the one trained on the CPU from the same seed
(default ReLU model, fp32), for 1 and 3 epochs, several seeds and batch sizes with ragged last
batches; two CUDA runs are identical; checkpoints move between the devices. Skipped, with the reason, where no GPU can be used.
With trainer_cuda_emu (the CUDA backend on the CPU emulator, cuda_emu/) the same cases run on a few
hundred images each, since the emulator runs a step in a tenth of a second, not microseconds."""
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
# The same five on the emulator: one or more steps of each batch size, ragged last batches kept.
EMULATOR_CASES = [
    ["--epochs", "1", "--limit", "512"],
    ["--epochs", "3", "--limit", "512"],
    ["--epochs", "2", "--seed", "7", "--limit", "503", "--batch-size", "100", "--hidden", "100", "--code", "30"],
    ["--epochs", "3", "--seed", "1", "--limit", "1099", "--batch-size", "1000"],
    ["--epochs", "2", "--seed", "3", "--limit", "177", "--batch-size", "32", "--no-shuffle"],
]


def main():
    scratch = temp_dir("cuda")
    probe = run(DATA + ["--device", "cuda", "--epochs", "1", "--limit", "64", "--model-dir", os.path.join(scratch, "probe")])
    if probe.returncode != 0:
        print(f"SKIPPED: --device cuda is not usable here: {probe.stderr.strip()}")
        sys.exit(SKIP)
    print(probe.stdout.splitlines()[0])
    emulated = "emulator" in probe.stdout.splitlines()[0]
    checks = Checks()
    if emulated:
        # A bad emulator setting is found where the GPU is looked for: one line, nothing written.
        bad = os.path.join(scratch, "bad-order")
        result = run(DATA + ["--device", "cuda", "--epochs", "1", "--limit", "64", "--model-dir", bad],
                     {"TRAINER_CUDA_EMU_ORDER": "sideways"})
        checks.check(result.returncode == 1 and result.stderr.count("\n") == 1
                     and "TRAINER_CUDA_EMU_ORDER=sideways" in result.stderr and not os.path.exists(bad),
                     f"emulator: a bad TRAINER_CUDA_EMU_ORDER fails before anything is written: {result.stderr.strip()}")
    for i, case in enumerate(EMULATOR_CASES if emulated else CASES):
        hashes = {}
        for device in ("cpu", "cuda"):
            out = os.path.join(scratch, f"{i}-{device}")
            result = run(DATA + case + ["--device", device, "--model-dir", out])
            if not checks.check(result.returncode == 0, f"{device} {' '.join(case)}: exit {result.returncode} "
                                                        f"{result.stderr.strip()}"):
                continue
            print("   ", result.stdout.splitlines()[-2])
            hashes[device] = sha256(os.path.join(out, "weights", "model.safetensors"))
        checks.check(len(hashes) == 2 and hashes["cpu"] == hashes["cuda"],
                     f"cuda == cpu bytes for {' '.join(case)}: {hashes}")
    again = os.path.join(scratch, "again")
    result = run(DATA + (EMULATOR_CASES if emulated else CASES)[0] + ["--device", "cuda", "--model-dir", again])
    checks.check(result.returncode == 0 and sha256(os.path.join(again, "weights", "model.safetensors")) ==
                 sha256(os.path.join(scratch, "0-cuda", "weights", "model.safetensors")),
                 "two CUDA runs give identical bytes")
    cross_device_resume(checks, scratch, emulated)
    checks.finish()


def cross_device_resume(checks, scratch, emulated):
    """A checkpoint written on one device resumes on the other, inside an epoch too, and the model
    still equals the straight CPU run byte for byte."""
    limit, every = ("409", "3") if emulated else ("4099", "17")
    case = DATA + ["--seed", "5", "--limit", limit, "--batch-size", "100"]
    straight = os.path.join(scratch, "cross-straight")
    run(case + ["--epochs", "3", "--device", "cpu", "--model-dir", straight])
    reference = sha256(os.path.join(straight, "weights", "model.safetensors"))
    for first, second in (("cpu", "cuda"), ("cuda", "cpu")):
        out = os.path.join(scratch, f"cross-{first}-{second}")
        run(case + ["--epochs", "2", "--checkpoint-every", every, "--device", first, "--model-dir", out])
        newest = sorted(os.listdir(os.path.join(out, "checkpoints")))[-1]
        os.remove(os.path.join(out, "checkpoints", newest))  # resume inside epoch 2, not at its end
        result = run(case + ["--epochs", "3", "--device", second, "--model-dir", out])
        resumed = [line for line in result.stdout.splitlines() if line.startswith("resuming at epoch 2")]
        checks.check(result.returncode == 0 and resumed
                     and sha256(os.path.join(out, "weights", "model.safetensors")) == reference,
                     f"checkpoint from {first} resumed on {second} inside an epoch == straight CPU bytes: "
                     f"{resumed} {result.stderr.strip()}")


if __name__ == "__main__":
    main()
