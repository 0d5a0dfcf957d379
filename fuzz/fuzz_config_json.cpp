// libFuzzer target: weights/config.json (io/trained_model.h parse_config_json), which `trainer
// eval`, `reconstruct` and `export` read from directories other jobs may have written.
#include <cstddef>
#include <cstdint>
#include <string>

#include "io/trained_model.h"
#include "util/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    trainer::parse_config_json(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const trainer::RuntimeFailure&) {
  }
  return 0;
}
