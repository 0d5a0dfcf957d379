#!/usr/bin/env bash
# Stages what bench/gpu_check.sh needs on a GPU machine that has none of our Debian packages:
# the cuda-preset binaries, the glibc runtime they were linked against (for hosts whose glibc is
# older), and Fashion-MNIST. Output: build/gpu-bundle (about 45 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=build/gpu-bundle
rm -rf "$bundle"
mkdir -p "$bundle/bin" "$bundle/lib" "$bundle/data"
cp build/cuda/trainer build/cuda/tests/cuda_unit_tests "$bundle/bin/"
for lib in ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1; do
  cp -L "/lib/x86_64-linux-gnu/$lib" "$bundle/lib/"
done
cp -r /usr/share/datasets/fashion-mnist "$bundle/data/"
du -sh "$bundle"
