// Which paths vanish with a container, decided from mountinfo text like the kernel writes it.
#include <catch2/catch.hpp>

#include "util/system_info.h"
#include "util/volumes.h"

using namespace trainer;

namespace {
// podman with the vfs driver: "/" is a subtree of the host's disk; /out a bind mount, /data a
// volume whose mount point has a space (escaped as \040).
const char* kPodmanVfs =
    "72 47 254:0 /var/lib/containers/vfs/dir/c48b / rw,relatime - ext4 /dev/vda rw\n"
    "74 72 0:42 / /proc rw,nosuid - proc proc rw\n"
    "76 72 254:0 /tmp/pod/out /out rw,relatime - ext4 /dev/vda rw\n"
    "77 72 254:0 /volumes/v/_data /my\\040data rw,relatime shared:5 - ext4 /dev/vda rw\n";
// docker with overlay2.
const char* kDockerOverlay =
    "600 500 0:55 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/a,upperdir=/b\n"
    "601 600 8:1 /srv/out /out rw - ext4 /dev/sda1 rw\n";
// A VM booted from a container image: marker files present, but "/" is a real disk.
const char* kVirtualMachine = "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n";
}  // namespace

TEST_CASE("mountinfo lines are parsed, escapes decoded", "[container]") {
  const auto mounts = parse_mountinfo(kPodmanVfs);
  REQUIRE(mounts.size() == 4);
  CHECK(mounts[0].root == "/var/lib/containers/vfs/dir/c48b");
  CHECK(mounts[0].mount_point == "/");
  CHECK(mounts[0].fstype == "ext4");
  CHECK(mounts[3].mount_point == "/my data");  // optional field "shared:5" skipped
  CHECK(parse_mountinfo("garbage\n\n1 2 3\n").empty());
}

TEST_CASE("the mount holding a path is the longest whole-component prefix", "[container]") {
  const auto mounts = parse_mountinfo(kPodmanVfs);
  CHECK(mount_of(mounts, "/out")->mount_point == "/out");
  CHECK(mount_of(mounts, "/out/run1/checkpoints")->mount_point == "/out");
  CHECK(mount_of(mounts, "/outside")->mount_point == "/");
  CHECK(mount_of(mounts, "/my data/mnist")->mount_point == "/my data");
  CHECK(mount_of(mounts, "/data")->mount_point == "/");
}

TEST_CASE("only paths on a container's own layer vanish", "[container]") {
  const auto podman = parse_mountinfo(kPodmanVfs);
  CHECK(vanishes_with_container("/data", true, podman));
  CHECK(!vanishes_with_container("/out", true, podman));
  CHECK(!vanishes_with_container("/data", false, podman));  // a plain host run: never
  const auto docker = parse_mountinfo(kDockerOverlay);
  CHECK(vanishes_with_container("/model", true, docker));
  CHECK(!vanishes_with_container("/out/model", true, docker));
  CHECK(!vanishes_with_container("/data", true, parse_mountinfo(kVirtualMachine)));
  CHECK(vanishing_storage("/model", true, docker) == "in the container's own filesystem");
}

TEST_CASE("a tmpfs in a container vanishes with it, wherever it is mounted", "[container]") {
  const auto mounts = parse_mountinfo(
      "1 0 0:50 / / rw - overlay overlay rw\n"
      "2 1 0:51 / /out rw,nosuid - tmpfs tmpfs rw,size=65536k\n"
      "3 1 8:1 /vol /data rw - ext4 /dev/sda1 rw\n");
  CHECK(vanishing_storage("/out/run", true, mounts) == "on a tmpfs mount (memory)");
  CHECK(vanishing_storage("/data", true, mounts).empty());
  CHECK(vanishing_storage("/out", false, mounts).empty());  // a host's /tmp on tmpfs: not ours
}

TEST_CASE("a cgroup CPU quota in CPUs, as docker --cpus and Kubernetes limits write it", "[container]") {
  CHECK(cpu_max_limit("150000 100000") == Approx(1.5));
  CHECK(cpu_max_limit("50000 100000") == Approx(0.5));
  CHECK_FALSE(cpu_max_limit("max 100000"));  // no quota
  CHECK_FALSE(cpu_max_limit(""));
  CHECK_FALSE(cpu_max_limit("garbage"));
  CHECK(cfs_quota_limit("200000", "100000") == Approx(2.0));
  CHECK_FALSE(cfs_quota_limit("-1", "100000"));  // v1's "no quota"
  CHECK_FALSE(cfs_quota_limit("100000", "0"));
  // On this machine, whatever it is: at least one, never more than the CPUs it may run on.
  const CpuBudget cpus = usable_cpus();
  CHECK(cpus.count >= 1);
  CHECK(!cpus.source.empty());
}
