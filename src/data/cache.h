// The dataset cache: <data-dir>/<dataset>/<file>.gz as published, each verified against the
// catalog every time it is read. Missing or no longer verifying files are fetched (data/fetch.h)
// under a lock on <data-dir>/<dataset>/.lock, so concurrent trainers take turns.
#pragma once

#include <filesystem>

#include "data/catalog.h"
#include "data/dataset.h"
#include "data/fetch.h"

namespace trainer {

struct DataRequest {
  std::filesystem::path data_dir;
  const CatalogDataset* dataset = nullptr;
  FetchOptions fetch;
};

// Verified files from the cache, fetching what is missing or corrupt. When everything is
// cached, touches neither the network nor the directory (a read-only cache works).
// Throws RuntimeFailure naming the file and the cause.
Dataset obtain_dataset(const DataRequest& request, FetchReporter& reporter);

// The cache alone (no mirror, no network, nothing printed): for tools and tests.
Dataset load_cached_dataset(const std::filesystem::path& data_dir, const CatalogDataset& dataset);

}  // namespace trainer
