#include "kernels/cpu/kernels.h"

namespace trainer::cpu {

KernelTable kernel_table_sse2();
KernelTable kernel_table_avx2();
KernelTable kernel_table_avx512();

const KernelTable& kernel_table(SimdArch arch) {
  // Each table is built only when asked for: building the avx512 one runs AVX-512 code.
  switch (arch) {
    case SimdArch::avx512: {
      static const KernelTable table = kernel_table_avx512();
      return table;
    }
    case SimdArch::avx2: {
      static const KernelTable table = kernel_table_avx2();
      return table;
    }
    case SimdArch::sse2:
      break;
  }
  static const KernelTable table = kernel_table_sse2();
  return table;
}

}  // namespace trainer::cpu
