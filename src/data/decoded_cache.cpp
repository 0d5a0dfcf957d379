#include "data/decoded_cache.h"

#include <nlohmann/json.hpp>

#include "data/idx.h"
#include "util/atomic_file.h"
#include "util/file_read.h"
#include "util/sha256.h"

namespace trainer {
namespace {

constexpr char kIndexName[] = "decoded.json";

}  // namespace

std::string decoded_name(const CatalogFile& file) {
  const std::string& name = file.name;
  return name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0
             ? name.substr(0, name.size() - 3)
             : name + ".idx";
}

std::optional<std::vector<std::vector<std::uint8_t>>> read_decoded(const std::filesystem::path& dir,
                                                                   const CatalogDataset& dataset) {
  std::error_code ec;
  if (!std::filesystem::exists(dir / kIndexName, ec)) return std::nullopt;
  std::vector<std::vector<std::uint8_t>> contents;
  try {
    const std::vector<std::uint8_t> index_bytes = read_whole_file(dir / kIndexName, 1 << 20);
    const nlohmann::json index =
        nlohmann::json::parse(std::string(index_bytes.begin(), index_bytes.end()));
    if (index.at("format_version").get<int>() != 1) return std::nullopt;
    for (const CatalogFile& file : dataset.files) {
      const std::string name = decoded_name(file);
      const std::string recorded = index.at("files").at(name).at("sha256").get<std::string>();
      if (file.content_sha256 && *file.content_sha256 != recorded) return std::nullopt;
      std::vector<std::uint8_t> bytes = read_whole_file(dir / name, file.content_size);
      if (bytes.size() != file.content_size) return std::nullopt;
      if (sha256_hex(bytes.data(), bytes.size()) != recorded) return std::nullopt;
      contents.push_back(std::move(bytes));
    }
  } catch (const std::exception&) {  // missing or unreadable file, malformed index
    return std::nullopt;
  }
  return contents;
}

void write_decoded(const std::filesystem::path& dir, const CatalogDataset& dataset,
                   const std::vector<std::vector<std::uint8_t>>& contents) {
  nlohmann::ordered_json files = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < dataset.files.size(); ++i) {
    const std::vector<std::uint8_t>& bytes = contents.at(i);
    const std::string name = decoded_name(dataset.files[i]);
    write_file_atomically(
        dir / name, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    files[name] = {{"sha256", sha256_hex(bytes.data(), bytes.size())},
                   {"from", dataset.files[i].name}};
  }
  // Last, so that the index only ever names files that are complete.
  const nlohmann::ordered_json index = {{"format_version", 1}, {"files", files}};
  write_file_atomically(dir / kIndexName, index.dump(2) + "\n");
}

}  // namespace trainer
