// Facts about the machine the program runs on.
#pragma once

#include <optional>
#include <string>

namespace trainer {

// The CPUs this process may use: those it may run on (sched_getaffinity: taskset, --cpuset-cpus),
// capped by a cgroup CPU quota (cgroup v2 cpu.max, v1 cpu.cfs_quota_us / cpu.cfs_period_us: what
// `docker run --cpus` and Kubernetes CPU limits set), rounded up. `source` says which decided:
// "cores" or e.g. "the cgroup CPU limit of 1.5".
struct CpuBudget {
  int count = 1;
  std::string source = "cores";
};
CpuBudget usable_cpus();
int usable_cpu_count();
// A quota's CPUs from cpu.max's text ("150000 100000"; "max 100000": none), for tests.
std::optional<double> cpu_max_limit(const std::string& cpu_max);
// The same from cgroup v1's two files ("-1": none).
std::optional<double> cfs_quota_limit(const std::string& quota_us, const std::string& period_us);

// Seconds since this process started (measured from static initialisation, before main).
double seconds_since_process_start();

// The CPU's model name from /proc/cpuinfo, or "unknown CPU".
std::string cpu_model_name();

// An environment variable's value, or nullopt when it is unset or empty (as most tools read them).
std::optional<std::string> environment_value(const std::string& name);

}  // namespace trainer
