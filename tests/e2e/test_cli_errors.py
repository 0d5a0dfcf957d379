"""Every bad flag or value: exit 2, exactly one line on stderr naming the flag and what is allowed."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, TRAINER, Checks, run, temp_dir  # noqa: E402

CASES = [
    (["--epochs", "0"], "--epochs", "1 to 1000000"),
    (["--epochs", "-5"], "--epochs", "1 to 1000000"),
    (["--epochs", "many"], "--epochs", "whole number"),
    (["--epochs", "10000001"], "--epochs", "1 to 1000000"),
    (["--batch-size", "0"], "--batch-size", "1 to 60000"),
    (["--batch-size", "1e3"], "--batch-size", "whole number"),
    (["--learning-rate", "0"], "--learning-rate", "greater than 0"),
    (["--learning-rate", "inf"], "--learning-rate", "greater than 0"),
    (["--learning-rate", "fast"], "--learning-rate", "greater than 0"),
    (["--hidden", "0"], "--hidden", "1 to 4096"),
    (["--code", "5000"], "--code", "1 to 4096"),
    (["--dataset", "cifar10"], "--dataset", "mnist|fashion-mnist"),
    (["--output-activation", "softmax"], "--output-activation", "relu|sigmoid"),
    (["--seed", "x"], "--seed", "whole number"),
    (["--threads", "0"], "--threads", "1 to 1024"),
    (["--limit", "0"], "--limit", "1 to 60000"),
    (["--model-dir", ""], "--model-dir", "path"),
    # A URL is never a local directory named "s3:" (it once trained into ./s3:/runs/x): s3:// is a
    # bucket (tests/e2e/test_s3_model_dir.py), any other scheme a usage error naming what works.
    (["--model-dir", "gs://bucket/run"], "--model-dir", "S3-compatible API: --model-dir s3://bucket/run"),
    (["eval", "--model-dir", "hdfs://nn/run"], "--model-dir", "is a URL (hdfs://); a model directory is a local path or s3://"),
    (["export", "--model-dir", "az://c/run"], "--model-dir", "is a URL (az://)"),
    (["reconstruct", "--model-dir", "s3://Runs_Bucket/x"], "--model-dir", "bucket name"),
    (["gather", "--model-dir", "s3://"], "--model-dir", "bucket"),
    # The test sets have 10000 images: the range says so, not the training set's 60000.
    (["reconstruct", "--out", "x.npy", "--count", "100000"], "--count", "from 1 to 10000"),
    (["--data-dir", ""], "--data-dir", "path"),
    # cxxopts' own messages in ours: the flag first, plain quotes, the switch named.
    (["--no-such-flag"], "--no-such-flag", "no such flag for trainer (see trainer --help)"),
    (["--epochs"], "--epochs", "needs a value"),
    (["--fresh=maybe"], "--fresh", "a switch takes true or false, got 'maybe'"),
    (["--no-tensorboard=maybe"], "--no-tensorboard", "a switch takes true or false, got 'maybe'"),
    (["eval", "--lease-seconds", "5"], "--lease-seconds", "no such flag for trainer eval"),
    (["--epochs", "3", "extra"], "extra", "unexpected argument"),
    (["frobnicate"], "frobnicate", "unknown command"),
    (["--mirror", "ftp://example.com/"], "--mirror", "unsupported scheme 'ftp'"),
    (["--mirror", "https:///nohost/"], "--mirror", "missing host"),
    (["--mirror", "https://user:pw@example.com/"], "--mirror", "credentials"),
    (["--mirror", "file://server/share/"], "--mirror", "local path"),
    (["--timeout", "0"], "--timeout", "from 0.1 to 3600"),
    (["--timeout", "1e-9"], "--timeout", "from 0.1 to 3600"),
    (["--timeout", "3601"], "--timeout", "3600"),
    (["--retries", "11"], "--retries", "0 to 10"),
    (["download", "--dataset", "cifar10"], "--dataset", "mnist|fashion-mnist|all"),
    (["download", "--epochs", "3"], "--epochs", "no such flag for trainer download"),
    (["download", "--mirror", "gopher://x/"], "--mirror", "unsupported scheme"),
]


def main():
    checks = Checks()
    scratch = temp_dir("cli")
    for args, name, allowed in CASES:
        never = ["--model-dir", os.path.join(scratch, "never")]
        result = run(args if "--model-dir" in args or not args[0].startswith("-") else never + args)
        lines = result.stderr.splitlines()
        checks.check(result.returncode == 2 and len(lines) == 1 and name in lines[0] and allowed in lines[0]
                     and "\u2018" not in lines[0] and lines[0].startswith("trainer: "),
                     f"{' '.join(args)!r} -> exit {result.returncode}, stderr {result.stderr.strip()!r}")
    # The forced SIMD arch is checked like a flag.
    result = run(["--model-dir", os.path.join(scratch, "never")], {"TRAINER_SIMD": "neon"})
    checks.check(result.returncode == 2 and result.stderr.count("\n") == 1 and "TRAINER_SIMD=neon" in result.stderr,
                 f"TRAINER_SIMD=neon -> exit {result.returncode}, {result.stderr.strip()!r}")
    result = run(["download", "--data-dir", os.path.join(scratch, "never")], {"TRAINER_MIRROR": "https://ok.example/ nonsense"})
    checks.check(result.returncode == 2 and result.stderr.count("\n") == 1 and "TRAINER_MIRROR: 'nonsense'" in result.stderr,
                 f"bad TRAINER_MIRROR -> exit {result.returncode}, {result.stderr.strip()!r}")
    checks.check(not os.path.exists(os.path.join(scratch, "never")), "nothing made by a rejected run")

    result = run(["--help"])
    checks.check(result.returncode == 0 and "--epochs" in result.stdout and "--output-activation" in result.stdout,
                 "--help prints the flags and exits 0")
    result = run(["--version"])
    checks.check(result.returncode == 0 and result.stdout.startswith("trainer "), f"--version: {result.stdout.strip()}")
    result = run(["download", "--help"])
    checks.check(result.returncode == 0 and "--mirror" in result.stdout and "--offline" in result.stdout
                 and "SSL_CERT_FILE" in result.stdout, "download --help prints its flags and exits 0")
    result = run(["train", "--version"])
    checks.check(result.returncode == 0, "the train command is accepted explicitly")
    result = run(["--version"])
    checks.check("build: " in result.stdout and (", static" in result.stdout or ", dynamic" in result.stdout),
                 f"--version names the compiler and build flags: {result.stdout.strip()!r}")

    result = run(["info", "--data-dir", DATA_DIR])
    lines = result.stdout.splitlines()
    starts = ("trainer ", "build: ", "cpu: ", "simd: ", "cuda: ", "data dir: ")
    checks.check(result.returncode == 0 and all(any(l.startswith(p) for l in lines) for p in starts)
                 and f"data dir:  {DATA_DIR} (from --data-dir)" in result.stdout
                 and "fashion-mnist: cached (4 files" in result.stdout,
                 f"trainer info reports build, CPU, SIMD, CUDA and the data dir: {result.stdout.strip()!r}")
    # A data dir info cannot read is said as such, never "not cached" (which sends users to download).
    a_file = os.path.join(scratch, "a-file")
    open(a_file, "w").close()
    result = run(["info", "--data-dir", a_file])
    checks.check(result.returncode == 0 and "not a directory" in result.stdout and "not cached" not in result.stdout,
                 f"info on a data dir that is a file: {result.stdout.strip().splitlines()[-1:]}")
    locked = os.path.join(scratch, "locked-data")
    os.makedirs(os.path.join(locked, "mnist"))
    os.chmod(os.path.join(locked, "mnist"), 0)
    os.chmod(scratch, 0o755)
    if os.getuid() == 0 and shutil.which("setpriv"):
        copy = os.path.join(scratch, "trainer")  # where user nobody may run it
        shutil.copy(TRAINER, copy)
        os.chmod(copy, 0o755)
        result = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", copy, "info",
                                 "--data-dir", locked], capture_output=True, text=True)
        checks.check(result.returncode == 0 and f"mnist: cannot read {locked}/mnist: Permission denied" in result.stdout,
                     f"info on an unreadable dataset directory (as user nobody): {result.stdout.strip().splitlines()[-2:]} {result.stderr.strip()}")
    elif os.getuid() != 0:
        result = run(["info", "--data-dir", locked])
        checks.check("mnist: cannot read" in result.stdout, f"info on an unreadable dataset directory: {result.stdout.strip()}")
    else:
        print("note: setpriv missing: the unreadable data dir case is not checked")
    os.chmod(os.path.join(locked, "mnist"), 0o755)
    result = run(["info", "--threads", "2"])
    checks.check(result.returncode == 2 and result.stderr.count("\n") == 1, f"info with a bad flag: {result.stderr.strip()!r}")
    result = run(["eval", "--help"])
    checks.check(result.returncode == 0 and "--checkpoint" in result.stdout, "eval --help prints its flags")
    checks.finish()


if __name__ == "__main__":
    main()
