"""--model-dir s3://bucket/prefix against a real S3 API server: moto's, from PyPI (moto[server] in a
cached venv, tests/e2e/pypi_venv.py; skipped where PyPI is unreachable), on 127.0.0.1, behind
s3_fault_proxy.py, which injects 503 SlowDown, holds uploads, and is killed and started again as a
restarting server would be. boto3 (which moto brings) is the independent reader of the bucket.

Train, resume byte-identically, eval/reconstruct/export/gather from the bucket, kill -9 while a
checkpoint upload is held, SIGTERM, the server gone mid-run, 503s, the lease (a second trainer
refused, a killed one's lease taken over), and, on a second moto that checks signatures against
its IAM users, a wrong secret, a missing bucket and a denied prefix: one line, exit 1, before any
data is fetched. A sweep runs index by index as Kubernetes and Slurm would run it, into the
bucket, and is gathered from it.

  test_s3_model_dir.py
"""
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, SKIP, TRAINER, Checks, temp_dir  # noqa: E402
from pypi_venv import ensure_venv  # noqa: E402

REQUIREMENTS = ["moto[server]==5.2.5"]  # the same venv as test_s3_client.py
HERE = os.path.dirname(os.path.abspath(__file__))
FLAGS = ["--dataset", "fashion-mnist", "--data-dir", DATA_DIR, "--limit", "1024", "--batch-size", "128"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


def wait_for_start(process):
    """Reads the trainer's stdout up to its "training on" line (a CUDA build prints a note first):
    from then on it holds the lease and a signal makes it checkpoint."""
    for line in process.stdout:
        if line.startswith("training on"):
            return line
    return ""


def mse_line(stdout):
    return next((line for line in stdout.splitlines() if "test MSE" in line), "")


def sha(data):
    return hashlib.sha256(data).hexdigest()


class Bucket:
    """boto3 in moto's venv, as a subprocess: the bucket as another S3 client sees it."""

    def __init__(self, python, env):
        self.python, self.env = python, env

    def run(self, code):
        result = subprocess.run([self.python, "-c", "import boto3, json, sys; s3 = boto3.client('s3'); " + code],
                                capture_output=True, text=True, env=self.env, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(result.stderr[-500:])
        return result.stdout

    def keys(self, bucket, prefix):
        out = self.run(f"p = s3.get_paginator('list_objects_v2'); print(json.dumps({{o['Key']: o['Size'] for page in "
                       f"p.paginate(Bucket={bucket!r}, Prefix={prefix!r}) for o in page.get('Contents', [])}}))")
        return json.loads(out)

    def sha(self, bucket, key):
        return self.run(f"import hashlib; print(hashlib.sha256(s3.get_object(Bucket={bucket!r}, Key={key!r})"
                        f"['Body'].read()).hexdigest())").strip()


def main():
    bin_dir, reason = ensure_venv("s3", REQUIREMENTS)
    if bin_dir is None:
        print(f"skipped: {reason}")
        sys.exit(SKIP)
    checks = Checks()
    scratch = temp_dir("s3md")
    moto_port, port = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1",
               AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=endpoint, HOME=os.path.join(scratch, "home"), TRAINER_STAGING_DIR=os.path.join(scratch, "staging"))
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_SHARED_CREDENTIALS_FILE",
                 "AWS_CONFIG_FILE", "HTTP_PROXY", "http_proxy", "JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID",
                 "AWS_BATCH_JOB_ARRAY_INDEX"):
        env.pop(name, None)
    rules, proxy_log = os.path.join(scratch, "rules.json"), os.path.join(scratch, "proxy.log")

    def set_rules(**values):
        with open(rules, "w") as f:
            json.dump(values, f)

    def start_proxy():
        p = subprocess.Popen([sys.executable, os.path.join(HERE, "s3_fault_proxy.py"), str(port), str(moto_port), rules,
                              proxy_log], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for_port(port)
        return p

    set_rules()
    servers = [subprocess.Popen([os.path.join(bin_dir, "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
    proxy = None
    try:
        wait_for_port(moto_port)
        proxy = start_proxy()
        bucket = Bucket(os.path.join(bin_dir, "python"), env)
        bucket.run("s3.create_bucket(Bucket='runs')")

        def trainer(*args, extra_env=None, timeout=300):
            return subprocess.run([TRAINER] + list(args), capture_output=True, text=True, timeout=timeout,
                                  env=dict(env, **(extra_env or {})))

        # A reference trained on a local disk: the bucket's runs must end with the same bytes.
        local = os.path.join(scratch, "local")
        ref = trainer("--model-dir", local, "--epochs", "4", *FLAGS)
        with open(os.path.join(local, "weights", "model.safetensors"), "rb") as f:
            reference = sha(f.read())
        checks.check(ref.returncode == 0, f"the local reference trains: {ref.stderr[-300:]}")

        # Train 2 epochs into the bucket, then resume to 4: the layout as on disk, the weights identical.
        first = trainer("--model-dir", "s3://runs/exp/a/", "--epochs", "2", *FLAGS)
        keys = bucket.keys("runs", "exp/a/")
        expected = {"exp/a/weights/model.safetensors", "exp/a/weights/config.json", "exp/a/metrics.jsonl",
                    "exp/a/loss.svg", "exp/a/reconstructions.png", "exp/a/saved_model/2/saved_model.pb",
                    "exp/a/saved_model/2/variables/", "exp/a/checkpoints/ckpt-0000000008.ckpt",
                    "exp/a/checkpoints/ckpt-0000000016.ckpt"}
        checks.check(first.returncode == 0 and expected <= set(keys) and "exp/a/.lease" not in keys
                     and any(k.startswith("exp/a/logs/events.out.tfevents.") for k in keys)
                     and "-> s3://runs/exp/a " in first.stdout and "saved s3://runs/exp/a/weights/model.safetensors" in first.stdout,
                     f"train into s3://runs/exp/a/: the model directory's layout as objects, the lease gone, the URL in the "
                     f"output: {sorted(keys)} {first.stdout[-300:]} {first.stderr[-300:]}")
        second = trainer("--model-dir", "s3://runs/exp/a", "--epochs", "4", *FLAGS)
        keys = bucket.keys("runs", "exp/a/")
        checks.check(second.returncode == 0 and "resum" in (second.stdout + second.stderr).lower()
                     and bucket.sha("runs", "exp/a/weights/model.safetensors") == reference
                     and "exp/a/saved_model/4/saved_model.pb" in keys and "exp/a/saved_model/2/saved_model.pb" not in keys
                     and "exp/a/checkpoints/ckpt-0000000008.ckpt" not in keys,
                     f"resumed from the bucket to 4 epochs: the weights byte for byte those of the local run; the old "
                     f"SavedModel version and the checkpoint beyond --keep-checkpoints deleted: {second.stdout[:200]} "
                     f"{second.stderr[-300:]} {sorted(keys)}")
        staging = os.listdir(os.path.join(scratch, "staging", "staging")) if os.path.isdir(os.path.join(scratch, "staging", "staging")) else []
        checks.check(staging == [], f"the local copies are removed when the commands end: {staging}")

        # Readers and writers of a trained directory in the bucket.
        evaluated = trainer("eval", "--model-dir", "s3://runs/exp/a", "--data-dir", DATA_DIR)
        local_eval = trainer("eval", "--model-dir", local, "--data-dir", DATA_DIR)
        checks.check(evaluated.returncode == 0 and mse_line(evaluated.stdout).startswith("s3://runs/exp/a/weights/model.safetensors: test MSE")
                     and mse_line(evaluated.stdout).split("test MSE")[1] == mse_line(local_eval.stdout).split("test MSE")[1],
                     f"eval --model-dir s3://: the same MSE as the local copy: {evaluated.stdout.strip()} {evaluated.stderr[-200:]}")
        picture = os.path.join(scratch, "r.png")
        rebuilt = trainer("reconstruct", "--model-dir", "s3://runs/exp/a", "--data-dir", DATA_DIR, "--out", picture)
        checks.check(rebuilt.returncode == 0 and os.path.getsize(picture) > 1000, f"reconstruct from the bucket: {rebuilt.stderr[-200:]}")
        exported = trainer("export", "--model-dir", "s3://runs/exp/a")
        saved = trainer("export", "--model-dir", "s3://runs/exp/a", "--format", "savedmodel", "--serving-version", "9")
        keys = bucket.keys("runs", "exp/a/")
        checks.check(exported.returncode == 0 and "wrote s3://runs/exp/a/model.onnx" in exported.stdout
                     and "exp/a/model.onnx" in keys and saved.returncode == 0 and "exp/a/saved_model/9/saved_model.pb" in keys,
                     f"export writes model.onnx and saved_model/9 into the bucket: {exported.stdout.strip()} {saved.stdout.strip()}")
        missing = trainer("eval", "--model-dir", "s3://runs/exp/none", "--data-dir", DATA_DIR)
        checks.check(missing.returncode == 1 and missing.stderr.count("\n") == 1
                     and "s3://runs/exp/none/weights/config.json: does not exist" in missing.stderr,
                     f"eval of an empty prefix: one line naming the object: {missing.stderr.strip()}")

        # A damaged checkpoint object is skipped with a warning, as on disk.
        bucket.run("s3.put_object(Bucket='runs', Key='exp/a/checkpoints/ckpt-0000000099.ckpt', Body=b'not a checkpoint')")
        damaged = trainer("--model-dir", "s3://runs/exp/a", "--epochs", "4", *FLAGS)
        checks.check(damaged.returncode == 0 and "s3://runs/exp/a/checkpoints/ckpt-0000000099.ckpt" in damaged.stderr
                     and "warning" in damaged.stderr and "already trained" in damaged.stdout,
                     f"a damaged checkpoint object: a warning naming it, the previous one used: {damaged.stderr.strip()[:300]}")

        # A checkpoint every step, only the newest kept: the copy changes under every upload pass; the
        # bucket ends with exactly the newest checkpoint and the reference's weights.
        churn = trainer("--model-dir", "s3://runs/exp/churn", "--epochs", "4", "--checkpoint-every", "1",
                        "--keep-checkpoints", "1", *FLAGS)
        keys = bucket.keys("runs", "exp/churn/")
        checks.check(churn.returncode == 0 and [k for k in keys if "/checkpoints/" in k] == ["exp/churn/checkpoints/ckpt-0000000032.ckpt"]
                     and bucket.sha("runs", "exp/churn/weights/model.safetensors") == reference
                     and "exp/churn/saved_model/4/saved_model.pb" in keys and len([k for k in keys if "/saved_model/" in k]) == 2,
                     f"a checkpoint every step, one kept: the bucket holds the newest only, the reference's weights, "
                     f"one SavedModel version: {sorted(keys)} {churn.stderr[-300:]}")

        # 503 SlowDown on the first two tries of every PUT: retried, nothing lost.
        set_rules(put_503_first=2)
        slow = trainer("--model-dir", "s3://runs/exp/slow", "--epochs", "4", *FLAGS)
        set_rules()
        with open(proxy_log) as f:
            refused = sum(1 for line in f if line.startswith("503 PUT /runs/exp/slow/"))
        checks.check(slow.returncode == 0 and refused >= 20 and bucket.sha("runs", "exp/slow/weights/model.safetensors") == reference,
                     f"{refused} PUTs answered 503 SlowDown, retried: the run ends with the reference's weights {slow.stderr[-300:]}")

        # Uploads refused for good (403 on the checkpoints mid-run): exit 1 naming the object and the code;
        # what did not reach the bucket is kept locally and named; the bucket keeps what it had.
        set_rules(put_denied="/exp/denied/checkpoints/ckpt-0000000024")
        refused_run = trainer("--model-dir", "s3://runs/exp/denied", "--epochs", "4", *FLAGS)
        set_rules()
        lines = refused_run.stderr.strip().splitlines()
        kept = lines[0].split(" is kept in ")[-1] if lines and " is kept in " in lines[0] else ""
        checks.check(refused_run.returncode == 1 and len(lines) == 2
                     and "s3://runs/exp/denied/checkpoints/ckpt-0000000024.ckpt: PUT answered 403 AccessDenied" in lines[1]
                     and os.path.isfile(os.path.join(kept, "checkpoints", "ckpt-0000000024.ckpt"))
                     and "exp/denied/checkpoints/ckpt-0000000016.ckpt" in bucket.keys("runs", "exp/denied/"),
                     f"PUTs refused with 403: exit 1, the object and AccessDenied named, the copy kept in {kept!r}, "
                     f"the bucket keeps the checkpoints it had: {lines}")

        # kill -9 while a checkpoint's upload is held: the bucket keeps complete objects; the resumed run
        # ends with the same weights.
        set_rules(checkpoint_put_delay_s=1.5)
        open(proxy_log, "w").close()
        victim = subprocess.Popen([TRAINER, "--model-dir", "s3://runs/exp/kill", "--epochs", "4", "--lease-seconds", "2",
                                   *FLAGS],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        held = False
        for _ in range(300):
            with open(proxy_log) as f:
                if f.read().count("hold PUT /runs/exp/kill/checkpoints/") >= 2:  # the first one is in
                    held = True
                    break
            time.sleep(0.02)
        time.sleep(0.2)
        victim.kill()
        victim.wait()
        set_rules()
        after_kill = bucket.keys("runs", "exp/kill/")
        resumed = trainer("--model-dir", "s3://runs/exp/kill", "--epochs", "4", "--lease-seconds", "2", *FLAGS)
        checks.check(held and resumed.returncode == 0 and bucket.sha("runs", "exp/kill/weights/model.safetensors") == reference
                     and "took over the lease" in resumed.stderr and any(k.startswith("exp/kill/checkpoints/ckpt-") for k in after_kill)
                     and "from s3://runs/exp/kill/checkpoints/ckpt-" in resumed.stdout,
                     f"kill -9 during a checkpoint's upload ({sorted(after_kill)}), then the same command: the killed "
                     f"run's lease taken over, the weights the reference's: {resumed.stderr.strip()[-400:]}")

        # The server goes away mid-run and comes back: the uploads wait and go on.
        set_rules(checkpoint_put_delay_s=0.3)
        runner = subprocess.Popen([TRAINER, "--model-dir", "s3://runs/exp/restart", "--epochs", "4", *FLAGS],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(1.0)
        os.killpg(proxy.pid, signal.SIGKILL)
        proxy.wait()
        time.sleep(3)
        set_rules()
        proxy = start_proxy()
        out, err = runner.communicate(timeout=180)
        checks.check(runner.returncode == 0 and bucket.sha("runs", "exp/restart/weights/model.safetensors") == reference,
                     f"the server killed for 3 s mid-run and started again: the run finishes, the weights the "
                     f"reference's: exit {runner.returncode} {err.strip()[-300:]}")

        # SIGTERM: the checkpoint it saves is in the bucket before the process exits.
        long_run = subprocess.Popen([TRAINER, "--model-dir", "s3://runs/exp/term", "--epochs", "100000", *FLAGS],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        while "epoch 3/" not in long_run.stdout.readline():
            pass
        long_run.send_signal(signal.SIGTERM)
        out, err = long_run.communicate(timeout=120)
        keys = bucket.keys("runs", "exp/term/")
        named = err.split("saved ")[-1].split(";")[0] if "saved " in err else ""
        checks.check(long_run.returncode == 143 and named.startswith("s3://runs/exp/term/checkpoints/")
                     and named[len("s3://runs/"):] in keys and "exp/term/.lease" not in keys,
                     f"SIGTERM: exit 143, the checkpoint named by its URL is in the bucket, the lease released: {err.strip()[-300:]}")

        # One trainer per prefix: a second is refused while the first renews its lease.
        holder = subprocess.Popen([TRAINER, "--model-dir", "s3://runs/exp/busy", "--epochs", "100000", "--lease-seconds", "3",
                                   *FLAGS], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        wait_for_start(holder)
        started = time.time()
        second = trainer("--model-dir", "s3://runs/exp/busy", "--epochs", "100000", "--lease-seconds", "3", *FLAGS)
        waited = time.time() - started
        holder.send_signal(signal.SIGTERM)
        holder.communicate(timeout=120)
        lines = second.stderr.strip().splitlines()
        checks.check(second.returncode == 1 and "another trainer is using this model directory" in lines[-1]
                     and "s3://runs/exp/busy/.lease" in lines[-1] and waited < 30 and holder.returncode == 143,
                     f"a second trainer on the same prefix is refused after {waited:.1f} s (it saw the lease renewed): {lines}")

        # A sweep, index by index as an Indexed Job and a Slurm array run it, into the bucket; gathered from it.
        grid = ["--grid", "learning-rate=0.01,0.003", "--grid", "seed=1,2"]
        codes = []
        for index in range(4):
            variable = "JOB_COMPLETION_INDEX" if index < 2 else "SLURM_ARRAY_TASK_ID"
            codes.append(trainer(*grid, "--model-dir", "s3://runs/sweep", "--epochs", "2", "--quiet", *FLAGS,
                                 extra_env={variable: str(index)}).returncode)
        gathered = trainer("gather", "--model-dir", "s3://runs/sweep")
        rows = [line.split("\t") for line in gathered.stdout.splitlines()[1:5]]
        keys = bucket.keys("runs", "sweep/")
        checks.check(codes == [0] * 4 and gathered.returncode == 0 and sorted(r[4] for r in rows) == [f"run-0000{i}" for i in range(4)]
                     and [float(r[1]) for r in rows] == sorted(float(r[1]) for r in rows) and "sweep/sweep.svg" in keys
                     and "wrote s3://runs/sweep/sweep.svg" in gathered.stdout,
                     f"a 4-run sweep into s3://runs/sweep by JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID, gathered "
                     f"from the bucket, best first, the picture in the bucket: {codes} {gathered.stdout} {gathered.stderr[-300:]}")

        # A trainer cut off from the store past its lease's TTL stops writing: the trainer that took the
        # prefix over meanwhile keeps it, and its run is intact afterwards.
        cut_off = subprocess.Popen([TRAINER, "--model-dir", "s3://runs/exp/split", "--epochs", "100000",
                                    "--lease-seconds", "3", *FLAGS], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env=env)
        wait_for_start(cut_off)
        os.killpg(proxy.pid, signal.SIGKILL)
        proxy.wait()
        direct = dict(env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{moto_port}")
        newcomer = trainer("--model-dir", "s3://runs/exp/split", "--fresh", "--learning-rate", "0.005", "--epochs",
                           "2", "--lease-seconds", "3", *FLAGS, extra_env=direct)
        _, cut_err = cut_off.communicate(timeout=120)
        proxy = start_proxy()
        again = trainer("--model-dir", "s3://runs/exp/split", "--learning-rate", "0.005", "--epochs", "2", *FLAGS)
        checks.check(newcomer.returncode == 0 and cut_off.returncode == 1 and "stops writing there" in cut_err
                     and again.returncode == 0 and "already trained" in again.stdout,
                     f"cut off past its TTL, a trainer stops writing (exit {cut_off.returncode}: "
                     f"{cut_err.strip().splitlines()[-1:]}); the one that took over keeps an intact run: "
                     f"{newcomer.stderr.strip()[-200:]} {again.stdout.strip()[-120:]} {again.stderr.strip()[-200:]}")

        # What is not an S3 answer is an error, never an empty prefix or a stored object.
        for rule, needle in (("list_garbage", "not S3's ListBucketResult"), ("html", "not an S3 API"),
                             ("list_notoken", "gives no token to go on"), ("list_endless", "the listing does not end")):
            set_rules(**{rule: True})
            lied = trainer("--model-dir", "s3://runs/exp/a", "--epochs", "6", *FLAGS)
            set_rules()
            lines = lied.stderr.strip().splitlines()
            checks.check(lied.returncode == 1 and len(lines) == 1 and needle in lines[0],
                         f"a server answering {rule}: exit 1, one line: {lines}")
        checks.check(bucket.sha("runs", "exp/a/weights/model.safetensors") == reference,
                     "the run those lies were told about is untouched")

        # Foreign and odd input.
        for label, ttl in (("a negative TTL", "-1"), ("a TTL beyond 64 bits", "18446744073709551617"), ("a fractional TTL", "2.5")):
            bucket.run("s3.put_object(Bucket='runs', Key='exp/foreign/.lease', Body=b'{\"holder\": \"x\", "
                       f"\"expires_unix\": 99999999999, \"ttl_seconds\": {ttl}, \"trainer\": \"0.1.0\"}}')")
            foreign = trainer("--model-dir", "s3://runs/exp/foreign", "--epochs", "1", *FLAGS)
            checks.check(foreign.returncode == 1 and "is not a lease this program wrote" in foreign.stderr
                         and len(foreign.stderr.strip().splitlines()) == 1,
                         f"a lease with {label}: refused at once, one line: {foreign.stderr.strip()}")
        token = trainer("--model-dir", "s3://runs/exp/token", "--epochs", "1", *FLAGS,
                        extra_env={"AWS_SESSION_TOKEN": "garb\nage"})
        checks.check(token.returncode == 1 and "AWS_SESSION_TOKEN: holds a control character" in token.stderr
                     and "exp/token/.lease" not in bucket.keys("runs", "exp/token/"),
                     f"a newline in AWS_SESSION_TOKEN: refused before any request: {token.stderr.strip()}")
        for variable, value in (("AWS_ENDPOINT_URL", "127.0.0.1:9"), ("AWS_ENDPOINT_URL", "http://h:9/base"),
                                ("AWS_ENDPOINT_URL", "http://127.0.0.1:99999"), ("AWS_ENDPOINT_URL_S3", "http://h:9?x")):
            bad = trainer("eval", "--model-dir", "s3://runs/exp/a", extra_env={variable: value})
            checks.check(bad.returncode == 1 and bad.stderr.startswith(f"trainer: {variable}: '{value}' is not an S3 endpoint"),
                         f"{variable}={value}: named, exit 1: {bad.stderr.strip()}")
        for args in (["export", "--model-dir", "s3://runs/exp/a", "--out", "s3://runs/x.onnx"],
                     ["export", "--model-dir", local, "--format", "savedmodel", "--out", "gs://b/sm"],
                     ["reconstruct", "--model-dir", "s3://runs/exp/a", "--out", "s3://runs/r.png"],
                     ["--model-dir", "s3://runs/a/../b"], ["--model-dir", "s3://192.168.1.1/x"],
                     ["--model-dir", "s3://runs/a\tb"], ["--model-dir", "s3://runs/" + "p" * 801],
                     ["eval", "--model-dir", "s3://runs/exp/a", "--checkpoint", "gs://b/c.ckpt"],
                     ["eval", "--model-dir", "s3://runs/exp/a", "--checkpoint", "s3://runs/exp/a/checkpoints/../x"]):
            refused = trainer(*args)
            checks.check(refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
                         and not os.path.exists("s3:") and not os.path.exists("gs:"),
                         f"{' '.join(args[:1] + args[-2:])}: a usage error, nothing local: {refused.stderr.strip()}")

        # Two trainers started at the same instant: one trains, the other is refused or, once the first is
        # done, finds nothing to do; never a raw S3 error.
        pair = [subprocess.Popen([TRAINER, "--model-dir", "s3://runs/exp/race", "--epochs", "30", *FLAGS],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
        results = [(p.communicate(timeout=300), p.returncode) for p in pair]
        fine = all(code == 0 or (code == 1 and "another trainer is using" in err) for (out, err), code in results)
        checks.check(fine and any(code == 0 for _, code in results),
                     f"two trainers at once: one trains, the other waits or is refused: "
                     f"{[(code, err.strip().splitlines()[-1:]) for (out, err), code in results]}")

        # deploy/slurm-sweep.sh with its default kind of $OUT, a bucket: stopped at the time limit (SIGTERM to
        # the batch shell), requeued, resumed from the bucket, the result a straight run's.
        fake_bin = os.path.join(scratch, "bin")
        os.makedirs(fake_bin)
        with open(os.path.join(fake_bin, "scontrol"), "w") as f:
            f.write(f"#!/bin/sh\necho \"$@\" >> {scratch}/scontrol.log\n")
        os.chmod(os.path.join(fake_bin, "scontrol"), 0o755)
        slurm_env = dict(env, PATH=fake_bin + ":" + os.environ["PATH"], TRAINER=os.path.abspath(TRAINER),
                         OUT="s3://runs/slurm", EPOCHS="12", SLURM_ARRAY_JOB_ID="77", SLURM_ARRAY_TASK_ID="1",
                         SLURM_CPUS_PER_TASK="2")
        script = os.path.join(HERE, "..", "..", "deploy", "slurm-sweep.sh")
        extra = ["--dataset", "fashion-mnist", "--data-dir", DATA_DIR, "--offline", "--limit", "4096"]
        attempt = subprocess.Popen(["bash", script] + extra, env=slurm_env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        for _ in range(600):
            if any("/checkpoints/" in k for k in bucket.keys("runs", "slurm/run-00001/")):
                break
            time.sleep(0.05)
        attempt.send_signal(signal.SIGTERM)
        _, slurm_err = attempt.communicate(timeout=120)
        requeued = open(os.path.join(scratch, "scontrol.log")).read().strip() if os.path.exists(
            os.path.join(scratch, "scontrol.log")) else ""
        again = subprocess.run(["bash", script] + extra, env=slurm_env, capture_output=True, text=True, timeout=300)
        straight = os.path.join(scratch, "straight")
        trainer("--grid", "learning-rate=0.01,0.003,0.001", "--grid", "seed=1,2", "--grid-index", "1", "--epochs", "12",
                "--model-dir", straight, "--quiet", *extra)
        with open(os.path.join(straight, "run-00001", "weights", "model.safetensors"), "rb") as f:
            straight_sha = sha(f.read())
        checks.check(attempt.returncode == 143 and requeued == "requeue 77_1" and again.returncode == 0
                     and '"resumed_from":"s3://runs/slurm/run-00001/checkpoints/ckpt-' in again.stdout
                     and bucket.sha("runs", "slurm/run-00001/weights/model.safetensors") == straight_sha,
                     f"deploy/slurm-sweep.sh into s3://runs/slurm: SIGTERM, exit {attempt.returncode}, "
                     f"{requeued!r}, the requeued attempt resumes from the bucket and ends as a straight run: "
                     f"{slurm_err.strip()[-200:]} {again.stderr.strip()[-200:]}")

        # Credentials checked for real: a second moto that verifies signatures against its IAM users.
        auth_port = free_port()
        servers.append(subprocess.Popen([os.path.join(bin_dir, "moto_server"), "-H", "127.0.0.1", "-p", str(auth_port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                                        env=dict(env, INITIAL_NO_AUTH_ACTION_COUNT="4")))
        wait_for_port(auth_port)
        auth_env = dict(env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{auth_port}")
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::locked", "arn:aws:s3:::locked/allowed/*"]}]}
        made = Bucket(os.path.join(bin_dir, "python"), auth_env).run(
            "iam = boto3.client('iam'); iam.create_user(UserName='trainer'); "
            f"iam.put_user_policy(UserName='trainer', PolicyName='p', PolicyDocument={json.dumps(policy)!r}); "
            "k = iam.create_access_key(UserName='trainer')['AccessKey']; "
            "boto3.client('s3', aws_access_key_id=k['AccessKeyId'], aws_secret_access_key=k['SecretAccessKey'])"
            ".create_bucket(Bucket='locked'); print(k['AccessKeyId'], k['SecretAccessKey'])").split()
        key_id, secret = made
        empty_data = os.path.join(scratch, "no-data")
        os.makedirs(empty_data)
        flags = FLAGS[:2] + ["--data-dir", empty_data, "--offline"] + FLAGS[4:]

        def as_user(model_dir, secret_key, *more):
            return trainer("--model-dir", model_dir, "--epochs", "1", *more,
                           extra_env=dict(auth_env, AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret_key))

        good = as_user("s3://locked/allowed/run", secret, *FLAGS)
        checks.check(good.returncode == 0, f"moto checking signatures accepts ours (the IAM user's key): {good.stderr[-300:]}")
        for label, result, code in (
                ("a wrong secret", as_user("s3://locked/allowed/run2", "wrong" + secret[5:], *flags), "SignatureDoesNotMatch"),
                ("a missing bucket", trainer("--model-dir", "s3://no-such-bucket/run", "--epochs", "1", *flags), "NoSuchBucket"),
                # S3 answers 403 for a bucket the key may not list, whether or not it exists.
                ("a bucket the key may not touch", as_user("s3://other-bucket/run", secret, *flags), "AccessDenied"),
                ("a denied prefix", as_user("s3://locked/denied/run", secret, *flags), "AccessDenied")):
            lines = result.stderr.strip().splitlines()
            checks.check(result.returncode == 1 and len(lines) == 1 and code in lines[0] and "s3://" in lines[0]
                         and os.listdir(empty_data) == [],
                         f"{label}: one line naming the URL and {code}, exit 1, before any data is read: {lines}")
        anonymous = trainer("--model-dir", "s3://runs/x", *flags, extra_env={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
        checks.check(anonymous.returncode == 1 and "no AWS credentials" in anonymous.stderr
                     and len(anonymous.stderr.strip().splitlines()) == 1,
                     f"no credentials at all: one line, exit 1: {anonymous.stderr.strip()}")
    finally:
        for p in servers + ([proxy] if proxy else []):
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
        shutil.rmtree(scratch, ignore_errors=True)
    checks.finish()


if __name__ == "__main__":
    main()
