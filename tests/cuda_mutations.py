#!/usr/bin/env python3
"""Mutation check of the CUDA emulator: each mutation below is applied to a copy of
kernels/cuda, the emulated kernel tests are built from it under ASan + UBSan and run in the three
thread orders, and the mutation must be caught (a test fails, the emulator reports it, or a
sanitizer does). Fails if any mutation survives; prints the table README "CUDA without a GPU"
quotes. Opt-in and slow (ctest --preset slow, or by hand):
   tests/cuda_mutations.py [--build-dir DIR] [--only NAME]"""
import argparse
import os
import shutil
import subprocess
import sys
import time

SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDERS = ["forward", "reverse", "shuffled:20261201"]

# (name, file in kernels/cuda, text to replace, replacement, which occurrence from 0)
MUTATIONS = [
    ("gemm: first __syncthreads removed", "gemm.cu", "__syncthreads();", ";", 0),
    ("gemm: second __syncthreads removed", "gemm.cu", "__syncthreads();", ";", 1),
    ("gemm: __fmaf_rn -> mul + add", "gemm.cu", "acc[i][j] = __fmaf_rn(a[i], b[j], acc[i][j]);",
     "acc[i][j] = __fadd_rn(__fmul_rn(a[i], b[j]), acc[i][j]);", 0),
    ("adam: __fmaf_rn -> mul + add (m)", "adam.cu",
     "__fmaf_rn(__fsub_rn(g, a.m[i]), a.one_minus_beta1, a.m[i])",
     "__fadd_rn(__fmul_rn(__fsub_rn(g, a.m[i]), a.one_minus_beta1), a.m[i])", 0),
    ("mse: __fmaf_rn -> mul + add", "mse.cu", "sse = __fmaf_rn(d, d, sse);",
     "sse = __fadd_rn(__fmul_rn(d, d), sse);", 0),
    ("gemm: B as stored read untransposed", "gemm.cu", "static_cast<std::ptrdiff_t>(c) * g.ldb + p",
     "static_cast<std::ptrdiff_t>(p) * g.ldb + c", 0),
    ("gemm: fused Adam of the biases left out", "gemm.cu",
     "  adam(biases, static_cast<std::size_t>(args.rows), stream);", "", 0),
    ("gemm: A tile reads one past depth", "gemm.cu", "(r < g.rows && p < g.depth)", "(r < g.rows && p <= g.depth)", 0),
    ("gemm: B tile reads one past cols", "gemm.cu", "(p < g.depth && c < g.cols)", "(p < g.depth && c <= g.cols)", 0),
    ("column_sum: bound off by one", "column_sum.cu", "if (c >= cols) return;", "if (c > cols) return;", 0),
    ("mse: bound off by one", "mse.cu", "if (c >= m.cols) return;", "if (c > m.cols) return;", 0),
    ("gemm: grid one block short", "gemm.cu", "(args.cols + BN - 1) / BN", "args.cols / BN", 0),
    ("adam: grid one block short", "adam.cu", "unsigned((count + 255) / 256)", "unsigned(count / 256)", 0),
    ("gather: grid one block short", "data_movement.cu", "unsigned((total + 255) / 256)", "unsigned(total / 256)", 0),
    ("gemm: early return before the barrier", "gemm.cu",
     "    __syncthreads();\n    const int steps",
     "    if (threadIdx.x == 0) return;\n    __syncthreads();\n    const int steps", 0),
    ("gemm: invalid block shape", "gemm.cu", "gemm_kernel<<<grid, kThreads,", "gemm_kernel<<<grid, 2048,", 0),
]


def replace_nth(text, old, new, n):
    at = -1
    for _ in range(n + 1):
        at = text.find(old, at + 1)
        if at < 0:
            raise SystemExit(f"cuda_mutations.py: {old!r} occurs fewer than {n + 1} times")
    return text[:at] + new + text[at + len(old):]


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", default=os.path.join(SOURCE, "build", "cuda-mutations"))
    parser.add_argument("--only")
    options = parser.parse_args()
    mutant_dir = os.path.join(options.build_dir, "mutant-kernels")
    os.makedirs(options.build_dir, exist_ok=True)
    shutil.rmtree(mutant_dir, ignore_errors=True)
    shutil.copytree(os.path.join(SOURCE, "kernels", "cuda"), mutant_dir)
    configure = run(["cmake", "--preset", "asan", "-B", options.build_dir,
                     f"-DTRAINER_CUDA_EMU_KERNELS_DIR={mutant_dir}"], cwd=SOURCE)
    if configure.returncode != 0:
        print(configure.stdout[-2000:], configure.stderr[-2000:])
        return 1
    binary = os.path.join(options.build_dir, "tests", "cuda_emu_unit_tests")

    def build_and_test():
        """(caught, how): the build's tests in each order until one fails."""
        built = run(["cmake", "--build", options.build_dir, "--target", "cuda_emu_unit_tests"])
        if built.returncode != 0:
            return None, "does not build: " + built.stdout[-300:]
        for order in ORDERS:
            env = dict(os.environ, TRAINER_CUDA_EMU_ORDER=order)
            result = run([binary], env=env)
            if result.returncode != 0:
                text = result.stdout + result.stderr
                if "AddressSanitizer" in text:
                    how = "ASan: " + next(l for l in text.splitlines() if "AddressSanitizer" in l).strip()
                elif "runtime error" in text:
                    how = "UBSan: " + next(l for l in text.splitlines() if "runtime error" in l).strip()
                elif "CUDA error" in text:
                    how = "emulator: " + next(l for l in text.splitlines() if "CUDA error" in l).strip()
                else:
                    failed = [l for l in text.splitlines() if "FAILED" in l or "with expansion" in l]
                    how = "bits differ from the CPU" + (f" ({failed[0].strip()})" if failed else "")
                return True, f"{order}: {how[:160]}"
        return False, "every test passes in every order"

    started = time.monotonic()
    clean = build_and_test()
    print(f"unmutated kernels: {'FAIL' if clean[0] else 'pass'} ({clean[1]})")
    if clean[0] is not False:
        return 1
    survivors = 0
    print(f"\n| mutation | caught | by |\n|---|---|---|")
    for name, file, old, new, n in MUTATIONS:
        if options.only and options.only not in name:
            continue
        original = os.path.join(SOURCE, "kernels", "cuda", file)
        target = os.path.join(mutant_dir, file)
        with open(original) as f:
            text = f.read()
        with open(target, "w") as f:
            f.write(replace_nth(text, old, new, n))
        caught, how = build_and_test()
        shutil.copy(original, target)
        survivors += not caught
        print(f"| {name} | {'yes' if caught else '**no**'} | {how} |", flush=True)
    build_and_test()  # leave the build as the real kernels
    print(f"\n{survivors} mutation(s) survived ({time.monotonic() - started:.0f} s)")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
