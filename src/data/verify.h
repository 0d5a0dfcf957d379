// Is this archive the file the catalog describes? It is when the SHA-256 of its bytes matches,
// or when the SHA-256 of its decompressed content does (Debian re-gzips Fashion-MNIST: other
// archive bytes, same IDX content).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/catalog.h"
#include "util/errors.h"

namespace trainer {

struct VerificationFailure : RuntimeFailure {
  using RuntimeFailure::RuntimeFailure;
};

// The decompressed IDX bytes of a verified archive. Throws VerificationFailure whose message
// gives the expected and the actual hashes.
std::vector<std::uint8_t> verified_content(const std::vector<std::uint8_t>& archive,
                                           const CatalogFile& file);

}  // namespace trainer
