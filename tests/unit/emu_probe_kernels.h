// Small kernels with known defects and known behaviour, for the CUDA emulator's own tests
// (tests/unit/test_cuda_emu.cpp): each launcher returns what cudaGetLastError() says after it.
#pragma once

#include <cuda_runtime_api.h>

namespace probe {

// Threads with threadIdx.x >= `exit_from` return before the block's barrier.
cudaError_t early_exit_before_barrier(int* out, int threads, int exit_from);
// Even threads wait at one __syncthreads(), odd threads at another.
cudaError_t two_barriers(int* out, int threads);
// One block of `threads` threads, a grid of `blocks_y` rows: for launch-configuration checks.
cudaError_t launch_shape(int* out, unsigned threads, unsigned blocks_y);
// out[t] = the bits of a __shared__ float read before any thread wrote it (then written, so the
// next block would see a stale value if shared memory were not refilled).
cudaError_t read_shared_before_write(unsigned* out, int blocks, int threads);
// Thread 0 writes the block's __shared__ value, every thread reads it after the barrier.
cudaError_t broadcast_through_shared(int* out, int threads, int value);
// A __shared__ array larger than a block may have.
cudaError_t too_much_shared(float* out);
// out[0] += 1, once.
cudaError_t increment(int* out, cudaStream_t stream);
// out[i] = the position at which thread (block * threads + i) ran, counting from 0.
cudaError_t execution_order(int* out, int blocks, int threads);

}  // namespace probe
