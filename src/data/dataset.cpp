#include "data/dataset.h"

#include <algorithm>

#include "util/errors.h"

namespace trainer {
namespace {

IdxImages checked_images(VerifiedContent content, const std::string& name, int count,
                         const CatalogDataset& dataset) {
  IdxImages images = parse_idx_images(std::move(content.head), name, content.size);
  if (images.count != count || images.rows != dataset.rows || images.cols != dataset.cols) {
    throw RuntimeFailure(name + ": holds " + std::to_string(images.count) + " images of " +
                         std::to_string(images.rows) + "x" + std::to_string(images.cols) + ", " +
                         dataset.name + " has " + std::to_string(count) + " of " +
                         std::to_string(dataset.rows) + "x" + std::to_string(dataset.cols));
  }
  return images;
}

IdxLabels checked_labels(VerifiedContent content, const std::string& name, int count,
                         const CatalogDataset& dataset) {
  IdxLabels labels = parse_idx_labels(std::move(content.head), name, content.size);
  if (labels.count != count) {
    throw RuntimeFailure(name + ": holds " + std::to_string(labels.count) + " labels, " +
                         dataset.name + " has " + std::to_string(count));
  }
  return labels;
}

}  // namespace

std::uint64_t bytes_needed(const CatalogDataset& dataset, std::size_t index,
                           const DataNeeds& needs) {
  const std::uint64_t pixels = std::uint64_t(dataset.rows) * dataset.cols;
  switch (index) {
    case 0:
      return idx_prefix_bytes(true, pixels, std::min(needs.train_images, dataset.train_count));
    case 2:
      return idx_prefix_bytes(true, pixels, std::min(needs.test_images, dataset.test_count));
    default:
      return UINT64_MAX;  // labels: 60 KB at most, kept whole
  }
}

Dataset make_dataset(const CatalogDataset& dataset, std::vector<VerifiedContent> contents,
                     const std::vector<std::string>& names) {
  Dataset data;
  data.name = dataset.name;
  data.train_images =
      checked_images(std::move(contents.at(0)), names.at(0), dataset.train_count, dataset);
  data.train_labels =
      checked_labels(std::move(contents.at(1)), names.at(1), dataset.train_count, dataset);
  data.test_images =
      checked_images(std::move(contents.at(2)), names.at(2), dataset.test_count, dataset);
  data.test_labels =
      checked_labels(std::move(contents.at(3)), names.at(3), dataset.test_count, dataset);
  return data;
}

}  // namespace trainer
