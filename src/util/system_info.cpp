#include "util/system_info.h"

#include <cstdlib>

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "util/text.h"

namespace trainer {
namespace {
const std::chrono::steady_clock::time_point kProcessStart = std::chrono::steady_clock::now();
}  // namespace

double seconds_since_process_start() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - kProcessStart).count();
}

namespace {

int affinity_cpu_count() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int count = CPU_COUNT(&set);
    if (count > 0) return count;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? int(hw) : 1;
}

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return trim(line);
}

std::optional<double> ratio(const std::string& quota, const std::string& period) {
  char* end = nullptr;
  const double q = std::strtod(quota.c_str(), &end);
  if (quota.empty() || *end != '\0' || !(q > 0)) return std::nullopt;
  const double p = std::strtod(period.c_str(), &end);
  if (period.empty() || *end != '\0' || !(p > 0)) return std::nullopt;
  return q / p;
}

// The tightest quota on the way from this process's cgroup up to the hierarchy's root (a limit
// may sit on a parent: a Kubernetes pod's, above its container's).
std::optional<double> cgroup_cpu_limit() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  std::optional<double> tightest;
  auto consider = [&](std::optional<double> limit) {
    if (limit && (!tightest || *limit < *tightest)) tightest = limit;
  };
  while (std::getline(in, line)) {
    const std::size_t first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    std::filesystem::path path = line.substr(second + 1);
    const bool v2 = line.compare(0, first, "0") == 0 && controllers.empty();
    bool v1_cpu = false;
    for (std::size_t at = 0; at <= controllers.size();) {
      const std::size_t comma = std::min(controllers.find(',', at), controllers.size());
      v1_cpu |= controllers.substr(at, comma - at) == "cpu";
      at = comma + 1;
    }
    if (!v2 && !v1_cpu) continue;
    for (const std::filesystem::path& root :
         v2 ? std::vector<std::filesystem::path>{"/sys/fs/cgroup"}
            : std::vector<std::filesystem::path>{"/sys/fs/cgroup/cpu",
                                                 "/sys/fs/cgroup/cpu,cpuacct"}) {
      // Inside a container the hierarchy is often mounted at the container's own cgroup: the
      // path then does not exist below the root, and the root itself is the container's.
      for (std::filesystem::path dir = path.relative_path();; dir = dir.parent_path()) {
        const std::filesystem::path here = root / dir;
        consider(v2 ? cpu_max_limit(first_line(here / "cpu.max"))
                    : cfs_quota_limit(first_line(here / "cpu.cfs_quota_us"),
                                      first_line(here / "cpu.cfs_period_us")));
        if (dir.empty()) break;
      }
    }
  }
  return tightest;
}

}  // namespace

std::optional<double> cpu_max_limit(const std::string& cpu_max) {
  const std::size_t space = cpu_max.find(' ');
  if (space == std::string::npos) return std::nullopt;
  return ratio(cpu_max.substr(0, space), trim(cpu_max.substr(space + 1)));
}

std::optional<double> cfs_quota_limit(const std::string& quota_us, const std::string& period_us) {
  return ratio(quota_us, period_us);
}

namespace {
CpuBudget measure_usable_cpus() {
  CpuBudget budget;
  budget.count = affinity_cpu_count();
  if (const std::optional<double> limit = cgroup_cpu_limit()) {
    const int capped = std::max(1, int(std::ceil(*limit - 1e-9)));
    if (capped < budget.count) {
      char text[64];
      std::snprintf(text, sizeof text, "the cgroup CPU limit of %g", *limit);
      budget.count = capped;
      budget.source = text;
    }
  }
  return budget;
}
}  // namespace

// Measured once: the backend, its thread pool and the data cache each ask, and the answer is
// several /proc and cgroup files.
CpuBudget usable_cpus() {
  static const CpuBudget budget = measure_usable_cpus();
  return budget;
}

int usable_cpu_count() {
  return usable_cpus().count;
}

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, name, family, model;
  // The first processor's block only; a VM's name is often generic ("Intel(R) Xeon(R)
  // Processor"), so family and model say which core generation the figures came from.
  while (std::getline(in, line) && !line.empty()) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon)), value = trim(line.substr(colon + 1));
    if (key == "model name") name = value;
    if (key == "cpu family") family = value;
    if (key == "model") model = value;
  }
  if (name.empty()) return "unknown CPU";
  if (family.empty() || model.empty()) return name;
  return name + " (family " + family + " model " + model + ")";
}

std::optional<std::string> environment_value(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (!value || !*value) return std::nullopt;
  return std::string(value);
}

}  // namespace trainer
