#!/usr/bin/env bash
# The GPU check, run once on a lent GPU machine (see README "CUDA"): prints the machine, runs the
# CUDA kernel tests and the CPU-vs-CUDA byte-identity test, then benchmarks one epoch of the seed
# model (ours with and without CUDA graphs, PyTorch eager on the same GPU, the fp32 floor) and
# prints a table. Needs build/gpu-bundle from bench/make_gpu_bundle.sh. Logs go to $OUT if set.
set -uo pipefail
cd "$(dirname "$0")/.."
bundle=$PWD/build/gpu-bundle
out=${OUT:-/tmp/gpu-check}
mkdir -p "$out"
exec > >(tee "$out/gpu_check.log") 2>&1

echo "== machine"
ldd --version | head -1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
nproc
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'

# Our binary needs glibc >= the build machine's (2.36); run it through the bundled loader if older.
runner=$bundle/bin/run
if "$bundle/bin/trainer" --version >/dev/null 2>&1; then
  printf '#!/bin/sh\nexec %s/bin/"$(basename "$0" | sed s/^run-//)" "$@"\n' "$bundle" > "$runner"
else
  echo "host glibc too old for the binary: using the bundled glibc loader"
  printf '#!/bin/sh\nexec %s/lib/ld-linux-x86-64.so.2 --library-path %s/lib %s/bin/"$(basename "$0" | sed s/^run-//)" "$@"\n' \
    "$bundle" "$bundle" "$bundle" > "$runner"
fi
chmod +x "$runner"
ln -sf run "$bundle/bin/run-trainer"
ln -sf run "$bundle/bin/run-cuda_unit_tests"
"$bundle/bin/run-trainer" --version

echo "== CUDA kernel tests (each kernel vs its CPU twin)"
"$bundle/bin/run-cuda_unit_tests" 2>&1 | tail -5
kernels_rc=${PIPESTATUS[0]}

echo "== CPU vs CUDA byte identity"
TRAINER_BIN=$bundle/bin/run-trainer TRAINER_TEST_DATA_DIR=$bundle/data timeout 400 python3 tests/e2e/test_cuda_identity.py
identity_rc=$?

echo "== benchmark: seed model, Fashion-MNIST 60k, batch 256"
epoch_ms() {  # median epoch time in ms over epochs 2..N of a trainer run
  local dir; dir=$(mktemp -d)
  env "$@" "$bundle/bin/run-trainer" --device cuda --epochs 6 --dataset fashion-mnist --data-dir "$bundle/data" \
    --model-dir "$dir" > "$dir/log" 2>&1 || { cat "$dir/log"; echo "nan"; return; }
  python3 -c "import json,statistics,sys; s=[json.loads(l)['seconds'] for l in open(sys.argv[1])][1:]; print(f'{1000*statistics.median(s):.2f}')" "$dir/metrics.jsonl"
}
ours_graph=$(epoch_ms TRAINER_CUDA_GRAPHS=1)
ours_eager=$(epoch_ms TRAINER_CUDA_GRAPHS=0)
torch_line=$(timeout 300 python3 bench/pytorch_epoch.py "$bundle/data" 0 6 cuda | tail -1)
echo "$torch_line"
python3 - "$ours_graph" "$ours_eager" "$torch_line" <<'PY'
import json, statistics, sys, torch
ours_graph, ours_eager = float(sys.argv[1]), float(sys.argv[2])
torch_ms = 1000 * statistics.median(json.loads(sys.argv[3])["seconds"][1:])
torch.backends.cuda.matmul.allow_tf32 = False
a = torch.randn(8192, 8192, device="cuda"); b = torch.randn(8192, 8192, device="cuda")
for _ in range(3): a @ b
torch.cuda.synchronize()
start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
start.record()
for _ in range(10): a @ b
end.record(); torch.cuda.synchronize()
rate = 10 * 2 * 8192**3 / (start.elapsed_time(end) / 1000)  # FLOP/s, fp32 without TF32
floor_ms = 72.0e9 / rate * 1000
print(f"| {torch.cuda.get_device_name()} | ms/epoch | vs PyTorch eager |")
print("|---|---|---|")
print(f"| trainer, CUDA graph | {ours_graph:.2f} | {torch_ms / ours_graph:.2f}x faster |")
print(f"| trainer, one launch per op | {ours_eager:.2f} | {torch_ms / ours_eager:.2f}x faster |")
print(f"| PyTorch {torch.__version__} eager (fp32) | {torch_ms:.2f} | 1.00x |")
print(f"| fp32 floor: 72 GFLOP at the measured {rate / 1e12:.1f} TFLOP/s (cuBLAS 8192^2 SGEMM) | {floor_ms:.2f} | |")
PY
echo "== exit codes: kernels $kernels_rc, identity $identity_rc"
