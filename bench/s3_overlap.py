"""Does training wait on the bucket? The same run into a local directory and into s3:// (moto on
127.0.0.1, from the s3 venv the tests use), directly and behind tests/e2e/s3_fault_proxy.py holding
every checkpoint PUT for --hold seconds (a slow link). If the step loop waited on uploads, the sum
of the epochs' seconds (metrics.jsonl, measured by the loop) would grow by the holds; overlapped, only
the whole process grows, by the wait for the last uploads at the end.

  python3 bench/s3_overlap.py [--epochs 5] [--runs 3] [--hold 0.5] [--record]
"""
import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from common import temp_dir  # noqa: E402
from pypi_venv import ensure_venv  # noqa: E402

TRAINER = os.environ.get("TRAINER_BIN", os.path.join(HERE, "..", "build", "release", "trainer"))
DATA_DIR = os.environ.get("TRAINER_TEST_DATA_DIR", "/usr/share/datasets")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port):
    for _ in range(300):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--hold", type=float, default=0.5)
    parser.add_argument("--record", action="store_true")
    args = parser.parse_args()
    bin_dir, reason = ensure_venv("s3", ["moto[server]==5.2.5"])
    if bin_dir is None:
        sys.exit(f"skipped: {reason}")
    scratch = temp_dir("s3-bench")
    moto_port, proxy_port = free_port(), free_port()
    rules = os.path.join(scratch, "rules.json")
    with open(rules, "w") as f:
        json.dump({"checkpoint_put_delay_s": args.hold}, f)
    servers = [subprocess.Popen([os.path.join(bin_dir, "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    wait_for(moto_port)
    servers.append(subprocess.Popen([sys.executable, os.path.join(HERE, "..", "tests", "e2e", "s3_fault_proxy.py"),
                                     str(proxy_port), str(moto_port), rules, os.path.join(scratch, "proxy.log")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait_for(proxy_port)
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1",
               AWS_DEFAULT_REGION="us-east-1", TRAINER_STAGING_DIR=os.path.join(scratch, "staging"))
    subprocess.run([os.path.join(bin_dir, "python"), "-c", "import boto3; boto3.client('s3', endpoint_url="
                    f"'http://127.0.0.1:{moto_port}').create_bucket(Bucket='bench')"], env=env, check=True)
    flags = ["--dataset", "fashion-mnist", "--data-dir", DATA_DIR, "--epochs", str(args.epochs), "--quiet",
             "--log-format", "json"]
    cases = [("local directory", None, None),
             ("s3:// (moto, direct)", moto_port, "direct"),
             (f"s3:// (each checkpoint PUT held {args.hold} s)", proxy_port, "held")]
    rows = []
    try:
        for label, port, tag in cases:
            whole, loop = [], []
            for run in range(args.runs):
                if port is None:
                    model_dir = os.path.join(scratch, f"local{run}")
                    run_env = env
                else:
                    model_dir = f"s3://bench/{tag}{run}"
                    run_env = dict(env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}")
                started = time.monotonic()
                subprocess.run([TRAINER, "--model-dir", model_dir] + flags, env=run_env, check=True,
                               stdout=subprocess.DEVNULL)
                whole.append(time.monotonic() - started)
                if port is None:
                    with open(os.path.join(model_dir, "metrics.jsonl")) as f:
                        metrics = f.read()
                else:
                    metrics = subprocess.run(
                        [os.path.join(bin_dir, "python"), "-c", "import boto3, sys; sys.stdout.write(boto3.client("
                         f"'s3', endpoint_url='http://127.0.0.1:{moto_port}').get_object(Bucket='bench', "
                         f"Key='{tag}{run}/metrics.jsonl')['Body'].read().decode())"],
                        env=env, capture_output=True, text=True, check=True).stdout
                loop.append(sum(json.loads(line)["seconds"] for line in metrics.splitlines()))
            rows.append((label, statistics.median(loop), statistics.median(whole)))
    finally:
        for server in servers:
            server.kill()
            server.wait()
    base_loop, base_whole = rows[0][1], rows[0][2]
    table = ["| model directory | epochs' seconds (the loop's own) | vs local | whole process s | vs local |",
             "|---|---|---|---|---|"]
    for label, loop, whole in rows:
        table.append(f"| {label} | {loop:.3f} | {loop / base_loop:.2f}x | {whole:.3f} | {whole / base_whole:.2f}x |")
    text = "\n".join(table)
    print(text)
    if args.record:
        command = " ".join(["python3 bench/s3_overlap.py"] + sys.argv[1:])
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write(f"\n## {time.strftime('%Y-%m-%d')}: training into a bucket (issue 19)\n\n"
                    f"Machine: {cpu_name()}, {os.cpu_count()} cores, Linux {platform.release()}.  \n"
                    f"Command: `{command}`  \n"
                    f"Fashion-MNIST 60k, {args.epochs} epochs, batch 256, medians of {args.runs} runs each.\n\n"
                    f"{text}\n")


if __name__ == "__main__":
    main()
