// Inside a container, files written to the container's own filesystem vanish with it. This finds
// out, from /proc/self/mountinfo, whether a path lies on a mounted volume, so the trainer can warn
// before a run's outputs or downloads are lost (README "Container image").
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace trainer {

struct MountEntry {
  std::string root;         // the subtree of the source filesystem mounted here
  std::string mount_point;  // where, inside this mount namespace
  std::string fstype;
};

// The lines of a mountinfo file (proc(5)); octal escapes such as \040 decoded. Lines that do not
// parse are skipped.
std::vector<MountEntry> parse_mountinfo(const std::string& text);

// The mount holding `path` (absolute, normalised): the entry with the longest mount point that is
// a whole-component prefix of it, the last one when mounts are stacked. nullptr when none matches.
const MountEntry* mount_of(const std::vector<MountEntry>& mounts,
                           const std::filesystem::path& path);

// Whether `path` would vanish with the container: the process runs in a container (docker's
// /.dockerenv, podman's /run/.containerenv, $container, Kubernetes), and `path` lies on the
// container's root filesystem, which is a container layer (overlay, or a subtree of the host's
// filesystem as with podman's vfs driver), not on a volume or bind mount.
// Also a tmpfs (or ramfs) mount anywhere in a container: memory, gone with it.
bool vanishes_with_container(const std::filesystem::path& path);
// The same decision from given facts, for tests.
bool vanishes_with_container(const std::filesystem::path& path, bool in_container,
                             const std::vector<MountEntry>& mounts);
// Where such a path is, for the warning: "in the container's own filesystem", "on a tmpfs mount
// (memory)", or "" when it outlives the container.
std::string vanishing_storage(const std::filesystem::path& path);
std::string vanishing_storage(const std::filesystem::path& path, bool in_container,
                              const std::vector<MountEntry>& mounts);

// Whether this process runs in a container at all.
bool running_in_container();

// What to do about a directory the trainer may not write in, given why (errno): a read-only mount
// wants mounting read-write; a permission problem in a container wants running as the owner of the
// mounted directory, on a host making it writable. Starts with "; ".
std::string permission_hint(const std::string& flag, int error);

}  // namespace trainer
