// Getting one catalog file into the cache: mirrors in order, retries with backoff for failures
// that may pass, verification, then an atomic rename into place. Nothing unverified is ever
// written under the final name.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "data/catalog.h"
#include "data/verify.h"

namespace trainer {

struct FetchOptions {
  // --mirror / TRAINER_MIRROR: base URLs laid out like a data directory (<base><dataset>/<file>),
  // tried before the catalog's own mirrors. Each ends in '/'.
  std::vector<std::string> mirrors;
  bool catalog_mirrors = true;  // false: only the mirrors above
  bool offline = false;         // only file:// mirrors
  double timeout_s = 30;        // connect, and each wait for data
  int retries = 3;              // extra tries of one mirror after a failure that may pass
};

// Where progress and trouble are reported (report/fetch_progress.h prints them).
class FetchReporter {
 public:
  virtual ~FetchReporter() = default;
  virtual void started(const std::string& label, const std::string& url) = 0;
  virtual void progress(std::uint64_t bytes, std::optional<std::uint64_t> total) = 0;
  virtual void finished(const std::string& label, const std::string& url, std::uint64_t bytes,
                        double seconds) = 0;
  // retry_in_s < 0: giving up on this mirror.
  virtual void attempt_failed(const std::string& url, const std::string& cause,
                              double retry_in_s) = 0;
  virtual void warning(const std::string& message) = 0;
  virtual void waiting_for_lock(const std::string& path) = 0;
};

// The most bytes an archive of `file` may have, downloaded or cached: room above the upstream size
// for re-gzipped copies, which differ by a few bytes, but not for something else entirely.
std::uint64_t max_archive_bytes(const CatalogFile& file);

// The URLs `file` is tried from, in order, honouring --offline.
std::vector<std::string> mirror_urls(const CatalogDataset& dataset, const CatalogFile& file,
                                     const FetchOptions& options);

// Downloads `file`, verifies it and renames it to `destination`; returns the first `keep_bytes`
// of its decompressed content. Throws RuntimeFailure naming the destination and every mirror
// tried with its cause. The caller has checked that mirror_urls() is not empty.
VerifiedContent fetch_verified(const CatalogDataset& dataset, const CatalogFile& file,
                               const std::filesystem::path& destination,
                               const FetchOptions& options, FetchReporter& reporter,
                               std::uint64_t keep_bytes = UINT64_MAX);

}  // namespace trainer
