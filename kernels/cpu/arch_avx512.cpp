// The avx512 kernels: this translation unit alone is compiled with the avx512 instruction set.
#include "kernels/cpu/kernel_table_impl.h"

namespace trainer::cpu {

KernelTable kernel_table_avx512() {
  return make_kernel_table<xsimd::avx512bw>(SimdArch::avx512);
}

}  // namespace trainer::cpu
