// A dataset on disk: the four IDX files of <data-dir>/<name>/, raw or .gz.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "data/idx.h"

namespace trainer {

struct DatasetSpec {
  const char* name;
  int train_count, test_count, rows, cols;
};

// The datasets trainer knows; names are what --dataset accepts.
const std::vector<DatasetSpec>& known_datasets();
const DatasetSpec* find_dataset(const std::string& name);

struct Dataset {
  std::string name;
  IdxImages train_images, test_images;
  IdxLabels train_labels, test_labels;
};

// Loads and validates all four files (dimensions must match the spec and each other).
// Throws RuntimeFailure naming the file and the problem.
Dataset load_dataset(const std::filesystem::path& data_dir, const DatasetSpec& spec);

}  // namespace trainer
