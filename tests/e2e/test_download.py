"""The downloader against local servers (CI has no internet): HTTPS with a CA made here, request
counting, broken servers, redirects, a CONNECT proxy, the offline mode and a corrupt cache."""
import hashlib
import json
import os
import pty
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, SKIP, TRAINER, Checks, run, temp_dir  # noqa: E402
from fixture_servers import Fixture  # noqa: E402

FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz"]
ARCHIVE_SHA = "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"
CONTENT_SHA = "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"


def cache_listing(data_dir):
    found = []
    for root, _, files in os.walk(data_dir):
        found += sorted(os.path.relpath(os.path.join(root, f), data_dir) for f in files)
    return found


def archives(data_dir):
    return [f for f in cache_listing(data_dir) if f.endswith(".gz")]


def piece_hash(data):
    top = hashlib.sha256()
    for at in range(0, len(data), 1 << 20):
        top.update(hashlib.sha256(data[at:at + (1 << 20)]).digest())
    return top.hexdigest()


def decoded_cache_checks(checks, fixture, cache, tls, scratch):
    """The decoded IDX files kept beside the archives: equal to the gunzipped archives, used by later
    runs (even with the archives gone), replaced silently when damaged; `download` still checks the
    archives themselves."""
    import gzip
    folder = os.path.join(cache, "fashion-mnist")
    listing = set(os.listdir(folder))
    decoded = [f[:-3] for f in FILES]
    checks.check(all(d in listing for d in decoded) and "decoded.json" in listing,
                 f"the first run keeps the decoded files and decoded.json: {sorted(listing)}")
    same = all(gzip.open(os.path.join(folder, f)).read() == open(os.path.join(folder, f[:-3]), "rb").read()
               for f in FILES)
    checks.check(same, "each decoded file equals its gunzipped archive")
    # decoded.json records each file's piece hash (SHA-256 over the SHA-256 of each 1 MiB piece),
    # computed here apart, and equal to the one in the catalog compiled into the binary.
    catalog = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "data", "catalog.json")))
    in_catalog = {f["name"][:-3]: f["content_piece_sha256"]
                  for d in catalog["datasets"] if d["name"] == "fashion-mnist" for f in d["files"]}
    index = json.load(open(os.path.join(folder, "decoded.json")))
    pieces = {name: piece_hash(open(os.path.join(folder, name), "rb").read()) for name in decoded}
    checks.check(index["format_version"] == 2 and
                 all(index["files"][n]["piece_sha256"] == pieces[n] == in_catalog[n] for n in decoded),
                 f"decoded.json holds the piece hashes, equal to hashlib's and the catalog's: {index}")
    offline = ["--dataset", "fashion-mnist", "--data-dir", cache, "--offline", "--epochs", "1", "--limit", "256",
               "--model-dir", os.path.join(scratch, "model-decoded")]
    aside = os.path.join(scratch, "aside")
    os.makedirs(aside)
    for f in FILES:
        os.rename(os.path.join(folder, f), os.path.join(aside, f))
    result = run(offline + ["--fresh"])
    for f in FILES:
        os.rename(os.path.join(aside, f), os.path.join(folder, f))
    checks.check(result.returncode == 0 and result.stderr == "",
                 f"later runs read the decoded files (archives moved away): {result.stderr.strip()}")
    train = os.path.join(folder, "train-images-idx3-ubyte")
    good = open(train, "rb").read()
    with open(train, "r+b") as f:
        f.seek(100000)
        f.write(b"\xff\x00\xff")
    result = run(offline + ["--fresh"])
    checks.check(result.returncode == 0 and result.stderr == "" and open(train, "rb").read() == good,
                 f"a damaged decoded file: the archives are used and it is rewritten {result.stderr.strip()}")
    # The last piece is checked too, not only the first.
    with open(train, "r+b") as f:
        f.seek(len(good) - 1)
        f.write(bytes([good[-1] ^ 1]))
    result = run(offline + ["--fresh"])
    checks.check(result.returncode == 0 and result.stderr == "" and open(train, "rb").read() == good,
                 f"the last byte damaged: the archives are used and it is rewritten {result.stderr.strip()}")
    # A consistent forgery (other images, and an index that records their piece hashes) is refused
    # by the catalog's piece hash, not trusted because decoded.json agrees with the file.
    forged = bytearray(good)
    forged[16:16 + 784] = bytes(784)
    with open(train, "wb") as f:
        f.write(forged)
    index_path = os.path.join(folder, "decoded.json")
    index = json.load(open(index_path))
    index["files"]["train-images-idx3-ubyte"]["piece_sha256"] = piece_hash(bytes(forged))
    json.dump(index, open(index_path, "w"))
    result = run(offline + ["--fresh"])
    checks.check(result.returncode == 0 and result.stderr == "" and open(train, "rb").read() == good,
                 f"a forged file with a matching index: refused by the catalog, rewritten {result.stderr.strip()}")
    # An index of the first format (whole-file SHA-256, checked on one thread) is passed over and
    # written again in this one.
    json.dump({"format_version": 1,
               "files": {n: {"sha256": hashlib.sha256(open(os.path.join(folder, n), "rb").read()).hexdigest(),
                             "from": n + ".gz"} for n in decoded}}, open(index_path, "w"))
    result = run(offline + ["--fresh"])
    checks.check(result.returncode == 0 and result.stderr == "" and
                 json.load(open(index_path))["format_version"] == 2,
                 f"a format-1 decoded.json is rewritten as format 2: {result.stderr.strip()}")
    os.remove(os.path.join(folder, FILES[0]))
    before = fixture.total_requests()
    result = run(["download", "--dataset", "fashion-mnist", "--data-dir", cache, "--mirror", fixture.url("data"),
                  "--no-catalog-mirrors"], env_extra=tls)
    checks.check(result.returncode == 0 and fixture.total_requests() - before == 1 and len(archives(cache)) == 4,
                 f"download checks the archives, not the decoded files: {result.stdout.strip()[-100:]}")


def main():
    if shutil.which("openssl") is None:
        print("SKIP: openssl (to make the test CA) is not installed")
        sys.exit(SKIP)
    checks = Checks()
    scratch = temp_dir("download")
    fixture = Fixture(os.path.join(scratch, "pki"), DATA_DIR)
    tls = {"SSL_CERT_FILE": fixture.ca_pem}
    counter = [0]

    def fresh_dir():
        # Each case starts from an empty cache and the previous one is done with: remove it, so
        # the test needs ~60 MB of disk rather than 30 caches' worth.
        if counter[0]:
            shutil.rmtree(os.path.join(scratch, f"cache{counter[0]}"), ignore_errors=True)
        counter[0] += 1
        return os.path.join(scratch, f"cache{counter[0]}")

    def download(data_dir, *mirrors, extra=(), env=None, only_mirrors=True):
        args = ["download", "--dataset", "fashion-mnist", "--data-dir", data_dir, "--retries", "0"]
        for mirror in mirrors:
            args += ["--mirror", mirror]
        if only_mirrors:
            args.append("--no-catalog-mirrors")
        return run(args + list(extra), env_extra=dict(tls, **(env or {})))

    def failed_cleanly(result, data_dir, *needles):
        """exit 1, one line on stderr holding every needle, and no file in the cache."""
        lines = result.stderr.splitlines()
        ok = (result.returncode == 1 and len(lines) == 1 and all(n in lines[0] for n in needles)
              and [f for f in cache_listing(data_dir) if f != "fashion-mnist/.lock"] == [])
        return ok, result.stderr.strip()

    # 1. First run: downloads from the HTTPS mirror and trains. 2. Second run: no request at all.
    cache = fresh_dir()
    before = fixture.total_requests()
    result = run(["--dataset", "fashion-mnist", "--data-dir", cache, "--mirror", fixture.url("data"),
                  "--no-catalog-mirrors", "--epochs", "1", "--limit", "512",
                  "--model-dir", os.path.join(scratch, "model")], env_extra=tls)
    print(result.stdout, result.stderr)
    checks.check(result.returncode == 0 and result.stdout.count("fetched fashion-mnist/") == 4,
                 "first run downloads the four files over HTTPS and trains")
    checks.check(fixture.total_requests() - before == 4, "first run: exactly 4 requests")
    checks.check(sorted(archives(cache)) == sorted(f"fashion-mnist/{f}" for f in FILES),
                 f"cache holds the files: {cache_listing(cache)}")
    before = fixture.total_requests()
    result = run(["--dataset", "fashion-mnist", "--data-dir", cache, "--mirror", fixture.url("data"),
                  "--epochs", "1", "--limit", "512", "--model-dir", os.path.join(scratch, "model2")],
                 env_extra=tls)
    checks.check(result.returncode == 0 and "fetched" not in result.stdout, "second run trains from the cache")
    checks.check(fixture.total_requests() == before, "second run makes zero requests")
    decoded_cache_checks(checks, fixture, cache, tls, scratch)

    # A cached file that no longer verifies is reported and fetched again (only that one).
    labels = os.path.join(cache, "fashion-mnist", "train-labels-idx1-ubyte.gz")
    with open(labels, "r+b") as f:
        f.seek(100)
        f.write(b"\xff\xff\xff")
    before = fixture.total_requests()
    result = download(cache, fixture.url("data"))
    checks.check(result.returncode == 0 and labels in result.stderr and "does not verify" in result.stderr
                 and "fetching it again" in result.stderr, f"corrupt cache file reported: {result.stderr.strip()}")
    checks.check(fixture.total_requests() - before == 1, "only the corrupt file is fetched again")
    checks.check(open(labels, "rb").read() == open(os.path.join(DATA_DIR, "fashion-mnist", FILES[1]), "rb").read(),
                 "the re-fetched file is the good one")

    # Wrong bytes: exit 1, both expected hashes and the actual ones, nothing in the cache.
    cache = fresh_dir()
    result = download(cache, fixture.url("wrong"))
    ok, line = failed_cleanly(result, cache, "/wrong/fashion-mnist/train-images-idx3-ubyte.gz",
                              "SHA-256 mismatch", ARCHIVE_SHA, CONTENT_SHA, "got", "(content)")
    checks.check(ok, f"wrong bytes: {line}")

    cases = [
        ("missing", [], ["HTTP 404"]),
        ("truncated", [], ["connection closed after", "of the 26421856 announced"]),
        ("cut", [], ["connection closed after", "inside a chunk"]),
        ("hop20", [], ["more than 10 redirects"]),
        ("loop", [], ["redirect loop"]),
        ("downgrade", [], ["refusing redirect from https to http://localhost"]),
        ("huge", [], ["server announces 100000000 bytes; the catalog's file has 26421880"]),
        ("endless", [], ["more than 27470456 bytes; the catalog's file has 26421880"]),
    ]
    for mode, extra, needles in cases:
        cache = fresh_dir()
        result = download(cache, fixture.url(mode), extra=extra)
        ok, line = failed_cleanly(result, cache, fixture.url(mode), *needles)
        checks.check(ok, f"{mode}: {line}")

    # A server slower than --timeout.
    cache = fresh_dir()
    start = time.monotonic()
    result = download(cache, fixture.url("slow"), extra=["--timeout", "0.5"])
    ok, line = failed_cleanly(result, cache, fixture.url("slow"), "timeout", "0.5 s")
    checks.check(ok and time.monotonic() - start < 3, f"slow server: {line}")

    # Wrong CA, and the built-in bundle (which does not know the test CA): TLS verification error.
    for label, env in [("SSL_CERT_FILE of another CA", {"SSL_CERT_FILE": fixture.other_ca_pem}),
                       ("built-in bundle", {"SSL_CERT_FILE": ""})]:
        cache = fresh_dir()
        result = download(cache, fixture.url("data"), env=env)
        ok, line = failed_cleanly(result, cache, "certificate verification failed")
        checks.check(ok, f"{label}: {line}")
    cache = fresh_dir()
    result = download(cache, fixture.url("data"), env={"SSL_CERT_FILE": os.path.join(scratch, "nope.pem")})
    ok, line = failed_cleanly(result, cache, "SSL_CERT_FILE=", "nope.pem", "No such file")
    checks.check(ok, f"missing SSL_CERT_FILE: {line}")

    # A redirect chain that ends well; chunked bodies; a 503 retried; first mirror dead.
    for label, mirrors, extra, expect_out in [
            ("redirect chain of 3", [fixture.url("hop3")], [], "fetched"),
            ("chunked body", [fixture.url("chunked")], [], "fetched"),
            ("503 then retried", [fixture.url("flaky")], ["--retries", "2"], "trying again in 0.5 s"),
            ("first mirror dead, second serves", [fixture.dead_url(), fixture.url("data")], [],
             "giving up on this mirror")]:
        cache = fresh_dir()
        result = download(cache, *mirrors, extra=extra)
        checks.check(result.returncode == 0 and expect_out in result.stdout and
                     len(archives(cache)) == 4, f"{label}: exit {result.returncode} {result.stderr.strip()}")

    # TRAINER_MIRROR works like --mirror.
    cache = fresh_dir()
    result = download(cache, env={"TRAINER_MIRROR": fixture.url("data")})
    checks.check(result.returncode == 0 and fixture.url("data") in result.stdout, "TRAINER_MIRROR is used")

    # --offline with an empty cache: exit 1, nothing created, not a single request.
    cache = fresh_dir()
    before = fixture.total_requests()
    result = download(cache, fixture.url("data"), extra=["--offline"])
    checks.check(result.returncode == 1 and "--offline" in result.stderr and len(result.stderr.splitlines()) == 1
                 and not os.path.exists(cache) and fixture.total_requests() == before,
                 f"--offline with an empty cache: {result.stderr.strip()}")
    # ... but file:// mirrors are not the network: the catalog's Debian copy is used offline.
    if os.path.isdir("/usr/share/datasets/fashion-mnist"):
        cache = fresh_dir()
        result = run(["download", "--dataset", "fashion-mnist", "--data-dir", cache, "--offline"])
        checks.check(result.returncode == 0 and "file:///usr/share/datasets/fashion-mnist/" in result.stdout,
                     f"--offline copies from the catalog's file:// mirror: {result.stderr.strip()}")

    # --dataset all finishes every dataset it can: mnist cannot come offline, fashion-mnist can.
    cache = fresh_dir()
    result = run(["download", "--dataset", "all", "--data-dir", cache, "--offline", "--no-catalog-mirrors",
                  "--mirror", "file://" + os.path.abspath(DATA_DIR) + "/"])
    lines = result.stderr.strip().splitlines()
    checks.check(result.returncode == 1 and len(archives(cache)) == 4 and "fashion-mnist: 4 files verified" in result.stdout
                 and len(lines) == 1 and lines[0].startswith("trainer: 1 of 2 datasets not completed; mnist: "),
                 f"download --dataset all --offline: fashion-mnist completed, mnist named: {lines} {result.stdout.strip()[-200:]}")

    # Through a CONNECT proxy; NO_PROXY bypasses it.
    cache = fresh_dir()
    proxy_env = {"HTTPS_PROXY": f"http://127.0.0.1:{fixture.proxy_port}", "https_proxy": ""}
    result = download(cache, fixture.url("data"), env=proxy_env)
    checks.check(result.returncode == 0 and fixture.connects.count(f"localhost:{fixture.https_port}") == 4,
                 f"CONNECT proxy carries the 4 downloads ({fixture.connects}) {result.stderr.strip()}")
    cache = fresh_dir()
    connects = len(fixture.connects)
    result = download(cache, fixture.url("data"), env=dict(proxy_env, NO_PROXY="example.com,localhost"))
    checks.check(result.returncode == 0 and len(fixture.connects) == connects, "NO_PROXY=localhost goes direct")
    result = download(fresh_dir(), fixture.url("data"), env={"HTTPS_PROXY": "socks5://127.0.0.1:1"})
    checks.check(result.returncode == 2 and "HTTPS_PROXY" in result.stderr and "only http://" in result.stderr,
                 f"unsupported proxy scheme is a usage error: {result.stderr.strip()}")

    # On a terminal: a live progress line with bytes, rate and ETA.
    cache = fresh_dir()
    master, slave = pty.openpty()
    process = subprocess.Popen([TRAINER, "download", "--dataset", "fashion-mnist", "--data-dir", cache,
                                "--mirror", fixture.url("data"), "--no-catalog-mirrors"],
                               stdout=slave, stderr=subprocess.PIPE, env=dict(os.environ, TERM="xterm", **tls))
    os.close(slave)
    screen = b""
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        screen += data
    os.close(master)
    process.wait(timeout=300)
    text = screen.decode(errors="replace")
    checks.check(process.returncode == 0 and "\r" in text and "MB/s" in text and "ETA" in text
                 and " / 26.4 MB" in text, f"terminal progress line: {text[:200]!r}")

    # Plain http, directly and through HTTP_PROXY (absolute-form request, no CONNECT).
    cache = fresh_dir()
    result = download(cache, fixture.http_url("data"))
    checks.check(result.returncode == 0 and fixture.http_url("data") in result.stdout, "http:// mirror, direct")
    cache = fresh_dir()
    forwarded = len(fixture.connects)
    result = download(cache, fixture.http_url("data"),
                      env={"HTTP_PROXY": f"http://127.0.0.1:{fixture.proxy_port}", "http_proxy": ""})
    checks.check(result.returncode == 0 and fixture.connects[forwarded:] ==
                 [f"http://localhost:{fixture.http_port}/data/fashion-mnist/{f}" for f in FILES],
                 f"HTTP_PROXY forwards http:// downloads: {fixture.connects[forwarded:]} {result.stderr.strip()}")

    # A --mirror on the local filesystem, laid out like a data dir.
    cache = fresh_dir()
    result = download(cache, "file://" + os.path.abspath(DATA_DIR), extra=["--offline"])
    checks.check(result.returncode == 0 and len(archives(cache)) == 4,
                 f"file:// --mirror, offline: {result.stderr.strip()}")

    # Without --data-dir the cache is $XDG_CACHE_HOME/trainer, else $HOME/.cache/trainer.
    home = fresh_dir()
    result = run(["download", "--dataset", "fashion-mnist", "--mirror", fixture.url("data"), "--no-catalog-mirrors"],
                 env_extra=dict(tls, HOME=home, XDG_CACHE_HOME="", TRAINER_DATA_DIR=""))
    checks.check(result.returncode == 0 and len(archives(os.path.join(home, ".cache", "trainer"))) == 4,
                 f"default cache under $HOME/.cache/trainer: {result.stdout.strip()[-120:]}")

    # Two trainers filling one cache at once: both succeed, each file is fetched once.
    cache = fresh_dir()
    before = fixture.total_requests()
    args = [TRAINER, "download", "--dataset", "fashion-mnist", "--data-dir", cache,
            "--mirror", fixture.url("data"), "--no-catalog-mirrors"]
    env = dict(os.environ, **tls)
    runs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(2)]
    codes = [p.wait(timeout=300) for p in runs]
    errors = [p.stderr.read().decode(errors="replace").strip() for p in runs]
    checks.check(codes == [0, 0], f"two concurrent downloads both succeed: {codes} {errors}")
    checks.check(fixture.total_requests() - before == 4, "the lock makes them fetch each file once")
    checks.check(len(archives(cache)) == 4 and not any(".tmp." in f for f in cache_listing(cache)),
                 f"no temporary left behind: {cache_listing(cache)}")

    fixture.close()
    shutil.rmtree(scratch)
    checks.finish()


if __name__ == "__main__":
    main()
