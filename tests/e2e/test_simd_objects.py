"""The per-arch kernel objects export nothing but their table function. An inline function or
template they shared with other code would be merged by the linker and could run AVX-512
instructions on a CPU without them (SIGILL); kernels/cpu/simd_ops.h explains the convention."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import Checks  # noqa: E402

ALLOWED = {"DW.ref.__gxx_personality_v0"}


def main():
    checks = Checks()
    objects = [o for o in sys.argv[1].split(";") if os.path.basename(o).startswith("arch_")] if len(sys.argv) == 2 \
        else [o for o in sys.argv[1:] if os.path.basename(o).startswith("arch_")]
    checks.check(len(objects) == 3, f"found the three arch objects: {[os.path.basename(o) for o in objects]}")
    for obj in objects:
        arch = os.path.basename(obj).split("_")[1].split(".")[0]
        listing = subprocess.run(["nm", "--defined-only", "-g", obj], capture_output=True, text=True, check=True)
        symbols = [line.split()[-1] for line in listing.stdout.splitlines() if line.strip()]
        demangled = subprocess.run(["c++filt"] + symbols, capture_output=True, text=True).stdout.split("\n")
        unexpected = [d for s, d in zip(symbols, demangled) if s not in ALLOWED and d != f"trainer::cpu::kernel_table_{arch}()"]
        checks.check(not unexpected, f"{os.path.basename(obj)} exports only kernel_table_{arch}: extra {unexpected[:5]}")
    checks.finish()


if __name__ == "__main__":
    main()
