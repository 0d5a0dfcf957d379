#include "data/verify.h"

#include "data/gzip.h"
#include "util/sha256.h"

namespace trainer {

std::vector<std::uint8_t> verified_content(const std::vector<std::uint8_t>& archive,
                                           const CatalogFile& file) {
  // A file of another size cannot match the archive hash: skip straight to the content (Debian's
  // re-gzipped copies), which saves hashing the archive on every run.
  const bool same_size = archive.size() == file.size;
  const std::string archive_hash =
      same_size ? sha256_hex(archive.data(), archive.size()) : std::string();
  if (same_size && archive_hash == file.sha256) {
    try {
      return gunzip(archive, file.content_size, "content");
    } catch (const RuntimeFailure& e) {
      throw VerificationFailure(std::string("archive matches its SHA-256 but ") + e.what());
    }
  }
  std::string expected = file.sha256 + " (archive)";
  std::string actual;
  if (file.content_sha256) {
    expected += " or " + *file.content_sha256 + " (content)";
    try {
      std::vector<std::uint8_t> content = gunzip(archive, file.content_size, "content");
      const std::string content_hash = sha256_hex(content.data(), content.size());
      if (content_hash == *file.content_sha256) return content;
      actual = ", " + content_hash + " (content)";
    } catch (const RuntimeFailure& e) {
      actual = std::string(", ") + e.what();
    }
  }
  // Only now, for the message, the archive hash of a file whose size already ruled it out.
  actual = (archive_hash.empty() ? sha256_hex(archive.data(), archive.size()) : archive_hash) +
           " (archive, " + std::to_string(archive.size()) + " bytes)" + actual;
  throw VerificationFailure("SHA-256 mismatch: expected " + expected + ", got " + actual);
}

}  // namespace trainer
