// Is this archive the file the catalog describes? It is when the SHA-256 of its bytes matches,
// or when the SHA-256 of its decompressed content does (Debian re-gzips Fashion-MNIST: other
// archive bytes, same IDX content). Archives are checked as a stream: the content passes through
// in pieces, and only what the caller keeps of it is ever held.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "data/catalog.h"
#include "data/gzip.h"
#include "util/errors.h"
#include "util/host_bytes.h"
#include "util/sha256.h"

namespace trainer {

struct VerificationFailure : RuntimeFailure {
  using RuntimeFailure::RuntimeFailure;
};

// Verified content, or as much of its beginning as the caller asked for.
struct VerifiedContent {
  HostBytes head;          // the first bytes, all of them unless fewer were asked for
  std::uint64_t size = 0;  // the whole content's
};

// Where verified content goes, piece by piece. Pieces arrive before the verdict: a sink keeps
// them provisionally, and the caller uses them only once finish() has returned.
using ContentSink = GunzipStream::Sink;

// Checks one archive of `archive_size` bytes fed in pieces; the content goes to `sink`.
class ArchiveCheck {
 public:
  ArchiveCheck(const CatalogFile& file, std::uint64_t archive_size, ContentSink sink);
  void feed(const std::uint8_t* data, std::size_t size);
  // Throws VerificationFailure whose message gives the expected and the actual hashes.
  void finish();
  std::uint64_t content_size() const { return gunzip_.produced(); }

 private:
  const CatalogFile& file_;
  std::uint64_t archive_size_;
  Sha256 archive_hash_, content_hash_;
  GunzipStream gunzip_;
  std::string gunzip_problem_;  // the first error inflating; the archive hash may still match
};

// The first `keep_bytes` of the content of a verified archive (all of it by default).
VerifiedContent verified_content(const std::vector<std::uint8_t>& archive, const CatalogFile& file,
                                 std::uint64_t keep_bytes = UINT64_MAX);

// The same for an archive on disk, read in pieces (never whole); its content also goes to
// `also` when given. Throws RuntimeFailure for a file that cannot be read, VerificationFailure
// for one that does not verify.
VerifiedContent verified_file_content(const std::filesystem::path& archive, const CatalogFile& file,
                                      std::uint64_t max_bytes, std::uint64_t keep_bytes,
                                      const ContentSink& also = nullptr);

// A sink that keeps the first `keep_bytes` it is given.
ContentSink keep_prefix(std::vector<std::uint8_t>& into, std::uint64_t keep_bytes);

}  // namespace trainer
