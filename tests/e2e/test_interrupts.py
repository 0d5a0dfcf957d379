"""Interruptions lose nothing: checkpoints inside an epoch resume bit for bit, SIGTERM and SIGINT
save a checkpoint and exit 143/130, kill -9 at random moments never costs a file and every rerun
ends at the bytes of an uninterrupted run, and a full disk while writing a checkpoint leaves the
previous one intact.

  test_interrupts.py [--kills N] [--only kill]   N random kill -9 points (default 20); the soak
                                                 (bench/kill_soak.sh) runs this with a large N.
"""
import argparse
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, TRAINER, Checks, checkpoints, losses, model_bytes, run, sha256, temp_dir  # noqa: E402

# 8192 images in batches of 32: 256 steps per epoch, a few hundredths of a second each.
RUN = ["--dataset", "fashion-mnist", "--data-dir", DATA_DIR, "--offline", "--limit", "8192",
       "--batch-size", "32"]
STEPS_PER_EPOCH = 256


def tree_hashes(root):
    """{relative path: sha256} of every file under root."""
    found = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            found[os.path.relpath(path, root)] = sha256(path)
    return found


def temporaries(root):
    return [name for _, _, files in os.walk(root) for name in files if ".tmp." in name]


def start(args):
    return subprocess.Popen([TRAINER] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until_training(proc):
    """Reads stdout until the 'training on' line: from then on signals are handled."""
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("training on"):
            break
    return lines


def signal_case(checks, scratch, reference, sig, expected_code, rng, straight_seconds):
    model_dir = os.path.join(scratch, f"signal-{sig}")
    args = RUN + ["--epochs", "2", "--model-dir", model_dir]
    proc = start(args)
    wait_until_training(proc)
    # Training is about a third of a straight run (the rest is start-up): the signal must land
    # inside it, on fast release builds and slow sanitizer builds alike.
    time.sleep(rng.uniform(0.0, 0.25 * straight_seconds))
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    lines = err.splitlines()
    name = signal.Signals(sig).name
    match = re.search(r"at step (\d+)|after epoch (\d+)", lines[0]) if len(lines) == 1 else None
    checks.check(proc.returncode == expected_code and match and f"interrupted by {name}" in lines[0]
                 and "run the same command again to resume" in lines[0],
                 f"{name} exits {expected_code} with one line: {err.strip()} (code {proc.returncode})")
    if not match:
        return
    step = int(match.group(1)) if match.group(1) else int(match.group(2)) * STEPS_PER_EPOCH
    checks.check(f"ckpt-{step:010d}.ckpt" in checkpoints(model_dir), f"{name}: checkpoint at step {step} saved")
    result = run(args)
    resumed = [line for line in result.stdout.splitlines() if line.startswith("resuming at")]
    checks.check(result.returncode == 0 and len(resumed) == 1 and f"step {step}" in resumed[0],
                 f"{name}: rerun resumes at step {step}: {resumed}")
    checks.check(model_bytes(model_dir) == reference, f"{name} at step {step} then resume == straight, byte for byte")


def concurrent_run_refused(checks, scratch):
    """A second trainer on a model directory in use fails at once instead of mixing checkpoints."""
    model_dir = os.path.join(scratch, "busy")
    first = start(RUN + ["--epochs", "50", "--model-dir", model_dir])
    wait_until_training(first)
    second = run(RUN + ["--epochs", "50", "--model-dir", model_dir])
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=120)
    lines = second.stderr.splitlines()
    checks.check(second.returncode == 1 and len(lines) == 1
                 and "another trainer is using this model directory" in lines[0] and "--model-dir" in lines[0],
                 f"a second trainer on a busy model dir: {second.stderr.strip()}")
    checks.check(first.returncode == 143, f"...while the first goes on (then stops on SIGTERM: {first.returncode})")


def signal_as_pid1(checks, scratch):
    """As a container's entrypoint the trainer is pid 1, which the kernel spares the default action of
    SIGTERM: outside training (here: waiting on a mirror that never answers) it must still end, 143."""
    if subprocess.run(["unshare", "--pid", "--fork", "true"], capture_output=True).returncode != 0:
        print("note: cannot make a pid namespace here; pid-1 signal case not run")
        return
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)  # connections complete in the backlog; nothing is ever answered
    port = silent.getsockname()[1]
    proc = subprocess.Popen(["unshare", "--pid", "--fork", TRAINER, "download", "--dataset", "fashion-mnist",
                             "--data-dir", os.path.join(scratch, "pid1"), "--no-catalog-mirrors", "--timeout", "60",
                             "--mirror", f"http://127.0.0.1:{port}/"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    children = f"/proc/{proc.pid}/task/{proc.pid}/children"
    child = ""
    for _ in range(100):
        time.sleep(0.05)
        child = open(children).read().split() if os.path.exists(children) else []
        if child:
            break
    time.sleep(0.5)  # let it reach the request
    started = time.monotonic()
    if child:
        os.kill(int(child[0]), signal.SIGTERM)
    try:
        proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:  # SIGKILL still works on a pid 1 from outside its namespace
        os.kill(int(child[0]), signal.SIGKILL)
        proc.communicate()
    silent.close()
    checks.check(bool(child) and proc.returncode == 143 and time.monotonic() - started < 10,
                 f"SIGTERM to the trainer as pid 1 outside training: exit {proc.returncode}")


def kill_loop(checks, scratch, reference, kills_wanted, rng, straight_seconds):
    """Runs, kills -9 at a random moment and reruns until a run finishes; repeats until
    `kills_wanted` kills have landed. Every finished model must equal the uninterrupted one.
    The moment is drawn from the first 60% of an uninterrupted run's time (at least 1.2 s), so
    that a slow build (sanitizers) still gets past its start-up; after 8 kills in one cycle the
    run is left to finish, so that the loop always ends."""
    window = max(1.2, 0.6 * straight_seconds)
    args_for = lambda d: RUN + ["--epochs", "2", "--checkpoint-every", "16", "--model-dir", d]
    kills = cycles = identical = 0
    problems = []
    started = time.monotonic()
    while kills < kills_wanted:
        cycles += 1
        model_dir = os.path.join(scratch, f"kill-{cycles}")
        kills_this_cycle = 0
        while True:
            proc = start(args_for(model_dir))
            time.sleep(rng.uniform(0.0, window))
            if proc.poll() is None and kills_this_cycle < 8:
                proc.kill()
                kills += 1
                kills_this_cycle += 1
            out, err = proc.communicate(timeout=max(120, 3 * straight_seconds))
            if proc.returncode not in (0, -signal.SIGKILL) or err.strip():
                problems.append(f"cycle {cycles}: code {proc.returncode}: {err.strip()[:200]}")
            if proc.returncode == 0:
                break
        left = temporaries(model_dir)
        if left:
            problems.append(f"cycle {cycles}: temporaries left behind: {left}")
        if model_bytes(model_dir) == reference:
            identical += 1
        shutil.rmtree(model_dir)
    checks.check(not problems, f"kill -9 loop: no errors, warnings or leftovers ({problems[:3]})")
    checks.check(identical == cycles,
                 f"kill -9 loop: {kills} kills over {cycles} runs to completion, {identical} of them "
                 f"byte-identical to the uninterrupted run ({time.monotonic() - started:.0f} s)")


def mid_epoch_resume(checks, scratch, reference, reference_losses):
    model_dir = os.path.join(scratch, "mid-epoch")
    args = RUN + ["--checkpoint-every", "100", "--model-dir", model_dir]
    result = run(args + ["--epochs", "1"])
    checks.check(result.returncode == 0 and checkpoints(model_dir) ==
                 ["ckpt-0000000100.ckpt", "ckpt-0000000200.ckpt", "ckpt-0000000256.ckpt"],
                 f"--checkpoint-every 100 writes steps 100, 200 and the epoch end: {checkpoints(model_dir)}")
    os.remove(os.path.join(model_dir, "checkpoints", "ckpt-0000000256.ckpt"))
    result = run(["eval", "--model-dir", model_dir, "--checkpoint", "ckpt-0000000200.ckpt", "--data-dir", DATA_DIR,
                  "--offline"])
    checks.check(result.returncode == 0 and "step 200, inside epoch 1" in result.stdout,
                 f"eval of a checkpoint inside an epoch: {result.stdout.strip()}")
    result = run(args + ["--epochs", "2"])
    checks.check(result.returncode == 0 and "resuming at epoch 1, step 200 (image 6400 of 8192)" in result.stdout,
                 f"resumes inside the epoch: {result.stdout.splitlines()[:1]}")
    checks.check(model_bytes(model_dir) == reference, "resumed at step 200 == straight, byte for byte")
    checks.check(losses(model_dir) == reference_losses, "...and the epoch losses are the same numbers")


def full_disk_inside(scratch, reference_dir):
    """Runs in a private mount namespace (see full_disk): a 16 MB tmpfs fills up while the second
    epoch's checkpoint is written."""
    checks = Checks()
    disk = os.path.join(scratch, "disk")
    os.makedirs(disk, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", disk], check=True)
    model_dir = os.path.join(disk, "model")
    args = RUN + ["--model-dir", model_dir]
    checks.check(run(args + ["--epochs", "1"]).returncode == 0, "full disk: epoch 1 fits")
    before = tree_hashes(model_dir)
    stat = os.statvfs(disk)
    with open(os.path.join(disk, "filler"), "wb") as f:
        f.write(b"\0" * (stat.f_bavail * stat.f_frsize - 512 * 1024))
    result = run(args + ["--epochs", "2"])
    # Where the tests run in a container, the tmpfs is (rightly) warned about as memory.
    lines = [line for line in result.stderr.splitlines() if "is on a tmpfs mount (memory)" not in line]
    checks.check(result.returncode == 1 and len(lines) == 1 and "ckpt-0000000512.ckpt" in lines[0]
                 and "No space left on device" in lines[0], f"full disk: exit 1, one line: {result.stderr.strip()}")
    checks.check(tree_hashes(model_dir) == before, "full disk: every earlier file intact, nothing half-written left")
    os.remove(os.path.join(disk, "filler"))
    result = run(args + ["--epochs", "2"])
    checks.check(result.returncode == 0 and "resuming at epoch 2, step 256" in result.stdout
                 and model_bytes(model_dir) == model_bytes(reference_dir),
                 "full disk: once space is back, the rerun resumes and ends byte-identical")
    subprocess.run(["umount", disk])
    checks.finish()


def file_size_limit(checks, scratch, reference_dir):
    """Where no tmpfs can be mounted: RLIMIT_FSIZE makes the checkpoint write fail the same way
    (EFBIG instead of ENOSPC)."""
    model_dir = os.path.join(scratch, "fsize")
    args = RUN + ["--model-dir", model_dir]
    checks.check(run(args + ["--epochs", "1"]).returncode == 0, "file size limit: epoch 1")
    before = tree_hashes(model_dir)

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    result = run(args + ["--epochs", "2"], preexec_fn=limit)
    lines = result.stderr.splitlines()
    checks.check(result.returncode == 1 and len(lines) == 1 and "ckpt-0000000512.ckpt" in lines[0]
                 and "File too large" in lines[0], f"file size limit: exit 1, one line: {result.stderr.strip()}")
    checks.check(tree_hashes(model_dir) == before, "file size limit: every earlier file intact")
    result = run(args + ["--epochs", "2"])
    checks.check(result.returncode == 0 and model_bytes(model_dir) == model_bytes(reference_dir),
                 "file size limit: the rerun resumes and ends byte-identical")


def full_disk(checks, scratch, reference_dir):
    for unshare in (["unshare", "-m", "--propagation", "private"], ["unshare", "-rm"]):
        probe = subprocess.run(unshare + ["true"], capture_output=True)
        if probe.returncode == 0:
            inner = subprocess.run(unshare + [sys.executable, __file__, "--full-disk-inside", scratch, reference_dir],
                                   capture_output=True, text=True, timeout=600)
            sys.stdout.write(inner.stdout)
            checks.check(inner.returncode == 0, f"full disk on a tmpfs ({' '.join(unshare)}) {inner.stderr.strip()}")
            return
    print("note: cannot make a mount namespace here; using RLIMIT_FSIZE for the full-disk case")
    file_size_limit(checks, scratch, reference_dir)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--only", choices=["kill"])
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--full-disk-inside", nargs=2)
    options = parser.parse_args()
    if options.full_disk_inside:
        full_disk_inside(*options.full_disk_inside)
        return
    seed = options.seed if options.seed is not None else random.randrange(1 << 30)
    print(f"random seed {seed} (rerun with --seed {seed})")
    rng = random.Random(seed)
    checks = Checks()
    scratch = temp_dir("interrupt")
    reference_dir = os.path.join(scratch, "straight")
    straight_started = time.monotonic()
    checks.check(run(RUN + ["--epochs", "2", "--model-dir", reference_dir]).returncode == 0, "2 epochs straight")
    straight_seconds = time.monotonic() - straight_started
    reference = model_bytes(reference_dir)
    if options.only != "kill":
        mid_epoch_resume(checks, scratch, reference, losses(reference_dir))
        signal_case(checks, scratch, reference, signal.SIGTERM, 143, rng, straight_seconds)
        signal_case(checks, scratch, reference, signal.SIGINT, 130, rng, straight_seconds)
        signal_case(checks, scratch, reference, signal.SIGHUP, 129, rng, straight_seconds)
        full_disk(checks, scratch, reference_dir)
        concurrent_run_refused(checks, scratch)
        signal_as_pid1(checks, scratch)
    kill_loop(checks, scratch, reference, options.kills, rng, straight_seconds)
    shutil.rmtree(scratch)
    checks.finish()


if __name__ == "__main__":
    main()
