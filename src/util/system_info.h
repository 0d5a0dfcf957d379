// Facts about the machine the program runs on.
#pragma once

#include <optional>
#include <string>

namespace trainer {

// CPUs this process may run on (sched_getaffinity), which respects taskset and container limits.
int usable_cpu_count();

// Seconds since this process started (measured from static initialisation, before main).
double seconds_since_process_start();

// The CPU's model name from /proc/cpuinfo, or "unknown CPU".
std::string cpu_model_name();

// An environment variable's value, or nullopt when it is unset or empty (as most tools read them).
std::optional<std::string> environment_value(const std::string& name);

}  // namespace trainer
