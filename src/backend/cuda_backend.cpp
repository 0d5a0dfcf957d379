#include "backend/cuda_backend.h"

#include <cuda_runtime_api.h>

#include <cstdlib>
#include <map>
#include <vector>

#include "kernels/cuda/check.h"
#include "kernels/cuda/kernels.h"
#include "util/errors.h"

namespace trainer {
namespace {

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device) {
    CUDA_CHECK(cudaSetDevice(device));
    CUDA_CHECK(cudaGetDeviceProperties(&properties_, device));
    CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    const char* graphs = std::getenv("TRAINER_CUDA_GRAPHS");
    use_graphs_ = !(graphs && std::string(graphs) == "0");
  }
  ~CudaBackend() override {
    cudaStreamSynchronize(stream_);
    for (auto& [key, exec] : graphs_) cudaGraphExecDestroy(exec);
    for (void* p : allocations_) cudaFree(p);
    cudaStreamDestroy(stream_);
  }

  std::string description() const override {
    return std::string("cuda (") + properties_.name + ", sm_" + std::to_string(properties_.major) +
           std::to_string(properties_.minor) + ")";
  }

  void* allocate(std::size_t bytes) override {
    void* p = nullptr;
    CUDA_CHECK(cudaMalloc(&p, bytes ? bytes : 1));
    allocations_.push_back(p);
    CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, stream_));
    return p;
  }
  // Copies are ordered on the stream after every op already issued, and complete before returning.
  void upload(void* device_dst, const void* host_src, std::size_t bytes) override {
    CUDA_CHECK(cudaMemcpyAsync(device_dst, host_src, bytes, cudaMemcpyHostToDevice, stream_));
    synchronize();
  }
  void download(void* host_dst, const void* device_src, std::size_t bytes) override {
    CUDA_CHECK(cudaMemcpyAsync(host_dst, device_src, bytes, cudaMemcpyDeviceToHost, stream_));
    synchronize();
  }
  void synchronize() override { CUDA_CHECK(cudaStreamSynchronize(stream_)); }

  // A step is a dozen small kernels: a segment of steps recorded once as a CUDA graph is launched
  // with one call and the GPU runs it without per-kernel launch gaps. 16 steps keep a SIGTERM
  // waiting for at most a few milliseconds of GPU work.
  int steps_per_recording() const override { return 16; }
  void run_recorded(const std::string& key, const std::function<void()>& ops) override {
    if (!use_graphs_) return ops();
    auto found = graphs_.find(key);
    if (found == graphs_.end()) {
      // Checkpoint steps that move against epoch boundaries add segments each epoch; bound them.
      if (graphs_.size() >= kMaxGraphs) {
        synchronize();
        for (auto& [old_key, exec] : graphs_) cudaGraphExecDestroy(exec);
        graphs_.clear();
      }
      CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
      cudaGraph_t graph = nullptr;
      try {
        ops();
      } catch (...) {
        cudaStreamEndCapture(stream_, &graph);
        if (graph) cudaGraphDestroy(graph);
        throw;
      }
      CUDA_CHECK(cudaStreamEndCapture(stream_, &graph));
      cudaGraphExec_t exec = nullptr;
      const cudaError_t instantiated = cudaGraphInstantiate(&exec, graph, 0);
      cudaGraphDestroy(graph);
      CUDA_CHECK(instantiated);
      found = graphs_.emplace(key, exec).first;
    }
    CUDA_CHECK(cudaGraphLaunch(found->second, stream_));
  }

  void gather_normalize(const std::uint8_t* images, int width, const std::uint32_t* rows, int count,
                        float* out) override {
    cuda::gather_normalize(images, width, rows, count, out, stream_);
  }
  void gemm(const GemmArgs& args) override { cuda::gemm(args, stream_); }
  void mse_backward(const MseArgs& args) override { cuda::mse_backward(args, stream_); }
  void sum(const float* x, int count, float* out) override { cuda::sum(x, count, out, stream_); }

 private:
  cudaDeviceProp properties_{};
  cudaStream_t stream_ = nullptr;
  std::vector<void*> allocations_;
  bool use_graphs_ = true;  // TRAINER_CUDA_GRAPHS=0 runs ops one launch at a time (for comparison)
  static constexpr std::size_t kMaxGraphs = 1024;
  std::map<std::string, cudaGraphExec_t> graphs_;
};

}  // namespace

const bool kCudaBuild = true;

CudaProbe probe_cuda() {
  CudaProbe probe;
  cudaRuntimeGetVersion(&probe.runtime_version);
  cudaDriverGetVersion(&probe.driver_version);  // 0 when no driver is installed
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error state of a failed probe
    probe.reason = cudaGetErrorString(status);
    return probe;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp properties{};
    if (cudaGetDeviceProperties(&properties, i) != cudaSuccess) {
      cudaGetLastError();
      continue;
    }
    probe.devices.push_back({properties.name, properties.major, properties.minor,
                             properties.totalGlobalMem, properties.multiProcessorCount});
  }
  if (count == 0) {
    probe.reason = "no CUDA device found";
  } else if (probe.devices.empty()) {
    probe.reason = "cannot query CUDA device 0";
  } else {
    probe.available = true;
    probe.device_name = probe.devices.front().name;
  }
  return probe;
}

std::unique_ptr<Backend> make_cuda_backend() {
  const CudaProbe probe = probe_cuda();
  if (!probe.available) throw RuntimeFailure("--device cuda: " + probe.reason);
  try {
    return std::make_unique<CudaBackend>(0);
  } catch (const std::runtime_error& e) {
    throw RuntimeFailure(std::string("--device cuda: ") + e.what());
  }
}

}  // namespace trainer
