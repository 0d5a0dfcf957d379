// Facts about the machine the program runs on.
#pragma once

#include <string>

namespace trainer {

// CPUs this process may run on (sched_getaffinity), which respects taskset and container limits.
int usable_cpu_count();

// The CPU's model name from /proc/cpuinfo, or "unknown CPU".
std::string cpu_model_name();

}  // namespace trainer
