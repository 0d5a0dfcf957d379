#include "data/decoded_cache.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "data/fetch.h"
#include "data/verify.h"
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

std::vector<std::string> decoded_paths(const std::filesystem::path& dir,
                                       const CatalogDataset& dataset) {
  std::vector<std::string> paths;
  for (const CatalogFile& file : dataset.files)
    paths.push_back((dir / decoded_name(file)).string());
  return paths;
}

std::optional<std::vector<VerifiedContent>> read_decoded(const std::filesystem::path& dir,
                                                         const CatalogDataset& dataset,
                                                         const DataNeeds& needs) {
  std::error_code ec;
  if (!std::filesystem::exists(dir / kIndexName, ec)) return std::nullopt;
  std::vector<VerifiedContent> contents;
  try {
    const std::vector<std::uint8_t> index_bytes = read_whole_file(dir / kIndexName, 1 << 20);
    const nlohmann::json index =
        nlohmann::json::parse(std::string(index_bytes.begin(), index_bytes.end()));
    if (index.at("format_version").get<int>() != 1) return std::nullopt;
    for (std::size_t i = 0; i < dataset.files.size(); ++i) {
      const CatalogFile& file = dataset.files[i];
      const std::string name = decoded_name(file);
      const std::string recorded = index.at("files").at(name).at("sha256").get<std::string>();
      if (file.content_sha256 && *file.content_sha256 != recorded) return std::nullopt;
      // Hashed through read() into one small buffer, then what is needed mapped from the same
      // descriptor: a --limit run holds only its images, and a whole run holds them as page
      // cache (util/host_bytes.h), not as a copy.
      const int fd = open_regular_file(dir / name);
      const ClosedOnExit closer{fd};
      VerifiedContent content;
      content.size = open_file_size(fd, name);
      if (content.size != file.content_size) return std::nullopt;
      Sha256 hash;
      read_open_file_in_pieces(
          fd, name, content.size,
          [&](const std::uint8_t* data, std::size_t size) { hash.update(data, size); });
      if (hash.hex_digest() != recorded) return std::nullopt;
      content.head = HostBytes::map_file(
          fd, std::size_t(std::min(content.size, bytes_needed(dataset, i, needs))), dir / name);
      contents.push_back(std::move(content));
    }
  } catch (const std::exception&) {  // missing or unreadable file, malformed index
    return std::nullopt;
  }
  return contents;
}

bool decoded_intact(const std::filesystem::path& dir, const CatalogDataset& dataset) {
  return read_decoded(dir, dataset, {0, 0}).has_value();
}

void write_decoded(const std::filesystem::path& dir, const CatalogDataset& dataset,
                   const std::vector<std::filesystem::path>& archives) {
  nlohmann::ordered_json files = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < dataset.files.size(); ++i) {
    const CatalogFile& file = dataset.files[i];
    const std::string name = decoded_name(file);
    Sha256 hash;
    write_file_atomically(dir / name, [&](const PieceWriter& write) {
      verified_file_content(archives.at(i), file, max_archive_bytes(file), 0,
                            [&](const std::uint8_t* data, std::size_t size) {
                              hash.update(data, size);
                              write({reinterpret_cast<const char*>(data), size});
                            });
    });
    files[name] = {{"sha256", hash.hex_digest()}, {"from", file.name}};
  }
  // Last, so that the index only ever names files that are complete.
  const nlohmann::ordered_json index = {{"format_version", 1}, {"files", files}};
  write_file_atomically(dir / kIndexName, index.dump(2) + "\n");
}

}  // namespace trainer
