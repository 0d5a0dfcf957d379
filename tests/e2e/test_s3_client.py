"""The S3 client (net/s3_client.h, SigV4 in net/sigv4.h) against a real S3 API server: moto's, from
PyPI (moto[server] in a cached venv, tests/e2e/pypi_venv.py; skipped where PyPI is unreachable),
on 127.0.0.1, driven through tests/tools/s3_probe. boto3 (which moto brings) is the independent
side: what our PUT stored, boto3 reads back byte for byte, and what boto3 stored, we read.

  test_s3_client.py S3_PROBE
"""
import os
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, SKIP, TRAINER, Checks, temp_dir  # noqa: E402
from pypi_venv import ensure_venv  # noqa: E402

REQUIREMENTS = ["moto[server]==5.2.5"]
KEYS = ["plain.txt", "a b/c$d+e=f~g.txt", "ünïcode/ключ.bin", "deep/er/and/deeper/x", "empty"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    probe = sys.argv[1]
    bin_dir, reason = ensure_venv("s3", REQUIREMENTS)
    if bin_dir is None:
        print(f"skipped: {reason}")
        sys.exit(SKIP)
    checks = Checks()
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1",
               AWS_ENDPOINT_URL=endpoint, HOME=temp_dir("s3-home"))
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_SHARED_CREDENTIALS_FILE",
                 "AWS_CONFIG_FILE", "HTTP_PROXY", "http_proxy"):
        env.pop(name, None)
    server = subprocess.Popen([os.path.join(bin_dir, "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    scratch = temp_dir("s3")
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(endpoint + "/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        boto = os.path.join(bin_dir, "python")

        def boto3(code):
            return subprocess.run([boto, "-c", "import boto3, sys; s3 = boto3.client('s3'); " + code],
                                  capture_output=True, env=env, timeout=120)

        def run(*args):
            return subprocess.run([probe] + list(args), capture_output=True, env=env, timeout=60)

        made = boto3("s3.create_bucket(Bucket='runs')")
        checks.check(made.returncode == 0, f"moto on {endpoint}, bucket 'runs' made by boto3 {made.stderr[-200:]}")

        # Our PUT, then our GET and boto3's GET of the same bytes; keys with spaces, $ + = ~, non-ASCII.
        for i, key in enumerate(KEYS):
            data = b"" if key == "empty" else os.urandom(1 << 20) if i == 0 else f"object {i}\n".encode()
            path = os.path.join(scratch, f"in{i}")
            with open(path, "wb") as f:
                f.write(data)
            put = run("put", "s3://runs/exp/1", key, path)
            got = run("get", "s3://runs/exp/1", key)
            theirs = boto3(f"sys.stdout.buffer.write(s3.get_object(Bucket='runs', Key={'exp/1/' + key!r})['Body'].read())")
            checks.check(put.returncode == 0 and put.stdout.strip().startswith(b'"') and got.stdout == data
                         and theirs.stdout == data,
                         f"PUT then GET of {key!r} ({len(data)} bytes): ours and boto3's read the same bytes "
                         f"{put.stderr.decode()[-200:]} {got.stderr.decode()[-200:]}")
        listed = run("list", "s3://runs/exp/1")
        keys = [line.rsplit(" ", 2)[0] for line in listed.stdout.decode().splitlines()]
        checks.check(listed.returncode == 0 and sorted(keys) == sorted(KEYS),
                     f"ListObjectsV2 under the prefix, keys relative to it: {keys}")
        # Pagination: 1005 keys (S3 pages at 1000), stored by boto3.
        many = boto3("[s3.put_object(Bucket='runs', Key=f'many/k{i:04d}', Body=b'x') for i in range(1005)]")
        listed = run("list", "s3://runs/many")
        lines = listed.stdout.decode().splitlines()
        checks.check(many.returncode == 0 and len(lines) == 1005 and lines[0].startswith("k0000 1 ")
                     and lines[-1].startswith("k1004 1 "),
                     f"a listing of 1005 keys follows the continuation token: {len(lines)} keys")
        sub = run("list", "s3://runs", "many/k100")
        checks.check(len(sub.stdout.decode().splitlines()) == 5, f"a listing with a sub-prefix (k1000..k1004): {sub.stdout.decode().split()[::3]}")

        # Conditional writes, the lease's primitives.
        path = os.path.join(scratch, "lease")
        with open(path, "w") as f:
            f.write("holder 1\n")
        first = run("put", "s3://runs/exp/1", ".lease", path, "absent")
        second = run("put", "s3://runs/exp/1", ".lease", path, "absent")
        checks.check(first.returncode == 0 and second.returncode == 4 and b"412 PreconditionFailed" in second.stderr,
                     f"If-None-Match: * creates once, then 412 PreconditionFailed: {second.stderr.decode().strip()}")
        etag = first.stdout.decode().strip()
        stale = run("put", "s3://runs/exp/1", ".lease", path, '"0123456789abcdef0123456789abcdef"')
        current = run("put", "s3://runs/exp/1", ".lease", path, etag)
        checks.check(stale.returncode == 4 and b"PreconditionFailed" in stale.stderr and current.returncode == 0,
                     f"If-Match: a stale ETag is refused, the current one replaces: {stale.stderr.decode().strip()}")

        # Answers that are errors carry S3's code; a missing key is an answer.
        missing_key = run("get", "s3://runs/exp/1", "nothing-here")
        head_missing = run("head", "s3://runs/exp/1", "nothing-here")
        checks.check(missing_key.returncode == 3 and head_missing.returncode == 3,
                     "GET and HEAD of a missing key: no such key, not an error")
        no_bucket = run("get", "s3://no-such-bucket/x", "y")
        checks.check(no_bucket.returncode == 4 and b"404 NoSuchBucket s3://no-such-bucket/x/y" in no_bucket.stderr,
                     f"a missing bucket: its code and the URL: {no_bucket.stderr.decode().strip()}")
        deleted = run("delete", "s3://runs/exp/1", "plain.txt")
        checks.check(deleted.returncode == 0 and run("get", "s3://runs/exp/1", "plain.txt").returncode == 3,
                     "DELETE removes the key")
        refused = subprocess.run([probe, "get", "s3://runs/exp", "x"], capture_output=True, timeout=60,
                                 env=dict(env, AWS_ACCESS_KEY_ID="", AWS_SECRET_ACCESS_KEY=""))
        checks.check(refused.returncode == 1 and b"no AWS credentials" in refused.stderr,
                     f"no credentials: one message naming what to set: {refused.stderr.decode().strip()}")

        # A private dataset mirror in a bucket: signed GETs, verified by the catalog's hashes.
        source = os.path.join(DATA_DIR, "fashion-mnist")
        names = sorted(n for n in os.listdir(source) if n.endswith(".gz"))
        uploaded = boto3("s3.create_bucket(Bucket='mirror'); import os; "
                         f"[s3.upload_file(os.path.join({source!r}, n), 'mirror', 'datasets/fashion-mnist/' + n) "
                         f"for n in {names!r}]; "
                         f"[s3.put_object(Bucket='mirror', Key='bad/fashion-mnist/' + n, Body=b'not the data') "
                         f"for n in {names!r}]")

        def download(mirror, extra_env=None):
            data_dir = temp_dir("s3-data")
            result = subprocess.run([TRAINER, "download", "--dataset", "fashion-mnist", "--data-dir", data_dir,
                                     "--mirror", mirror, "--no-catalog-mirrors", "--retries", "0"],
                                    capture_output=True, text=True, env=dict(env, **(extra_env or {})), timeout=300)
            return result, data_dir

        good, data_dir = download("s3://mirror/datasets")
        checks.check(uploaded.returncode == 0 and good.returncode == 0
                     and set(names) <= set(os.listdir(os.path.join(data_dir, "fashion-mnist"))),
                     f"download --mirror s3://mirror/datasets: the four files, verified: {good.stdout.strip()[-200:]} "
                     f"{good.stderr.strip()[-300:]}")
        bad, _ = download("s3://mirror/bad")
        lines = bad.stderr.splitlines()
        checks.check(bad.returncode == 1 and len(lines) == 1 and "s3://mirror/bad/fashion-mnist/" in lines[0]
                     and "SHA-256" in lines[0], f"a mirror in a bucket serving wrong bytes: exit 1, {lines}")
        missing, _ = download("s3://mirror/nothing")
        checks.check(missing.returncode == 1 and "NoSuchKey" in missing.stderr,
                     f"a prefix without the files: exit 1, {missing.stderr.strip()[:200]}")
        anonymous, _ = download("s3://mirror/datasets", {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
        checks.check(anonymous.returncode == 1 and "no AWS credentials" in anonymous.stderr
                     and len(anonymous.stderr.splitlines()) == 1,
                     f"no credentials for an s3:// mirror: exit 1, {anonymous.stderr.strip()[:200]}")
        refused = subprocess.run([TRAINER, "download", "--mirror", "s3://A_bucket/x"], capture_output=True, text=True)
        checks.check(refused.returncode == 2 and "--mirror" in refused.stderr and "bucket name" in refused.stderr,
                     f"--mirror with a bucket name S3 refuses: exit 2, {refused.stderr.strip()}")
    finally:
        os.killpg(server.pid, 9)
        server.wait()
    checks.finish()


if __name__ == "__main__":
    main()
