// Facts about the machine the program runs on.
#pragma once

namespace trainer {

// CPUs this process may run on (sched_getaffinity), which respects taskset and container limits.
int usable_cpu_count();

}  // namespace trainer
