"""Outputs people look at and other tools load (README "Output", "Pictures", "Interop"):
the live progress line on a terminal versus one line per epoch in a pipe, --log-format json and
--quiet, loss.svg and reconstructions.png in the model directory (decoded with real decoders),
`trainer reconstruct` (PNG and .npy), `trainer export --format onnx` checked with the onnx package
and run with onnxruntime where it can be installed, and the safetensors file loaded into the
equivalent PyTorch module (and read by the `safetensors` package where it can be installed)."""
import gzip
import json
import os
import pty
import select
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, TRAINER, Checks, run, temp_dir  # noqa: E402

import numpy as np  # noqa: E402

BASE = ["--dataset", "fashion-mnist", "--data-dir", DATA_DIR, "--limit", "2048"]
JSON_KEYS = {
    "start": ["event", "dataset", "train_images", "test_images", "device", "epochs", "model_dir", "ready_seconds",
              "start_epoch", "start_step", "resumed_from"],
    "progress": ["event", "epoch", "epochs", "step", "steps", "global_step", "loss", "images_per_second",
                 "eta_seconds"],
    "epoch": ["event", "epoch", "epochs", "global_step", "train_loss", "test_loss", "seconds", "images_per_second"],
    "checkpoint": ["event", "global_step", "path"],
    "saved": ["event", "path"],
}


def run_on_pty(args):
    """Runs the trainer with stdout on a pseudo-terminal: (exit code, everything it wrote)."""
    master, slave = pty.openpty()
    env = dict(os.environ, TERM="xterm")
    process = subprocess.Popen([TRAINER] + args, stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the other end closed
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    process.wait(timeout=600)
    os.close(master)
    return process.returncode, b"".join(chunks).decode(errors="replace")


def test_images(count):
    with gzip.open(os.path.join(DATA_DIR, "fashion-mnist", "t10k-images-idx3-ubyte.gz")) as f:
        raw = f.read()
    return np.frombuffer(raw[16:16 + count * 784], dtype=np.uint8).reshape(count, 784)


def check_progress_output(checks):
    out = temp_dir("tty")
    args = BASE + ["--epochs", "2", "--batch-size", "32", "--model-dir", out, "--progress-interval", "0.001"]
    code, text = run_on_pty(args)
    live = [part for part in text.split("\r\x1b[K") if part.startswith("epoch 1/2 [")]
    checks.check(code == 0 and len(live) >= 5 and "ETA" in live[0] and "img/s" in live[0],
                 f"on a terminal: a live line redrawn in place ({len(live)} redraws in epoch 1): "
                 f"{live[0] if live else text[:200]!r}")
    checks.check("epoch 2/2  train_loss" in text, "the epoch's summary replaces the live line")
    shutil.rmtree(out)
    out = temp_dir("pipe")
    result = run(BASE + ["--epochs", "2", "--batch-size", "32", "--model-dir", out, "--progress-interval", "0.001"])
    epoch_lines = [line for line in result.stdout.splitlines() if line.startswith("epoch ")]
    checks.check(result.returncode == 0 and "\r" not in result.stdout and "\x1b" not in result.stdout
                 and len(epoch_lines) == 2 and all("train_loss" in line for line in epoch_lines),
                 f"in a pipe: one plain line per epoch, no control characters: {epoch_lines}")
    shutil.rmtree(out)


def check_json_log(checks):
    out = temp_dir("json")
    result = run(BASE + ["--epochs", "2", "--batch-size", "64", "--model-dir", out, "--log-format", "json",
                         "--progress-interval", "0.001", "--checkpoint-every", "10"])
    events = []
    parsed = True
    for line in result.stdout.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            parsed = False
    checks.check(result.returncode == 0 and parsed and events, f"every stdout line is a JSON object "
                 f"({len(events)} lines)")
    # "message" events (e.g. a cuda build without a GPU says it uses the CPU) may come anywhere.
    kinds = [e.get("event") for e in events if e.get("event") != "message"]
    checks.check(kinds[0] == "start" and kinds[-1] == "saved" and kinds.count("epoch") == 2
                 and "progress" in kinds and "checkpoint" in kinds,
                 f"events in order: start, progress/checkpoint/epoch, saved: {sorted(set(kinds))}")
    wrong = [e for e in events if e.get("event") in JSON_KEYS and list(e) != JSON_KEYS[e["event"]]]
    checks.check(not wrong, f"each event carries exactly the documented keys, in order: {wrong[:1]}")
    with open(os.path.join(out, "metrics.jsonl")) as f:
        metrics = [json.loads(line) for line in f]
    epochs = [e for e in events if e.get("event") == "epoch"]
    checks.check([e["test_loss"] for e in epochs] == [m["test_loss"] for m in metrics],
                 "the epoch events' losses are metrics.jsonl's")
    progress = [e for e in events if e.get("event") == "progress"]
    checks.check(all(0 < p["step"] < p["steps"] and p["loss"] > 0 and p["eta_seconds"] >= 0 for p in progress),
                 f"progress events: step inside the epoch, a positive loss, an ETA ({len(progress)} events)")
    # A resumed run says where it resumed.
    result = run(BASE + ["--epochs", "3", "--batch-size", "64", "--model-dir", out, "--log-format", "json"])
    lines = [json.loads(line) for line in result.stdout.splitlines()] if result.returncode == 0 else []
    start = next((e for e in lines if e.get("event") == "start"), {})
    checks.check(start.get("start_epoch") == 3 and str(start.get("resumed_from", "")).endswith(".ckpt"),
                 f"a resumed run's start event names the checkpoint: {start}")
    shutil.rmtree(out)


def check_quiet(checks):
    out = temp_dir("quiet")
    result = run(BASE + ["--epochs", "1", "--model-dir", out, "--quiet"])
    checks.check(result.returncode == 0 and result.stdout == "" and result.stderr == ""
                 and os.path.exists(os.path.join(out, "weights", "model.safetensors")),
                 f"--quiet prints nothing and still trains: {result.stdout!r} {result.stderr!r}")
    result = run(["--quiet", "--epochs", "0", "--model-dir", out])
    checks.check(result.returncode == 2 and result.stderr.count("\n") == 1,
                 f"--quiet still reports errors: {result.stderr.strip()}")
    result = run(["--log-format", "xml", "--model-dir", out])
    checks.check(result.returncode == 2 and "--log-format" in result.stderr, f"bad format: {result.stderr.strip()}")
    shutil.rmtree(out)


def check_pictures(checks, out, epochs):
    from PIL import Image
    png = os.path.join(out, "reconstructions.png")
    with Image.open(png) as image:
        image.load()
        size, mode, pixels = image.size, image.mode, np.array(image)
    checks.check(size == (10 * 112 + 11 * 4, 2 * 112 + 3 * 4) and mode == "L",
                 f"reconstructions.png decodes (PIL): {size} {mode}, 10 images 4x enlarged over their reconstructions")
    originals = test_images(10)
    top_left = pixels[4:4 + 112:4, 4:4 + 112:4]
    sixth = pixels[4:4 + 112:4, 4 + 5 * 116:4 + 5 * 116 + 112:4]
    checks.check(np.array_equal(top_left, originals[0].reshape(28, 28))
                 and np.array_equal(sixth, originals[5].reshape(28, 28)),
                 "the top row shows the first test images, pixel for pixel")
    if shutil.which("pngcheck"):
        result = subprocess.run(["pngcheck", png], capture_output=True, text=True)
        checks.check(result.returncode == 0, f"pngcheck: {result.stdout.strip()}")
    svg = os.path.join(out, "loss.svg")
    try:
        root = ET.parse(svg).getroot()
    except ET.ParseError as e:
        checks.check(False, f"loss.svg parses as XML: {e}")
        return pixels
    ns = "{http://www.w3.org/2000/svg}"
    lines = {p.get("class"): p.get("points").split() for p in root.iter(ns + "polyline")}
    texts = " ".join(t.text or "" for t in root.iter(ns + "text"))
    checks.check(root.tag == ns + "svg" and root.get("width") == "640" and root.get("height") == "400",
                 f"loss.svg is SVG, 640 x 400: {root.tag} {root.get('width')} x {root.get('height')}")
    checks.check(sorted(lines) == ["test", "train"] and all(len(p) == epochs for p in lines.values())
                 and "epoch" in texts and "loss" in texts,
                 f"train and test curves with a point per epoch ({epochs}), labelled axes")
    return pixels


def check_reconstruct(checks, out, grid):
    npy = os.path.join(out, "first.npy")
    result = run(["reconstruct", "--model-dir", out, "--count", "300", "--out", npy, "--data-dir", DATA_DIR])
    outputs = np.load(npy) if result.returncode == 0 else np.zeros((0, 784))
    checks.check(outputs.shape == (300, 784) and outputs.dtype == np.float32,
                 f"reconstruct --out .npy: float32 [300, 784]: {outputs.shape} {result.stdout.strip()}")
    bottom = grid[4 + 116:4 + 116 + 112:4, 4:4 + 112:4]
    expected = np.rint(np.clip(outputs[0], 0, 1) * 255).astype(np.uint8).reshape(28, 28)
    checks.check(np.abs(bottom.astype(int) - expected.astype(int)).max() <= 1,
                 "the grid's bottom row is the model's output (clamped, x 255)")
    png = os.path.join(out, "grid.png")
    result = run(["reconstruct", "--model-dir", out, "--out", png, "--count", "4", "--data-dir", DATA_DIR])
    from PIL import Image
    with Image.open(png) as image:
        checks.check(result.returncode == 0 and image.size == (4 * 112 + 5 * 4, 236), f"--count 4: {image.size}")
    for args, code, needle in [(["--out", "x.jpg"], 2, "--out"), (["--count", "101"], 2, "--count"),
                               (["--count", "0", "--out", "x.npy"], 2, "--count"),
                               (["--model-dir", os.path.join(out, "missing")], 1, "does not exist")]:
        result = run(["reconstruct", "--data-dir", DATA_DIR] + (["--model-dir", out] if "--model-dir" not in args
                                                                else []) + args)
        checks.check(result.returncode == code and needle in result.stderr and result.stderr.count("\n") == 1,
                     f"reconstruct {' '.join(args)}: exit {result.returncode}, {result.stderr.strip()}")
    return outputs


def gemm_graph_outputs(model, images):
    """Evaluates the exported graph with numpy, node by node, from the ONNX operator definitions
    (Gemm: alpha·A·op(B) + beta·C; Relu; Sigmoid): a check of what the file says, independent of
    trainer's code, for machines without onnxruntime."""
    from onnx import numpy_helper
    values = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    values[model.graph.input[0].name] = images
    for node in model.graph.node:
        args = [values[name] for name in node.input]
        attrs = {a.name: a for a in node.attribute}
        if node.op_type == "Gemm":
            b = args[1].T if attrs.get("transB") and attrs["transB"].i else args[1]
            values[node.output[0]] = (args[0].astype(np.float64) @ b.astype(np.float64) + args[2]).astype(np.float32)
        elif node.op_type == "Relu":
            values[node.output[0]] = np.maximum(args[0], 0)
        elif node.op_type == "Sigmoid":
            values[node.output[0]] = 1 / (1 + np.exp(-args[0]))
        else:
            raise ValueError(f"unexpected op {node.op_type}")
    return values[model.graph.output[0].name]


def try_import(module, package):
    """The module, installing it from PyPI into a temporary directory first if it is missing and
    pip can reach an index; or None."""
    try:
        return __import__(module)
    except ImportError:
        pass
    target = temp_dir("pip")
    try:
        result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", target, package],
                                capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"note: pip install {package}: {e}")
        return None
    if result.returncode != 0:
        print(f"note: pip install {package}: {(result.stderr.strip().splitlines() or ['failed'])[-1]}")
        return None
    sys.path.insert(0, target)
    try:
        return __import__(module)
    except ImportError as e:
        print(f"note: {package} installed from PyPI but does not import: {e}")
        return None


def check_export(checks, out, outputs):
    result = run(["export", "--model-dir", out, "--format", "onnx"])
    path = os.path.join(out, "model.onnx")
    checks.check(result.returncode == 0 and os.path.exists(path), f"export: {result.stdout.strip()}")
    import onnx
    model = onnx.load(path)
    try:
        onnx.checker.check_model(model, full_check=True)
        valid = True
    except Exception as e:  # noqa: BLE001 - the checker raises several types
        valid = False
        print(e)
    opset = {o.domain: o.version for o in model.opset_import}
    checks.check(valid and opset.get("") == 13 and model.ir_version == 7,
                 f"onnx.checker (full check, shape inference) accepts model.onnx: opset {opset}, IR {model.ir_version}")
    images = test_images(300).astype(np.float32) / 255
    graph = gemm_graph_outputs(model, images)
    checks.check(np.abs(graph - outputs).max() < 1e-5,
                 f"the graph evaluated with numpy matches trainer's outputs on 300 test images: "
                 f"max |diff| {np.abs(graph - outputs).max():.2e}")
    ort = try_import("onnxruntime", "onnxruntime")
    if ort is None:
        print("skipped: onnxruntime is not available here (not packaged in Debian 12, and pip could not "
              "install it); the checker and the numpy evaluation above still ran")
    else:
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        (ours,) = session.run(None, {"images": images})
        checks.check(np.abs(ours - outputs).max() < 1e-5,
                     f"onnxruntime's outputs match trainer's within 1e-5: {np.abs(ours - outputs).max():.2e}")
    for args, code, needle in [(["--format", "tflite"], 2, "--format"),
                               (["--model-dir", os.path.join(out, "missing")], 1, "does not exist"),
                               (["--out", os.path.join(out, "no", "such", "dir.onnx")], 1, "cannot write")]:
        result = run(["export"] + (["--model-dir", out] if "--model-dir" not in args else []) + args)
        checks.check(result.returncode == code and needle in result.stderr and result.stderr.count("\n") == 1,
                     f"export {' '.join(args)}: exit {result.returncode}, {result.stderr.strip()}")


def check_safetensors_in_pytorch(checks, out, outputs):
    import torch
    from collections import OrderedDict
    path = os.path.join(out, "weights", "model.safetensors")
    st = try_import("safetensors", "safetensors")
    if st is None:
        print("skipped: the safetensors package is not available here (not packaged in Debian 12, and pip "
              "could not install it); the file is read with the format's own definition below")
        from common import read_safetensors
        state = {name: torch.tensor(values, dtype=torch.float32).reshape(shape)
                 for name, (shape, values) in read_safetensors(path).items()}
    else:
        from safetensors.torch import load_file
        state = load_file(path)
    module = torch.nn.Sequential(OrderedDict(
        encoder=torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 128),
                                    torch.nn.ReLU()),
        decoder=torch.nn.Sequential(torch.nn.Linear(128, 128), torch.nn.ReLU(), torch.nn.Linear(128, 784),
                                    torch.nn.ReLU())))
    missing = module.load_state_dict(state, strict=True)
    with torch.no_grad():
        ours = module(torch.from_numpy(test_images(300).astype(np.float32) / 255)).numpy()
    checks.check(not missing.missing_keys and np.abs(ours - outputs).max() < 1e-5,
                 f"model.safetensors loads strictly into the equivalent torch.nn.Sequential, whose outputs "
                 f"match trainer's within 1e-5: {np.abs(ours - outputs).max():.2e}")


def main():
    checks = Checks()
    check_progress_output(checks)
    check_json_log(checks)
    check_quiet(checks)
    out = temp_dir("outputs")
    result = run(BASE + ["--epochs", "3", "--model-dir", out])
    checks.check(result.returncode == 0, f"a 3-epoch run: {result.stderr.strip()}")
    grid = check_pictures(checks, out, 3)
    outputs = check_reconstruct(checks, out, grid)
    check_export(checks, out, outputs)
    check_safetensors_in_pytorch(checks, out, outputs)
    shutil.rmtree(out)
    checks.finish()


if __name__ == "__main__":
    main()
