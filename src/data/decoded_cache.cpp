#include "data/decoded_cache.h"

#include <algorithm>
#include <memory>

#include <nlohmann/json.hpp>

#include "data/fetch.h"
#include "data/verify.h"
#include "util/atomic_file.h"
#include "util/errors.h"
#include "util/file_read.h"
#include "util/piece_hash.h"

namespace trainer {
namespace {

constexpr char kIndexName[] = "decoded.json";
// 1 recorded each file's SHA-256, which only one thread can check; 2 its piece hash.
constexpr int kFormatVersion = 2;

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
                                                         const DataNeeds& needs, int threads) {
  std::error_code ec;
  if (!std::filesystem::exists(dir / kIndexName, ec)) return std::nullopt;
  std::vector<VerifiedContent> contents;
  try {
    const std::vector<std::uint8_t> index_bytes = read_whole_file(dir / kIndexName, 1 << 20);
    const nlohmann::json index =
        nlohmann::json::parse(std::string(index_bytes.begin(), index_bytes.end()));
    if (index.at("format_version").get<int>() != kFormatVersion) return std::nullopt;
    std::vector<std::unique_ptr<ClosedOnExit>> open_files;
    std::vector<FileToHash> to_hash;
    std::vector<std::string> recorded;
    for (const CatalogFile& file : dataset.files) {
      const std::string name = decoded_name(file);
      recorded.push_back(index.at("files").at(name).at("piece_sha256").get<std::string>());
      if (file.content_piece_sha256 && *file.content_piece_sha256 != recorded.back())
        return std::nullopt;
      const int fd = open_regular_file(dir / name);
      open_files.emplace_back(new ClosedOnExit{fd});  // not a copy: a temporary would close it
      to_hash.push_back({fd, name, open_file_size(fd, name)});
      if (to_hash.back().size != file.content_size) return std::nullopt;
    }
    // Hashed through pread() into a small buffer per thread, then what is needed mapped from the
    // same descriptor: a --limit run holds only its images, and a whole run holds them as page
    // cache (util/host_bytes.h), not as a copy.
    if (piece_hashes(to_hash, threads) != recorded) return std::nullopt;
    for (std::size_t i = 0; i < dataset.files.size(); ++i) {
      VerifiedContent content;
      content.size = to_hash[i].size;
      content.head = HostBytes::map_file(
          to_hash[i].fd, std::size_t(std::min(content.size, bytes_needed(dataset, i, needs))),
          dir / to_hash[i].name);
      contents.push_back(std::move(content));
    }
  } catch (const std::exception&) {  // missing or unreadable file, malformed index
    return std::nullopt;
  }
  return contents;
}

bool decoded_intact(const std::filesystem::path& dir, const CatalogDataset& dataset, int threads) {
  return read_decoded(dir, dataset, {0, 0}, threads).has_value();
}

void write_decoded(const std::filesystem::path& dir, const CatalogDataset& dataset,
                   const std::vector<std::filesystem::path>& archives) {
  nlohmann::ordered_json files = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < dataset.files.size(); ++i) {
    const CatalogFile& file = dataset.files[i];
    const std::string name = decoded_name(file);
    PieceHasher hash;
    write_file_atomically(dir / name, [&](const PieceWriter& write) {
      verified_file_content(archives.at(i), file, max_archive_bytes(file), 0,
                            [&](const std::uint8_t* data, std::size_t size) {
                              hash.update(data, size);
                              write({reinterpret_cast<const char*>(data), size});
                            });
    });
    const std::string piece_sha256 = hash.hex_digest();
    // Verified on the way as a whole (verified_file_content): a catalog that disagrees is wrong.
    if (file.content_piece_sha256 && *file.content_piece_sha256 != piece_sha256) {
      throw RuntimeFailure((dir / name).string() + ": piece hash " + piece_sha256 +
                           ", the catalog has " + *file.content_piece_sha256);
    }
    files[name] = {{"piece_sha256", piece_sha256}, {"from", file.name}};
  }
  // Last, so that the index only ever names files that are complete.
  const nlohmann::ordered_json index = {{"format_version", kFormatVersion}, {"files", files}};
  write_file_atomically(dir / kIndexName, index.dump(2) + "\n");
}

}  // namespace trainer
