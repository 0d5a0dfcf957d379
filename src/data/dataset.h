// A dataset in memory: the four IDX files of a catalog entry, parsed and checked against the
// catalog's counts and image size.
#pragma once

#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "data/catalog.h"
#include "data/idx.h"
#include "data/verify.h"

namespace trainer {

struct Dataset {
  std::string name;
  IdxImages train_images, test_images;
  IdxLabels train_labels, test_labels;
};

// How much of a dataset a command uses: the first `train_images` training images and the first
// `test_images` test images, all the labels. What is not used is verified but never held: a run
// with --limit 512 keeps 0.4 MB of pixels, not 55 MB.
struct DataNeeds {
  int train_images = INT_MAX;
  int test_images = INT_MAX;
};

// How many bytes of dataset.files[index] (train images, train labels, test images, test labels)
// `needs` asks for, its header included.
std::uint64_t bytes_needed(const CatalogDataset& dataset, std::size_t index,
                           const DataNeeds& needs);

// `contents` holds the decompressed IDX bytes of dataset.files, in that order, or as much of each
// as bytes_needed() asks for (taken over by the result: move them in); `names` label error
// messages. Throws RuntimeFailure naming the file and the problem.
Dataset make_dataset(const CatalogDataset& dataset, std::vector<VerifiedContent> contents,
                     const std::vector<std::string>& names);

}  // namespace trainer
