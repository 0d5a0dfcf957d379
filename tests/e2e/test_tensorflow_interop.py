"""TensorFlow and TensorBoard read what the trainer writes (README "Interop", "TensorBoard"):

- DIR/saved_model/<epochs>/ (TF Serving's layout, the frozen graph) loads with tf.saved_model.load,
  and its serving_default signature reproduces `trainer reconstruct` within 1e-5 on 300 test images,
  for the relu and the sigmoid-output models and for `trainer export --format savedmodel`;
  `saved_model_cli show --all` describes it; Keras 3's TFSMLayer wraps it.
- README's Keras snippet (<!-- keras-snippet -->) loads weights/model.safetensors into a Keras
  Sequential that gives the same outputs.
- DIR/logs/: TensorBoard's EventAccumulator finds the scalars (epoch ones equal to metrics.jsonl),
  one `reconstructions` image per epoch (the bytes of that epoch's reconstructions.png) and the
  `flags` text; across a run, a resumed run, a run killed with kill -9 mid-epoch and its resume, no
  (tag, step) is written twice and steps rise per tag in file name order; `--fresh` leaves only its
  own event file; `--no-tensorboard` writes no logs/. A real TensorBoard server shows the same
  through its HTTP API.

TensorFlow, TensorBoard and safetensors come from PyPI into a cached venv (build/pyvenv/tf-interop,
tests/e2e/pypi_venv.py); where it cannot be made (no PyPI) the test is skipped (77). All TensorFlow
work happens in one process of the venv's python (tests/e2e/tf_interop_check.py).

  test_tensorflow_interop.py [README.md]
"""
import collections
import gzip
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import DATA_DIR, SKIP, SMALL, TRAINER, Checks, read_safetensors, run, temp_dir  # noqa: E402
from pypi_venv import SOURCE_ROOT, TF_REQUIREMENTS, ensure_venv  # noqa: E402

import numpy as np  # noqa: E402

REQUIREMENTS = TF_REQUIREMENTS
COUNT = 300  # test images compared
BATCH, STEPS_PER_EPOCH = 32, 2048 // 32
EVERY, CHECKPOINT_EVERY = 5, 10
# The killed run trains epochs 3 to 16 and is killed inside epoch 5 (once its checkpoint at step 270
# is announced): a second of training left, so that the kill lands mid-run even when this test's
# reading of stdout lags behind a fast trainer on a busy machine.
FINAL_EPOCHS = 16
KILL_AT_STEP = 4 * STEPS_PER_EPOCH + 15
# --device cpu: on CUDA progress points land on 16-step segment boundaries (README "TensorBoard").
TRAIN = ["--dataset", "fashion-mnist", "--data-dir", DATA_DIR, "--limit", "2048", "--batch-size", str(BATCH),
         "--device", "cpu",
         "--checkpoint-every", str(CHECKPOINT_EVERY), "--tensorboard-every", str(EVERY), "--log-format", "json",
         "--progress-interval", "0.001"]
EPOCH_TAGS = ["epoch/train_loss", "epoch/test_loss", "epoch/images_per_second", "epoch/seconds"]
PROGRESS_TAGS = ["progress/loss", "progress/step_size"]
# README "TensorBoard": events.out.tfevents.<seconds>.<microseconds>.<host>.<pid>.<run id>.trainer
EVENT_FILE = re.compile(r"^events\.out\.tfevents\.(\d{10})\.(\d{6})\.(.+)\.(\d+)\.([0-9a-f]{8})\.trainer$")
RUN_IDS = collections.defaultdict(set)  # model dir -> the run ids of its event files
HOST = re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname())[:64]  # as the trainer spells it in file names
TOLERANCE = 1e-5


def test_images(count):
    with gzip.open(os.path.join(DATA_DIR, "fashion-mnist", "t10k-images-idx3-ubyte.gz")) as f:
        raw = f.read()
    return np.frombuffer(raw[16:16 + count * 784], dtype=np.uint8).reshape(count, 784)


def readme_snippet(readme, marker):
    with open(readme) as f:
        match = re.search(rf"<!-- {marker} -->\s*```python\n(.*?)```", f.read(), re.S)
    return match.group(1) if match else None


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def metrics(model_dir):
    with open(os.path.join(model_dir, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f]


def event_files(model_dir):
    logs = os.path.join(model_dir, "logs")
    return sorted(n for n in os.listdir(logs) if "tfevents" in n) if os.path.isdir(logs) else []


def same_f32(value, reference):
    """An event's float32 against metrics.jsonl's double: equal within float32 rounding."""
    return abs(value - reference) <= 1.2e-7 * abs(reference) + 1e-30


class Run:
    """One training run with --log-format json; optionally kill -9 at the first event for which
    kill_when(event) is true."""

    def __init__(self, args, kill_when=None):
        started = time.time()
        with tempfile.TemporaryFile("w+") as stderr:
            proc = subprocess.Popen([TRAINER] + args, stdout=subprocess.PIPE, stderr=stderr, text=True)
            self.pid = proc.pid
            self.events, self.killed_at = [], None
            for line in proc.stdout:
                try:
                    event = json.loads(line)
                except ValueError:
                    event = {"event": "unparsed", "line": line.rstrip()}
                self.events.append(event)
                if kill_when and self.killed_at is None and kill_when(event):
                    proc.kill()
                    self.killed_at = event.get("global_step")
            self.code = proc.wait(timeout=600)
            stderr.seek(0)
            self.stderr = stderr.read().strip()
        self.seconds = time.time() - started
        self.started = started
        self.start = next((e for e in self.events if e.get("event") == "start"), {})

    def describe(self):
        return f"exit {self.code}, {self.seconds:.1f} s{': ' + self.stderr[-300:] if self.stderr else ''}"


def check_new_event_file(checks, model_dir, before, run_, what):
    """Exactly one new file, named events.out.tfevents.<seconds>.<microseconds>.<host>.<pid>.<run id>.trainer,
    the run id the same for every run of one model dir (they all resume one trajectory)."""
    new = sorted(set(event_files(model_dir)) - set(before))
    match = EVENT_FILE.match(new[0]) if len(new) == 1 else None
    if match:
        RUN_IDS[model_dir].add(match.group(5))
    ok = (match is not None and match.group(3) == HOST and int(match.group(4)) == run_.pid
          and abs(int(match.group(1)) + int(match.group(2)) / 1e6 - run_.started) < 120
          and len(RUN_IDS[model_dir]) == 1)
    checks.check(ok, f"{what}: one new event file named events.out.tfevents.<seconds>.<microseconds>.{HOST}."
                     f"{run_.pid}.<run id>.trainer, one run id per model dir: {new} {sorted(RUN_IDS[model_dir])}")
    return new


def check_version_dir(checks, base, epochs, what):
    """base holds only <epochs>/, with saved_model.pb and an empty variables/."""
    entries = sorted(os.listdir(base)) if os.path.isdir(base) else None
    version = os.path.join(base, str(epochs))
    inner = sorted(os.listdir(version)) if os.path.isdir(version) else None
    variables = os.path.join(version, "variables")
    inside = sorted(os.listdir(variables)) if os.path.isdir(variables) else None
    return checks.check(entries == [str(epochs)] and inner == ["saved_model.pb", "variables"] and inside == [],
                        f"{what}: {os.path.basename(base)}/ holds only {epochs}/ with saved_model.pb and an "
                        f"empty variables/: {entries}, {inner}, variables/ {inside}")


def train_models(checks, work):
    """Trains the model directories once each; returns what the later checks compare against, or
    None when a run failed (the rest cannot be checked)."""
    relu = os.path.join(work, "out")  # README's snippets load `out/`
    facts = {"relu": relu, "pngs": {}, "pids": [], "starts": []}
    # 1: a new run, 1 epoch; 2: the same command with --epochs 2 resumes; 3: --epochs 16, killed with
    # kill -9 inside epoch 5; 4: the same command again resumes from the newest checkpoint.
    plan = [("a new 1-epoch run", 1, None), ("the same command with --epochs 2 (resumes)", 2, None),
            (f"--epochs {FINAL_EPOCHS}, kill -9 at step {KILL_AT_STEP}", FINAL_EPOCHS,
             lambda e: e.get("event") in ("progress", "checkpoint") and e.get("global_step", 0) >= KILL_AT_STEP),
            ("the killed command again (resumes)", FINAL_EPOCHS, None)]
    for number, (what, epochs, kill_when) in enumerate(plan, 1):
        before = event_files(relu)
        run_ = Run(TRAIN + ["--epochs", str(epochs), "--model-dir", relu], kill_when)
        facts["pids"].append(run_.pid)
        facts["starts"].append(run_.start.get("start_step"))
        if kill_when:
            facts["newest_after_kill"] = newest = max((int(n[5:15]) for n in os.listdir(os.path.join(relu, "checkpoints"))
                          if re.fullmatch(r"ckpt-\d{10}\.ckpt", n)), default=None)
            if not checks.check(run_.code == -signal.SIGKILL and not run_.stderr,
                                f"run {number}, {what}: killed at step {run_.killed_at} ({run_.describe()}); "
                                f"newest checkpoint {newest}"):
                return None
        elif not checks.check(run_.code == 0 and not run_.stderr, f"run {number}, {what}: {run_.describe()}"):
            return None
        check_new_event_file(checks, relu, before, run_, f"run {number}")
        if number == 1:
            checks.check(run_.start.get("start_step") == 0, f"run 1 starts at step 0: {run_.start}")
        if number in (2, 4):
            checks.check(str(run_.start.get("resumed_from", "")).endswith(".ckpt"),
                         f"run {number} resumes at step {run_.start.get('start_step')} from "
                         f"{run_.start.get('resumed_from')}")
        if not kill_when:
            facts["pngs"][epochs * STEPS_PER_EPOCH] = sha256_file(os.path.join(relu, "reconstructions.png"))
            check_version_dir(checks, os.path.join(relu, "saved_model"), epochs, f"after run {number}")
    facts["resumed_at"] = facts["starts"][3]
    checks.check(facts["resumed_at"] is not None and facts["resumed_at"] == facts["newest_after_kill"]
                 and 4 * STEPS_PER_EPOCH < facts["resumed_at"] < FINAL_EPOCHS * STEPS_PER_EPOCH,
                 f"the run after kill -9 resumes from the newest checkpoint the killed run wrote (step "
                 f"{facts['newest_after_kill']}; killed after it announced step {KILL_AT_STEP}): step "
                 f"{facts['resumed_at']}")

    tensors = read_safetensors(os.path.join(relu, "weights", "model.safetensors"))
    with open(os.path.join(relu, "weights", "config.json")) as f:
        config = json.load(f)
    checks.check(len(tensors) == 8 and config.get("epochs") == FINAL_EPOCHS,
                 f"weights/model.safetensors ({len(tensors)} tensors) and weights/config.json "
                 f"(epochs {config.get('epochs')})")
    facts["optimizer"] = config.get("optimizer", {})
    facts["metrics"] = metrics(relu)
    checks.check([m["step"] for m in facts["metrics"]] == [e * STEPS_PER_EPOCH for e in range(1, FINAL_EPOCHS + 1)],
                 f"metrics.jsonl: one line per epoch, steps {[m['step'] for m in facts['metrics']]}")

    # --fresh on a copy: the older event files go once its first checkpoint is written.
    fresh = os.path.join(work, "fresh")
    shutil.copytree(relu, fresh, symlinks=True)
    with open(os.path.join(fresh, "logs", "notes.txt"), "w") as f:
        f.write("not an event file of ours\n")
    before = event_files(fresh)
    run_ = Run(TRAIN + ["--epochs", "1", "--fresh", "--model-dir", fresh])
    if not checks.check(run_.code == 0 and not run_.stderr, f"--fresh on a copy: {run_.describe()}"):
        return None
    new = check_new_event_file(checks, fresh, before, run_, "--fresh")
    checks.check(event_files(fresh) == new and os.path.exists(os.path.join(fresh, "logs", "notes.txt")),
                 f"--fresh removed the {len(before)} older event files, not logs/notes.txt: "
                 f"{sorted(os.listdir(os.path.join(fresh, 'logs')))}")
    check_version_dir(checks, os.path.join(fresh, "saved_model"), 1, "--fresh (the newest version only)")
    facts["fresh"], facts["fresh_metrics"] = fresh, metrics(fresh)

    # The sigmoid-output variant, without TensorBoard.
    sigmoid = os.path.join(work, "sigmoid")
    result = run(SMALL + ["--output-activation", "sigmoid", "--no-tensorboard", "--model-dir", sigmoid])
    if not checks.check(result.returncode == 0, f"sigmoid-output run: exit {result.returncode} "
                                                f"{result.stderr.strip()[-300:]}"):
        return None
    checks.check(not os.path.exists(os.path.join(sigmoid, "logs")), "--no-tensorboard: no logs/")
    check_version_dir(checks, os.path.join(sigmoid, "saved_model"), 1, "sigmoid")
    facts["sigmoid"] = sigmoid

    # The export command: elsewhere with --out, and to the default <model-dir>/saved_model.
    exported = os.path.join(work, "exported")
    for model_dir, args, base, epochs in [(relu, ["--out", exported], exported, FINAL_EPOCHS),
                                          (sigmoid, [], os.path.join(sigmoid, "saved_model"), 1)]:
        result = run(["export", "--model-dir", model_dir, "--format", "savedmodel"] + args)
        lines = result.stdout.splitlines()
        checks.check(result.returncode == 0 and len(lines) == 1 and lines[0].startswith("wrote "),
                     f"export --format savedmodel {' '.join(args)}: exit {result.returncode}, {result.stdout.strip()} "
                     f"{result.stderr.strip()}")
        check_version_dir(checks, base, epochs, f"export {' '.join(args) or '(default --out)'}")
    facts["exported"] = exported

    # trainer's own outputs, to compare against.
    for name, model_dir in [("relu", relu), ("sigmoid", sigmoid)]:
        path = os.path.join(work, f"{name}.npy")
        result = run(["reconstruct", "--model-dir", model_dir, "--count", str(COUNT), "--out", path,
                      "--data-dir", DATA_DIR])
        outputs = np.load(path) if result.returncode == 0 else np.zeros((0, 784))
        if not checks.check(outputs.shape == (COUNT, 784) and outputs.dtype == np.float32,
                            f"reconstruct {name}: float32 {outputs.shape} {result.stderr.strip()}"):
            return None
        facts[f"{name}_npy"] = path
    return facts


def start_tensorboard(bin_dir, logdir, log_path, env):
    log = open(log_path, "w")
    proc = subprocess.Popen([os.path.join(bin_dir, "tensorboard"), "--logdir", logdir, "--host", "127.0.0.1",
                             "--port", "0", "--reload_interval", "1",
                             # keep every point (0 would mean "none" to the plugins, not "all")
                             "--samples_per_plugin", "scalars=100000,images=1000"],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    log.close()
    return proc


def stop(proc):
    """Ends a process we started and its children (TensorBoard's data server): its own process group
    (start_new_session), SIGTERM then SIGKILL for whatever is left."""
    for sig, wait in [(signal.SIGTERM, 10), (signal.SIGKILL, 10)]:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:  # the whole group is gone
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        time.sleep(0.2)  # the data server follows its parent


def tensorboard_http(checks, proc, log_path, expected):
    """Polls the server until the scalars are loaded, then reads its HTTP API."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1, never a proxy
    deadline, port, data, last_error = time.monotonic() + 60, None, {}, None

    def get(path, raw=False):
        with opener.open(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            body = response.read()
        return body if raw else json.loads(body)

    def scalars(tag):
        return get("/data/plugin/scalars/scalars?" + urllib.parse.urlencode({"run": ".", "tag": tag}))

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if port is None:
            with open(log_path) as f:
                match = re.search(r"TensorBoard \S+ at http://127\.0\.0\.1:(\d+)/", f.read())
            port = int(match.group(1)) if match else None
        if port is not None:
            try:
                data["tags"] = get("/data/plugin/scalars/tags")
                data["test_loss"] = scalars("epoch/test_loss")
                data["images"] = get("/data/plugin/images/images?" + urllib.parse.urlencode(
                    {"run": ".", "tag": "reconstructions", "sample": 0}))
                data["progress"] = scalars("progress/loss")
                if (len(data["test_loss"]) >= len(expected["metrics"])
                        and len(data["images"]) >= len(expected["metrics"])
                        and len(data["progress"]) >= len(expected["progress_steps"])):
                    break
            except (urllib.error.URLError, OSError, ValueError) as e:
                last_error = e
        time.sleep(0.5)
    with open(log_path) as f:
        log = f.read()
    loaded = "test_loss" in data and len(data["test_loss"]) >= len(expected["metrics"])
    waited = 60 - (deadline - time.monotonic())
    if not checks.check(loaded, f"TensorBoard (port {port}) loads the event files within 60 s ({waited:.1f} s)"
                                f"{'' if loaded else f': {last_error}, {proc.returncode=}, log: {log[-800:]}'}"):
        return
    checks.check(get("/data/runs") == ["."], f"/data/runs: {get('/data/runs')} (the logdir itself is run '.')")
    tags = data["tags"].get(".", {})
    checks.check(set(EPOCH_TAGS + PROGRESS_TAGS) <= set(tags),
                 f"/data/plugin/scalars/tags lists the scalars: {sorted(tags)}")
    rows = [m for m in expected["metrics"]]
    for tag, key in [("epoch/test_loss", "test_loss"), ("epoch/train_loss", "train_loss")]:
        points = data["test_loss"] if key == "test_loss" else scalars(tag)
        ok = [p[1] for p in points] == [m["step"] for m in rows] and all(
            same_f32(p[2], m[key]) for p, m in zip(points, rows))
        checks.check(ok, f"/data/plugin/scalars/scalars?run=.&tag={tag}: [step, value] equal metrics.jsonl's "
                         f"({len(points)} points, last {points[-1][1:] if points else None})")
    progress = data["progress"]
    checks.check([p[1] for p in progress] == expected["progress_steps"],
                 f"progress/loss in TensorBoard: the {len(expected['progress_steps'])} steps the event files hold, "
                 f"once each ({len(progress)} points)")
    images = data["images"]
    checks.check([i["step"] for i in images] == [m["step"] for m in rows],
                 f"/data/plugin/images/images?run=.&tag=reconstructions: one per epoch, steps "
                 f"{[i['step'] for i in images]}")
    if images:
        png = get("/data/plugin/images/individualImage?" + images[-1]["query"], raw=True)
        checks.check(hashlib.sha256(png).hexdigest() == expected["last_png"],
                     f"/data/plugin/images/individualImage of the last epoch: reconstructions.png's bytes "
                     f"({len(png)} bytes)")
    text_tags = get("/data/plugin/text/tags").get(".", [])
    text = get("/data/plugin/text/text?" + urllib.parse.urlencode({"run": ".", "tag": "flags"})) \
        if "flags" in text_tags else []
    checks.check([t["step"] for t in text] == expected["flags_steps"],
                 f"/data/plugin/text: `flags` at the runs' first steps {[t['step'] for t in text]}")


def check_savedmodels(checks, results):
    for name, last in [("relu", "Relu"), ("sigmoid", "Sigmoid"), ("export --out", "Relu")]:
        r = results.get(f"savedmodel:{name}", {})
        if not checks.check("error" not in r and r.get("max_abs_diff") is not None
                            and r["max_abs_diff"] < TOLERANCE,
                            f"{name}: tf.saved_model.load + signatures['serving_default'](images=...) reproduces "
                            f"trainer reconstruct on {COUNT} test images: max |diff| {r.get('max_abs_diff')} "
                            f"{r.get('error') or r.get('mismatch') or ''}"):
            continue
        checks.check(r["signatures"] == ["serving_default"]
                     and r["input_spec"] == {"images": ["float32", [None, 784]]}
                     and r["output_keys"] == ["reconstruction"] and r["output_dtype"] == "float32"
                     and r["output_shape"] == [COUNT, 784],
                     f"{name}: signature serving_default: images float32 [None, 784] -> reconstruction: "
                     f"{r['input_spec']} -> {r['output_keys']} {r['output_dtype']} {r['output_shape']}")
        g = r["graph"]
        chain = [c["op"] for c in g.get("chain", [])]
        expected = ["Placeholder"] + ["MatMul", "BiasAdd", "Relu"] * 3 + ["MatMul", "BiasAdd", last, "Identity"]
        placeholder = g["chain"][0] if g.get("chain") else {}
        checks.check(g.get("tags") == ["serve"] and chain == expected
                     and all(c.get("transpose_b") and not c.get("transpose_a")
                             for c in g["chain"] if c["op"] == "MatMul")
                     and placeholder.get("name") == "images" and placeholder.get("dtype") == 1
                     and placeholder.get("shape") == [-1, 784] and g.get("operand_ops") == ["Const"]
                     and set(g.get("ops", [])) <= {"Placeholder", "Const", "MatMul", "BiasAdd", "Relu", "Sigmoid",
                                                   "Identity"},
                     f"{name}: a frozen graph, tag 'serve': {' -> '.join(chain)}; weights and biases "
                     f"{g.get('operand_ops')}; ops {g.get('ops')}")
        if last == "Sigmoid":
            checks.check(0 <= r["min"] and r["max"] <= 1, f"sigmoid outputs in [0, 1]: {r['min']:.3g}..{r['max']:.3g}")
    for name in ["relu", "sigmoid"]:
        r = results.get(f"tfsm_layer:{name}", {})
        checks.check("error" not in r and r.get("max_abs_diff") is not None and r["max_abs_diff"] < TOLERANCE,
                     f"{name}: keras.layers.TFSMLayer(path, call_endpoint='serving_default') (Keras "
                     f"{r.get('keras_version')}) gives the same outputs: max |diff| {r.get('max_abs_diff')} "
                     f"{r.get('output_keys', '')} {r.get('error') or r.get('mismatch') or ''}")
    r = results.get("keras_snippet", {})
    checks.check("error" not in r and r.get("max_abs_diff") is not None and r["max_abs_diff"] < TOLERANCE,
                 f"README's Keras snippet runs as written and its model reproduces trainer reconstruct: max |diff| "
                 f"{r.get('max_abs_diff')} {r.get('layers', '')} {r.get('error') or r.get('mismatch') or ''}")


def check_events(checks, results, facts):
    """The event files of the four runs (and of the --fresh copy), through EventAccumulator."""
    r = results.get("events:relu", {})
    if not checks.check("error" not in r and len(r.get("files", [])) == 4,
                        f"EventAccumulator reads logs/: {len(r.get('files', []))} event files "
                        f"{r.get('error', '')}"):
        return None
    files, whole = r["files"], r["directory"]
    rows = facts["metrics"]
    checks.check(set(EPOCH_TAGS + PROGRESS_TAGS) <= set(whole["tags"].get("scalars", []))
                 and whole["tags"].get("images") == ["reconstructions"] and "flags" in whole["tags"].get("tensors", []),
                 f"Tags(): scalars {whole['tags'].get('scalars')}, images {whole['tags'].get('images')}, "
                 f"tensors {whole['tags'].get('tensors')}")

    # Every (tag, step) once over all files; steps rising per tag, files in name order.
    per_tag = collections.defaultdict(list)
    for f in files:
        for kind in ("scalars", "images", "tensors"):
            for tag, entries in f[kind].items():
                per_tag[tag].extend(e[0] for e in entries)
    duplicates = sorted((tag, step) for tag, steps in per_tag.items()
                        for step, n in collections.Counter(steps).items() if n > 1)
    falling = sorted(tag for tag, steps in per_tag.items() if any(b <= a for a, b in zip(steps, steps[1:])))
    checks.check(not duplicates, f"no (tag, step) in two places across the {len(files)} files "
                                 f"({sum(map(len, per_tag.values()))} events): {duplicates[:5]}")
    checks.check(not falling, f"steps strictly rise per tag, files in name order: {falling}")
    killed = files[2]["scalars"].get("progress/loss", [])
    checks.check(any(step > 4 * STEPS_PER_EPOCH for step, _ in killed),
                 f"the killed run's file holds progress events from inside epoch 5 (up to step "
                 f"{max((s for s, _ in killed), default=None)}; resumed at {facts['resumed_at']})")

    # Epoch scalars: at metrics.jsonl's steps, with its losses.
    def merged(tag):
        return [e for f in files for e in f["scalars"].get(tag, [])]

    steps = [m["step"] for m in rows]
    for tag in EPOCH_TAGS:
        points = merged(tag)
        ok = [p[0] for p in points] == steps and all(p[1] > 0 for p in points)
        key = tag.split("/")[1]
        if key in ("train_loss", "test_loss"):
            worst = max((abs(p[1] - m[key]) / m[key] for p, m in zip(points, rows)), default=None)
            ok = ok and all(same_f32(p[1], m[key]) for p, m in zip(points, rows))
            detail = f"equal to metrics.jsonl's within float32 rounding (worst relative {worst:.1e})" \
                if worst is not None else ""
        else:
            detail = f"positive; metrics.jsonl's {key}: {[round(m[key], 4) for m in rows][:3]}..., events: " \
                     f"{[round(p[1], 4) for p in points][:3]}..."
        checks.check(ok, f"{tag} at the epochs' end steps {[p[0] for p in points]}, {detail}")
    directory_steps = [p[0] for p in whole["scalars"].get("epoch/test_loss", [])]
    checks.check(directory_steps == steps, f"EventAccumulator on the whole logs/ directory: epoch/test_loss at "
                                           f"{directory_steps}")

    # Progress scalars every --tensorboard-every steps, over all runs together.
    progress = merged("progress/loss")
    wanted = list(range(EVERY, FINAL_EPOCHS * STEPS_PER_EPOCH + 1, EVERY))
    checks.check([p[0] for p in progress] == wanted and all(0 < p[1] < 10 for p in progress),
                 f"progress/loss at every {EVERY}th global step over the four runs, kill -9 included: "
                 f"{len(progress)} points, {len(wanted)} wanted; missing "
                 f"{sorted(set(wanted) - {p[0] for p in progress})[:8]}, extra "
                 f"{sorted({p[0] for p in progress} - set(wanted))[:8]}")
    opt = facts["optimizer"]
    lr, b1, b2 = opt.get("learning_rate", 0.01), opt.get("beta1", 0.9), opt.get("beta2", 0.999)
    sizes = merged("progress/step_size")
    errors = [abs(v - lr * (1 - b2 ** s) ** 0.5 / (1 - b1 ** s)) / (lr * (1 - b2 ** s) ** 0.5 / (1 - b1 ** s))
              for s, v in sizes]
    off_by_one = [abs(v / (lr * (1 - b2 ** (s + 1)) ** 0.5 / (1 - b1 ** (s + 1))) - 1) for s, v in sizes[:1]]
    checks.check([s for s, _ in sizes] == [p[0] for p in progress] and all(v > 0 for _, v in sizes)
                 and max(errors, default=1) < 1e-5,
                 f"progress/step_size = lr*sqrt(1-b2^t)/(1-b1^t) at t = the global step (lr {lr}): worst relative "
                 f"error {max(errors, default=None)}; first {sizes[:1]}, (t = step + 1 would be off by "
                 f"{off_by_one})")

    # One image per epoch: that epoch's reconstructions.png.
    images = [e for f in files for e in f["images"].get("reconstructions", [])]
    checks.check([i[0] for i in images] == steps and all(i[4].startswith("89504e47") and i[2:4] == [1164, 236]
                                                        for i in images),
                 f"image `reconstructions`: one PNG (1164 x 236) per epoch, at steps {[i[0] for i in images]}")
    by_step = {i[0]: i[1] for i in images}
    compared = {step: by_step.get(step) == png for step, png in facts["pngs"].items()}
    checks.check(compared and all(compared.values()),
                 f"the images are the bytes of reconstructions.png after those epochs (steps compared: {compared})")

    # `flags`: text plugin, at each run's first step.
    flags = [(e[0], e[1]) for f in files for e in f["tensors"].get("flags", [])]
    wanted_flags = facts["starts"]
    checks.check([s for s, _ in flags] == wanted_flags and whole["plugins"].get("flags") == "text"
                 and all(t and "epochs" in t for _, t in flags),
                 f"text `flags` (plugin {whole['plugins'].get('flags')!r}) at each run's first step: "
                 f"{[s for s, _ in flags]} (runs started at {wanted_flags}); {flags[0][1][:80] if flags else ''!r}")

    # --fresh: only its own file, a new run's steps.
    r = results.get("events:fresh", {})
    fresh_files = r.get("files", [])
    fresh_rows = facts["fresh_metrics"]
    if checks.check("error" not in r and len(fresh_files) == 1, f"--fresh: one event file {r.get('error', '')}"):
        f = fresh_files[0]
        loss = f["scalars"].get("epoch/test_loss", [])
        checks.check([e[0] for e in f["tensors"].get("flags", [])] == [0] and len(fresh_rows) == 1
                     and [p[0] for p in loss] == [STEPS_PER_EPOCH] and same_f32(loss[0][1], fresh_rows[0]["test_loss"])
                     and max(s for s, _ in f["scalars"].get("progress/loss", [[0, 0]])) <= STEPS_PER_EPOCH,
                     f"--fresh: flags at step 0, epoch/test_loss {loss} as its metrics.jsonl "
                     f"{[m['test_loss'] for m in fresh_rows]}")
    return {"metrics": rows, "progress_steps": [p[0] for p in progress],
            "last_png": facts["pngs"].get(FINAL_EPOCHS * STEPS_PER_EPOCH), "flags_steps": [s for s, _ in flags]}


def check_saved_model_cli(checks, cli):
    out = cli.stdout
    checks.check(cli.returncode == 0 and "signature_def['serving_default']" in out and "inputs['images']" in out
                 and "outputs['reconstruction']" in out and out.count("dtype: DT_FLOAT") >= 2
                 and out.count("shape: (-1, 784)") >= 2 and "tag-set: 'serve'" in out,
                 f"saved_model_cli show --all: exit {cli.returncode}, "
                 f"{' | '.join(line.strip() for line in out.splitlines() if line.strip())[:600]} "
                 f"{cli.stderr.strip()[-300:] if cli.returncode else ''}")


def main():
    readme = sys.argv[1] if len(sys.argv) > 1 else os.path.join(SOURCE_ROOT, "README.md")
    began = time.monotonic()
    bin_dir, reason = ensure_venv("tf-interop", REQUIREMENTS)
    if bin_dir is None:
        print(f"skipped: {reason}")
        sys.exit(SKIP)
    print(f"venv {bin_dir} ready after {time.monotonic() - began:.1f} s")
    checks = Checks()
    work = temp_dir("tf-interop")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="", PYTHONNOUSERSITE="1",
               KERAS_HOME=os.path.join(work, "keras-home"), PIP_DISABLE_PIP_VERSION_CHECK="1")
    for name in ("PYTHONPATH", "PYTHONHOME"):
        env.pop(name, None)

    started = time.monotonic()
    facts = train_models(checks, work)
    print(f"training, export and reconstruct: {time.monotonic() - started:.1f} s")
    if facts is None:
        print(f"(kept {work})")
        checks.finish()
    snippet = readme_snippet(readme, "keras-snippet")
    checks.check(snippet is not None, "README.md has the Keras snippet (<!-- keras-snippet --> then ```python)")

    inputs = os.path.join(work, "inputs.npy")
    np.save(inputs, test_images(COUNT).astype(np.float32) / 255)
    relu_version = os.path.join(facts["relu"], "saved_model", str(FINAL_EPOCHS))
    tasks = {
        "images": inputs,
        "savedmodels": [{"name": "relu", "path": relu_version, "expected": facts["relu_npy"]},
                        {"name": "sigmoid", "path": os.path.join(facts["sigmoid"], "saved_model", "1"),
                         "expected": facts["sigmoid_npy"]},
                        {"name": "export --out", "path": os.path.join(facts["exported"], str(FINAL_EPOCHS)),
                         "expected": facts["relu_npy"]}],
        "tfsm_layers": [{"name": "relu", "path": relu_version, "expected": facts["relu_npy"]},
                        {"name": "sigmoid", "path": os.path.join(facts["sigmoid"], "saved_model", "1"),
                         "expected": facts["sigmoid_npy"]}],
        "keras_snippet": {"code": snippet, "cwd": work, "expected": facts["relu_npy"]} if snippet else None,
        "event_dirs": [{"name": "relu", "path": os.path.join(facts["relu"], "logs")},
                       {"name": "fresh", "path": os.path.join(facts["fresh"], "logs")}],
    }
    tasks_path, results_path = os.path.join(work, "tasks.json"), os.path.join(work, "results.json")
    with open(tasks_path, "w") as f:
        json.dump(tasks, f)

    # TensorBoard, saved_model_cli and the TensorFlow checks at once: each spends seconds importing.
    started = time.monotonic()
    tb_log = os.path.join(work, "tensorboard.log")
    tensorboard = start_tensorboard(bin_dir, os.path.join(facts["relu"], "logs"), tb_log, env)
    try:
        cli = subprocess.Popen([os.path.join(bin_dir, "saved_model_cli"), "show", "--dir", relu_version, "--all"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        tf_run = subprocess.run([os.path.join(bin_dir, "python"), os.path.join(HERE, "tf_interop_check.py"),
                                 tasks_path, results_path], capture_output=True, text=True, env=env, timeout=600)
        cli_out, cli_err = cli.communicate(timeout=300)
        cli = subprocess.CompletedProcess(cli.args, cli.returncode, cli_out, cli_err)
        print(f"TensorFlow checks: {time.monotonic() - started:.1f} s")
        results = {}
        if checks.check(tf_run.returncode == 0 and os.path.exists(results_path),
                        f"tf_interop_check.py: exit {tf_run.returncode}"
                        f"{'' if tf_run.returncode == 0 else ' ' + tf_run.stderr.strip()[-1500:]}"):
            with open(results_path) as f:
                results = json.load(f)
            print(f"versions: {results.get('versions')}")
        errors = [line for line in tf_run.stderr.splitlines() if "Traceback" in line or "Error" in line]
        if errors:
            print(tf_run.stderr[-3000:])
        check_saved_model_cli(checks, cli)
        check_savedmodels(checks, results)
        expected = check_events(checks, results, facts)
        if expected:
            tensorboard_http(checks, tensorboard, tb_log, expected)
    finally:
        stop(tensorboard)
    print(f"total {time.monotonic() - began:.1f} s")
    if checks.failures == 0:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"(kept {work})")
    checks.finish()


if __name__ == "__main__":
    main()
