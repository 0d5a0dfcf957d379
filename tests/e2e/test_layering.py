"""The architecture checks itself: every #include "..." under src/ and kernels/ must point to its own
folder or down ARCHITECTURE.md's layer table, never up it or beside it, and every folder that holds
sources must be in the table. The table is read from ARCHITECTURE.md itself, so the page and this
test cannot drift apart.
   test_layering.py SOURCE_DIR"""
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from common import Checks  # noqa: E402

SOURCE_SUFFIXES = (".h", ".cpp", ".cu", ".cuh")
ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*`([^`]+)`\s*\|")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_table(architecture_md):
    """{folder or file name: layer}, e.g. {"src/io": 6, "kernels": 1, "version.h": 0}."""
    layers = {}
    with open(architecture_md, encoding="utf-8") as f:
        for line in f:
            match = ROW.match(line)
            if match:
                layers[match.group(2).rstrip("/")] = int(match.group(1))
    return layers


def source_files(root):
    for top in ("src", "kernels"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if name.endswith(SOURCE_SUFFIXES):
                    yield os.path.relpath(os.path.join(dirpath, name), root)


def include_target(include, root):
    """The table entry an include names: kernels/... as written, version.h, else a folder of src/."""
    if include == "version.h":
        return "version.h"
    folder = os.path.dirname(include)
    if include.startswith("kernels/"):
        return folder
    return os.path.join("src", folder) if folder else "src"


def violations(root, layers):
    found = []
    for path in source_files(root):
        own = os.path.dirname(path)
        if own not in layers:
            found.append(f"{path}: its folder {own}/ is not in ARCHITECTURE.md's layer table")
            continue
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                target = include_target(match.group(1), root)
                if target == own:
                    continue
                if target not in layers:
                    found.append(f"{path}:{number}: includes {match.group(1)}, whose folder is not in the layer table")
                elif layers[target] >= layers[own]:
                    where = "up" if layers[target] > layers[own] else "beside"
                    found.append(f"{path}:{number}: includes {match.group(1)}: {own} (layer {layers[own]}) may not "
                                 f"include {target} (layer {layers[target]}), {where} it")
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    checks = Checks()
    layers = layer_table(os.path.join(root, "ARCHITECTURE.md"))
    checks.check(len(layers) >= 10 and layers.get("kernels") == min(layers.values(), default=None) + 1
                 and max(layers, key=layers.get) == "src",
                 f"ARCHITECTURE.md's table names the layers from version.h and kernels/ up to src/: {layers}")
    files = list(source_files(root))
    checks.check(len(files) > 100, f"{len(files)} source files under src/ and kernels/ read")

    # The checker itself must catch an include that points up and one that points beside: a
    # planted tree with one of each, and one that is fine.
    with tempfile.TemporaryDirectory() as planted:
        for path, text in {"src/io/a.h": '#include "train/b.h"\n', "src/train/b.h": '#include "cli/c.h"\n',
                           "src/cli/c.h": '#include "io/a.h"\n#include "version.h"\n'}.items():
            os.makedirs(os.path.join(planted, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(planted, path), "w") as f:
                f.write(text)
        caught = violations(planted, layers)
    checks.check(len(caught) == 2 and "up it" in caught[0] + caught[1] and "beside it" in caught[0] + caught[1],
                 f"a planted upward and sideways include are both caught, the downward ones not: {caught}")

    found = violations(root, layers)
    for line in found:
        print(f"      {line}")
    checks.check(not found, f"no include points up or beside the layer order ({len(found)} do)")
    checks.finish()


if __name__ == "__main__":
    main()
