"""Checkpoints and resume (TF model_dir semantics): straight and resumed runs give the same bytes,
--epochs is a total, damaged checkpoints fall back to the previous one, flags that would change the
result are refused, --fresh starts over, and the version-1 golden checkpoint still resumes."""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, Checks, checkpoints, losses, model_bytes, run, temp_dir  # noqa: E402

BASE = ["--dataset", "fashion-mnist", "--data-dir", DATA_DIR, "--limit", "2048", "--offline"]
GOLDEN = os.path.join(os.path.dirname(__file__), "..", "data", "golden-v1")


def eval_mse(result):
    """The MSE `trainer eval` printed, or None."""
    import re
    match = re.search(r": test MSE (\S+) on ", result.stdout)
    return float(match.group(1)) if result.returncode == 0 and match else None


def evaluate(checks, scratch, trained):
    """`trainer eval` reproduces the test loss the run reported, for the saved model and for each
    checkpoint, and loads the golden files."""
    import json
    data = ["--data-dir", DATA_DIR, "--offline"]
    with open(os.path.join(trained, "weights", "config.json")) as f:
        reported = json.load(f)["test_loss"]
    result = run(["eval", "--model-dir", trained] + data)
    checks.check(eval_mse(result) is not None and f"{eval_mse(result):.9g}" == f"{reported:.9g}"
                 and "on 2048 fashion-mnist test images (3 epochs trained)" in result.stdout,
                 f"eval of the saved model prints the run's test loss {reported:.9g}: {result.stdout.strip()}")
    result = run(["eval", "--model-dir", trained, "--checkpoint", "ckpt-0000000016.ckpt"] + data)
    epoch2 = losses(trained)[1][3]
    checks.check(eval_mse(result) is not None and f"{eval_mse(result):.9g}" == f"{epoch2:.9g}",
                 f"eval --checkpoint (a name in <model-dir>/checkpoints) gives epoch 2's test loss: {result.stdout.strip()}")

    golden = os.path.join(scratch, "golden-saved")
    os.makedirs(os.path.join(golden, "saved_model"))
    for name in ("model.safetensors", "config.json"):
        shutil.copy(os.path.join(GOLDEN, name), os.path.join(golden, "saved_model"))
    by_model = eval_mse(run(["eval", "--model-dir", golden] + data))
    by_checkpoint = eval_mse(run(["eval", "--checkpoint", os.path.join(GOLDEN, "ckpt-0000000002.ckpt")] + data))
    checks.check(by_model is not None and by_model == by_checkpoint and 0 < by_model < 1,
                 f"golden v1 saved model and checkpoint evaluate to the same MSE: {by_model} {by_checkpoint}")

    missing = os.path.join(scratch, "nothing-here")
    result = run(["eval", "--model-dir", missing] + data)
    lines = result.stderr.splitlines()
    checks.check(result.returncode == 1 and len(lines) == 1 and "config.json: does not exist" in lines[0]
                 and "--checkpoint" in lines[0], f"eval without a model: {result.stderr.strip()}")
    damaged = os.path.join(scratch, "damaged-eval.ckpt")
    shutil.copy(os.path.join(trained, "checkpoints", "ckpt-0000000024.ckpt"), damaged)
    with open(damaged, "r+b") as f:
        f.seek(3000)
        f.write(b"\xff")
    result = run(["eval", "--checkpoint", damaged] + data)
    checks.check(result.returncode == 1 and damaged in result.stderr and "checksum mismatch" in result.stderr,
                 f"eval of a damaged checkpoint: {result.stderr.strip()}")
    result = run(["eval", "--checkpoint", os.path.join(scratch, "absent.ckpt")] + data)
    checks.check(result.returncode == 1 and "absent.ckpt: does not exist" in result.stderr,
                 f"eval of a missing checkpoint: {result.stderr.strip()}")


def main():
    checks = Checks()
    scratch = temp_dir("ckpt")
    straight = os.path.join(scratch, "straight")
    checks.check(run(BASE + ["--epochs", "3", "--model-dir", straight]).returncode == 0, "3 epochs straight")
    checks.check(checkpoints(straight) == ["ckpt-0000000008.ckpt", "ckpt-0000000016.ckpt", "ckpt-0000000024.ckpt"],
                 f"a checkpoint per epoch: {checkpoints(straight)}")

    resumed = os.path.join(scratch, "resumed")
    run(BASE + ["--epochs", "1", "--model-dir", resumed])
    result = run(BASE + ["--epochs", "3", "--model-dir", resumed])
    checks.check(result.returncode == 0 and "resuming at epoch 2, step 8" in result.stdout,
                 f"rerun resumes and says so: {result.stdout.splitlines()[:1]}")
    checks.check(model_bytes(resumed) == model_bytes(straight), "1 epoch + resume to 3 == 3 straight, byte for byte")
    checks.check(losses(resumed) == losses(straight), "metrics.jsonl losses equal too")

    before = model_bytes(resumed)
    result = run(BASE + ["--epochs", "3", "--model-dir", resumed])
    checks.check(result.returncode == 0 and "nothing to do" in result.stdout and model_bytes(resumed) == before,
                 "an equal --epochs finishes at once")

    result = run(BASE + ["--epochs", "4", "--hidden", "64", "--model-dir", resumed])
    lines = result.stderr.splitlines()
    checks.check(result.returncode == 2 and len(lines) == 1 and "--hidden: 64 differs from 128" in lines[0]
                 and "--fresh" in lines[0], f"a model-shaping flag that differs: {result.stderr.strip()}")
    for flag in (["--seed", "7"], ["--batch-size", "128"], ["--no-shuffle"]):
        result = run(BASE + ["--epochs", "4", "--model-dir", resumed] + flag)
        checks.check(result.returncode == 2 and flag[0] in result.stderr, f"{flag[0]} differing is refused")
    checks.check(checkpoints(resumed)[-1] == "ckpt-0000000024.ckpt", "refused runs change nothing")
    # What a user keeps in checkpoints/ besides the checkpoints (a notes folder, a link) is left alone.
    os.makedirs(os.path.join(resumed, "checkpoints", "notes"), exist_ok=True)
    os.symlink("/dev/null", os.path.join(resumed, "checkpoints", "a-link"))
    result = run(BASE + ["--epochs", "3", "--model-dir", resumed])
    checks.check(result.returncode == 0 and "nothing to do" in result.stdout,
                 f"other entries in checkpoints/ do not stop a run: {result.stderr.strip()}")
    os.remove(os.path.join(resumed, "checkpoints", "a-link"))
    os.rmdir(os.path.join(resumed, "checkpoints", "notes"))
    # Switches read their value: =false is false (manifests and scripts write it).
    result = run(BASE + ["--epochs", "3", "--fresh=false", "--no-shuffle=false", "--quiet=false",
                         "--offline=false", "--model-dir", resumed])
    checks.check(result.returncode == 0 and "nothing to do" in result.stdout and model_bytes(resumed) == before
                 and checkpoints(resumed)[-1] == "ckpt-0000000024.ckpt",
                 f"--fresh=false --no-shuffle=false --quiet=false resume, print and keep the checkpoints: "
                 f"{result.stdout.strip()} {result.stderr.strip()}")

    # The newest checkpoint damaged: reported by name, the previous one used, same final bytes.
    damaged = os.path.join(scratch, "damaged")
    shutil.copytree(straight, damaged)
    newest = os.path.join(damaged, "checkpoints", "ckpt-0000000024.ckpt")
    with open(newest, "r+b") as f:
        f.seek(5000)
        f.write(b"\x00\x01\x02")
    result = run(BASE + ["--epochs", "3", "--model-dir", damaged])
    checks.check(result.returncode == 0 and newest in result.stderr and "checksum mismatch" in result.stderr
                 and "resuming at epoch 3, step 16" in result.stdout, f"damaged newest: {result.stderr.strip()}")
    checks.check(model_bytes(damaged) == model_bytes(straight), "...and the result is still byte-identical")
    truncated = os.path.join(damaged, "checkpoints", "ckpt-0000000024.ckpt")
    with open(truncated, "r+b") as f:
        f.truncate(1000)
    result = run(BASE + ["--epochs", "3", "--model-dir", damaged])
    checks.check(result.returncode == 0 and "resuming at epoch 3" in result.stdout, "truncated newest: previous used")

    # None valid: exit 1 with one clear line; --fresh starts over and removes them once it has its own.
    for name in os.listdir(os.path.join(damaged, "checkpoints")):
        with open(os.path.join(damaged, "checkpoints", name), "r+b") as f:
            f.truncate(100)
    result = run(BASE + ["--epochs", "4", "--model-dir", damaged])
    errors = [l for l in result.stderr.splitlines() if not l.startswith("trainer: warning:")]
    checks.check(result.returncode == 1 and len(errors) == 1 and "no valid checkpoint" in errors[0]
                 and "--fresh" in errors[0], f"no valid checkpoint: {errors}")
    result = run(BASE + ["--epochs", "1", "--fresh", "--model-dir", damaged])
    checks.check(result.returncode == 0 and checkpoints(damaged) == ["ckpt-0000000008.ckpt"],
                 f"--fresh starts over: {checkpoints(damaged)}")

    # A newer format is refused with both versions named.
    newer = os.path.join(scratch, "newer")
    shutil.copytree(straight, newer)
    for name in os.listdir(os.path.join(newer, "checkpoints")):
        with open(os.path.join(newer, "checkpoints", name), "r+b") as f:
            f.seek(8)
            f.write(bytes([2, 0, 0, 0]))
    result = run(BASE + ["--epochs", "4", "--model-dir", newer])
    checks.check(result.returncode == 1 and "format version 2" in result.stderr
                 and "reads format versions 1 to 1" in result.stderr, "newer format named")

    # --keep-checkpoints.
    kept = os.path.join(scratch, "kept")
    run(BASE + ["--epochs", "3", "--keep-checkpoints", "1", "--model-dir", kept])
    checks.check(checkpoints(kept) == ["ckpt-0000000024.ckpt"], f"--keep-checkpoints 1: {checkpoints(kept)}")
    # Damaged checkpoints of later steps (skipped by resume) do not count toward --keep-checkpoints:
    # they once cost the valid older ones, leaving nothing to resume from but them.
    for name in ("ckpt-0000000100.ckpt", "ckpt-0000000200.ckpt"):
        with open(os.path.join(kept, "checkpoints", name), "wb") as f:
            f.write(b"damaged")
    result = run(BASE + ["--epochs", "5", "--keep-checkpoints", "2", "--model-dir", kept])
    checks.check(result.returncode == 0 and result.stderr.count("warning") == 2
                 and checkpoints(kept) == ["ckpt-0000000032.ckpt", "ckpt-0000000040.ckpt", "ckpt-0000000100.ckpt",
                                           "ckpt-0000000200.ckpt"],
                 f"damaged later checkpoints skipped and not counted: the 2 newest valid ones kept: {checkpoints(kept)}")

    # --epochs below the newest checkpoint, which lies inside the next epoch, with the saved model
    # gone (a run killed between epoch 1's checkpoint and its outputs, then inside epoch 2): epoch
    # 1's model is written from epoch 1's own checkpoint, as a straight 1-epoch run writes it.
    inside = os.path.join(scratch, "inside")
    run(BASE + ["--epochs", "2", "--checkpoint-every", "4", "--model-dir", inside])
    os.remove(os.path.join(inside, "checkpoints", "ckpt-0000000016.ckpt"))
    for name in ("weights", "saved_model"):
        shutil.rmtree(os.path.join(inside, name))
    one = os.path.join(scratch, "one-epoch")
    run(BASE + ["--epochs", "1", "--model-dir", one])
    result = run(BASE + ["--epochs", "1", "--model-dir", inside])
    with open(os.path.join(inside, "weights", "model.safetensors"), "rb") as f, \
            open(os.path.join(one, "weights", "model.safetensors"), "rb") as g:
        same = f.read() == g.read()
    checks.check(result.returncode == 0 and same and os.path.isdir(os.path.join(inside, "saved_model", "1"))
                 and "epoch 1's saved model was missing: written from its checkpoint" in result.stdout,
                 f"--epochs 1 under a checkpoint inside epoch 2, no saved model: epoch 1's model written from its "
                 f"checkpoint, as a straight run's: {result.stdout.strip()} {result.stderr.strip()}")
    shutil.rmtree(os.path.join(inside, "weights"))
    os.remove(os.path.join(inside, "checkpoints", "ckpt-0000000008.ckpt"))
    result = run(BASE + ["--epochs", "1", "--model-dir", inside])
    lines = result.stderr.strip().splitlines()
    checks.check(result.returncode == 1 and len(lines) == 1 and "no saved model of epoch 1 exists" in lines[0]
                 and "run with --epochs 2" in lines[0] and "saved" not in result.stdout
                 and not os.path.exists(os.path.join(inside, "weights", "model.safetensors")),
                 f"... and without epoch 1's checkpoint: exit 1, what exists and what does not: {lines}")

    # A resume onto the other rounding path (sse2 rounds a multiply-add twice) is said; between avx2
    # and avx512, which give the same bytes, nothing is said.
    rounding = os.path.join(scratch, "rounding")
    run(BASE + ["--epochs", "1", "--model-dir", rounding], {"TRAINER_SIMD": "avx2"})
    same_path = run(BASE + ["--epochs", "2", "--model-dir", rounding], {"TRAINER_SIMD": "sse2"})
    lines = same_path.stderr.strip().splitlines()
    checks.check(same_path.returncode == 0 and len(lines) == 1 and "ckpt-0000000008.ckpt was written on the fma rounding path"
                 in lines[0] and "matches neither straight run" in lines[0],
                 f"avx2 checkpoint resumed on sse2: one warning: {lines}")
    quiet = run(BASE + ["--epochs", "3", "--model-dir", rounding], {"TRAINER_SIMD": "sse2"})
    other = os.path.join(scratch, "rounding-fma")
    run(BASE + ["--epochs", "1", "--model-dir", other], {"TRAINER_SIMD": "avx2"})
    fma = run(BASE + ["--epochs", "2", "--model-dir", other])
    checks.check(quiet.returncode == 0 and quiet.stderr == "" and fma.returncode == 0 and fma.stderr == "",
                 f"sse2 onto sse2, avx2 onto the default path: no warning: {quiet.stderr.strip()} {fma.stderr.strip()}")

    # eval beside a running trainer, which replaces weights/ after every epoch: each answer is one
    # epoch's model, its MSE that epoch's test loss (config.json names its weights by hash).
    import json
    import re
    import subprocess
    from common import TRAINER
    racing = os.path.join(scratch, "racing")
    trainer = subprocess.Popen([TRAINER] + BASE + ["--limit", "512", "--batch-size", "512", "--epochs", "1000000",
                                                   "--quiet", "--model-dir", racing],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    answers = []
    while len(answers) < 40 and trainer.poll() is None:
        if not os.path.exists(os.path.join(racing, "weights", "config.json")):
            continue
        result = run(["eval", "--model-dir", racing, "--data-dir", DATA_DIR, "--offline"])
        found = re.search(r": test MSE (\S+) on .* \((\d+) epochs? trained\)", result.stdout)
        answers.append((result.returncode, float(found.group(1)) if found else None,
                        int(found.group(2)) if found else None, result.stderr.strip()))
    trainer.terminate()
    trainer.communicate(timeout=120)
    with open(os.path.join(racing, "metrics.jsonl")) as f:
        test_loss = {m["epoch"]: m["test_loss"] for m in map(json.loads, f)}
    wrong = [a for a in answers if a[0] != 0 or a[2] not in test_loss or f"{a[1]:.9g}" != f"{test_loss[a[2]]:.9g}"]
    checks.check(len(answers) == 40 and not wrong,
                 f"40 evals beside a running trainer: each the MSE of the epoch it names: {wrong[:3]}")

    # The golden checkpoint of format 1 resumes (its run: --limit 64 --batch-size 32 --hidden 4 --code 2).
    # Laid out as trainer 0.1.0 left it (layout 1: the weights in saved_model/), so the resumed run
    # also moves the model to weights/ and leaves saved_model/ a real SavedModel.
    golden = os.path.join(scratch, "golden")
    os.makedirs(os.path.join(golden, "checkpoints"))
    os.makedirs(os.path.join(golden, "saved_model"))
    shutil.copy(os.path.join(GOLDEN, "ckpt-0000000002.ckpt"), os.path.join(golden, "checkpoints"))
    for name in ("model.safetensors", "config.json"):
        shutil.copy(os.path.join(GOLDEN, name), os.path.join(golden, "saved_model"))
    golden_run = ["--dataset", "fashion-mnist", "--data-dir", DATA_DIR, "--offline", "--limit", "64",
                  "--batch-size", "32", "--hidden", "4", "--code", "2", "--model-dir", golden]
    result = run(["eval", "--model-dir", golden, "--data-dir", DATA_DIR, "--offline"])
    checks.check(result.returncode == 0 and "saved_model/model.safetensors" in result.stdout
                 and "(1 epoch trained)" in result.stdout,
                 f"a layout-1 model dir evaluates from saved_model/: {result.stdout.strip()} {result.stderr.strip()}")
    result = run(golden_run + ["--epochs", "1"])
    checks.check(result.returncode == 0 and sorted(os.listdir(os.path.join(golden, "saved_model"))) == ["1"]
                 and open(os.path.join(golden, "weights", "model.safetensors"), "rb").read()
                 == open(os.path.join(GOLDEN, "model.safetensors"), "rb").read(),
                 f"nothing to do in a layout-1 dir: its model moves to weights/ unchanged, saved_model/ holds "
                 f"SavedModel version 1 only: {os.listdir(os.path.join(golden, 'saved_model'))} {result.stderr.strip()}")
    result = run(golden_run + ["--epochs", "2"])
    checks.check(result.returncode == 0 and "resuming at epoch 2, step 2" in result.stdout
                 and sorted(os.listdir(os.path.join(golden, "saved_model"))) == ["2"]
                 and sorted(os.listdir(os.path.join(golden, "saved_model", "2"))) == ["saved_model.pb", "variables"],
                 f"golden v1 checkpoint resumes: {result.stdout.strip()[:120]} {result.stderr.strip()}")
    result = run(["eval", "--model-dir", golden, "--data-dir", DATA_DIR, "--offline"])
    checks.check(result.returncode == 0 and "weights/model.safetensors" in result.stdout
                 and "(2 epochs trained)" in result.stdout,
                 f"...and evaluates from weights/ after: {result.stdout.strip()} {result.stderr.strip()}")
    evaluate(checks, scratch, straight)
    shutil.rmtree(scratch)
    checks.finish()


if __name__ == "__main__":
    main()
