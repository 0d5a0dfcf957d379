"""Batches smaller than the reconstruction grid, and odd --limit values: every batch size from 1 to
17 and limits from 1 image up train, write their pictures and evaluate without touching memory they
do not own (the grid's 10 images once went through buffers sized for the batch: heap corruption at
every epoch's end). Run under ASan by the asan preset; with --device cuda on trainer_cuda_emu it
checks the CUDA backend the same way.
   test_small_batches.py [--device cpu|cuda]"""
import argparse
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(__file__))
from common import DATA_DIR, Checks, run, temp_dir  # noqa: E402

DATA = ["--dataset", "fashion-mnist", "--data-dir", DATA_DIR, "--offline"]
SCALE, GAP, SIDE = 4, 4, 28


def png_size(path):
    """(width, height) from the IHDR chunk, after checking the signature and the chunk's CRC."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    crc = struct.unpack(">I", data[29:33])[0]
    if zlib.crc32(data[12:29]) != crc:
        return None
    return struct.unpack(">II", data[16:24])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    device = parser.parse_args().device
    checks = Checks()
    scratch = temp_dir("small-batches")
    cases = [(37, b) for b in range(1, 18)] + [(1, 256), (9, 4), (11, 256), (10, 3), (3, 2)]
    if device == "cuda":  # the emulator runs a step in a tenth of a second
        cases = [(13, 1), (13, 3), (13, 9), (9, 4), (1, 256)]
    for limit, batch in cases:
        model_dir = os.path.join(scratch, f"l{limit}-b{batch}")
        result = run(DATA + ["--device", device, "--epochs", "2", "--limit", str(limit), "--batch-size", str(batch),
                             "--model-dir", model_dir])
        shown = min(10, limit)
        expected = (shown * SIDE * SCALE + (shown + 1) * GAP, 2 * SIDE * SCALE + 3 * GAP)
        size = png_size(os.path.join(model_dir, "reconstructions.png")) if result.returncode == 0 else None
        checks.check(result.returncode == 0 and not result.stderr and size == expected,
                     f"--limit {limit} --batch-size {batch} on {device}: exit {result.returncode}, grid {size} "
                     f"(want {expected}) {result.stderr.strip()[:300]}")
        if batch in (1, 3, 256):
            evaluated = run(["eval", "--model-dir", model_dir, "--device", device, "--data-dir", DATA_DIR, "--offline"])
            reconstructed = run(["reconstruct", "--model-dir", model_dir, "--device", device, "--data-dir", DATA_DIR,
                                 "--offline", "--count", str(min(limit, 10)),
                                 "--out", os.path.join(model_dir, "grid.png")])
            checks.check(evaluated.returncode == 0 and reconstructed.returncode == 0
                         and not evaluated.stderr and not reconstructed.stderr,
                         f"eval and reconstruct of it: {evaluated.stdout.strip()} {evaluated.stderr.strip()} "
                         f"{reconstructed.stderr.strip()}")
    checks.finish()


if __name__ == "__main__":
    main()
