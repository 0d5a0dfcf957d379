"""Same seed and flags -> byte-identical model.safetensors and the same train and test losses in
metrics.jsonl: across runs, thread counts and the avx2/avx512 paths; the sse2 path (no FMA) is
identical with itself across thread counts. The losses are compared too because the loss's column
sums are split between the first row chunk and a later pass (kernels/README.md), which the weights
never see."""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import SMALL, Checks, run, sha256, temp_dir  # noqa: E402

RAGGED = ["--batch-size", "100", "--hidden", "100", "--code", "30"]  # odd sizes: every kernel tail


def supports_avx512():
    flags = open("/proc/cpuinfo").read()
    return all(f in flags for f in ("avx512f", "avx512cd", "avx512dq", "avx512bw", "avx512vl"))


def main():
    checks = Checks()
    scratch = temp_dir("determinism")
    counter = [0]

    def outcome(out):
        losses = [(record["train_loss"], record["test_loss"])
                  for record in map(json.loads, open(os.path.join(out, "metrics.jsonl")))]
        return f"{sha256(os.path.join(out, 'weights', 'model.safetensors'))} losses {losses}"

    def model_hash(extra, env=None):
        counter[0] += 1
        out = os.path.join(scratch, f"run{counter[0]}")
        result = run(SMALL + extra + ["--model-dir", out], env)
        if result.returncode != 0:
            print(result.stderr)
            return f"failed with {result.returncode}"
        return outcome(out)

    for shape in ([], RAGGED):
        tag = "ragged shapes" if shape else "seed model"
        base = model_hash(shape + ["--threads", "2"])
        checks.check(model_hash(shape + ["--threads", "2"]) == base, f"{tag}: two runs, same seed -> same bytes")
        checks.check(model_hash(shape + ["--threads", "1"]) == base, f"{tag}: --threads 1 == --threads 2")
        checks.check(model_hash(shape + ["--threads", "3"]) == base, f"{tag}: --threads 3 == --threads 2")
        checks.check(model_hash(shape + ["--seed", "7"]) != base, f"{tag}: another seed -> other bytes")
        if supports_avx512():
            checks.check(model_hash(shape, {"TRAINER_SIMD": "avx2"}) == model_hash(shape, {"TRAINER_SIMD": "avx512"}),
                         f"{tag}: TRAINER_SIMD=avx2 == TRAINER_SIMD=avx512")
        else:
            print("SKIP  avx2 vs avx512: this CPU has no AVX-512")
        sse2 = model_hash(shape + ["--threads", "1"], {"TRAINER_SIMD": "sse2"})
        checks.check(model_hash(shape + ["--threads", "2"], {"TRAINER_SIMD": "sse2"}) == sse2,
                     f"{tag}: sse2 --threads 1 == --threads 2")
    # Far more threads than cores: the same bytes, one warning, and (not timed here: bench/RESULTS.md)
    # no busy-waiting that makes it crawl.
    out = os.path.join(scratch, "oversubscribed")
    result = run(SMALL + ["--threads", "64", "--model-dir", out])
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    checks.check(result.returncode == 0 and len(warnings) == 1 and "--threads 64" in warnings[0]
                 and "usable cores" in warnings[0]
                 and outcome(out) == model_hash(["--threads", "2"]),
                 f"--threads 64 on fewer cores: one warning, the same bytes and losses as --threads 2: {warnings}")
    shutil.rmtree(scratch)
    checks.finish()


if __name__ == "__main__":
    main()
