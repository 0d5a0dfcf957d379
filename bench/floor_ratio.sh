#!/usr/bin/env bash
# Epoch ÷ floor on real Fashion-MNIST: each round measures the FMA peak with `trainer bench`, then
# trains 6 epochs and divides the median (and min) of epochs 2..6 by the floor, the epoch's GFLOP at
# that peak. Peak and epoch are measured seconds apart, because this machine kind's speed drifts.
# Beside it, the bound from the same `trainer bench` run: its synthetic epochs with only their
# products (ProductsOnlyBackend), divided by the same floor.
# Usage: THREADS=1|2 bench/floor_ratio.sh ROUNDS TRAINER
set -euo pipefail
rounds=${1:?rounds} trainer=${2:?trainer binary} threads=${THREADS:-2}
for _ in $(seq "$rounds"); do
  bench=$("$trainer" bench --epochs 3 --threads "$threads" --json)
  dir=$(mktemp -d)
  "$trainer" train --dataset fashion-mnist --epochs 6 --threads "$threads" --model-dir "$dir" >/dev/null
  BENCH="$bench" python3 - "$dir/metrics.jsonl" "$threads" <<'PY'
import json, os, sys
bench = json.loads(os.environ["BENCH"])
floor = bench["epoch_gflop"] / bench["fma_peak_gflops"]
epochs = sorted(json.loads(line)["seconds"] for line in open(sys.argv[1]) if json.loads(line)["epoch"] >= 2)
median = epochs[len(epochs) // 2]
print(f"threads {sys.argv[2]} peak {bench['fma_peak_gflops']:.1f} GFLOP/s floor {floor:.4f} s "
      f"epoch median {median:.4f} s (min {epochs[0]:.4f}) ratio {median / floor:.3f} (min {epochs[0] / floor:.3f}); "
      f"products alone {bench['products_only_seconds_median'] / floor:.3f}, synthetic epoch {bench['epoch_seconds_median'] / floor:.3f}")
PY
  rm -rf "$dir"
done
