// Main of the CUDA kernel tests on the emulator: the same tests as on a GPU (test_cuda_kernels.cpp)
// plus the emulator's own (test_cuda_emu.cpp), never skipped.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  const char* order = std::getenv("TRAINER_CUDA_EMU_ORDER");
  std::printf("CUDA emulator, thread and block order: %s\n", order && *order ? order : "forward");
  return Catch::Session().run(argc, argv);
}
