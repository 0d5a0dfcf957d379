#!/usr/bin/env bash
# A/B of trainer binaries on real Fashion-MNIST, interleaved so that the host's drift hits each one
# alike: every round trains 6 epochs with each binary in turn; epochs 2..6 of all rounds are pooled
# per binary and printed as min / first quartile / median seconds, with the first model's sha256
# prefix (changes meant to be exact must keep it).
# Usage: THREADS=1|2 bench/interleaved_epochs.sh ROUNDS TRAINER...
set -euo pipefail
rounds=${1:?usage: THREADS=1|2 $0 ROUNDS TRAINER...} threads=${THREADS:-2}
shift
(($# > 0)) || { echo "usage: THREADS=1|2 $0 ROUNDS TRAINER..." >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for round in $(seq "$rounds"); do
  for i in $(seq $#); do
    dir="$out/run"
    rm -rf "$dir"
    "${!i}" train --dataset fashion-mnist --epochs 6 --threads "$threads" --model-dir "$dir" >/dev/null
    python3 -c 'import json,sys; [print(json.loads(l)["seconds"]) for l in open(sys.argv[1]) if json.loads(l)["epoch"] >= 2]' \
      "$dir/metrics.jsonl" >>"$out/epochs.$i"
    ((round == 1)) && sha256sum "$dir/weights/model.safetensors" | cut -c1-8 >"$out/sha.$i"
  done
done
for i in $(seq $#); do
  python3 - "$out/epochs.$i" "${!i}" "$(cat "$out/sha.$i")" <<'PY'
import sys
s = sorted(float(x) for x in open(sys.argv[1]))
print(f"{sys.argv[2]}: n {len(s)} min {s[0]:.4f} q1 {s[len(s) // 4]:.4f} median {s[len(s) // 2]:.4f} s, model {sys.argv[3]}")
PY
done
