// Kernels for the emulator's own tests (emu_probe_kernels.h); compiled only for the emulator.
#include "emu_probe_kernels.h"

namespace probe {
namespace {

__global__ void early_exit_kernel(int* out, int exit_from) {
  if (static_cast<int>(threadIdx.x) >= exit_from) return;
  __syncthreads();
  out[threadIdx.x] = 1;
}

__global__ void two_barriers_kernel(int* out) {
  if (threadIdx.x % 2 == 0) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = 1;
}

__global__ void shape_kernel(int* out) {
  if (threadIdx.x == 0 && blockIdx.y == 0) out[0] = 1;
}

__global__ void stale_shared_kernel(unsigned* out) {
  __shared__ float value[1];
  __syncthreads();
  float seen = value[0];
  __syncthreads();
  if (threadIdx.x == 0) value[0] = 1.0f;
  unsigned bits;
  __builtin_memcpy(&bits, &seen, sizeof bits);
  out[blockIdx.x * blockDim.x + threadIdx.x] = bits;
}

__global__ void broadcast_kernel(int* out, int value) {
  __shared__ int shared_value[1];
  if (threadIdx.x == 0) shared_value[0] = value;
  __syncthreads();
  out[threadIdx.x] = shared_value[0];
}

__global__ void too_much_shared_kernel(float* out) {
  __shared__ float big[16 * 1024];  // 64 KiB
  big[threadIdx.x] = 1.0f;
  __syncthreads();
  out[0] = big[0];
}

__global__ void increment_kernel(int* out) {
  out[0] += 1;
}

__global__ void order_kernel(int* out, int* counter) {
  out[blockIdx.x * blockDim.x + threadIdx.x] = (*counter)++;
}

}  // namespace

cudaError_t early_exit_before_barrier(int* out, int threads, int exit_from) {
  early_exit_kernel<<<1, threads>>>(out, exit_from);
  return cudaGetLastError();
}

cudaError_t two_barriers(int* out, int threads) {
  two_barriers_kernel<<<1, threads>>>(out);
  return cudaGetLastError();
}

cudaError_t launch_shape(int* out, unsigned threads, unsigned blocks_y) {
  shape_kernel<<<dim3(1, blocks_y), threads>>>(out);
  return cudaGetLastError();
}

cudaError_t read_shared_before_write(unsigned* out, int blocks, int threads) {
  stale_shared_kernel<<<blocks, threads>>>(out);
  return cudaGetLastError();
}

cudaError_t broadcast_through_shared(int* out, int threads, int value) {
  broadcast_kernel<<<1, threads>>>(out, value);
  return cudaGetLastError();
}

cudaError_t too_much_shared(float* out) {
  too_much_shared_kernel<<<1, 32>>>(out);
  return cudaGetLastError();
}

cudaError_t increment(int* out, cudaStream_t stream) {
  increment_kernel<<<1, 1, 0, stream>>>(out);
  return cudaGetLastError();
}

cudaError_t execution_order(int* out, int blocks, int threads) {
  int* counter = nullptr;
  cudaMalloc(reinterpret_cast<void**>(&counter), sizeof(int));
  cudaMemset(counter, 0, sizeof(int));
  order_kernel<<<blocks, threads>>>(out, counter);
  const cudaError_t error = cudaGetLastError();
  cudaFree(counter);
  return error;
}

}  // namespace probe
