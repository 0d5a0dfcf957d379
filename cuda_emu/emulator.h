// What the emulator's two halves share: the runtime's error state and stream capture
// (runtime.cpp), and the grid scheduler (launch.cpp).
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

#include "cuda_runtime_api.h"

namespace cuda_emu {

// A failure inside a launch or an operation of a replayed graph, with the CUDA code it stands for.
struct EmulatorError : std::runtime_error {
  EmulatorError(cudaError_t error, const std::string& message)
      : std::runtime_error(message), code(error) {}
  cudaError_t code;
};

// Makes `code` the last error, with `message` as what cudaGetErrorString() says of it; faults
// (`sticky`) also fail every later call, as a kernel fault poisons a real CUDA context.
cudaError_t record_error(cudaError_t code, const std::string& message, bool sticky);

// Runs `op` now, or appends it to the graph `stream` is capturing. Faults it throws are recorded.
void run_or_record(cudaStream_t stream, const std::function<void()>& op);

// Runs every block of the grid, every thread of each block (launch.cpp). Throws EmulatorError.
void run_grid(const KernelSite& site, const LaunchConfig& config,
              const std::function<void()>& thread);

// Why TRAINER_CUDA_EMU_ORDER cannot be used, or "" (launch.cpp).
std::string order_variable_problem();

// "gemm_kernel (kernels/cuda/gemm.cu:85)"
std::string describe(const KernelSite& site);

}  // namespace cuda_emu
