// The CUDA backend: device memory, one stream, the kernels of kernels/cuda. Built only with
// -DTRAINER_CUDA=ON (cuda preset); other builds link cuda_unavailable.cpp instead.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace trainer {

struct CudaDevice {
  std::string name;
  int major = 0, minor = 0;  // compute capability
  std::size_t memory_bytes = 0;
  int multiprocessors = 0;
};

// Whether a CUDA device can be used, and if not, the driver's or build's reason.
struct CudaProbe {
  bool available = false;
  // Why not, e.g. "CUDA driver version is insufficient for CUDA runtime version".
  std::string reason;
  std::string device_name;  // of device 0 when available
  std::vector<CudaDevice> devices;
  int driver_version = 0, runtime_version = 0;  // e.g. 12040 for 12.4; 0 when unknown
};

CudaProbe probe_cuda();
// Whether this binary contains the CUDA backend at all.
extern const bool kCudaBuild;
// Throws RuntimeFailure with the reason when no device can be used.
std::unique_ptr<Backend> make_cuda_backend();

}  // namespace trainer
