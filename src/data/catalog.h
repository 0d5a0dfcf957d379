// The datasets trainer knows, from data/catalog.json (embedded at build time): per dataset the
// image counts and sizes, the mirrors in the order they are tried, and per file the byte size and
// SHA-256 of the archive and, where known, of its decompressed content (whole and piece hash).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trainer {

struct CatalogFile {
  std::string role;  // train_images, train_labels, test_images, test_labels
  std::string name;  // file name on the mirrors and in the cache, e.g. train-images-idx3-ubyte.gz
  std::uint64_t size = 0;                     // of the archive as published upstream
  std::string sha256;                         // of the archive, lowercase hex
  std::uint64_t content_size = 0;             // decompressed IDX bytes
  std::optional<std::string> content_sha256;  // of the decompressed IDX bytes, when known
  // Their piece hash (util/piece_hash.h), when known: what the decoded cache is checked against.
  std::optional<std::string> content_piece_sha256;
};

struct CatalogDataset {
  std::string name, description;
  int train_count = 0, test_count = 0, rows = 0, cols = 0;
  std::vector<std::string> mirrors;  // directory URLs (https://, http://, file://), ending in '/'
  std::vector<CatalogFile> files;    // train images, train labels, test images, test labels

  const CatalogFile& file(const std::string& role) const;
};

// Parsed once from the embedded JSON; the build's own catalog is checked by the unit tests.
const std::vector<CatalogDataset>& catalog();
const CatalogDataset* find_dataset(const std::string& name);
std::vector<std::string> dataset_names();

// Parses and validates a catalog text (throws std::runtime_error naming the bad entry).
std::vector<CatalogDataset> parse_catalog(const std::string& json_text);

}  // namespace trainer
