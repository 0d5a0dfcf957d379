"""The FROM-scratch image, built from the freshly built binary and run with the docker CLI against
podman: it holds only the trainer (plus glibc's runtime for the CUDA flavour), trains into a
mounted /out from a mounted /data, warns when /out or /data is not a volume, refuses an
unwritable /out with the fix, and `docker stop` ends training with a checkpoint and exit 143.

The image flavour follows TRAINER_BIN: the static release binary gives the default (cpu) target
and its size limit of 5 MB; the CUDA build gives `--target cuda`, run here without a GPU.
"""
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, SKIP, TRAINER, Checks, model_bytes, run, temp_dir  # noqa: E402
from containers import Containers, missing_tools  # noqa: E402
from pypi_venv import ensure_venv  # noqa: E402

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
IMAGE = "localhost/trainer-test:ci"
TRAIN = ["--dataset", "fashion-mnist", "--limit", "512", "--epochs", "1", "--offline"]
MAX_CPU_IMAGE_BYTES = 5_000_000


def is_static(binary):
    return "statically linked" in subprocess.run(["file", "-L", binary], capture_output=True, text=True).stdout


def build_context(scratch, image_dir, flavour):
    """A build context with only Dockerfile.scratch and the finished image files."""
    context = os.path.join(scratch, "context")
    shutil.copytree(image_dir, os.path.join(context, "build", flavour, "image"))
    shutil.copy(os.path.join(SOURCE, "Dockerfile.scratch"), context)
    return context


def layer_files(containers, scratch):
    """Every path in the image's layers, from `podman save`."""
    archive = os.path.join(scratch, "image.tar")
    containers.podman("save", "--format", "docker-archive", "-o", archive, IMAGE)
    names = []
    with tarfile.open(archive) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        for layer in manifest[0]["Layers"]:
            with tarfile.open(fileobj=outer.extractfile(layer)) as inner:
                names += [m.name.lstrip("./") for m in inner.getmembers() if not m.isdir()]
    return sorted(n for n in names if n)


def run_and_remove(containers, *args):
    """`docker run` without --rm, then `docker rm`: podman 4.3's Docker API loses the exit code of
    a --rm container (the docker CLI reports 0), so cases that check the code keep the container
    until it has been read."""
    name = f"trainer-test-{os.getpid()}-{time.monotonic_ns()}"
    result = containers.docker("run", "--name", name, *args)
    containers.docker("rm", name)
    return result


def k8s_job_matches_image(checks):
    """deploy/k8s-job.yaml mounts volumes where the image writes and trains into /out."""
    try:
        import yaml
    except ImportError:
        print("note: python3-yaml missing, deploy/k8s-job.yaml not checked")
        return
    with open(os.path.join(SOURCE, "deploy", "k8s-job.yaml")) as f:
        documents = list(yaml.safe_load_all(f))
    job = next(d for d in documents if d["kind"] == "Job")
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in pod["volumes"]}
    declared = {d["metadata"]["name"] for d in documents if d["kind"] == "PersistentVolumeClaim"}
    args = container["args"]
    checks.check(set(mounts) == {"/out", "/data"} and all(claims[n] in declared for n in mounts.values())
                 and args[args.index("--model-dir") + 1] == "/out" and pod["restartPolicy"] == "OnFailure",
                 f"deploy/k8s-job.yaml: /out and /data on declared claims, --model-dir /out: {mounts} {args}")


def one_warning(result, *needles):
    """A successful run whose stderr holds exactly one warning, containing every needle."""
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    return result.returncode == 0 and len(warnings) == 1 and all(n in warnings[0] for n in needles)


def one_line(result):
    lines = result.stderr.splitlines()
    return lines[0] if len(lines) == 1 else None


def main():
    missing = missing_tools()
    if missing:
        print(f"SKIP: {', '.join(missing)} not installed (apt-get install podman buildah runc)")
        sys.exit(SKIP)
    binary = os.path.abspath(TRAINER)
    image_dir = os.path.join(os.path.dirname(binary), "image")
    if not os.path.exists(os.path.join(image_dir, "trainer")):
        print(f"FAIL: {image_dir}/trainer missing (the build writes it next to the binary)")
        sys.exit(1)
    static = is_static(binary)
    flavour, target = ("release", "context") if static else ("cuda", "cuda")
    checks = Checks()
    k8s_job_matches_image(checks)
    scratch = temp_dir("image")
    with Containers(scratch) as containers:
        context = build_context(scratch, image_dir, flavour)
        started = time.monotonic()
        built = containers.buildah(
            "bud", "--isolation", "chroot", "--pull=never", "--target", target, "--build-arg", "GIT_REVISION=test", "--build-arg", "SOURCE=https://example.org/trainer",
            "-t", IMAGE, "-f", os.path.join(context, "Dockerfile.scratch"), context)
        if not checks.check(built.returncode == 0,
                            f"buildah builds --target {target} from the fresh binary in "
                            f"{time.monotonic() - started:.1f} s {built.stderr.strip()[-300:]}"):
            checks.finish()
        inspect = json.loads(containers.podman("image", "inspect", IMAGE).stdout)[0]
        size = int(inspect["Size"])
        config = inspect["Config"]
        files = layer_files(containers, scratch)
        if static:
            checks.check(files == ["trainer"], f"the image holds only /trainer: {files}")
            checks.check(size <= MAX_CPU_IMAGE_BYTES, f"image size {size} bytes (limit {MAX_CPU_IMAGE_BYTES})")
        else:
            extra = [f for f in files if f != "trainer" and not f.startswith(("lib/", "lib64/"))]
            checks.check("trainer" in files and "lib64/ld-linux-x86-64.so.2" in files and not extra,
                         f"the CUDA image holds /trainer and glibc's runtime only: {files}")
            print(f"note: CUDA image size {size} bytes")
        labels = config.get("Labels") or {}
        checks.check(config.get("Entrypoint") == ["/trainer"] and "TRAINER_DATA_DIR=/data" in config.get("Env", [])
                     and labels.get("org.opencontainers.image.revision") == "test"
                     and labels.get("org.opencontainers.image.source") == "https://example.org/trainer"
                     and labels.get("org.opencontainers.image.version"),
                     f"entrypoint, TRAINER_DATA_DIR and OCI labels: {config.get('Entrypoint')} {labels}")

        print(containers.start_docker_api())
        data = os.path.join(scratch, "data")
        prepared = run(["download", "--dataset", "fashion-mnist", "--data-dir", data, "--offline",
                        "--mirror", f"file://{DATA_DIR}/", "--no-catalog-mirrors"])
        checks.check(prepared.returncode == 0, f"data volume prepared on the host {prepared.stderr.strip()}")

        out = os.path.join(scratch, "out")
        os.makedirs(out)
        result = containers.docker("run", "--rm", "-v", f"{out}:/out", "-v", f"{data}:/data", IMAGE,
                                   "--model-dir", "/out", *TRAIN)
        checks.check(result.returncode == 0 and "warning" not in result.stderr
                     and os.path.exists(os.path.join(out, "weights", "model.safetensors")),
                     f"docker run -v OUT:/out -v DATA:/data trains, the model lands on the host, no warning "
                     f"{result.stdout.strip()[-200:]} {result.stderr.strip()}")
        host = os.path.join(scratch, "host")
        run(["--model-dir", host, "--data-dir", data] + TRAIN)
        checks.check(os.path.exists(os.path.join(out, "saved_model")) and model_bytes(out) == model_bytes(host),
                     "the container's model is byte-identical to the host run's")

        result = run_and_remove(containers, "-v", f"{data}:/data", IMAGE, "--model-dir", "/out", *TRAIN)
        checks.check(one_warning(result, "--model-dir /out is in the container's own filesystem",
                                 '-v "$PWD/out:/out"'),
                     f"unmounted /out: one warning with the -v fix: {result.stderr.strip()}")
        result = run_and_remove(containers, "--tmpfs", "/out", "-v", f"{data}:/data", IMAGE, "--model-dir", "/out", *TRAIN)
        checks.check(result.returncode == 0 and one_warning(result, "--model-dir /out is on a tmpfs mount (memory)",
                                                            '-v "$PWD/out:/out"'),
                     f"--tmpfs /out: one warning, it is memory: {result.stderr.strip()}")
        # A CPU quota (docker --cpus, Kubernetes limits.cpu) is a thread count, not the visible cores.
        result = run_and_remove(containers, "--cpus", "1", "-v", f"{data}:/data", "--tmpfs", "/out", IMAGE,
                                "--model-dir", "/out", *TRAIN)
        info = run_and_remove(containers, "--cpus", "0.5", IMAGE, "info")
        if result.returncode == 0 or "the cgroup CPU limit" in result.stdout:
            checks.check("1 thread, the cgroup CPU limit of 1)" in result.stdout
                         and "1 usable core (default --threads; the cgroup CPU limit of 0.5)" in info.stdout
                         or os.cpu_count() < 2,
                         f"--cpus 1: one thread, said on the start line; --cpus 0.5: info says 1, and why: "
                         f"{result.stdout.splitlines()[:1]} {[l for l in info.stdout.splitlines() if l.startswith('cpu:')]}")
        else:
            print(f"note: --cpus is not available to containers here: {result.stderr.strip()[-200:]}")
        # A 64 MB memory limit: a --limit run and a run on all 60000 images both finish (the images
        # are mapped from the decoded cache, which the limit may reclaim, not copied). First, that
        # the limit is enforced at all here: 12 MB is less than the binary and its arena need.
        whole = ["--dataset", "fashion-mnist", "--epochs", "1", "--offline"]
        # ASan's shadow memory alone is more than 64 MB: under a sanitizer the limits say nothing.
        sanitized = "-fsanitize=" in run(["--version"]).stdout
        if sanitized:
            print("note: a sanitizer build: the --memory runs are skipped")
        tiny = None if sanitized else run_and_remove(containers, "--memory", "12m", "--memory-swap", "12m", "--tmpfs", "/out",
                              "-v", f"{data}:/data", IMAGE, "--model-dir", "/out", *whole)
        if tiny is not None and tiny.returncode == 0:
            print("note: --memory is not enforced for containers here (a 12 MB limit did not stop a whole run)")
        for limited in (TRAIN, whole) if tiny is not None and tiny.returncode != 0 else ():
            mem_out = os.path.join(scratch, f"mem-out-{len(limited)}")
            os.makedirs(mem_out)
            result = run_and_remove(containers, "--memory", "64m", "--memory-swap", "64m", "-v", f"{mem_out}:/out",
                                    "-v", f"{data}:/data", IMAGE, "--model-dir", "/out", *limited)
            if result.returncode != 0 and "memory" in result.stderr and "trainer" not in result.stderr:
                print(f"note: --memory is not available to containers here: {result.stderr.strip()[-200:]}")
                break
            left = sorted(os.listdir(mem_out))
            saved = os.path.exists(os.path.join(mem_out, "weights", "model.safetensors"))
            checks.check(result.returncode == 0 and saved,
                         f"--memory 64m {' '.join(limited[2:])}: exit {result.returncode}, weights "
                         f"{'saved' if saved else 'missing'}, {left} {result.stderr.strip()[-300:]}")
        out2 = os.path.join(scratch, "out2")
        os.makedirs(out2)
        result = run_and_remove(containers, "-v", f"{out2}:/out", "-v", f"{DATA_DIR}:/mirror:ro", IMAGE,
                                   "--model-dir", "/out", "--mirror", "file:///mirror/", "--no-catalog-mirrors",
                                   *TRAIN[:-1])
        checks.check(one_warning(result, "data dir /data is in the container's own filesystem",
                                 "-v trainer-data:/data"),
                     f"unmounted /data while downloading: one warning with the -v fix: {result.stderr.strip()}")

        # A read-only container without a /data volume: the failure alone, not a warning before it.
        out3 = os.path.join(scratch, "out3")
        os.makedirs(out3)
        result = run_and_remove(containers, "--read-only", "-v", f"{out3}:/out", "-v", f"{DATA_DIR}:/mirror:ro", IMAGE,
                                "--model-dir", "/out", "--mirror", "file:///mirror/", "--no-catalog-mirrors", *TRAIN[:-1])
        line = one_line(result) or ""
        checks.check(result.returncode == 1 and "Read-only file system" in line and "warning" not in result.stderr,
                     f"--read-only, no /data volume: exit 1, one line, no warning first: {result.stderr.strip()}")
        locked = os.path.join(scratch, "root-owned")
        os.makedirs(locked, mode=0o755)
        result = run_and_remove(containers, "--user", "12345:12345", "-v", f"{locked}:/out",
                                   "-v", f"{data}:/data", IMAGE, "--model-dir", "/out", *TRAIN)
        line = one_line(result) or ""
        checks.check(result.returncode == 1 and "--model-dir /out: cannot write in /out: Permission denied" in line
                     and "--user $(id -u):$(id -g)" in line and os.listdir(locked) == [],
                     f"unwritable /out: exit 1, one line with the fix: {result.stderr.strip()} (code {result.returncode}, {os.listdir(locked)})")
        readonly = os.path.join(scratch, "readonly")
        os.makedirs(readonly)
        result = run_and_remove(containers, "-v", f"{readonly}:/out:ro", "-v", f"{data}:/data", IMAGE,
                                   "--model-dir", "/out", *TRAIN)
        line = one_line(result) or ""
        checks.check(result.returncode == 1 and "Read-only file system" in line and "read-write" in line
                     and os.listdir(readonly) == [],
                     f"read-only /out: exit 1, one line: {result.stderr.strip()} (code {result.returncode}, {os.listdir(readonly)})")

        stopped = os.path.join(scratch, "stopped")
        os.makedirs(stopped)
        name = f"trainer-stop-{os.getpid()}"
        long_run = ["--model-dir", "/out", "--dataset", "fashion-mnist", "--offline", "--limit", "8192",
                    "--batch-size", "32", "--epochs", "100"]
        containers.docker("run", "-d", "--name", name, "-v", f"{stopped}:/out", "-v", f"{data}:/data", IMAGE,
                          *long_run)
        for _ in range(300):
            if "training on" in containers.docker("logs", name).stdout:
                break
            time.sleep(0.1)
        containers.docker("stop", "-t", "60", name)
        code = containers.docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
        logs = containers.docker("logs", name)
        containers.docker("rm", name)
        saved = os.listdir(os.path.join(stopped, "checkpoints")) if os.path.isdir(
            os.path.join(stopped, "checkpoints")) else []
        # Epochs take a few hundredths of a second: by the time `docker stop` lands, earlier epochs
        # may have left their own checkpoints. The one the stop line names must be there.
        named = re.search(r"saved /out/checkpoints/(ckpt-\d+\.ckpt)", logs.stderr)
        checks.check(code == "143" and "interrupted by SIGTERM" in logs.stderr and named is not None
                     and named.group(1) in saved,
                     f"docker stop: checkpoint saved, exit 143: code {code}, {saved}, {logs.stderr.strip()}")
        # Finish the epoch it was stopped in (or the next one): "in epoch E at step S" / "after epoch E".
        where = re.search(r"in epoch (\d+) at|after epoch (\d+)", logs.stderr)
        target = (int(where.group(1)) if where.group(1) else int(where.group(2)) + 1) if where else 1
        result = run_and_remove(containers, "-v", f"{stopped}:/out", "-v", f"{data}:/data", IMAGE,
                                   *long_run[:-1], str(target))
        checks.check(result.returncode == 0 and f"resuming at epoch {target}" in result.stdout,
                     f"the next docker run resumes: {result.stdout.splitlines()[:1]}")
        train_into_bucket(checks, containers, data, host)
    checks.finish()


def train_into_bucket(checks, containers, data, host):
    """docker run into s3:// (moto on the host's 127.0.0.1, the container on the host's network): the
    scratch image has no /tmp, so the local copy goes below /data, and is gone afterwards."""
    bin_dir, reason = ensure_venv("s3", ["moto[server]==5.2.5"])
    if bin_dir is None:
        print(f"note: the docker run into s3:// is skipped: {reason}")
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    server = subprocess.Popen([os.path.join(bin_dir, "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        boto = [os.path.join(bin_dir, "python"), "-c"]
        client = f"import boto3, hashlib; s3 = boto3.client('s3', endpoint_url='http://127.0.0.1:{port}'); "
        for _ in range(100):
            made = subprocess.run(boto + [client + "s3.create_bucket(Bucket='images')"], capture_output=True, env=env)
            if made.returncode == 0:
                break
            time.sleep(0.2)
        result = run_and_remove(containers, "--network", "host", "-v", f"{data}:/data",
                                "-e", "AWS_ACCESS_KEY_ID=testing", "-e", "AWS_SECRET_ACCESS_KEY=testing",
                                "-e", f"AWS_ENDPOINT_URL=http://127.0.0.1:{port}", IMAGE,
                                "--model-dir", "s3://images/run", *TRAIN)
        stored = subprocess.run(boto + [client + "print(hashlib.sha256(s3.get_object(Bucket='images', "
                                        "Key='run/weights/model.safetensors')['Body'].read()).hexdigest())"],
                                capture_output=True, text=True, env=env)
        with open(os.path.join(host, "weights", "model.safetensors"), "rb") as f:
            expected = hashlib.sha256(f.read()).hexdigest()
        copies = os.listdir(os.path.join(data, "staging")) if os.path.isdir(os.path.join(data, "staging")) else []
        checks.check(result.returncode == 0 and "warning" not in result.stderr and stored.stdout.strip() == expected
                     and copies == [],
                     f"docker run --model-dir s3://images/run: the weights in the bucket are the host run's, no "
                     f"warning, no local copy left in /data: {result.stdout.strip()[-200:]} {result.stderr.strip()} "
                     f"{stored.stderr[-200:]} {copies}")
    finally:
        os.killpg(server.pid, 9)
        server.wait()


if __name__ == "__main__":
    main()
