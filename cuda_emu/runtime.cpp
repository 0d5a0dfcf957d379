// The CUDA runtime calls the project makes, on the CPU: one device, memory from the host heap
// with every copy and memset checked against the allocation it must lie in, streams whose work
// runs at once (so that every call is synchronous), and stream capture into graphs that replay the
// recorded operations, in order, at each cudaGraphLaunch.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "emulator.h"

namespace cuda_emu {

struct Graph {
  std::vector<std::function<void()>> ops;
};

struct Stream {
  bool capturing = false;
  bool invalidated = false;  // an unsupported call was made while capturing
  std::unique_ptr<Graph> graph;
};

namespace {

cudaError_t last_error = cudaSuccess;
cudaError_t sticky_error = cudaSuccess;
// The most recent error's own account, kept after cudaGetLastError() has cleared the error.
cudaError_t message_code = cudaSuccess;
std::string last_message;
std::map<std::uintptr_t, std::size_t> allocations;  // begin -> bytes
std::vector<Stream*> streams;
Stream default_stream;

Stream* resolve(cudaStream_t stream) {
  return stream ? stream : &default_stream;
}

Stream* capturing_stream() {
  if (default_stream.capturing) return &default_stream;
  for (Stream* s : streams)
    if (s->capturing) return s;
  return nullptr;
}

// A synchronous call made while this thread captures a stream: CUDA refuses it and invalidates
// the capture (cudaStreamCaptureModeThreadLocal), which is exactly the bug it catches.
bool refused_during_capture(const char* call) {
  Stream* s = capturing_stream();
  if (!s) return false;
  s->invalidated = true;
  record_error(cudaErrorStreamCaptureUnsupported,
               std::string(call) + " while a stream is being captured into a graph", false);
  return true;
}

std::string range_text(std::uintptr_t begin, std::size_t bytes) {
  char text[96];
  std::snprintf(text, sizeof text, "[%#zx, %#zx)", std::size_t(begin), std::size_t(begin + bytes));
  return text;
}

// Whether [p, p + bytes) lies inside one live allocation; else the reason.
std::string check_device_range(const void* p, std::size_t bytes, const char* what) {
  const auto at = reinterpret_cast<std::uintptr_t>(p);
  auto it = allocations.upper_bound(at);
  if (it == allocations.begin())
    return std::string(what) + " " + range_text(at, bytes) + " is not device memory";
  --it;
  if (at + bytes > it->first + it->second) {
    if (at >= it->first + it->second)
      return std::string(what) + " " + range_text(at, bytes) + " is not device memory";
    return std::string(what) + " " + range_text(at, bytes) +
           " runs past the end of its allocation " + range_text(it->first, it->second);
  }
  return "";
}

bool is_device(const void* p) {
  return check_device_range(p, 1, "").empty();
}

cudaError_t checked_copy(const char* call, void* dst, const void* src, std::size_t bytes,
                         cudaMemcpyKind kind) {
  if (bytes == 0) return cudaSuccess;
  if (kind == cudaMemcpyDefault)
    kind = is_device(dst) ? (is_device(src) ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
                          : (is_device(src) ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  std::string problem;
  if (kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice)
    problem = check_device_range(dst, bytes, "destination");
  if (problem.empty() && (kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice))
    problem = check_device_range(src, bytes, "source");
  if (!problem.empty())
    return record_error(cudaErrorInvalidValue, std::string(call) + ": " + problem, false);
  return cudaSuccess;
}

}  // namespace

cudaError_t record_error(cudaError_t code, const std::string& message, bool sticky) {
  last_error = code;
  message_code = code;
  last_message = message;
  if (sticky && sticky_error == cudaSuccess) sticky_error = code;
  if (std::getenv("TRAINER_CUDA_EMU_VERBOSE"))
    std::fprintf(stderr, "cuda_emu: %s\n", message.c_str());
  return code;
}

void run_or_record(cudaStream_t stream, const std::function<void()>& op) {
  Stream* s = resolve(stream);
  if (s->capturing) {
    s->graph->ops.push_back(op);
    return;
  }
  if (sticky_error != cudaSuccess) return;  // a faulted context runs nothing more
  try {
    op();
  } catch (const EmulatorError& e) {
    record_error(e.code, e.what(), e.code != cudaErrorInvalidValue);
  }
}

}  // namespace cuda_emu

using cuda_emu::record_error;

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess:
      return "cudaSuccess";
    case cudaErrorInvalidValue:
      return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation:
      return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration:
      return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer:
      return "cudaErrorInvalidDevicePointer";
    case cudaErrorInvalidDevice:
      return "cudaErrorInvalidDevice";
    case cudaErrorNoDevice:
      return "cudaErrorNoDevice";
    case cudaErrorIllegalAddress:
      return "cudaErrorIllegalAddress";
    case cudaErrorLaunchOutOfResources:
      return "cudaErrorLaunchOutOfResources";
    case cudaErrorLaunchFailure:
      return "cudaErrorLaunchFailure";
    case cudaErrorStreamCaptureUnsupported:
      return "cudaErrorStreamCaptureUnsupported";
    case cudaErrorStreamCaptureInvalidated:
      return "cudaErrorStreamCaptureInvalidated";
    case cudaErrorIllegalState:
      return "cudaErrorIllegalState";
  }
  return "cudaErrorUnknown";
}

// The emulator's own account of the most recent error of this code (which kernel, block, thread
// and line), else the code's name.
const char* cudaGetErrorString(cudaError_t error) {
  using namespace cuda_emu;
  if (error == cudaSuccess) return "no error";
  if (error == message_code && !last_message.empty()) return last_message.c_str();
  return cudaGetErrorName(error);
}

cudaError_t cudaGetLastError() {
  using namespace cuda_emu;
  const cudaError_t error = sticky_error != cudaSuccess ? sticky_error : last_error;
  last_error = cudaSuccess;
  if (sticky_error != cudaSuccess) last_error = sticky_error;  // a fault stays
  return error;
}

cudaError_t cudaPeekAtLastError() {
  return cuda_emu::sticky_error != cudaSuccess ? cuda_emu::sticky_error : cuda_emu::last_error;
}

cudaError_t cudaRuntimeGetVersion(int* version) {
  *version = 12040;
  return cudaSuccess;
}

cudaError_t cudaDriverGetVersion(int* version) {
  *version = 12040;
  return cudaSuccess;
}

// TRAINER_CUDA_EMU_DEVICES=0 makes the emulator a machine without a GPU, for the paths that handle
// one.
cudaError_t cudaGetDeviceCount(int* count) {
  // A bad emulator setting fails where a program looks for its GPU, before it has done anything.
  const std::string problem = cuda_emu::order_variable_problem();
  if (!problem.empty()) {
    *count = 0;
    return record_error(cudaErrorInvalidValue, problem, false);
  }
  const char* devices = std::getenv("TRAINER_CUDA_EMU_DEVICES");
  if (devices && std::strcmp(devices, "0") == 0) {
    *count = 0;
    return record_error(cudaErrorNoDevice,
                        "no CUDA-capable device is detected (emulator, TRAINER_CUDA_EMU_DEVICES=0)",
                        false);
  }
  *count = 1;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int device) {
  if (device != 0) return record_error(cudaErrorInvalidDevice, "invalid device ordinal", false);
  std::memset(p, 0, sizeof *p);
  std::snprintf(p->name, sizeof p->name, "CUDA emulator on the CPU");
  p->totalGlobalMem = std::size_t(16) << 30;
  p->sharedMemPerBlock = 48 * 1024;
  p->maxThreadsPerBlock = 1024;
  p->maxThreadsDim[0] = p->maxThreadsDim[1] = 1024;
  p->maxThreadsDim[2] = 64;
  p->maxGridSize[0] = 0x7fffffff;
  p->maxGridSize[1] = p->maxGridSize[2] = 65535;
  p->major = 9;
  p->minor = 0;
  p->multiProcessorCount = 1;
  p->warpSize = 32;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  if (device != 0) return record_error(cudaErrorInvalidDevice, "invalid device ordinal", false);
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize() {
  if (cuda_emu::refused_during_capture("cudaDeviceSynchronize"))
    return cudaErrorStreamCaptureUnsupported;
  return cuda_emu::sticky_error;
}

cudaError_t cudaDeviceReset() {
  using namespace cuda_emu;
  for (const auto& [begin, bytes] : allocations) std::free(reinterpret_cast<void*>(begin));
  allocations.clear();
  for (Stream* s : streams) delete s;
  streams.clear();
  default_stream = Stream{};
  last_error = sticky_error = message_code = cudaSuccess;
  last_message.clear();
  return cudaSuccess;
}

cudaError_t cudaMalloc(void** pointer, std::size_t bytes) {
  using namespace cuda_emu;
  *pointer = nullptr;
  if (refused_during_capture("cudaMalloc")) return cudaErrorStreamCaptureUnsupported;
  if (sticky_error != cudaSuccess) return sticky_error;
  // The exact size, so that AddressSanitizer sees a kernel reading one element past the end.
  void* p = nullptr;
  if (bytes == 0 || posix_memalign(&p, 256, bytes) != 0)
    return record_error(cudaErrorMemoryAllocation,
                        "cudaMalloc of " + std::to_string(bytes) + " bytes", false);
  allocations[reinterpret_cast<std::uintptr_t>(p)] = bytes;
  *pointer = p;
  return cudaSuccess;
}

cudaError_t cudaFree(void* pointer) {
  using namespace cuda_emu;
  if (!pointer) return cudaSuccess;
  auto it = allocations.find(reinterpret_cast<std::uintptr_t>(pointer));
  if (it == allocations.end())
    return record_error(cudaErrorInvalidDevicePointer,
                        "cudaFree of a pointer cudaMalloc did not return", false);
  allocations.erase(it);
  std::free(pointer);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
  using namespace cuda_emu;
  if (refused_during_capture("cudaMemcpy")) return cudaErrorStreamCaptureUnsupported;
  if (sticky_error != cudaSuccess) return sticky_error;
  if (const cudaError_t e = checked_copy("cudaMemcpy", dst, src, bytes, kind)) return e;
  if (bytes) std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream) {
  using namespace cuda_emu;
  if (sticky_error != cudaSuccess) return sticky_error;
  if (const cudaError_t e = checked_copy("cudaMemcpyAsync", dst, src, bytes, kind)) return e;
  run_or_record(stream, [=] {
    if (bytes) std::memmove(dst, src, bytes);
  });
  return cudaSuccess;
}

cudaError_t cudaMemset(void* pointer, int value, std::size_t bytes) {
  using namespace cuda_emu;
  if (refused_during_capture("cudaMemset")) return cudaErrorStreamCaptureUnsupported;
  return cudaMemsetAsync(pointer, value, bytes, nullptr);
}

cudaError_t cudaMemsetAsync(void* pointer, int value, std::size_t bytes, cudaStream_t stream) {
  using namespace cuda_emu;
  if (sticky_error != cudaSuccess) return sticky_error;
  if (bytes == 0) return cudaSuccess;
  const std::string problem = check_device_range(pointer, bytes, "cudaMemset range");
  if (!problem.empty()) return record_error(cudaErrorInvalidValue, problem, false);
  run_or_record(stream, [=] { std::memset(pointer, value, bytes); });
  return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t* stream) {
  return cudaStreamCreateWithFlags(stream, 0);
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned) {
  *stream = new cuda_emu::Stream;
  cuda_emu::streams.push_back(*stream);
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  auto& all = cuda_emu::streams;
  for (auto it = all.begin(); it != all.end(); ++it) {
    if (*it == stream) {
      all.erase(it);
      delete stream;
      return cudaSuccess;
    }
  }
  return record_error(cudaErrorInvalidValue, "cudaStreamDestroy of an unknown stream", false);
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  using namespace cuda_emu;
  if (resolve(stream)->capturing) {
    resolve(stream)->invalidated = true;
    return record_error(cudaErrorStreamCaptureUnsupported,
                        "cudaStreamSynchronize on a stream being captured", false);
  }
  return sticky_error;
}

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode) {
  using namespace cuda_emu;
  Stream* s = resolve(stream);
  if (s == &default_stream)
    return record_error(cudaErrorStreamCaptureUnsupported, "capturing the legacy default stream",
                        false);
  if (s->capturing)
    return record_error(cudaErrorIllegalState, "stream is already capturing", false);
  s->capturing = true;
  s->invalidated = false;
  s->graph = std::make_unique<Graph>();
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* graph) {
  using namespace cuda_emu;
  Stream* s = resolve(stream);
  *graph = nullptr;
  if (!s->capturing) return record_error(cudaErrorIllegalState, "stream is not capturing", false);
  s->capturing = false;
  if (s->invalidated) {
    s->graph.reset();
    return record_error(cudaErrorStreamCaptureInvalidated,
                        "the capture was invalidated by a call it does not allow", false);
  }
  *graph = s->graph.release();
  return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long) {
  if (!graph) return record_error(cudaErrorInvalidValue, "cudaGraphInstantiate of no graph", false);
  *exec = new cuda_emu::Graph(*graph);
  return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
  using namespace cuda_emu;
  if (!exec) return record_error(cudaErrorInvalidValue, "cudaGraphLaunch of no graph", false);
  if (sticky_error != cudaSuccess) return sticky_error;
  for (const auto& op : exec->ops) run_or_record(stream, op);
  return sticky_error;
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  delete graph;
  return cudaSuccess;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  delete exec;
  return cudaSuccess;
}
