// The sse2 kernels: this translation unit alone is compiled with the sse2 instruction set.
#include "kernels/cpu/kernel_table_impl.h"

namespace trainer::cpu {

KernelTable kernel_table_sse2() {
  return make_kernel_table<xsimd::sse2>(SimdArch::sse2);
}

}  // namespace trainer::cpu
