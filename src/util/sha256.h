// SHA-256 as lowercase hex: SHA-NI instructions where the CPU has them (util/sha256_shani.h),
// else mbedTLS's portable implementation (already linked for TLS).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace trainer {

class Sha256 {
 public:
  enum class Implementation { best, portable };
  explicit Sha256(Implementation implementation = Implementation::best);
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t size);
  std::string digest();      // the 32 raw bytes; finishes, the object is spent afterwards
  std::string hex_digest();  // the same as lowercase hex
  bool uses_sha_ni() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

std::string sha256_hex(const void* data, std::size_t size);

}  // namespace trainer
