// The CUDA entry points of a build without CUDA (the default presets): say so, never pretend.
#include "backend/cuda_backend.h"
#include "util/errors.h"

namespace trainer {

const bool kCudaBuild = false;

CudaProbe probe_cuda() {
  CudaProbe probe;
  probe.reason = "this trainer was built without CUDA (build the cuda preset: cmake --preset cuda)";
  return probe;
}

std::unique_ptr<Backend> make_cuda_backend() {
  throw RuntimeFailure("--device cuda: " + probe_cuda().reason);
}

}  // namespace trainer
