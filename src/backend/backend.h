// The backend seam: a device that owns memory and runs the model's ops. The model's step is written
// once (model/autoencoder.cpp) as a sequence of these calls; the training loop never asks which
// device it is on. Pointers passed to ops are in the backend's own memory (host memory for the CPU,
// device memory for CUDA); upload/download are the only crossings. Ops may run asynchronously
// with respect to the host until download() or synchronize().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernels/op_args.h"

#include "util/host_bytes.h"

namespace trainer {

class Backend {
 public:
  virtual ~Backend() = default;

  // e.g. "cpu (avx512, 2 threads)"
  virtual std::string description() const = 0;
  // How a multiply-add rounds (kernels/README.md): "fma" (once: avx2, avx512, CUDA) or "sse2"
  // (twice). Runs give the same bytes only on the same one; checkpoints record it.
  virtual std::string rounding() const { return "fma"; }

  // Memory owned by the backend until it is destroyed; zero-filled, aligned for any vector type.
  virtual void* allocate(std::size_t bytes) = 0;
  template <class T>
  T* allocate_array(std::size_t count) {
    return static_cast<T*>(allocate(count * sizeof(T)));
  }
  virtual void upload(void* device_dst, const void* host_src, std::size_t bytes) = 0;
  virtual void download(void* host_dst, const void* device_src, std::size_t bytes) = 0;
  virtual void synchronize() = 0;
  // Bytes the backend keeps until it is destroyed (a training set): the CPU backend takes the host
  // bytes themselves (a vector, or pages mapped from the decoded cache), so the images are never
  // in memory twice; other backends copy them in and free the host copy. Returns where they are
  // in backend memory.
  virtual const std::uint8_t* adopt_bytes(HostBytes&& host);
  // Runs `ops`, a sequence of the ops below that is issued identically every time it is called
  // under `key` (same pointers and sizes; only the contents of memory change). A device may
  // record it once and replay the recording (CUDA graphs); the CPU simply runs it.
  virtual void run_recorded(const std::string& key, const std::function<void()>& ops) = 0;
  // How many training steps the loop should hand to one run_recorded call: the loop checks for
  // signals and checkpoints between calls, so this bounds how many steps a SIGTERM waits for.
  virtual int steps_per_recording() const { return 1; }

  // How the ops of one step may be spread (a device that runs each op over all its cores, as CUDA
  // does, simply calls `body`):
  // - for_row_chunks: body(begin, end) for chunks that cover rows [0, rows) once; the ops it issues
  //   touch only those rows of batch-major arrays, so chunks may run at the same time, each op of
  //   a chunk on that chunk alone. The CPU gives each thread a chunk: the forward pass and the
  //   backward-data products then run with no barrier between layers.
  // - independent: the ops `body` issues read nothing another of them writes; they may run in
  //   any order or at once (the CPU runs their tasks in one parallel region).
  // Either way every element is computed by the same operations as when each op runs alone.
  virtual void for_row_chunks(int rows, const std::function<void(int begin, int end)>& body) {
    body(0, rows);
  }
  virtual void independent(const std::function<void()>& body) { body(); }

  // out[i, :] = images[rows[i], :] / 255 for i in [0, count)
  virtual void gather_normalize(const std::uint8_t* images, int width, const std::uint32_t* rows,
                                int count, float* out) = 0;
  // The product, its epilogue and the fused row sums and Adam step of kernels/op_args.h.
  virtual void gemm(const GemmArgs& args) = 0;
  virtual void mse_backward(const MseArgs& args) = 0;
  // *out = x[0] + x[1] + ... + x[count-1], left to right
  virtual void sum(const float* x, int count, float* out) = 0;
};

enum class DeviceKind { automatic, cpu, cuda };

struct BackendRequest {
  DeviceKind device = DeviceKind::automatic;
  int threads = 0;  // CPU threads; 0: every usable core
};

// The host threads a request may use: --threads, else every usable core (util/system_info.h).
int host_threads(const BackendRequest& request);

struct BackendChoice {
  std::unique_ptr<Backend> backend;
  std::string note;     // why `automatic` chose the CPU in a CUDA build, else empty
  std::string warning;  // e.g. more --threads than usable cores, else empty
};

// cpu: the CPU backend; cuda: the first CUDA device, or RuntimeFailure with the driver's reason;
// automatic: CUDA when a driver and device exist, else the CPU.
BackendChoice make_backend(const BackendRequest& request);

// The CPU backend with the SIMD arch from $TRAINER_SIMD or the best this CPU supports.
// Throws UsageError for an unknown or unsupported TRAINER_SIMD value.
std::unique_ptr<Backend> make_cpu_backend(const BackendRequest& request);

}  // namespace trainer
