"""Cached virtual environments with packages from PyPI, for the tests that need what Debian does not
package (TensorFlow, TensorBoard, the safetensors package).

ensure_venv(name, requirements) makes <source root>/build/pyvenv/<name> with Debian's
`/usr/bin/python3 -m venv` and `pip install`s the pinned requirements into it, once: later calls
find it ready and return at once. It returns (bin_dir, None), or (None, reason) when no venv can be
had (no python3-venv, PyPI unreachable, a package that does not install); the caller prints
`skipped: <reason>` and exits 77.

- Two tests calling it at once: an exclusive fcntl.flock on build/pyvenv/<name>.lock; the second
  waits for the first to finish and then finds the venv ready. venv and pip inherit the locked
  file, so a pip left running by a killed test keeps the lock until it ends.
- An interrupted build (killed, out of disk, pip failed halfway) never looks complete: the marker
  file <venv>/pyvenv-requirements.txt, which lists the requirements and the interpreter, is written
  (atomically) only after pip succeeded. A venv without it, or with another list, is deleted and
  built again.
"""
import fcntl
import os
import re
import shutil
import subprocess
import sys

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_ROOT = os.path.join(SOURCE_ROOT, "build", "pyvenv")
BASE_PYTHON = "/usr/bin/python3"
MARKER = "pyvenv-requirements.txt"
# The TensorFlow venv ("tf-interop"): the interop test and the peers benchmark share it, and a venv
# asked for with another list is rebuilt, so the list lives here once.
TF_REQUIREMENTS = ["tensorflow-cpu==2.21.0", "tensorboard==2.21.0", "safetensors==0.8.0"]
PIP_TIMEOUT_S = 1800  # tensorflow-cpu is a ~250 MB wheel; a slow mirror takes minutes


def _last_line(text, default):
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else default


def _marker_text(requirements):
    try:
        version = subprocess.run([BASE_PYTHON, "-c", "import sys; print(sys.version.split()[0])"],
                                 capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        version = "unknown"
    return "".join(f"{r}\n" for r in [f"# {BASE_PYTHON} {version}"] + sorted(requirements))


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def ensure_venv(name, requirements):
    """(bin directory of the ready venv, None) or (None, why it cannot be had)."""
    venv = os.path.join(VENV_ROOT, name)
    bin_dir = os.path.join(venv, "bin")
    try:
        os.makedirs(VENV_ROOT, exist_ok=True)
        lock = open(os.path.join(VENV_ROOT, f"{name}.lock"), "a")
    except OSError as e:
        return None, f"cannot create {VENV_ROOT}: {e}"
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        expected = _marker_text(requirements)
        if _read(os.path.join(venv, MARKER)) == expected and os.access(os.path.join(bin_dir, "python"), os.X_OK):
            return bin_dir, None
        if os.path.lexists(venv):
            print(f"note: {venv} is incomplete or has other requirements: building it again")
            shutil.rmtree(venv, ignore_errors=True)
            if os.path.lexists(venv):
                return None, f"cannot remove the stale venv {venv}"
        if not os.access(BASE_PYTHON, os.X_OK):
            return None, f"{BASE_PYTHON} is not there to make a venv"
        # The children inherit the locked file: a pip that outlives a killed test still holds the lock,
        # so the next caller waits for it instead of building over it.
        keep_locked = (lock.fileno(),)
        env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PYTHONNOUSERSITE="1")
        env.pop("PYTHONPATH", None)
        env.pop("PYTHONHOME", None)
        def step(command, timeout):
            """(the finished process, None) or (None, why it could not run); the venv goes on failure."""
            try:
                return subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout,
                                      pass_fds=keep_locked), None
            except (OSError, subprocess.TimeoutExpired) as e:
                shutil.rmtree(venv, ignore_errors=True)
                return None, str(e)

        made, error = step([BASE_PYTHON, "-m", "venv", venv], 300)
        if made is None:
            return None, f"{BASE_PYTHON} -m venv: {error}"
        if made.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            why = _last_line(made.stderr or made.stdout, f"exit {made.returncode}")
            return None, f"{BASE_PYTHON} -m venv is unavailable (Debian's python3-venv): {why}"
        print(f"note: installing {' '.join(sorted(requirements))} from PyPI into {venv}", flush=True)
        pip, error = step([os.path.join(bin_dir, "python"), "-m", "pip", "install", "--quiet",
                           "--disable-pip-version-check", "--no-input"] + sorted(requirements), PIP_TIMEOUT_S)
        if pip is None:
            return None, f"pip install: {error}"
        if pip.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            why = _last_line(pip.stderr or pip.stdout, f"exit {pip.returncode}")
            network = re.search(r"(Failed to establish a new connection: [^')\"]*|Name or service not known|"
                                r"Temporary failure in name resolution|Network is unreachable)", pip.stderr or "")
            if network:
                why += f" ({network.group(1)})"
            return None, f"pip install could not install {' '.join(sorted(requirements))} (no PyPI?): {why}"
        temporary = os.path.join(venv, f".{MARKER}.tmp.{os.getpid()}")
        with open(temporary, "w") as f:
            f.write(expected)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, os.path.join(venv, MARKER))
        return bin_dir, None


if __name__ == "__main__":
    # python3 tests/e2e/pypi_venv.py NAME REQUIREMENT...: prints the bin dir, or the reason and exits 77.
    found, reason = ensure_venv(sys.argv[1], sys.argv[2:])
    if found is None:
        print(f"skipped: {reason}")
        sys.exit(77)
    print(found)
