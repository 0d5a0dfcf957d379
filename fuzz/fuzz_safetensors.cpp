// libFuzzer target: the safetensors reader (io/safetensors.h) and the check of its tensors against
// the seed model's layout. Lengths and offsets in the header are untrusted.
#include <cstddef>
#include <cstdint>
#include <string>

#include "io/safetensors.h"
#include "model/layout.h"
#include "util/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The shape of the committed seeds (--hidden 1 --code 1), so that valid inputs reach every check.
  static const trainer::ModelLayout layout = trainer::make_layout(trainer::ModelShape{784, 1, 1});
  try {
    const trainer::SafetensorsFile file =
        trainer::decode_safetensors(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    trainer::params_from_safetensors(file, layout, "fuzz");
  } catch (const trainer::RuntimeFailure&) {
  }
  return 0;
}
