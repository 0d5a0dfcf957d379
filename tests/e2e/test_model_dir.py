"""What a run leaves in --model-dir: the safetensors model (loaded by README's Python snippet into
the equivalent torch.nn.Sequential, which reproduces the reported test loss), config.json and
metrics.jsonl with their documented keys, and no temporary files."""
import gzip
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, SMALL, Checks, read_safetensors, run, temp_dir  # noqa: E402

EXPECTED_TENSORS = {
    "encoder.0.weight": [128, 784], "encoder.0.bias": [128], "encoder.2.weight": [128, 128], "encoder.2.bias": [128],
    "decoder.0.weight": [128, 128], "decoder.0.bias": [128], "decoder.2.weight": [784, 128], "decoder.2.bias": [784],
}
CONFIG_KEYS = {"format_version", "trainer_version", "architecture", "normalisation", "dataset", "seed", "epochs",
               "train_loss", "test_loss", "batch_size", "optimizer"}
METRIC_KEYS = {"epoch", "step", "train_loss", "test_loss", "seconds", "images_per_second"}


def readme_snippet(readme):
    text = open(readme).read()
    match = re.search(r"<!-- load-model-snippet -->\s*```python\n(.*?)```", text, re.S)
    return match.group(1) if match else None


def main():
    checks = Checks()
    work = temp_dir("model-dir")
    model_dir = os.path.join(work, "out")
    result = run(SMALL + ["--epochs", "2", "--model-dir", model_dir])
    checks.check(result.returncode == 0, f"two-epoch run exits 0 {result.stderr.strip()}")
    epoch_lines = [line for line in result.stdout.splitlines() if line.startswith("epoch ")]
    checks.check(len(epoch_lines) == 2 and "train_loss" in epoch_lines[0] and "img/s" in epoch_lines[0],
                 f"one readable line per epoch: {epoch_lines}")

    tensors = read_safetensors(os.path.join(model_dir, "weights", "model.safetensors"))
    checks.check({k: v[0] for k, v in tensors.items()} == EXPECTED_TENSORS, "tensor names and [out, in] shapes")

    config = json.load(open(os.path.join(model_dir, "weights", "config.json")))
    checks.check(CONFIG_KEYS <= set(config), f"config.json keys: missing {CONFIG_KEYS - set(config)}")
    checks.check(config["format_version"] == 1 and config["epochs"] == 2 and config["dataset"] == "fashion-mnist"
                 and config["seed"] == 42 and config["architecture"]["layer_sizes"] == [784, 128, 128, 128, 784],
                 "config.json values")

    metrics = [json.loads(line) for line in open(os.path.join(model_dir, "metrics.jsonl"))]
    checks.check(len(metrics) == 2 and all(METRIC_KEYS <= set(m) for m in metrics), "metrics.jsonl: one object per epoch")
    checks.check(metrics[1]["test_loss"] == config["test_loss"], "config.json holds the final test loss")
    checks.check(metrics[1]["train_loss"] < metrics[0]["train_loss"], "train loss falls between epochs")
    temporary = [f for root, _, files in os.walk(work) for f in files if ".tmp." in f]
    checks.check(not temporary, f"no temporary files left: {temporary}")

    # README's snippet, run as written from the directory holding `out/`, then used to recompute the
    # test loss over the same 2048 test images with PyTorch.
    snippet = readme_snippet(sys.argv[1])
    checks.check(snippet is not None, "README.md has the load-model snippet")
    if snippet:
        test = f"""
import gzip, numpy as np
{snippet}
with gzip.open({os.path.join(DATA_DIR, 'fashion-mnist', 't10k-images-idx3-ubyte.gz')!r}) as f:
    pixels = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784)[:2048]
x = torch.from_numpy(pixels.copy()).float() / 255
with torch.no_grad():
    print(float(((model(x) - x) ** 2).double().mean()))
"""
        done = subprocess.run(["/usr/bin/python3", "-c", test], cwd=work, capture_output=True, text=True)
        checks.check(done.returncode == 0, f"snippet runs: {done.stderr.strip()[-300:]}")
        if done.returncode == 0:
            torch_loss = float(done.stdout.split()[-1])
            error = abs(torch_loss - config["test_loss"]) / config["test_loss"]
            checks.check(error <= 1e-5, f"PyTorch test loss {torch_loss:.8f} vs ours {config['test_loss']:.8f} "
                                        f"(relative error {error:.1e})")
    checks.finish()


if __name__ == "__main__":
    main()
