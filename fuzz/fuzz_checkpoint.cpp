// libFuzzer target: the checkpoint reader (io/checkpoint.h) and the spec its fingerprint gives.
// The digest is checked first, so the fuzzer also gets inputs whose digest is recomputed, to
// reach the header parser behind it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "io/checkpoint.h"
#include "train/resume.h"
#include "util/errors.h"
#include "util/sha256.h"

namespace {

void decode(const std::string& bytes) {
  try {
    const trainer::Checkpoint checkpoint = trainer::decode_checkpoint(bytes, "fuzz");
    trainer::spec_from_fingerprint(checkpoint, "fuzz");
  } catch (const trainer::RuntimeFailure&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  decode(bytes);
  if (bytes.size() >= 32) {  // the same body with a valid digest
    trainer::Sha256 hash;
    hash.update(bytes.data(), bytes.size() - 32);
    bytes.replace(bytes.size() - 32, 32, hash.digest());
    decode(bytes);
  }
  return 0;
}
