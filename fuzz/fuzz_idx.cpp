// libFuzzer target: IDX image and label files, raw and gzip-compressed (data/idx.h, data/gzip.h).
// Any input must end in a parsed file or a RuntimeFailure, never a crash, a hang or a read past
// the input; the 1 MiB gunzip cap stands in for the catalog's sizes.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "data/gzip.h"
#include "data/idx.h"
#include "util/errors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> bytes(data, data + size);
  try {
    trainer::parse_idx_images(bytes, "fuzz-images");
  } catch (const trainer::RuntimeFailure&) {
  }
  try {
    trainer::parse_idx_labels(bytes, "fuzz-labels");
  } catch (const trainer::RuntimeFailure&) {
  }
  try {
    std::vector<std::uint8_t> plain = trainer::gunzip(bytes, 1 << 20, "fuzz.gz");
    trainer::parse_idx_images(std::move(plain), "fuzz.gz");
  } catch (const trainer::RuntimeFailure&) {
  }
  return 0;
}
