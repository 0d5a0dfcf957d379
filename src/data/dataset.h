// A dataset in memory: the four IDX files of a catalog entry, parsed and checked against the
// catalog's counts and image size.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/catalog.h"
#include "data/idx.h"

namespace trainer {

struct Dataset {
  std::string name;
  IdxImages train_images, test_images;
  IdxLabels train_labels, test_labels;
};

// `contents` holds the decompressed IDX bytes of dataset.files, in that order (taken over by the
// result: move them in); `names` label error messages. Throws RuntimeFailure naming the file and
// the problem.
Dataset make_dataset(const CatalogDataset& dataset, std::vector<std::vector<std::uint8_t>> contents,
                     const std::vector<std::string>& names);

}  // namespace trainer
