// The CUDA emulator catches what the hardware or driver would: divergent barriers, launch
// configurations the driver refuses, too much shared memory, copies outside an allocation, calls a
// stream capture does not allow; it refills shared memory with NaN before every block, replays a
// captured graph instead of running it at capture, and runs threads in the order
// TRAINER_CUDA_EMU_ORDER asks for.
#include <cuda_runtime_api.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "emu_probe_kernels.h"

namespace {

template <class T>
T* device_array(std::size_t count) {
  void* p = nullptr;
  REQUIRE(cudaMalloc(&p, count * sizeof(T)) == cudaSuccess);
  REQUIRE(cudaMemset(p, 0, count * sizeof(T)) == cudaSuccess);
  return static_cast<T*>(p);
}

template <class T>
std::vector<T> read(const T* device, std::size_t count) {
  std::vector<T> host(count);
  REQUIRE(cudaMemcpy(host.data(), device, count * sizeof(T), cudaMemcpyDeviceToHost) ==
          cudaSuccess);
  return host;
}

std::string message_of(cudaError_t error) {
  return cudaGetErrorString(error);
}

// A fault poisons the context, as on a GPU; each test that makes one starts afresh afterwards.
struct FreshContext {
  ~FreshContext() { cudaDeviceReset(); }
};

}  // namespace

TEST_CASE("emu: a thread that exits while others wait at a barrier is a divergent barrier",
          "[emu]") {
  FreshContext fresh;
  int* out = device_array<int>(64);
  const cudaError_t error = probe::early_exit_before_barrier(out, 64, 40);
  CHECK(error == cudaErrorLaunchFailure);
  const std::string message = message_of(error);
  CHECK_THAT(message, Catch::Contains("early_exit_kernel") &&
                          Catch::Contains("emu_probe_kernels.cu:") &&
                          Catch::Contains("block (0,0,0)") && Catch::Contains("exited while") &&
                          Catch::Contains("line 9"));
  // The fault is sticky: nothing runs afterwards until the context is reset.
  CHECK(cudaDeviceSynchronize() == cudaErrorLaunchFailure);
}

TEST_CASE("emu: threads waiting at different barriers are caught", "[emu]") {
  FreshContext fresh;
  int* out = device_array<int>(8);
  const cudaError_t error = probe::two_barriers(out, 8);
  CHECK(error == cudaErrorLaunchFailure);
  CHECK_THAT(message_of(error), Catch::Contains("two_barriers_kernel") &&
                                    Catch::Contains("divergent barriers") &&
                                    Catch::Contains("line 15") && Catch::Contains("line 17"));
}

TEST_CASE("emu: a barrier every thread reaches releases the block", "[emu]") {
  FreshContext fresh;
  int* out = device_array<int>(64);
  REQUIRE(probe::early_exit_before_barrier(out, 64, 64) == cudaSuccess);
  CHECK(read(out, 64) == std::vector<int>(64, 1));
  REQUIRE(probe::broadcast_through_shared(out, 64, 42) == cudaSuccess);
  CHECK(read(out, 64) == std::vector<int>(64, 42));
}

TEST_CASE("emu: launch configurations the driver refuses are refused", "[emu]") {
  FreshContext fresh;
  int* out = device_array<int>(1);
  CHECK(probe::launch_shape(out, 1024, 1) == cudaSuccess);
  cudaError_t error = probe::launch_shape(out, 1025, 1);
  CHECK(error == cudaErrorInvalidConfiguration);
  CHECK_THAT(message_of(error), Catch::Contains("shape_kernel") && Catch::Contains("1025 threads"));
  CHECK(probe::launch_shape(out, 0, 1) == cudaErrorInvalidConfiguration);
  CHECK(probe::launch_shape(out, 32, 65536) == cudaErrorInvalidConfiguration);
  // A configuration error is not sticky: the next good launch runs.
  CHECK(probe::launch_shape(out, 32, 2) == cudaSuccess);
  float* f = device_array<float>(1);
  error = probe::too_much_shared(f);
  CHECK(error == cudaErrorLaunchOutOfResources);
  CHECK_THAT(message_of(error), Catch::Contains("too_much_shared_kernel") &&
                                    Catch::Contains("__shared__") && Catch::Contains("48 KiB"));
}

TEST_CASE("emu: shared memory holds NaN bytes at the start of every block", "[emu]") {
  FreshContext fresh;
  const int blocks = 3, threads = 32;
  unsigned* out = device_array<unsigned>(blocks * threads);
  REQUIRE(probe::read_shared_before_write(out, blocks, threads) == cudaSuccess);
  // Every block, not only the first, finds 0xffffffff (a NaN), never the 1.0f the previous
  // block wrote.
  CHECK(read(out, blocks * threads) == std::vector<unsigned>(blocks * threads, 0xffffffffu));
}

TEST_CASE("emu: copies and memsets outside an allocation are refused", "[emu]") {
  FreshContext fresh;
  float* a = device_array<float>(16);
  std::vector<float> host(32, 1.0f);
  cudaError_t error = cudaMemcpy(a, host.data(), 17 * sizeof(float), cudaMemcpyHostToDevice);
  CHECK(error == cudaErrorInvalidValue);
  CHECK_THAT(message_of(error), Catch::Contains("cudaMemcpy") &&
                                    Catch::Contains("runs past the end of its allocation"));
  CHECK(cudaMemcpy(host.data(), a + 8, 9 * sizeof(float), cudaMemcpyDeviceToHost) ==
        cudaErrorInvalidValue);
  CHECK(cudaMemset(a + 1, 0, 16 * sizeof(float)) == cudaErrorInvalidValue);
  CHECK(cudaMemcpy(host.data(), host.data() + 16, 4, cudaMemcpyDeviceToHost) ==
        cudaErrorInvalidValue);  // not device memory at all
  CHECK(cudaMemcpy(a, host.data(), 16 * sizeof(float), cudaMemcpyHostToDevice) == cudaSuccess);
  CHECK(cudaFree(host.data()) == cudaErrorInvalidDevicePointer);
}

TEST_CASE("emu: a captured graph replays its launches, and capture refuses synchronous calls",
          "[emu]") {
  FreshContext fresh;
  int* counter = device_array<int>(1);
  cudaStream_t stream = nullptr;
  REQUIRE(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking) == cudaSuccess);
  REQUIRE(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
  REQUIRE(probe::increment(counter, stream) == cudaSuccess);
  REQUIRE(probe::increment(counter, stream) == cudaSuccess);
  cudaGraph_t graph = nullptr;
  REQUIRE(cudaStreamEndCapture(stream, &graph) == cudaSuccess);
  CHECK(read(counter, 1)[0] == 0);  // recorded, not run
  cudaGraphExec_t exec = nullptr;
  REQUIRE(cudaGraphInstantiate(&exec, graph, 0) == cudaSuccess);
  REQUIRE(cudaGraphLaunch(exec, stream) == cudaSuccess);
  REQUIRE(cudaGraphLaunch(exec, stream) == cudaSuccess);
  REQUIRE(cudaStreamSynchronize(stream) == cudaSuccess);
  CHECK(read(counter, 1)[0] == 4);
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);

  REQUIRE(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal) == cudaSuccess);
  int host = 0;
  CHECK(cudaMemcpy(&host, counter, sizeof host, cudaMemcpyDeviceToHost) ==
        cudaErrorStreamCaptureUnsupported);
  CHECK(cudaStreamSynchronize(stream) == cudaErrorStreamCaptureUnsupported);
  CHECK(cudaStreamEndCapture(stream, &graph) == cudaErrorStreamCaptureInvalidated);
  CHECK(graph == nullptr);
  cudaStreamDestroy(stream);
}

TEST_CASE("emu: blocks and threads run in the order TRAINER_CUDA_EMU_ORDER gives", "[emu]") {
  FreshContext fresh;
  const int blocks = 3, threads = 4, n = blocks * threads;
  int* out = device_array<int>(n);
  REQUIRE(probe::execution_order(out, blocks, threads) == cudaSuccess);
  const std::vector<int> seen = read(out, n);
  std::vector<int> forward(n), reverse(n);
  for (int i = 0; i < n; ++i) {
    forward[std::size_t(i)] = i;
    reverse[std::size_t(i)] = n - 1 - i;
  }
  const char* order = std::getenv("TRAINER_CUDA_EMU_ORDER");
  const std::string name = order ? order : "forward";
  INFO("TRAINER_CUDA_EMU_ORDER=" << name);
  if (name == "forward") CHECK(seen == forward);
  if (name == "reverse") CHECK(seen == reverse);
  if (name.rfind("shuffled", 0) == 0) {
    CHECK(seen != forward);
    CHECK(seen != reverse);
    std::vector<int> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == forward);  // every thread ran exactly once
  }
}
