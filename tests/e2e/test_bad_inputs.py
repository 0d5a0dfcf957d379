"""The bad-input matrix (README "Failure behaviour"): flags, files, directories and the network,
each case run against a sandbox holding a good trained model and a good data cache. Every case
asserts the exit code, exactly one stderr line "trainer: ..." that names the thing and the cause,
no death by signal, no temporary or half-written file left, no new file where none should be (an
empty .lock file aside), and every file that was there before byte-identical afterwards (SHA-256
of the whole sandbox)."""
import fcntl
import gzip
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, TRAINER, Checks, run, temp_dir  # noqa: E402

try:
    from fixture_servers import Fixture  # noqa: E402
except ImportError:  # pragma: no cover
    Fixture = None


def snapshot(root):
    """{relative path: sha256} of every file below root (links not followed)."""
    files = {}
    for base, dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(base, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                files[os.path.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return files


def can_unshare():
    return shutil.which("unshare") and subprocess.run(
        ["unshare", "-m", "--propagation", "private", "true"], capture_output=True).returncode == 0


class Matrix:
    def __init__(self, checks, root):
        self.checks = checks
        self.root = root
        self.cases = 0

    def case(self, name, args, code, needles, env=None, allowed_changes=(), wrap=None, setup=None,
             allowed_warning=None):
        """Runs `trainer args`; see the module docstring for what is asserted. allowed_changes: paths
        (relative to the sandbox) the case may change or remove (the bad input itself);
        allowed_warning: a warning about something else that the case's setup makes true."""
        if setup:
            setup()
        before = snapshot(self.root)
        command = [TRAINER] + args
        if wrap:
            command = wrap(command)
        result = subprocess.run(command, capture_output=True, text=True, errors="backslashreplace", timeout=600,
                                env=dict(os.environ, **(env or {})))
        after = snapshot(self.root)
        lines = [line for line in result.stderr.splitlines()
                 if not (allowed_warning and line.startswith("trainer: warning: ") and allowed_warning in line)]
        changed = [p for p, h in before.items() if after.get(p) != h and p not in allowed_changes]
        # An empty .lock file (the cache's or model dir's advisory lock) may be left: it holds no data.
        added = [p for p in after if p not in before
                 and not (os.path.basename(p) == ".lock" and os.path.getsize(os.path.join(self.root, p)) == 0)]
        temporaries = [p for p in after if ".tmp." in os.path.basename(p)]
        problems = []
        if result.returncode != code:
            problems.append(f"exit {result.returncode}, expected {code}")
        if result.returncode < 0:
            problems.append(f"killed by signal {-result.returncode}")
        if len(lines) != 1 or not lines[0].startswith("trainer: "):
            problems.append(f"{len(lines)} stderr lines")
        missing = [n for n in needles if not any(n in line for line in lines)]
        if missing:
            problems.append(f"stderr lacks {missing}")
        if changed:
            problems.append(f"changed {changed[:3]}")
        if added:
            problems.append(f"new files {added[:3]}")
        if temporaries:
            problems.append(f"temporaries {temporaries[:3]}")
        self.cases += 1
        self.checks.check(not problems, f"{name}: {'; '.join(problems) + ' | ' if problems else ''}"
                                        f"exit {result.returncode}: {result.stderr.strip()[:220]}")


def copy_model(src, dst):
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    lock = os.path.join(dst, ".lock")
    if os.path.exists(lock):
        os.remove(lock)


def main():
    checks = Checks()
    root = temp_dir("bad-inputs")
    data = os.path.join(root, "data")
    model = os.path.join(root, "model")
    # The good state every case starts from: a managed cache made from Debian's copy, and a model
    # trained for one epoch.
    prepared = run(["download", "--dataset", "fashion-mnist", "--data-dir", data, "--offline",
                    "--mirror", "file://" + os.path.abspath(DATA_DIR) + "/", "--no-catalog-mirrors"])
    train = ["--dataset", "fashion-mnist", "--data-dir", data, "--limit", "256", "--batch-size", "64"]
    trained = run(train + ["--epochs", "1", "--model-dir", model, "--quiet"])
    if not checks.check(prepared.returncode == 0 and trained.returncode == 0,
                        f"sandbox prepared: {prepared.stderr.strip()} {trained.stderr.strip()}"):
        checks.finish()
    os.remove(os.path.join(model, ".lock"))
    new_model = os.path.join(root, "new-model")  # must never be created by a failing run
    m = Matrix(checks, root)
    base = train + ["--model-dir", new_model]

    # ---- flags: exit 2 before anything is read or written ----
    for flag, value, needle in [
            ("--epochs", "-1", "whole number"), ("--epochs", "99999999999999999999", "whole number"),
            ("--epochs", "1e3", "whole number"), ("--batch-size", "0", "whole number"),
            ("--batch-size", "60001", "whole number"), ("--learning-rate", "nan", "--learning-rate"),
            ("--learning-rate", "-0.1", "--learning-rate"), ("--threads", "0", "whole number"),
            ("--threads", "many", "whole number"), ("--seed", "-1", "--seed"), ("--dataset", "cifar10", "one of"),
            ("--output-activation", "tanh", "one of"), ("--hidden", "0", "whole number"),
            ("--limit", "0", "whole number"), ("--checkpoint-every", "0", "whole number"),
            ("--keep-checkpoints", "0", "whole number"), ("--log-format", "yaml", "one of"),
            ("--progress-interval", "0", "--progress-interval"), ("--timeout", "-1", "--timeout"),
            ("--timeout", "1e-9", "from 0.1"),
            ("--mirror", "ftp://example.com/", "--mirror"), ("--device", "tpu", "one of"),
            ("--retries", "11", "whole number")]:
        m.case(f"{flag} {value}", base + [flag, value], 2, [flag, needle])
    m.case("unknown flag", base + ["--bogus"], 2, ["bogus"])
    m.case("unknown command", ["frobnicate"], 2, ["unknown command 'frobnicate'"])
    m.case("stray argument", base + ["extra"], 2, ["unexpected argument 'extra'"])
    m.case("TRAINER_SIMD unknown", base + ["--epochs", "1"], 2, ["TRAINER_SIMD=avx9000"],
           env={"TRAINER_SIMD": "avx9000"})
    m.case("TRAINER_MIRROR bad URL", base + ["--epochs", "1"], 2, ["TRAINER_MIRROR"],
           env={"TRAINER_MIRROR": "gopher://x/"})
    m.case("flag that contradicts the checkpoint", train + ["--epochs", "2", "--model-dir", model, "--hidden", "64"],
           2, ["--hidden", "64", "128"])

    # ---- directories ----
    a_file = os.path.join(root, "a-file")
    with open(a_file, "w") as f:
        f.write("not a directory\n")
    m.case("--model-dir is a file", train + ["--epochs", "1", "--model-dir", a_file], 1, [a_file, "not a directory"])
    m.case("--model-dir below a file", train + ["--epochs", "1", "--model-dir", os.path.join(a_file, "sub")], 1,
           [a_file, "not a directory"])
    m.case("--data-dir is a file", ["--dataset", "fashion-mnist", "--data-dir", a_file, "--model-dir", new_model], 1,
           [a_file, "not a directory"])
    # A model dir whose checkpoints/ or saved_model/ is a file is refused before any data is read:
    # the data dir here is empty and --offline, so a later check would fail on the data instead.
    empty_data = os.path.join(root, "empty-data")
    os.makedirs(empty_data, exist_ok=True)
    for part in ("checkpoints", "saved_model", "weights", "logs"):
        odd = os.path.join(root, f"{part}-is-a-file")
        os.makedirs(odd, exist_ok=True)
        with open(os.path.join(odd, part), "w") as f:
            f.write("not a directory\n")
        m.case(f"<model-dir>/{part} is a file", ["--dataset", "fashion-mnist", "--data-dir", empty_data, "--offline",
                                                "--epochs", "1", "--model-dir", odd], 1,
               [os.path.join(odd, part), "not a directory"])
    for flag in ("--fresh=false", "--quiet=false", "--offline=false"):
        m.case(f"{flag} is a valid switch value (only the bad --epochs fails)", base + ["--epochs", "0", flag], 2,
               ["--epochs"])
    held = open(os.path.join(model, ".lock"), "a")
    fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    m.case("model dir in use by another trainer", train + ["--epochs", "2", "--model-dir", model], 1,
           [model, "another trainer is using this model directory"])
    held.close()
    if can_unshare():
        ro = os.path.join(root, "read-only")
        os.makedirs(ro)
        m.case("--model-dir on a read-only mount", train + ["--epochs", "1", "--model-dir", os.path.join(ro, "m")], 1,
               ["--model-dir", "Read-only file system"],
               wrap=lambda c: ["unshare", "-m", "--propagation", "private", "sh", "-c",
                               f'mount --bind "{ro}" "{ro}" && mount -o remount,bind,ro "{ro}" && exec "$@"', "sh"]
               + c)
        full = os.path.join(root, "full-disk")
        os.makedirs(full)
        # 600 kB of tmpfs: the data loads, the model dir is made, the first checkpoint (2.8 MB) cannot.
        # Where the tests run in a container, that tmpfs is (rightly) warned about as memory.
        m.case("--model-dir on a full disk", train + ["--epochs", "1", "--model-dir", full], 1,
               [full, "No space left on device"], allowed_warning="is on a tmpfs mount (memory)",
               wrap=lambda c: ["unshare", "-m", "--propagation", "private", "sh", "-c",
                               f'mount -t tmpfs -o size=600k tmpfs "{full}" && exec "$@"', "sh"] + c)
    else:
        print("note: unshare -m is not permitted here: the read-only and full-disk cases are skipped")

    # ---- damaged files ----
    damaged = os.path.join(root, "damaged")
    checkpoint_name = sorted(os.listdir(os.path.join(model, "checkpoints")))[-1]

    def damage(relative, edit):
        def setup():
            copy_model(model, damaged)
            path = os.path.join(damaged, relative)
            with open(path, "rb") as f:
                content = f.read()
            with open(path, "wb") as f:
                f.write(edit(content))
        return setup

    truncate = lambda b: b[:len(b) // 2]  # noqa: E731
    flip = lambda b: b[:len(b) // 2] + bytes([b[len(b) // 2] ^ 0x40]) + b[len(b) // 2 + 1:]  # noqa: E731
    ckpt = os.path.join("checkpoints", checkpoint_name)
    m.case("the only checkpoint truncated", train + ["--epochs", "2", "--model-dir", damaged], 1,
           ["no valid checkpoint", "truncated"], setup=damage(ckpt, truncate))
    m.case("the only checkpoint corrupted", train + ["--epochs", "2", "--model-dir", damaged], 1,
           ["no valid checkpoint", "checksum"], setup=damage(ckpt, flip))
    m.case("eval --checkpoint truncated", ["eval", "--model-dir", damaged, "--checkpoint", checkpoint_name,
                                            "--data-dir", data], 1, [checkpoint_name], setup=damage(ckpt, truncate))
    def exploded(b):
        """A valid checkpoint whose first weights are 1e30: the next step's loss overflows."""
        (header_length,) = struct.unpack("<I", b[12:16])
        body = bytearray(b[:-32])
        start = 16 + header_length
        body[start:start + 4 * 784] = struct.pack("<f", 1e30) * 784
        return bytes(body) + hashlib.sha256(bytes(body)).digest()

    # A diverging run stops before it saves anything: no checkpoint, model or metrics with inf.
    m.case("the loss becomes inf", train + ["--epochs", "2", "--model-dir", damaged], 1,
           ["training diverged", "epoch 2", checkpoint_name, "--learning-rate"], setup=damage(ckpt, exploded))
    m.case("the loss becomes inf, JSON log", train + ["--epochs", "2", "--log-format", "json", "--model-dir", damaged],
           1, ["training diverged", "epoch 2"], setup=damage(ckpt, exploded))
    # Bounded reads: a file that is a device, or a FIFO that would block, is refused by name at once.
    def replaced_by(relative, kind):
        def setup():
            copy_model(model, damaged)
            path = os.path.join(damaged, relative)
            os.remove(path)
            if kind == "fifo":
                os.mkfifo(path)
            else:
                os.symlink(kind, path)
        return setup

    for relative, command, kind, needle in [
            # (training checks the files it will write first: the link itself is what it refuses)
            (ckpt, train + ["--epochs", "2", "--model-dir", damaged], "/dev/zero", "symbolic link"),
            (ckpt, train + ["--epochs", "2", "--model-dir", damaged], "fifo", "FIFO"),
            (os.path.join("weights", "config.json"), ["eval", "--model-dir", damaged, "--data-dir", data],
             "/dev/urandom", "character device"),
            (os.path.join("weights", "model.safetensors"), ["export", "--model-dir", damaged], "fifo", "FIFO"),
            (ckpt, ["eval", "--model-dir", damaged, "--checkpoint", checkpoint_name, "--data-dir", data], "/dev/zero",
             "character device")]:
        m.case(f"{command[0] if command[0] in ('eval', 'export') else 'train'}: {os.path.basename(relative)} is "
               f"{'a FIFO' if kind == 'fifo' else 'a link to ' + kind}", command, 1,
               [os.path.basename(relative), needle], setup=replaced_by(relative, kind))
    def nan_state(b):
        (header_length,) = struct.unpack("<I", b[12:16])
        body = bytearray(b[:-32])
        start = 16 + header_length
        body[start:start + 40] = struct.pack("<f", float("nan")) * 10
        return bytes(body) + hashlib.sha256(bytes(body)).digest()

    m.case("the only checkpoint holds NaN weights", train + ["--epochs", "2", "--model-dir", damaged], 1,
           ["no valid checkpoint", "not finite"], setup=damage(ckpt, nan_state))

    # Every file a run writes is checked up front: a run never replaces half of them and then fails.
    victim = os.path.join(root, "lock-victim")
    for relative, kind in (("metrics.jsonl", "fifo"), ("loss.svg", "dir"), (ckpt, "fifo"),
                           (".lock", "link"), (".lock", "fifo")):
        def setup(relative=relative, kind=kind):
            copy_model(model, damaged)
            path = os.path.join(damaged, relative)
            if os.path.lexists(path):
                os.remove(path)
            if kind == "fifo":
                os.mkfifo(path)
            elif kind == "dir":
                os.makedirs(path)
            else:
                os.symlink(victim, path)
        m.case(f"train: {os.path.basename(relative)} is a {kind}", train + ["--epochs", "3", "--model-dir", damaged],
               1, [os.path.basename(relative)], setup=setup)
    checks.check(not os.path.lexists(victim), "a .lock that is a symlink creates nothing where it points")
    m.case("eval --checkpoint missing", ["eval", "--model-dir", model, "--checkpoint", "nope.ckpt", "--data-dir", data],
           1, ["nope.ckpt", "does not exist"])
    safetensors = os.path.join("weights", "model.safetensors")
    m.case("eval, model.safetensors truncated", ["eval", "--model-dir", damaged, "--data-dir", data], 1,
           ["model.safetensors"], setup=damage(safetensors, truncate))

    def huge_header(b):
        return struct.pack("<Q", 1 << 60) + b[8:]

    def overlapping(b):
        (n,) = struct.unpack("<Q", b[:8])
        header = json.loads(b[8:8 + n])
        # Two tensors of one shape (128 x 128) pointed at the same bytes.
        header["decoder.0.weight"]["data_offsets"] = header["encoder.2.weight"]["data_offsets"]
        text = json.dumps(header).encode()
        text += b" " * ((8 - len(text) % 8) % 8)
        return struct.pack("<Q", len(text)) + text + b[8 + n:]

    m.case("export, safetensors header length 2^60", ["export", "--model-dir", damaged], 1,
           ["model.safetensors", "header"], setup=damage(safetensors, huge_header))
    m.case("export, safetensors offsets overlap", ["export", "--model-dir", damaged], 1,
           ["model.safetensors", "overlap"], setup=damage(safetensors, overlapping))
    config = os.path.join("weights", "config.json")
    m.case("reconstruct, config.json not JSON", ["reconstruct", "--model-dir", damaged, "--data-dir", data,
                                                 "--out", os.path.join(root, "r.png")], 1, ["config.json"],
           setup=damage(config, lambda b: b"{ not json"))
    def inflated(b):
        config = json.loads(b)
        config["architecture"]["layer_sizes"] = [1 << 20, 1 << 20, 1 << 20, 1 << 20, 1 << 20]
        return json.dumps(config).encode()

    # The shapes are checked against the safetensors header before anything of that size exists: in
    # 1.5 GB of address space (not under ASan, whose shadow memory needs terabytes of it).
    sanitized = "-fsanitize=address" in run(["--version"]).stdout
    bounded = None if sanitized or not shutil.which("prlimit") else (lambda c: ["prlimit", "--as=1500000000"] + c)
    for command, extra in (("export", []), ("eval", ["--data-dir", data])):
        m.case(f"{command}, config.json claims layers of 2^20", [command, "--model-dir", damaged] + extra,
               1, ["model.safetensors", "another shape"], setup=damage(config, inflated), wrap=bounded)
    # An existing --out that is not a regular file is refused, never replaced by one.
    out_fifo = os.path.join(root, "out-fifo")
    os.mkfifo(out_fifo)
    out_link = os.path.join(root, "out-link.png")
    os.symlink(os.path.join(model, "weights", "config.json"), out_link)
    for target, needle in (("/dev/null", "a character device"), (out_fifo, "a FIFO"), (out_link, "a symbolic link")):
        m.case(f"export --out {os.path.basename(target)} ({needle})", ["export", "--model-dir", model, "--out", target],
               1, [target, needle, "refusing to replace"])
    m.case("reconstruct --out a symbolic link", ["reconstruct", "--model-dir", model, "--data-dir", data,
                                                 "--out", out_link], 1, [out_link, "a symbolic link"])
    # SavedModel export: a directory, so no standard output; its version directory is swapped whole
    # and never through a link or over a file.
    m.case("export --format savedmodel --out -", ["export", "--model-dir", model, "--format", "savedmodel",
                                                  "--out", "-"], 2, ["--out", "directory"])
    m.case("export --serving-version 0", ["export", "--model-dir", model, "--format", "savedmodel",
                                          "--serving-version", "0"], 2, ["--serving-version"])
    m.case("export --serving-version with onnx", ["export", "--model-dir", model, "--serving-version", "3"], 2,
           ["--serving-version", "savedmodel"])
    serving_base = os.path.join(root, "serving")
    os.makedirs(os.path.join(serving_base, "elsewhere"))
    os.symlink(os.path.join(serving_base, "elsewhere"), os.path.join(serving_base, "7"))
    with open(os.path.join(serving_base, "8"), "w") as f:
        f.write("a file\n")
    for version, needle in (("7", "symbolic link"), ("8", "not a directory")):
        m.case(f"export --format savedmodel over a {needle}",
               ["export", "--model-dir", model, "--format", "savedmodel", "--out", serving_base,
                "--serving-version", version], 1, [os.path.join(serving_base, version), needle])
    m.case("export --format savedmodel --out a file", ["export", "--model-dir", model, "--format", "savedmodel",
                                                       "--out", os.path.join(serving_base, "8")], 1,
           [os.path.join(serving_base, "8"), "not a directory"])

    def odd_version():
        copy_model(model, damaged)
        with open(os.path.join(damaged, "saved_model", "9"), "w") as f:
            f.write("not a version directory\n")
    m.case("train: saved_model/9 is a file", train + ["--epochs", "2", "--model-dir", damaged], 1,
           [os.path.join("saved_model", "9"), "not a directory"], setup=odd_version)

    # A subdirectory the run writes in, read-only: found before training, not after an epoch of it.
    if can_unshare():
        for sub in ("weights", "saved_model", "logs", "checkpoints"):
            target = os.path.join(damaged, sub)
            m.case(f"train: <model-dir>/{sub} on a read-only mount", train + ["--epochs", "2", "--model-dir", damaged],
                   1, [target, "Read-only file system"], setup=lambda: copy_model(model, damaged),
                   wrap=lambda c, target=target: ["unshare", "-m", "--propagation", "private", "sh", "-c",
                                                  f'mount --bind "{target}" "{target}" && '
                                                  f'mount -o remount,bind,ro "{target}" && exec "$@"', "sh"] + c)
    # A file-size limit (ulimit -f) fails the write that crosses it with one line; no SIGXFSZ death.
    if shutil.which("prlimit"):
        fsize = lambda c: ["prlimit", "--fsize=100000"] + c  # noqa: E731
        m.case("train under a 100 kB file-size limit", train + ["--epochs", "2", "--model-dir", damaged], 1,
               ["ckpt-", "File too large"], setup=lambda: copy_model(model, damaged), wrap=fsize)
        m.case("export --format savedmodel under a 100 kB file-size limit",
               ["export", "--model-dir", model, "--format", "savedmodel", "--out", os.path.join(root, "fsize")], 1,
               ["saved_model.pb", "File too large"], wrap=fsize)

    (event_file,) = os.listdir(os.path.join(model, "logs"))  # the run's one file, named with its run id

    def fifo_event_file():
        copy_model(model, damaged)
        os.remove(os.path.join(damaged, "logs", event_file))
        os.mkfifo(os.path.join(damaged, "logs", event_file))
    m.case("train: its event file in logs/ is a FIFO", train + ["--epochs", "2", "--model-dir", damaged], 1,
           [event_file, "FIFO"], setup=fifo_event_file)
    exported = run(["export", "--model-dir", model, "--out", os.path.join(root, "m.onnx")])
    to_stdout = subprocess.run([TRAINER, "export", "--model-dir", model, "--out", "-"], capture_output=True)
    with open(os.path.join(root, "m.onnx"), "rb") as f:
        checks.check(exported.returncode == 0 and to_stdout.returncode == 0 and to_stdout.stdout == f.read()
                     and not to_stdout.stderr, "export --out - writes the same ONNX bytes to stdout, nothing else")
    os.remove(os.path.join(root, "m.onnx"))
    m.case("reconstruct --out in a missing directory",
           ["reconstruct", "--model-dir", model, "--data-dir", data, "--out", os.path.join(root, "no", "r.png")], 1,
           [os.path.join(root, "no")])
    cached = os.path.join("data", "fashion-mnist", "train-images-idx3-ubyte.gz")
    zero_cache = os.path.join(root, "zero-cache")

    def cache_with_zero_archive():
        shutil.rmtree(zero_cache, ignore_errors=True)
        shutil.copytree(os.path.join(root, "data"), zero_cache, symlinks=True)
        archive = os.path.join(zero_cache, "fashion-mnist", "train-images-idx3-ubyte.gz")
        os.remove(archive)
        os.symlink("/dev/zero", archive)

    m.case("download: a cached archive is a link to /dev/zero",
           ["download", "--dataset", "fashion-mnist", "--data-dir", zero_cache, "--offline"], 1,
           ["train-images-idx3-ubyte.gz", "character device"], setup=cache_with_zero_archive)
    decoded = os.path.join("data", "fashion-mnist", "train-images-idx3-ubyte")

    def corrupt_cache():
        for relative in (cached, decoded):
            path = os.path.join(root, relative)
            with open(path, "r+b") as f:
                f.seek(1000)
                f.write(b"\xde\xad\xbe\xef")

    m.case("cached archive corrupted, offline", train + ["--epochs", "1", "--model-dir", new_model, "--offline",
                                                         "--no-catalog-mirrors"], 1,
           ["train-images-idx3-ubyte.gz", "does not verify", "SHA-256 mismatch"], setup=corrupt_cache,
           allowed_changes=(cached, decoded))

    # ---- the network (local HTTPS servers, test CA) ----
    if Fixture is not None and shutil.which("openssl"):
        fixture = Fixture(os.path.join(temp_dir("bad-inputs-pki")), DATA_DIR)
        tls = {"SSL_CERT_FILE": fixture.ca_pem}
        fresh_cache = os.path.join(root, "fresh-cache")
        for mode, needles in [("truncated", ["connection closed after", "announced"]),
                              ("shortlength", ["SHA-256 mismatch"]),
                              ("endless", ["more than", "the catalog's file has"]),
                              ("huge", ["server announces 100000000 bytes"]),
                              ("loop", ["redirect loop"]), ("hop20", ["more than 10 redirects"]),
                              ("missing", ["HTTP 404"]), ("bigheader", ["header"]),
                              ("cut", ["inside a chunk"]),
                              # shown escaped, never obeyed by the terminal:
                              ("hostile", ["HTTP 503", "\\x1b[31mred\\x07"]),
                              # a response that never ends is cut off, however it dribbles:
                              ("continue", ["more than 8 interim (1xx) responses"]),
                              ("trickle", ["status line and headers not complete within 1 s"]),
                              ("drip", ["slower than the 8 KiB/s"])]:
            m.case(f"mirror: {mode}", ["download", "--dataset", "fashion-mnist", "--data-dir", fresh_cache,
                                       "--mirror", fixture.url(mode), "--no-catalog-mirrors", "--retries", "0",
                                       "--timeout", "1"],
                   1, [fixture.url(mode)] + needles, env=tls)
            shutil.rmtree(fresh_cache, ignore_errors=True)
        fifo = os.path.join(root, "cert-fifo")
        os.mkfifo(fifo)
        for cert, needle in ((root, "a directory"), (fifo, "a FIFO")):
            m.case(f"SSL_CERT_FILE is {needle}", ["download", "--dataset", "fashion-mnist", "--data-dir", fresh_cache,
                                                  "--mirror", fixture.url("data"), "--no-catalog-mirrors",
                                                  "--retries", "0"],
                   1, ["SSL_CERT_FILE=" + cert, needle, "not a regular file"], env={"SSL_CERT_FILE": cert})
            shutil.rmtree(fresh_cache, ignore_errors=True)
        # A file:// mirror whose files are a device or a FIFO is left for the next mirror.
        odd_mirror = os.path.join(root, "odd-mirror", "fashion-mnist")
        os.makedirs(odd_mirror)
        for i, name in enumerate(sorted(os.listdir(os.path.join(root, "data", "fashion-mnist")))):
            if name.endswith(".gz"):
                target = os.path.join(odd_mirror, name)
                os.mkfifo(target) if i % 2 else os.symlink("/dev/zero", target)
        result = run(["download", "--dataset", "fashion-mnist", "--data-dir", fresh_cache, "--no-catalog-mirrors",
                      "--retries", "0", "--mirror", "file://" + os.path.dirname(odd_mirror) + "/",
                      "--mirror", fixture.url("data")], tls)
        checks.check(result.returncode == 0 and "not a regular file" in result.stdout,
                     f"a file:// mirror of devices and FIFOs is passed over for the next: exit {result.returncode} "
                     f"{result.stderr.strip()[:200]}")
        shutil.rmtree(fresh_cache, ignore_errors=True)
        # JSON never fails on bytes: the hostile mirror's reason phrase is logged (as U+FFFD where it
        # is not UTF-8) and the next, good mirror is tried; a model dir whose name is not UTF-8 too.
        odd_dir = os.fsdecode(os.path.join(os.fsencode(root), b"model-\xff\xfe"))
        result = run(["--dataset", "fashion-mnist", "--data-dir", fresh_cache, "--limit", "64", "--epochs", "1",
                      "--log-format", "json", "--model-dir", odd_dir, "--no-catalog-mirrors", "--retries", "0",
                      "--mirror", fixture.url("hostile"), "--mirror", fixture.url("data")], tls)
        try:
            events = [json.loads(line) for line in result.stdout.splitlines()]
        except ValueError:
            events = []
        failed = [e for e in events if e.get("event") == "download_failed"]
        checks.check(result.returncode == 0 and events and failed and "\x1b" not in result.stdout + result.stderr
                     and events[-1].get("event") == "saved",
                     f"--log-format json with a hostile mirror, then a good one, into a non-UTF-8 model dir: exit "
                     f"{result.returncode}, {len(events)} JSON lines, {failed[:1]} {result.stderr.strip()[:200]}")
        shutil.rmtree(fresh_cache, ignore_errors=True)
    else:
        print("note: openssl is missing: the network cases are skipped")

    checks.check(m.cases >= 30, f"{m.cases} bad-input cases ran (at least 30)")
    shutil.rmtree(root, ignore_errors=True)
    checks.finish()


if __name__ == "__main__":
    main()
