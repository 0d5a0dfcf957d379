#include <cstdlib>

#include "backend/cpu_backend.h"
#include "backend/cuda_backend.h"
#include "util/errors.h"
#include "util/system_info.h"

namespace trainer {

BackendChoice make_backend_for(const BackendRequest& request);

std::unique_ptr<Backend> make_cpu_backend(const BackendRequest& request) {
  cpu::SimdArch arch = cpu::best_supported_arch();
  if (const char* forced = std::getenv("TRAINER_SIMD"); forced && *forced) {
    std::optional<cpu::SimdArch> parsed = cpu::parse_simd_arch(forced);
    if (!parsed) {
      throw UsageError(std::string("TRAINER_SIMD=") + forced +
                       ": unknown SIMD arch (allowed: sse2, avx2, avx512)");
    }
    if (!cpu::cpu_supports(*parsed)) {
      throw UsageError(std::string("TRAINER_SIMD=") + forced +
                       ": this CPU does not support it (supported: " + cpu::supported_arch_list() +
                       ")");
    }
    arch = *parsed;
  }
  if (request.threads > 0) return std::make_unique<CpuBackend>(arch, request.threads);
  const CpuBudget cpus = usable_cpus();
  return std::make_unique<CpuBackend>(arch, cpus.count, cpus.source == "cores" ? "" : cpus.source);
}

const std::uint8_t* Backend::adopt_bytes(HostBytes&& host) {
  std::uint8_t* device = allocate_array<std::uint8_t>(host.size());
  upload(device, host.data(), host.size());
  HostBytes released = std::move(host);  // freed (or unmapped) here, not at exit
  return device;
}

int host_threads(const BackendRequest& request) {
  return request.threads > 0 ? request.threads : usable_cpu_count();
}

BackendChoice make_backend(const BackendRequest& request) {
  BackendChoice choice = make_backend_for(request);
  const CpuBudget cpus = usable_cpus();
  const bool on_cpu = choice.backend && choice.backend->description().rfind("cpu", 0) == 0;
  if (request.threads > cpus.count && on_cpu)
    choice.warning = "--threads " + std::to_string(request.threads) + " is more than the " +
                     std::to_string(cpus.count) + " usable cores" +
                     (cpus.source == "cores" ? "" : " (" + cpus.source + ")") +
                     ": the results are the same, the run only slower";
  return choice;
}

BackendChoice make_backend_for(const BackendRequest& request) {
  switch (request.device) {
    case DeviceKind::cpu:
      return {make_cpu_backend(request), "", ""};
    case DeviceKind::cuda:
      return {make_cuda_backend(), "", ""};
    case DeviceKind::automatic:
      break;
  }
  const CudaProbe probe = probe_cuda();
  if (probe.available) return {make_cuda_backend(), "", ""};
  return {make_cpu_backend(request), kCudaBuild ? "no usable CUDA device: " + probe.reason : "",
          ""};
}

}  // namespace trainer
