// The avx2 kernels: this translation unit alone is compiled with the avx2 instruction set.
#include "kernels/cpu/kernel_table_impl.h"

namespace trainer::cpu {

KernelTable kernel_table_avx2() {
  return make_kernel_table<xsimd::fma3<xsimd::avx2>>(SimdArch::avx2);
}

}  // namespace trainer::cpu
