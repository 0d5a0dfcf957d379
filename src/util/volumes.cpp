#include "util/volumes.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace trainer {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const std::string digits = field.substr(i + 1, 3);
      if (digits.find_first_not_of("01234567") == std::string::npos) {
        out += char(std::stoi(digits, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

bool is_under(const std::filesystem::path& path, const std::filesystem::path& mount_point) {
  auto p = path.begin();
  for (auto m = mount_point.begin(); m != mount_point.end(); ++m, ++p) {
    if (m->empty()) continue;  // a trailing separator
    if (p == path.end() || *p != *m) return false;
  }
  return true;
}

}  // namespace

std::vector<MountEntry> parse_mountinfo(const std::string& text) {
  std::vector<MountEntry> mounts;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    // id parent major:minor root mount-point options [optional fields...] - fstype source ...
    std::istringstream fields(line);
    std::vector<std::string> parts;
    std::string part;
    while (fields >> part) parts.push_back(part);
    std::size_t dash = 6;
    while (dash < parts.size() && parts[dash] != "-") ++dash;
    if (parts.size() < 5 || dash + 1 >= parts.size()) continue;
    mounts.push_back({unescape(parts[3]), unescape(parts[4]), parts[dash + 1]});
  }
  return mounts;
}

const MountEntry* mount_of(const std::vector<MountEntry>& mounts,
                           const std::filesystem::path& path) {
  const MountEntry* best = nullptr;
  std::size_t best_depth = 0;
  for (const MountEntry& mount : mounts) {
    const std::filesystem::path point(mount.mount_point);
    if (!point.is_absolute() || !is_under(path, point)) continue;
    const std::size_t depth = std::distance(point.begin(), point.end());
    if (!best || depth >= best_depth) {  // later entries are mounted on top of earlier ones
      best = &mount;
      best_depth = depth;
    }
  }
  return best;
}

std::string vanishing_storage(const std::filesystem::path& path, bool in_container,
                              const std::vector<MountEntry>& mounts) {
  if (!in_container) return "";
  const MountEntry* mount = mount_of(mounts, path);
  if (!mount) return "";
  // --tmpfs /out, a read-only root's /tmp, an emptyDir in memory: gone with the container.
  if (mount->fstype == "tmpfs" || mount->fstype == "ramfs") return "on a tmpfs mount (memory)";
  if (mount->mount_point != "/") return "";
  // A machine built from a container image but booted as a VM has the marker files too, with a
  // real disk at "/": only an overlay or a subtree of another filesystem is a container layer.
  return mount->fstype == "overlay" || mount->root != "/" ? "in the container's own filesystem"
                                                          : "";
}

bool vanishes_with_container(const std::filesystem::path& path, bool in_container,
                             const std::vector<MountEntry>& mounts) {
  return !vanishing_storage(path, in_container, mounts).empty();
}

bool running_in_container() {
  return ::access("/.dockerenv", F_OK) == 0 || ::access("/run/.containerenv", F_OK) == 0 ||
         std::getenv("container") != nullptr || std::getenv("KUBERNETES_SERVICE_HOST") != nullptr;
}

std::string vanishing_storage(const std::filesystem::path& path) {
  if (!running_in_container()) return "";
  std::ifstream in("/proc/self/mountinfo");
  if (!in) return "";
  std::stringstream text;
  text << in.rdbuf();
  std::error_code ec;
  // Symbolic links resolved where the path exists, so /out -> /mnt/volume counts as the volume.
  std::filesystem::path absolute = std::filesystem::weakly_canonical(path, ec);
  if (ec) absolute = std::filesystem::absolute(path, ec).lexically_normal();
  return vanishing_storage(absolute, true, parse_mountinfo(text.str()));
}

bool vanishes_with_container(const std::filesystem::path& path) {
  return !vanishing_storage(path).empty();
}

std::string permission_hint(const std::string& flag, int error) {
  const bool container = running_in_container();
  if (error == EROFS) {
    return container ? "; mount it read-write (no :ro on docker run -v)"
                     : "; it is on a read-only file system: pass another " + flag;
  }
  if (container) {
    return "; run the container as the owner of the mounted directory (docker run --user "
           "$(id -u):$(id -g) ...) or make it writable for the container's user";
  }
  return "; make it writable or pass another " + flag;
}

}  // namespace trainer
