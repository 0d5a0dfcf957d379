"""Podman, buildah and the docker CLI without a Docker engine, for the image tests.

Each Containers object has its own storage (vfs) and configuration in a scratch directory, so tests
neither see nor leave images elsewhere. Settings from ../shared/facts.md: runtime runc, cgroupfs,
explicit ulimits. The docker CLI, when installed, talks to `podman system service` on a socket;
without it the same commands go to podman, which takes docker's arguments.
"""
import os
import shutil
import subprocess
import time

CONTAINERS_CONF = """[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
"""

STORAGE_CONF = """[storage]
driver = "vfs"
graphroot = "{root}/storage"
runroot = "{root}/run"
"""


def missing_tools():
    return [tool for tool in ("podman", "buildah", "runc") if not shutil.which(tool)]


class Containers:
    """Use as `with Containers(scratch) as c:`; leaving removes the containers and `scratch`."""

    def __init__(self, scratch):
        self.root = os.path.join(scratch, "containers")
        os.makedirs(self.root, exist_ok=True)
        with open(os.path.join(self.root, "containers.conf"), "w") as f:
            f.write(CONTAINERS_CONF)
        with open(os.path.join(self.root, "storage.conf"), "w") as f:
            f.write(STORAGE_CONF.format(root=self.root))
        self.env = dict(os.environ)
        self.env["CONTAINERS_CONF"] = os.path.join(self.root, "containers.conf")
        self.env["CONTAINERS_STORAGE_CONF"] = os.path.join(self.root, "storage.conf")
        self.service = None
        self.docker_cli = shutil.which("docker")

    def run(self, tool, args, timeout=600, **kwargs):
        return subprocess.run([tool] + list(args), capture_output=True, text=True, env=self.env,
                              timeout=timeout, **kwargs)

    def podman(self, *args, **kwargs):
        return self.run("podman", args, **kwargs)

    def buildah(self, *args, **kwargs):
        return self.run("buildah", args, **kwargs)

    def start_docker_api(self):
        """Serves the Docker API from podman on a socket; returns a note saying which CLI is used."""
        if not self.docker_cli:
            return "no docker CLI installed: running the docker commands with podman"
        socket = os.path.join(self.root, "podman.sock")
        self.service = subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{socket}"],
                                        env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.env["DOCKER_HOST"] = f"unix://{socket}"
        for _ in range(100):
            if os.path.exists(socket) and self.run("docker", ["version"], timeout=30).returncode == 0:
                return f"docker CLI {self.docker_cli} against podman's API socket"
            time.sleep(0.1)
        raise RuntimeError("podman system service did not answer on " + socket)

    def docker(self, *args, **kwargs):
        return self.run("docker" if self.service else "podman", args, **kwargs)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        shutil.rmtree(os.path.dirname(self.root), ignore_errors=True)

    def close(self):
        if self.service:
            self.service.terminate()
            self.service.wait(timeout=30)
        self.podman("rm", "--all", "--force")
        self.podman("system", "reset", "--force")
