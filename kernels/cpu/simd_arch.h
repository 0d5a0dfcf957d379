// Which SIMD instruction set the CPU kernels run with, and what this CPU supports.
#pragma once

#include <optional>
#include <string>

namespace trainer::cpu {

// Only three paths: sse2 (every x86-64), avx2+fma (x86-64-v3) and avx512 (F/CD/DQ/BW/VL).
// avx2 and avx512 compute bit-identical results (both fuse every multiply-add); sse2 has no FMA.
enum class SimdArch { sse2, avx2, avx512 };

const char* simd_arch_name(SimdArch arch);
std::optional<SimdArch> parse_simd_arch(const std::string& name);
bool cpu_supports(SimdArch arch);
SimdArch best_supported_arch();
// "sse2, avx2, avx512" restricted to what this CPU runs.
std::string supported_arch_list();

}  // namespace trainer::cpu
