// Every CUDA runtime call and every launch is checked; a failure names the call, file and line and
// carries the runtime's error string.
#pragma once

#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace trainer::cuda {

inline void check(cudaError_t status, const char* call, const char* file, int line) {
  if (status != cudaSuccess) {
    throw std::runtime_error(std::string("CUDA error: ") + cudaGetErrorString(status) + " (" +
                             call + " at " + file + ":" + std::to_string(line) + ")");
  }
}

}  // namespace trainer::cuda

#define CUDA_CHECK(call) ::trainer::cuda::check((call), #call, __FILE__, __LINE__)
// After a <<<launch>>>: configuration errors surface here, asynchronous ones at the next sync.
#define CUDA_CHECK_LAUNCH() \
  ::trainer::cuda::check(cudaGetLastError(), "kernel launch", __FILE__, __LINE__)
