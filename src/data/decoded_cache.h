// The decoded cache: beside each verified archive in <data-dir>/<dataset>/, its decompressed IDX
// file (the name without .gz) and, in decoded.json, the piece hash (util/piece_hash.h) of each.
// Inflating the 26 MB training archive is most of a cached run's start-up; hashing 55 MB of IDX on
// every thread the run may use is a few hundredths of a second (bench/RESULTS.md). An optimisation
// only: when the files are missing, damaged or cannot be written (a read-only cache), the archives
// are used as before, silently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "data/catalog.h"
#include "data/dataset.h"

namespace trainer {

// The decompressed name of a catalog file: "train-images-idx3-ubyte.gz" ->
// "train-images-idx3-ubyte".
std::string decoded_name(const CatalogFile& file);

// Where those are in `dir`, in dataset.files order (names for messages).
std::vector<std::string> decoded_paths(const std::filesystem::path& dir,
                                       const CatalogDataset& dataset);

// The IDX bytes of every file of `dataset` from the decoded cache in `dir` (as much of each as
// `needs` asks for), each file hashed whole on up to `threads` threads and checked against the
// piece hash recorded when it was decoded from its verified archive (and against the catalog's
// content piece hash and size where the catalog has them); nullopt when any is missing or differs.
std::optional<std::vector<VerifiedContent>> read_decoded(const std::filesystem::path& dir,
                                                         const CatalogDataset& dataset,
                                                         const DataNeeds& needs, int threads);

// Whether the decoded cache in `dir` is complete and intact (read_decoded keeping nothing).
bool decoded_intact(const std::filesystem::path& dir, const CatalogDataset& dataset, int threads);

// Decodes the verified archives `archives` (in dataset.files order) into the decoded cache, one
// piece at a time; each archive is verified again on the way. Call only with the dataset's lock
// held; throws RuntimeFailure when a file cannot be read or written.
void write_decoded(const std::filesystem::path& dir, const CatalogDataset& dataset,
                   const std::vector<std::filesystem::path>& archives);

}  // namespace trainer
