#include "kernels/cpu/simd_arch.h"

namespace trainer::cpu {

const char* simd_arch_name(SimdArch arch) {
  switch (arch) {
    case SimdArch::sse2:
      return "sse2";
    case SimdArch::avx2:
      return "avx2";
    case SimdArch::avx512:
      return "avx512";
  }
  return "unknown";
}

std::optional<SimdArch> parse_simd_arch(const std::string& name) {
  for (SimdArch arch : {SimdArch::sse2, SimdArch::avx2, SimdArch::avx512}) {
    if (name == simd_arch_name(arch)) return arch;
  }
  return std::nullopt;
}

bool cpu_supports(SimdArch arch) {
  // GCC's cpu model checks the OS-enabled state (XCR0) as well as the CPUID bits.
  __builtin_cpu_init();
  switch (arch) {
    case SimdArch::sse2:
      return true;
    case SimdArch::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SimdArch::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && cpu_supports(SimdArch::avx2);
  }
  return false;
}

SimdArch best_supported_arch() {
  if (cpu_supports(SimdArch::avx512)) return SimdArch::avx512;
  if (cpu_supports(SimdArch::avx2)) return SimdArch::avx2;
  return SimdArch::sse2;
}

std::string supported_arch_list() {
  std::string list;
  for (SimdArch arch : {SimdArch::sse2, SimdArch::avx2, SimdArch::avx512}) {
    if (!cpu_supports(arch)) continue;
    if (!list.empty()) list += ", ";
    list += simd_arch_name(arch);
  }
  return list;
}

}  // namespace trainer::cpu
