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
  if (size < 2) return 0;
  // What --limit reads: a prefix of the file, checked against the whole file's size.
  const std::size_t cut = std::size_t(data[0]) * size / 256;
  try {
    trainer::parse_idx_images(trainer::HostBytes(std::vector<std::uint8_t>(data, data + cut)),
                              "fuzz-prefix", size);
  } catch (const trainer::RuntimeFailure&) {
  }
  // The stream fed in two pieces split at `cut`: the same bytes and the same verdict as in one.
  std::vector<std::uint8_t> whole, pieces;
  bool whole_ok = true, pieces_ok = true;
  try {
    whole = trainer::gunzip(bytes, 1 << 20, "fuzz.gz");
  } catch (const trainer::RuntimeFailure&) {
    whole_ok = false;
  }
  try {
    trainer::GunzipStream stream(1 << 20, "fuzz.gz", [&](const std::uint8_t* out, std::size_t n) {
      pieces.insert(pieces.end(), out, out + n);
    });
    stream.feed(data, cut);
    stream.feed(data + cut, size - cut);
    stream.finish();
  } catch (const trainer::RuntimeFailure&) {
    pieces_ok = false;
  }
  if (whole_ok != pieces_ok || (whole_ok && whole != pieces)) __builtin_trap();
  return 0;
}
