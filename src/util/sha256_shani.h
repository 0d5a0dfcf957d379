// SHA-256 block compression with the x86 SHA extensions (SHA-NI): ~10x mbedTLS's portable C,
// which matters because every run hashes its cached dataset (55 MB for Fashion-MNIST).
#pragma once

#include <cstddef>
#include <cstdint>

namespace trainer {

// Whether this CPU has SHA-NI (and the SSE4.1 the code also uses).
bool cpu_has_sha_ni();

// Compresses `blocks` 64-byte blocks into state[8] (a..h). Call only when cpu_has_sha_ni().
void sha256_blocks_shani(std::uint32_t state[8], const std::uint8_t* data, std::size_t blocks);

}  // namespace trainer
