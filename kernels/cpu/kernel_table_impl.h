// Fills one arch's KernelTable; included by exactly one translation unit per arch.
#pragma once

#include "kernels/cpu/adam_impl.h"
#include "kernels/cpu/column_sum_impl.h"
#include "kernels/cpu/fma_peak_impl.h"
#include "kernels/cpu/gather_impl.h"
#include "kernels/cpu/gemm_impl.h"
#include "kernels/cpu/mse_impl.h"

namespace trainer::cpu {
namespace {

template <class Arch>
KernelTable make_kernel_table(SimdArch arch) {
  return KernelTable{arch,        &gemm<Arch>,       &column_sum<Arch>, &mse_backward<Arch>,
                     &adam<Arch>, &adam_block<Arch>, &fma_peak<Arch>,   &gather_normalize<Arch>};
}

}  // namespace
}  // namespace trainer::cpu
