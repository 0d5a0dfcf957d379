"""Sweeps (README "Sweeps"): `trainer grid` numbers the runs of a --grid; each index trains, as a
scheduler would start it (JOB_COMPLETION_INDEX for Kubernetes Indexed Jobs, SLURM_ARRAY_TASK_ID for
Slurm arrays, AWS_BATCH_JOB_ARRAY_INDEX for AWS Batch), into <model-dir>/run-<i>, byte-identical
to a plain run with those flags, resumable after SIGTERM; `trainer gather` tables the trained runs
best first and draws their curves; bad grids and indexes are one-line usage errors; the deploy/
manifests carry what a scheduler needs and agree with `trainer grid` on the sweep's size.

  test_sweep.py SOURCE_DIR
"""
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, TRAINER, Checks, model_bytes, run, temp_dir  # noqa: E402

TRAIN = ["--dataset", "fashion-mnist", "--data-dir", DATA_DIR, "--offline", "--limit", "1024", "--epochs", "2",
         "--quiet"]
GRID = ["--grid", "learning-rate=0.01,0.003", "--grid", "seed=1,2,3"]
SCHEDULERS = ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "AWS_BATCH_JOB_ARRAY_INDEX"]
CLEAN_ENV = {name: "" for name in SCHEDULERS}


def sweep(checks, scratch):
    out = os.path.join(scratch, "sweep")
    listed = run(["grid"] + GRID + ["--model-dir", out] + TRAIN)
    lines = listed.stdout.splitlines()
    expected = [(f"{i}", os.path.join(out, f"run-{i:05d}"), f"--learning-rate={lr} --seed={seed}")
                for i, (lr, seed) in enumerate((lr, seed) for lr in ("0.01", "0.003") for seed in ("1", "2", "3"))]
    checks.check(listed.returncode == 0 and lines[0].startswith("6 runs of --grid learning-rate (2 values) x seed "
                                                                "(3 values)")
                 and [tuple(line.split("\t")) for line in lines[1:]] == expected,
                 f"trainer grid: 6 runs, the last --grid varying fastest: {lines[:3]} {listed.stderr.strip()}")
    # Each index as its scheduler starts it: the same command, the index in the environment.
    for i in range(6):
        variable = SCHEDULERS[i % 3]
        result = run(GRID + ["--model-dir", out] + TRAIN, env_extra=dict(CLEAN_ENV, **{variable: str(i)}))
        checks.check(result.returncode == 0 and os.path.exists(os.path.join(out, f"run-{i:05d}", "weights",
                                                                            "model.safetensors")),
                     f"{variable}={i}: run {i} trains into run-{i:05d} {result.stderr.strip()}")
    # Run 4 is a plain run with its flags: the same bytes.
    plain = os.path.join(scratch, "plain")
    run(["--learning-rate", "0.003", "--seed", "2", "--model-dir", plain] + TRAIN)
    checks.check(model_bytes(plain) == model_bytes(os.path.join(out, "run-00004")),
                 "run 4 (--learning-rate 0.003 --seed 2) is byte-identical to a plain run with those flags")
    again = run(GRID + ["--model-dir", out] + [a for a in TRAIN if a != "--quiet"],
                env_extra=dict(CLEAN_ENV, JOB_COMPLETION_INDEX="4"))
    checks.check(again.returncode == 0 and "nothing to do" in again.stdout,
                 f"a restarted index resumes (here: nothing left to do): {again.stdout.strip()[-80:]}")
    # Preempted: SIGTERM mid-run, then the same command resumes and ends byte-identical.
    longer = ["--epochs", "6", "--checkpoint-every", "5"]
    straight = os.path.join(scratch, "straight")
    run(GRID + ["--model-dir", straight, "--grid-index", "1"] + TRAIN + longer)
    preempted = os.path.join(scratch, "preempted")
    process = subprocess.Popen([TRAINER] + GRID + ["--model-dir", preempted] + TRAIN + longer,
                               env=dict(os.environ, **dict(CLEAN_ENV, SLURM_ARRAY_TASK_ID="1")),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    run_dir = os.path.join(preempted, "run-00001", "checkpoints")
    for _ in range(400):
        if os.path.isdir(run_dir) and os.listdir(run_dir):
            break
        subprocess.run(["sleep", "0.01"])
    process.send_signal(signal.SIGTERM)
    code = process.wait()
    resumed = run(GRID + ["--model-dir", preempted] + TRAIN + longer,
                  env_extra=dict(CLEAN_ENV, SLURM_ARRAY_TASK_ID="1"))
    checks.check(code in (0, 143) and resumed.returncode == 0
                 and model_bytes(os.path.join(preempted, "run-00001")) == model_bytes(os.path.join(straight, "run-00001")),
                 f"SIGTERM (exit {code}) then the same command: run 1 resumes and ends byte-identical")

    # gather: every trained run, best test loss first; an unfinished one said so; one picture.
    os.makedirs(os.path.join(out, "run-00009", "checkpoints"))
    os.makedirs(os.path.join(out, "notes"))
    gathered = run(["gather", "--model-dir", out])
    rows = [line.split("\t") for line in gathered.stdout.splitlines()]
    table = [r for r in rows[1:] if r[0].isdigit()]
    losses = [float(r[1]) for r in table]
    checks.check(gathered.returncode == 0 and rows[0] == ["rank", "test_loss", "train_loss", "epochs", "run", "flags"]
                 and len(table) == 6 and losses == sorted(losses)
                 and sorted(r[4] for r in table) == [f"run-{i:05d}" for i in range(6)],
                 f"gather: 6 runs, best test loss first: {[(r[4], r[1]) for r in table]} {gathered.stderr.strip()}")
    import json
    for r in table:
        with open(os.path.join(out, r[4], "weights", "config.json")) as f:
            config = json.load(f)
        flags = " ".join(f"{flag}={value}" for flag, value in config["grid"]["flags"])
        checks.check(float(r[1]) == float(f"{config['test_loss']:.10f}") and r[5] == flags
                     and config["grid"]["size"] == 6 and f"run-{config['grid']['index']:05d}" == r[4],
                     f"gather row {r[4]}: config.json's test loss and grid flags ({flags})")
    checks.check(any(r[0] == "unfinished" and "run-00009" in r[1] for r in rows),
                 f"a run with checkpoints but no saved model is listed as unfinished: {rows[-2:]}")
    svg = ElementTree.parse(os.path.join(out, "sweep.svg")).getroot()
    lines_drawn = [p.get("class") for p in svg.iter("{http://www.w3.org/2000/svg}polyline")]
    checks.check(sorted(lines_drawn) == [f"run-{i:05d}" for i in range(6)]
                 and "wrote " + os.path.join(out, "sweep.svg") in gathered.stdout,
                 f"sweep.svg: one test-loss curve per run: {lines_drawn}")
    damaged_gather(checks, scratch, out)


def damaged_gather(checks, scratch, out):
    """What the outside attack found: damaged runs are reported and left out, never ranked or
    silently called unfinished; odd names keep the SVG valid XML; a failed gather writes nothing."""
    copy = os.path.join(scratch, "gather-copy")
    shutil.copytree(out, copy)
    os.remove(os.path.join(copy, "sweep.svg"))
    config = os.path.join(copy, "run-00001", "weights", "config.json")
    with open(config) as f:
        text = f.read()
    with open(config, "w") as f:
        f.write(text.replace('"test_loss"', '"no_test_loss"'))
    with open(os.path.join(copy, "run-00002", "metrics.jsonl"), "a") as f:
        f.write("{garbage\n")
    odd = os.path.join(copy.encode(), b"odd\x1b[31m\xff\xef\xbf\xbe name")  # ESC, not UTF-8, U+FFFE
    shutil.copytree(os.path.join(out, "run-00003").encode(), odd)
    # A stdout that cannot be written: exit 1, and no picture.
    full = subprocess.run([TRAINER, "gather", "--model-dir", copy], stdout=open("/dev/full", "w"),
                          stderr=subprocess.PIPE, text=True)
    checks.check(full.returncode == 1 and not os.path.exists(os.path.join(copy, "sweep.svg")),
                 f"gather > /dev/full: exit 1 and no sweep.svg: {full.stderr.strip()[-120:]}")
    result = run(["gather", "--model-dir", copy])
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    names = [r[4] for r in rows[1:] if r[0].isdigit()]
    warnings = result.stderr.splitlines()
    checks.check(result.returncode == 0 and "run-00001" not in names and "run-00002" in names and len(names) == 6
                 and any("run-00001" in w and "test_loss" in w and "left out" in w for w in warnings)
                 and any("metrics.jsonl" in w and "curve is left out" in w for w in warnings),
                 f"a config.json without test_loss is left out with a warning, a bad metrics line costs only the "
                 f"curve: {names} {warnings}")
    try:
        svg = ElementTree.parse(os.path.join(copy, "sweep.svg")).getroot()
        drawn = len(list(svg.iter("{http://www.w3.org/2000/svg}polyline")))
    except ElementTree.ParseError as e:
        drawn = f"not XML: {e}"
    checks.check(drawn == 6, f"a run named with ESC, a non-UTF-8 byte and U+FFFE: sweep.svg stays XML ({drawn})")
    for args, needle in ((["gather", "--model-dir", copy, "--out", os.path.join(scratch, "x.png")], "must end in .svg"),
                         (["gather", "--model-dir", copy, "--out", "s3://b/x.svg"], "is a URL")):
        bad = run(args)
        checks.check(bad.returncode == 2 and needle in bad.stderr, f"gather {args[-2:]}: exit 2, {bad.stderr.strip()}")
    itself = run(["gather", "--model-dir", os.path.join(out, "run-00000")])
    checks.check(itself.returncode == 1 and "is itself a trained model directory" in itself.stderr,
                 f"gather on one run's directory says what it is: {itself.stderr.strip()}")
    pending = os.path.join(scratch, "pending")
    os.makedirs(os.path.join(pending, "run-00000", "checkpoints"))
    waiting = run(["gather", "--model-dir", pending])
    checks.check(waiting.returncode == 1 and "unfinished" in waiting.stdout and "1 unfinished" in waiting.stderr,
                 f"a sweep with no trained run yet lists its unfinished runs: {waiting.stdout.strip()} "
                 f"{waiting.stderr.strip()}")


def bad_usage(checks, scratch):
    base = ["--model-dir", os.path.join(scratch, "never")] + TRAIN
    cases = [
        (GRID + base, {}, "--grid: which of its 6 runs"),
        (GRID + ["--grid-index", "6"] + base, {}, "--grid-index: run 6, but the grid has 6 runs (0 to 5)"),
        (GRID + base, {"JOB_COMPLETION_INDEX": "-1"}, "JOB_COMPLETION_INDEX: expected a run index"),
        (GRID + base, {"SLURM_ARRAY_TASK_ID": "9"}, "SLURM_ARRAY_TASK_ID: run 9"),
        (["--grid", "learning-rate"] + base, {}, "--grid: expected FLAG=VALUE"),
        (["--grid", "seed=1,,2", "--grid-index", "0"] + base, {}, "an empty value"),
        (["--grid", "seed=1,1", "--grid-index", "0"] + base, {}, "given twice"),
        (["--grid", "seed=1", "--grid", "seed=2", "--grid-index", "0"] + base, {}, "given twice"),
        (["--grid", "seed=1,2", "--seed", "3", "--grid-index", "0"] + base, {}, "--seed: given both"),
        (["--grid", "model-dir=a,b", "--grid-index", "0"] + base, {}, "cannot vary"),
        (["--grid", "learning-rate=0.01,fast", "--grid-index", "1"] + base, {}, "--learning-rate"),
        (["--grid-index", "0"] + base, {}, "--grid-index: only with --grid"),
        (["grid", "--grid", "learning-rate=0.01,fast"] + base, {}, "--learning-rate"),
        (["grid", "--grid-index", "1", "--grid", "seed=1,2"] + base, {}, "lists every run"),
        (["grid"] + base, {}, "give at least one"),
        (["grid", "--grid", "seed=" + "1" * 50000] + base, {}, "longer than the 8192"),
        (["--seed=" + "1" * 50000] + base, {}, "--seed: 50007 bytes"),
        (["--model-dir", "s3:/bucket/x"] + TRAIN, {}, "looks like a URL with one slash"),
    ]
    for args, env, needle in cases:
        result = run(args, env_extra=dict(CLEAN_ENV, **env))
        lines = result.stderr.splitlines()
        checks.check(result.returncode == 2 and len(lines) == 1 and needle in lines[0],
                     f"{shlex.join(a for a in args if a not in TRAIN)[:160]} {env}: exit 2, {lines}")
    checks.check(not os.path.exists(os.path.join(scratch, "never")), "no failed case made a model directory")
    empty = os.path.join(scratch, "empty")
    os.makedirs(os.path.join(empty, "notes"))
    for args, needle in ((["gather", "--model-dir", os.path.join(scratch, "absent")], "does not exist"),
                         (["gather", "--model-dir", empty], "no trained runs")):
        result = run(args)
        checks.check(result.returncode == 1 and len(result.stderr.splitlines()) == 1 and needle in result.stderr,
                     f"{args[0]} {args[-1]}: exit 1, {result.stderr.strip()}")


def grid_flags(args):
    """The --grid values of an argument list, as `trainer grid` takes them."""
    found = []
    for i, arg in enumerate(args):
        if arg == "--grid":
            found += ["--grid", args[i + 1]]
    return found


def manifests(checks, source):
    try:
        import yaml
    except ImportError:
        print("note: python3-yaml missing: deploy/k8s-sweep.yaml not checked")
        return
    with open(os.path.join(source, "deploy", "k8s-sweep.yaml")) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    job = next(d for d in docs if d["kind"] == "Job")
    spec, pod = job["spec"], job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    size = run(["grid"] + grid_flags(container["args"])).stdout.split()[0]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    model_dir = container["args"][container["args"].index("--model-dir") + 1]
    secrets = [e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e]
    checks.check(spec["completionMode"] == "Indexed" and str(spec["completions"]) == size
                 and spec.get("parallelism", 0) >= 1 and pod["restartPolicy"] in ("Never", "OnFailure")
                 and pod["terminationGracePeriodSeconds"] >= 30 and container["image"]
                 and model_dir.startswith("s3://") and secrets and "/data" in mounts
                 and "--grid" in container["args"],
                 f"deploy/k8s-sweep.yaml: an Indexed Job of {spec['completions']} completions (trainer grid: {size}), "
                 f"restart {pod['restartPolicy']}, grace {pod['terminationGracePeriodSeconds']} s, --model-dir "
                 f"{model_dir} in a bucket, credentials from the Secret {secrets}, /data mounted")
    with open(os.path.join(source, "deploy", "slurm-sweep.sh")) as f:
        script = f.read()
    directives = dict(re.findall(r"^#SBATCH --([a-z-]+)(?:=(\S+))?", script, re.M))
    command = script[script.index('"$TRAINER" --grid'):].replace("\\\n", " ").split("\n")[0]
    size = run(["grid"] + grid_flags(shlex.split(command))).stdout.split()[0]
    checks.check(directives.get("array") == f"0-{int(size) - 1}" and "requeue" in directives
                 and 'OUT=${OUT:-s3://' in script
                 and directives.get("signal", "").endswith("TERM@60") and "--grid" in command
                 and directives.get("open-mode") == "append"
                 and os.access(os.path.join(source, "deploy", "slurm-sweep.sh"), os.X_OK),
                 f"deploy/slurm-sweep.sh: --array {directives.get('array')} (trainer grid: {size} runs), --requeue, "
                 f"--signal {directives.get('signal')}, --open-mode append, trainer with the --grid")
    syntax = subprocess.run(["bash", "-n", os.path.join(source, "deploy", "slurm-sweep.sh")], capture_output=True)
    checks.check(syntax.returncode == 0, f"deploy/slurm-sweep.sh parses: {syntax.stderr.decode().strip()}")
    rule = spec.get("podFailurePolicy", {}).get("rules", [])
    checks.check(any(r["action"] == "Ignore" and r.get("onPodConditions", [{}])[0].get("type") == "DisruptionTarget"
                     for r in rule) and "--threads" in container["args"],
                 "deploy/k8s-sweep.yaml: evictions do not count against backoffLimitPerIndex; --threads as the CPU limit")
    slurm_run(checks, source)


def slurm_run(checks, source):
    """The Slurm script as Slurm runs it at the time limit: SIGTERM to the batch shell, which
    passes it on; trainer checkpoints and exits 143; the script requeues the task (a stand-in
    scontrol records it); the requeued attempt resumes and ends as a straight run."""
    scratch = temp_dir("slurm")
    fake_bin = os.path.join(scratch, "bin")
    os.makedirs(fake_bin)
    with open(os.path.join(fake_bin, "scontrol"), "w") as f:
        f.write(f"#!/bin/sh\necho \"$@\" >> {scratch}/scontrol.log\n")
    os.chmod(os.path.join(fake_bin, "scontrol"), 0o755)
    env = dict(os.environ, **CLEAN_ENV)
    env.update(PATH=fake_bin + ":" + os.environ["PATH"], TRAINER=TRAINER, OUT=os.path.join(scratch, "out"),
               EPOCHS="12", SLURM_ARRAY_JOB_ID="77", SLURM_ARRAY_TASK_ID="1", SLURM_CPUS_PER_TASK="2")
    extra = ["--dataset", "fashion-mnist", "--data-dir", DATA_DIR, "--offline", "--limit", "4096"]
    script = os.path.join(source, "deploy", "slurm-sweep.sh")
    first = subprocess.Popen(["bash", script] + extra, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    checkpoints = os.path.join(scratch, "out", "run-00001", "checkpoints")
    for _ in range(500):
        if os.path.isdir(checkpoints) and os.listdir(checkpoints):
            break
        subprocess.run(["sleep", "0.01"])
    first.send_signal(signal.SIGTERM)
    code = first.wait(timeout=120)
    log = open(os.path.join(scratch, "scontrol.log")).read() if os.path.exists(os.path.join(scratch, "scontrol.log")) else ""
    second = subprocess.run(["bash", script] + extra, env=env, capture_output=True, timeout=300)
    straight = os.path.join(scratch, "straight")
    run(["--grid", "learning-rate=0.01,0.003,0.001", "--grid", "seed=1,2", "--grid-index", "1", "--epochs", "12",
         "--model-dir", straight, "--quiet"] + extra)
    same = model_bytes(os.path.join(scratch, "out", "run-00001")) == model_bytes(os.path.join(straight, "run-00001"))
    checks.check(code == 143 and log.strip() == "requeue 77_1" and second.returncode == 0 and same,
                 f"deploy/slurm-sweep.sh at the time limit: exit {code}, scontrol {log.strip()!r}, the requeued "
                 f"attempt exits {second.returncode} and ends byte-identical to a straight run: {same}")
    shutil.rmtree(scratch)


def main():
    checks = Checks()
    scratch = temp_dir("sweep")
    sweep(checks, scratch)
    bad_usage(checks, scratch)
    manifests(checks, sys.argv[1])
    if not checks.failures:
        shutil.rmtree(scratch)
    checks.finish()


if __name__ == "__main__":
    main()
