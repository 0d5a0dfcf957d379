// The CUDA backend: device memory, one stream, the kernels of kernels/cuda. Built only with
// -DTRAINER_CUDA=ON (cuda preset); other builds link cuda_unavailable.cpp instead.
#pragma once

#include <memory>
#include <string>

#include "backend/backend.h"

namespace trainer {

// Whether a CUDA device can be used, and if not, the driver's or build's reason.
struct CudaProbe {
  bool available = false;
  // Why not, e.g. "CUDA driver version is insufficient for CUDA runtime version".
  std::string reason;
  std::string device_name;  // of device 0 when available
};

CudaProbe probe_cuda();
// Whether this binary contains the CUDA backend at all.
extern const bool kCudaBuild;
// Throws RuntimeFailure with the reason when no device can be used.
std::unique_ptr<Backend> make_cuda_backend();

}  // namespace trainer
