// What a rewritten `kernel<<<grid, block, shared, stream>>>(args...)` calls
// (cuda_emu/rewrite_cu.cpp): cuda_emu::launch, which checks the configuration as the driver would,
// then runs the grid at once or, while the stream is being captured into a graph, records it for
// the graph's launches.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

namespace cuda_emu {

struct LaunchConfig {
  dim3 grid;
  dim3 block;
  std::size_t shared_bytes = 0;  // dynamic shared memory
  cudaStream_t stream = nullptr;
};

// Where a launch is written and what its kernel needs: the rewriter knows, from the kernel's body,
// whether it calls __syncthreads (only such kernels need a fiber per thread).
struct KernelSite {
  const char* kernel;
  const char* file;
  int line;
  bool uses_barriers;
};

// Runs `thread` once per CUDA thread of the grid (or records that for a graph being captured).
// Errors become the runtime's last error, read by cudaGetLastError().
void submit(const KernelSite& site, const LaunchConfig& config, std::function<void()> thread);

template <class... Params, class... Args>
void launch(void (*kernel)(Params...), const KernelSite& site, const LaunchConfig& config,
            Args&&... args) {
  // Arguments are copied at the launch, as the driver copies them into the kernel's parameter
  // buffer; each thread then gets its own copy of every parameter.
  auto params = std::make_shared<std::tuple<std::decay_t<Params>...>>(std::forward<Args>(args)...);
  submit(site, config, [kernel, params] { std::apply(kernel, *params); });
}

}  // namespace cuda_emu
