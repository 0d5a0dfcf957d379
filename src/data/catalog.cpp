#include "data/catalog.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

extern const unsigned char trainer_catalog_json[];
extern const std::size_t trainer_catalog_json_size;

namespace trainer {
namespace {

bool is_sha256_hex(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

const std::vector<std::string> kRoles = {"train_images", "train_labels", "test_images",
                                         "test_labels"};

CatalogFile parse_file(const nlohmann::json& entry, const std::string& where) {
  CatalogFile file;
  file.role = entry.at("role").get<std::string>();
  file.name = entry.at("name").get<std::string>();
  file.size = entry.at("size").get<std::uint64_t>();
  file.sha256 = entry.at("sha256").get<std::string>();
  file.content_size = entry.at("content_size").get<std::uint64_t>();
  if (!entry.at("content_sha256").is_null())
    file.content_sha256 = entry.at("content_sha256").get<std::string>();
  if (entry.contains("content_piece_sha256") && !entry.at("content_piece_sha256").is_null())
    file.content_piece_sha256 = entry.at("content_piece_sha256").get<std::string>();
  if (file.name.empty() || file.name.find('/') != std::string::npos || file.name[0] == '.')
    throw std::runtime_error(where + ": bad file name '" + file.name + "'");
  if (!is_sha256_hex(file.sha256) ||
      (file.content_sha256 && !is_sha256_hex(*file.content_sha256)) ||
      (file.content_piece_sha256 && !is_sha256_hex(*file.content_piece_sha256)))
    throw std::runtime_error(where + ": SHA-256 must be 64 lowercase hex digits");
  if (file.size == 0 || file.content_size == 0)
    throw std::runtime_error(where + ": sizes must be positive");
  return file;
}

CatalogDataset parse_dataset(const nlohmann::json& entry) {
  CatalogDataset dataset;
  dataset.name = entry.at("name").get<std::string>();
  const std::string where = "dataset " + dataset.name;
  dataset.description = entry.at("description").get<std::string>();
  dataset.train_count = entry.at("train_count").get<int>();
  dataset.test_count = entry.at("test_count").get<int>();
  dataset.rows = entry.at("rows").get<int>();
  dataset.cols = entry.at("cols").get<int>();
  for (const auto& mirror : entry.at("mirrors")) {
    std::string url = mirror.get<std::string>();
    if (url.empty() || url.back() != '/')
      throw std::runtime_error(where + ": mirror '" + url + "' must end in '/'");
    dataset.mirrors.push_back(url);
  }
  for (const auto& file : entry.at("files"))
    dataset.files.push_back(parse_file(file, where + " file " + file.value("name", "?")));
  if (dataset.files.size() != kRoles.size())
    throw std::runtime_error(where + ": needs exactly 4 files");
  for (std::size_t i = 0; i < kRoles.size(); ++i) {
    if (dataset.files[i].role != kRoles[i])
      throw std::runtime_error(where + ": file " + std::to_string(i) + " must be " + kRoles[i]);
  }
  return dataset;
}

}  // namespace

const CatalogFile& CatalogDataset::file(const std::string& role) const {
  for (const CatalogFile& f : files) {
    if (f.role == role) return f;
  }
  throw std::logic_error("catalog: " + name + " has no " + role);
}

std::vector<CatalogDataset> parse_catalog(const std::string& json_text) {
  const nlohmann::json root = nlohmann::json::parse(json_text);
  if (root.at("format_version").get<int>() != 1)
    throw std::runtime_error("catalog: unknown format_version");
  std::vector<CatalogDataset> datasets;
  for (const auto& entry : root.at("datasets")) datasets.push_back(parse_dataset(entry));
  return datasets;
}

const std::vector<CatalogDataset>& catalog() {
  static const std::vector<CatalogDataset> datasets = parse_catalog(
      std::string(reinterpret_cast<const char*>(trainer_catalog_json), trainer_catalog_json_size));
  return datasets;
}

const CatalogDataset* find_dataset(const std::string& name) {
  for (const CatalogDataset& dataset : catalog()) {
    if (dataset.name == name) return &dataset;
  }
  return nullptr;
}

std::vector<std::string> dataset_names() {
  std::vector<std::string> names;
  for (const CatalogDataset& dataset : catalog()) names.push_back(dataset.name);
  return names;
}

}  // namespace trainer
