#include "data/dataset.h"

#include "util/errors.h"

namespace trainer {

const std::vector<DatasetSpec>& known_datasets() {
  static const std::vector<DatasetSpec> specs = {
      {"mnist", 60000, 10000, 28, 28},
      {"fashion-mnist", 60000, 10000, 28, 28},
  };
  return specs;
}

const DatasetSpec* find_dataset(const std::string& name) {
  for (const DatasetSpec& spec : known_datasets()) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

namespace {

// The uncompressed file is preferred when both exist: it needs no inflating.
std::filesystem::path locate(const std::filesystem::path& dir, const std::string& stem) {
  std::error_code ec;
  for (const std::string& candidate : {stem, stem + ".gz"}) {
    if (std::filesystem::is_regular_file(dir / candidate, ec)) return dir / candidate;
  }
  throw RuntimeFailure((dir / (stem + ".gz")).string() + ": not found (nor " + stem +
                       " uncompressed); put the dataset's IDX files in " + dir.string());
}

IdxImages load_images(const std::filesystem::path& dir, const std::string& stem, int count,
                      const DatasetSpec& spec) {
  std::filesystem::path path = locate(dir, stem);
  const std::size_t max_bytes = 16 + std::size_t(count) * spec.rows * spec.cols;
  IdxImages images = parse_idx_images(read_maybe_gzip(path, max_bytes), path.string());
  if (images.count != count || images.rows != spec.rows || images.cols != spec.cols) {
    throw RuntimeFailure(path.string() + ": holds " + std::to_string(images.count) + " images of " +
                         std::to_string(images.rows) + "x" + std::to_string(images.cols) + ", " +
                         spec.name + " has " + std::to_string(count) + " of " +
                         std::to_string(spec.rows) + "x" + std::to_string(spec.cols));
  }
  return images;
}

IdxLabels load_labels(const std::filesystem::path& dir, const std::string& stem, int count,
                      const char* dataset) {
  std::filesystem::path path = locate(dir, stem);
  IdxLabels labels = parse_idx_labels(read_maybe_gzip(path, 8 + std::size_t(count)), path.string());
  if (labels.count != count) {
    throw RuntimeFailure(path.string() + ": holds " + std::to_string(labels.count) + " labels, " +
                         dataset + " has " + std::to_string(count));
  }
  return labels;
}

}  // namespace

Dataset load_dataset(const std::filesystem::path& data_dir, const DatasetSpec& spec) {
  const std::filesystem::path dir = data_dir / spec.name;
  Dataset data;
  data.name = spec.name;
  data.train_images = load_images(dir, "train-images-idx3-ubyte", spec.train_count, spec);
  data.train_labels = load_labels(dir, "train-labels-idx1-ubyte", spec.train_count, spec.name);
  data.test_images = load_images(dir, "t10k-images-idx3-ubyte", spec.test_count, spec);
  data.test_labels = load_labels(dir, "t10k-labels-idx1-ubyte", spec.test_count, spec.name);
  return data;
}

}  // namespace trainer
