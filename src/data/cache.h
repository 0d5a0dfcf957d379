// The dataset cache: <data-dir>/<dataset>/<file>.gz as published, each verified against the
// catalog when it is read. Missing or no longer verifying files are fetched (data/fetch.h) under a
// lock on <data-dir>/<dataset>/.lock, so concurrent trainers take turns. Once all four verify,
// their decompressed IDX files are kept beside them (data/decoded_cache.h) and later runs read
// those instead.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "data/catalog.h"
#include "data/dataset.h"
#include "data/fetch.h"

namespace trainer {

// Where datasets live: --data-dir > $TRAINER_DATA_DIR > $XDG_CACHE_HOME/trainer >
// $HOME/.cache/trainer > ./data. The first one that is set (non-empty) wins.
struct DataDirChoice {
  std::filesystem::path path;
  std::string source;  // "--data-dir", "TRAINER_DATA_DIR", ... for messages
};

DataDirChoice resolve_data_dir(const std::optional<std::string>& flag);

// Where the cache is and how to fill it: the data flags every command that reads data shares.
struct DataSource {
  std::optional<std::string> data_dir;  // else data/data_dir.h's search order
  FetchOptions fetch;
};

struct DataRequest {
  std::filesystem::path data_dir;
  const CatalogDataset* dataset = nullptr;
  FetchOptions fetch;
  // Read the decoded cache when it is complete and intact. `trainer download` does not: it
  // verifies (and if need be fetches) the archives themselves.
  bool use_decoded = true;
  DataNeeds needs;  // every file is verified whole; only this much of it is kept
  int threads = 1;  // how many threads may hash the decoded cache (the command's --threads)
};

// Verified files from the cache, fetching what is missing or corrupt. When everything is
// cached and decoded, touches neither the network nor the directory; a read-only cache works
// (without a decoded cache it is decoded on every run).
// Throws RuntimeFailure naming the file and the cause.
Dataset obtain_dataset(const DataRequest& request, FetchReporter& reporter);

// The cache alone (no mirror, no network, nothing printed): for tools and tests.
Dataset load_cached_dataset(const std::filesystem::path& data_dir, const CatalogDataset& dataset);

}  // namespace trainer
