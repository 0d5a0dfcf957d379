// Facts about the machine the program runs on.
#pragma once

#include <string>

namespace trainer {

// CPUs this process may run on (sched_getaffinity), which respects taskset and container limits.
int usable_cpu_count();

// Seconds since this process started (measured from static initialisation, before main).
double seconds_since_process_start();

// The CPU's model name from /proc/cpuinfo, or "unknown CPU".
std::string cpu_model_name();

}  // namespace trainer
