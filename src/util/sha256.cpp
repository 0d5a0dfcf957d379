#include "util/sha256.h"

#include <mbedtls/sha256.h>

#include <algorithm>
#include <cstring>

#include "util/sha256_shani.h"

namespace trainer {

struct Sha256::State {
  bool sha_ni = false;
  mbedtls_sha256_context portable;
  // SHA-NI path: FIPS 180-4 padding done here, blocks compressed by sha256_blocks_shani.
  std::uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::uint8_t pending[64];
  std::size_t pending_bytes = 0;
  std::uint64_t total_bytes = 0;
};

Sha256::Sha256(Implementation implementation) : state_(std::make_unique<State>()) {
  static const bool has_sha_ni = cpu_has_sha_ni();
  state_->sha_ni = implementation == Implementation::best && has_sha_ni;
  mbedtls_sha256_init(&state_->portable);
  mbedtls_sha256_starts_ret(&state_->portable, /*is224=*/0);
}

Sha256::~Sha256() {
  mbedtls_sha256_free(&state_->portable);
}

bool Sha256::uses_sha_ni() const {
  return state_->sha_ni;
}

void Sha256::update(const void* data, std::size_t size) {
  // Nothing to add; and an empty buffer's pointer may be null, which memcpy must never see.
  if (size == 0) return;
  State& s = *state_;
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  if (!s.sha_ni) {
    mbedtls_sha256_update_ret(&s.portable, bytes, size);
    return;
  }
  s.total_bytes += size;
  if (s.pending_bytes > 0) {
    const std::size_t take = std::min(size, 64 - s.pending_bytes);
    std::memcpy(s.pending + s.pending_bytes, bytes, take);
    s.pending_bytes += take;
    bytes += take;
    size -= take;
    if (s.pending_bytes < 64) return;
    sha256_blocks_shani(s.h, s.pending, 1);
    s.pending_bytes = 0;
  }
  sha256_blocks_shani(s.h, bytes, size / 64);
  std::memcpy(s.pending, bytes + size / 64 * 64, size % 64);
  s.pending_bytes = size % 64;
}

std::string Sha256::digest() {
  State& s = *state_;
  unsigned char digest[32];
  if (!s.sha_ni) {
    mbedtls_sha256_finish_ret(&s.portable, digest);
    return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
  }
  // The message, 0x80, zeros up to 56 mod 64, then the message length in bits, big-endian.
  std::uint8_t last[128] = {};
  const std::size_t last_bytes = s.pending_bytes < 56 ? 64 : 128;
  std::memcpy(last, s.pending, s.pending_bytes);
  last[s.pending_bytes] = 0x80;
  const std::uint64_t bits = s.total_bytes * 8;
  for (int i = 0; i < 8; ++i) last[last_bytes - 1 - i] = std::uint8_t(bits >> (8 * i));
  sha256_blocks_shani(s.h, last, last_bytes / 64);
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 4; ++j) digest[4 * i + j] = std::uint8_t(s.h[i] >> (24 - 8 * j));
  }
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

std::string Sha256::hex_digest() {
  static const char kHex[] = "0123456789abcdef";
  std::string text;
  for (unsigned char byte : digest()) {
    text += kHex[byte >> 4];
    text += kHex[byte & 15];
  }
  return text;
}

std::string sha256_hex(const void* data, std::size_t size) {
  Sha256 hash;
  hash.update(data, size);
  return hash.hex_digest();
}

}  // namespace trainer
