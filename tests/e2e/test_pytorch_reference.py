"""PyTorch reference: from the same initial weights, one step and 20 steps of our trainer give the
same losses and weights as PyTorch with the Keras Adam update written out (relative error <= 1e-5
after one step, <= 1e-4 after 20), for the seed model and the sigmoid-output variant."""
import gzip
import math
import os
import subprocess
import sys
from collections import OrderedDict

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, SKIP, Checks, read_safetensors, temp_dir  # noqa: E402

try:
    import numpy as np
    import torch
except ImportError as e:  # Debian's python3-torch is installed by the README's test command
    print(f"SKIP: PyTorch not importable by {sys.executable}: {e}")
    sys.exit(SKIP)

STEPS, BATCH, SEED = 20, 256, 42
LR, BETA1, BETA2, EPS = 0.01, 0.9, 0.999, 1e-7


def make_model(output):
    act = torch.nn.ReLU() if output == "relu" else torch.nn.Sigmoid()
    encoder = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 128), torch.nn.ReLU())
    decoder = torch.nn.Sequential(torch.nn.Linear(128, 128), torch.nn.ReLU(), torch.nn.Linear(128, 784), act)
    return torch.nn.Sequential(OrderedDict(encoder=encoder, decoder=decoder))


def to_state_dict(tensors):
    return {name: torch.tensor(values, dtype=torch.float32).reshape(shape) for name, (shape, values) in tensors.items()}


def relative_error(ours, reference):
    return float(torch.linalg.norm(ours - reference) / torch.linalg.norm(reference))


def main():
    checks = Checks()
    torch.manual_seed(0)
    with gzip.open(os.path.join(DATA_DIR, "fashion-mnist", "train-images-idx3-ubyte.gz")) as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784)[: STEPS * BATCH]
    images = torch.from_numpy(raw.copy()).float() / 255.0  # float32 division, as ours

    for output in ("relu", "sigmoid"):
        out = temp_dir(f"reference-{output}")
        subprocess.run([sys.argv[1], DATA_DIR, "fashion-mnist", str(STEPS), str(BATCH), str(SEED), out, output],
                       check=True)
        model = make_model(output)
        model.load_state_dict(to_state_dict(read_safetensors(os.path.join(out, "init.safetensors"))))
        ours_losses = [float(line) for line in open(os.path.join(out, "losses.txt"))]
        state = {p: (torch.zeros_like(p), torch.zeros_like(p)) for p in model.parameters()}
        worst_loss = 0.0
        for step in range(1, STEPS + 1):
            x = images[(step - 1) * BATCH: step * BATCH]
            loss = ((model(x) - x) ** 2).mean()
            model.zero_grad()
            loss.backward()
            alpha = LR * math.sqrt(1 - BETA2 ** step) / (1 - BETA1 ** step)
            with torch.no_grad():
                for p in model.parameters():
                    m, v = state[p]
                    m.add_((p.grad - m) * (1 - BETA1))
                    v.add_((p.grad * p.grad - v) * (1 - BETA2))
                    p.sub_((m * alpha) / (v.sqrt() + EPS))
            loss_error = abs(ours_losses[step - 1] - loss.item()) / loss.item()
            worst_loss = max(worst_loss, loss_error)
            if step in (1, STEPS):
                tolerance = 1e-5 if step == 1 else 1e-4
                ours = to_state_dict(read_safetensors(os.path.join(out, f"step_{step}.safetensors")))
                errors = {name: relative_error(ours[name], ref) for name, ref in model.state_dict().items()}
                worst = max(errors.values())
                checks.check(loss_error <= tolerance,
                             f"{output}: step {step} loss {ours_losses[step - 1]:.8f} vs PyTorch {loss.item():.8f} "
                             f"(relative error {loss_error:.2e} <= {tolerance:g})")
                checks.check(worst <= tolerance,
                             f"{output}: weights after step {step}: worst tensor relative error {worst:.2e} "
                             f"<= {tolerance:g} ({', '.join(f'{k} {v:.1e}' for k, v in errors.items())})")
        checks.check(worst_loss <= 1e-4, f"{output}: every step's loss within 1e-4 (worst {worst_loss:.2e})")
        checks.check(ours_losses[-1] < ours_losses[0] * 0.8,
                     f"{output}: the loss falls ({ours_losses[0]:.4f} -> {ours_losses[-1]:.4f})")
    checks.finish()


if __name__ == "__main__":
    main()
