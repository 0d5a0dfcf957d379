// Main of the CUDA kernel tests: without a usable device they are skipped (ctest SKIP_RETURN_CODE
// 77) with the driver's reason, never reported as passed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>

#include "backend/cuda_backend.h"

int main(int argc, char** argv) {
  const trainer::CudaProbe probe = trainer::probe_cuda();
  if (!probe.available) {
    std::printf("SKIPPED: no usable CUDA device: %s\n", probe.reason.c_str());
    return 77;
  }
  std::printf("CUDA device 0: %s\n", probe.device_name.c_str());
  return Catch::Session().run(argc, argv);
}
