"""No code compiled for one SIMD arch can stand in for code of another. An inline function or
template instantiation defined in two objects is merged by the linker, which keeps one copy: if an
arch_avx512 object and any other object both define it, the AVX-512 copy may run on a CPU without
AVX-512 (SIGILL). kernels/cpu/simd_ops.h keeps everything in anonymous namespaces; this test checks
that no symbol defined in an arch_* object is defined in any other object of the program.
   test_simd_objects.py OBJECT... (a ;-separated list is accepted too)"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from common import Checks  # noqa: E402

ALLOWED = {"DW.ref.__gxx_personality_v0"}


def defined_symbols(obj):
    listing = subprocess.run(["nm", "--defined-only", "-g", obj], capture_output=True, text=True, check=True)
    return {line.split()[-1] for line in listing.stdout.splitlines() if len(line.split()) >= 3}


def main():
    checks = Checks()
    objects = [o for arg in sys.argv[1:] for o in arg.split(";") if o]
    symbols = {o: defined_symbols(o) for o in objects}
    arch_objects = [o for o in objects if os.path.basename(o).startswith("arch_")]
    checks.check(len(arch_objects) == 3, f"found the three arch objects among {len(objects)}")
    for obj in arch_objects:
        others = set().union(*(s for o, s in symbols.items() if o != obj))
        shared = sorted(symbols[obj] & others - ALLOWED)
        demangled = subprocess.run(["c++filt"] + shared[:5], capture_output=True, text=True).stdout.split("\n")
        checks.check(not shared, f"{os.path.basename(obj)}: {len(symbols[obj])} exported symbols, none defined "
                                 f"elsewhere; shared: {demangled[:len(shared[:5])]}")
    checks.finish()


if __name__ == "__main__":
    main()
