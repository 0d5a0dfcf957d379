#include "data/cache.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "data/decoded_cache.h"
#include "data/idx.h"
#include "data/verify.h"
#include "util/atomic_file.h"
#include "util/file_lock.h"
#include "util/file_read.h"
#include "util/system_info.h"
#include "util/volumes.h"

namespace trainer {
namespace {

enum class Cached { missing, verified, corrupt };

Cached check_cached(const std::filesystem::path& path, const CatalogFile& file,
                    std::uint64_t keep_bytes, VerifiedContent& content, std::string& problem) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Cached::missing;
  try {
    content = verified_file_content(path, file, max_archive_bytes(file), keep_bytes);
    return Cached::verified;
  } catch (const VerificationFailure& e) {
    problem = e.what();
    return Cached::corrupt;
  }
}

// Why a file that is missing (problem empty) or corrupt cannot be replaced: no mirror may be used.
[[noreturn]] void cannot_fetch(const std::filesystem::path& path, const std::string& problem,
                               const FetchOptions& options) {
  const std::string no_source = options.offline ? "--offline forbids downloading it"
                                                : "there is no mirror to fetch it from "
                                                  "(--no-catalog-mirrors without --mirror)";
  if (problem.empty()) throw RuntimeFailure(path.string() + ": not in the cache, and " + no_source);
  throw RuntimeFailure(path.string() + ": cached file does not verify (" + problem +
                       ") and no mirror may be used to replace it");
}

// Best effort, and only in a cache the trainer manages: one it has fetched into, which has its
// .lock. A directory of files put there by someone else (Debian's /usr/share/datasets, hand-copied
// archives) is read, never written; a read-only one is simply decoded again next time.
// The archives are read again for it, in pieces: holding the 55 MB of content from the first
// reading would cost more memory than the whole run with --limit needs. Returns why it could not
// be written ("" when it was, or need not be).
std::string keep_decoded(const std::filesystem::path& dir, const CatalogDataset& dataset,
                         const std::vector<std::string>& archives, int threads) {
  std::error_code ec;
  if (!std::filesystem::exists(dir / ".lock", ec)) return "";
  if (decoded_intact(dir, dataset, threads))
    return "";  // already there (another trainer, or `download`)
  try {
    FileLock lock(dir / ".lock", [] {});
    remove_stale_temporaries(dir);
    write_decoded(dir, dataset, {archives.begin(), archives.end()});
  } catch (const RuntimeFailure& e) {
    return e.what();
  }
  return "";
}

class SilentReporter : public FetchReporter {
 public:
  void started(const std::string&, const std::string&) override {}
  void progress(std::uint64_t, std::optional<std::uint64_t>) override {}
  void finished(const std::string&, const std::string&, std::uint64_t, double) override {}
  void attempt_failed(const std::string&, const std::string&, double) override {}
  void warning(const std::string&) override {}
  void waiting_for_lock(const std::string&) override {}
};

}  // namespace

Dataset obtain_dataset(const DataRequest& request, FetchReporter& reporter) {
  const CatalogDataset& dataset = *request.dataset;
  const std::filesystem::path dir = request.data_dir / dataset.name;
  std::vector<std::string> names;
  if (request.use_decoded) {
    if (auto decoded = read_decoded(dir, dataset, request.needs, request.threads))
      return make_dataset(dataset, std::move(*decoded), decoded_paths(dir, dataset));
  }
  // In a cache the trainer manages the archives are only verified here, and the images are then
  // mapped from the decoded cache that keep_decoded() writes: a first run holds no copy of them
  // either. Elsewhere (Debian's read-only directory) what is needed is kept from this one reading.
  std::error_code ec;
  const bool managed = std::filesystem::exists(dir / ".lock", ec);
  const DataNeeds verify_only{0, 0};
  std::vector<VerifiedContent> contents(dataset.files.size());
  std::vector<bool> held(dataset.files.size(), true);  // contents[i] has what `needs` asks for
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < dataset.files.size(); ++i) {
    const std::filesystem::path path = dir / dataset.files[i].name;
    names.push_back(path.string());
    std::string problem;
    const DataNeeds& keep = managed ? verify_only : request.needs;
    held[i] = bytes_needed(dataset, i, keep) >= bytes_needed(dataset, i, request.needs);
    const Cached state =
        check_cached(path, dataset.files[i], bytes_needed(dataset, i, keep), contents[i], problem);
    if (state == Cached::verified) continue;
    if (mirror_urls(dataset, dataset.files[i], request.fetch).empty())
      cannot_fetch(path, problem, request.fetch);
    if (state == Cached::corrupt) {
      reporter.warning(path.string() + ": cached file does not verify (" + problem +
                       "); fetching it again");
    }
    pending.push_back(i);
  }
  if (!pending.empty()) {
    make_directories(dir);
    const std::filesystem::path lock_path = dir / ".lock";
    FileLock lock(lock_path, [&] { reporter.waiting_for_lock(lock_path.string()); });
    // Only once the directory takes files: a read-only one is its error alone, not a warning
    // about losing what it could never hold followed by the error.
    if (const std::string where = vanishing_storage(request.data_dir); !where.empty()) {
      reporter.warning("data dir " + request.data_dir.string() + " is " + where +
                       ": downloaded datasets vanish with the container; mount a volume there "
                       "(docker run -v trainer-data:" +
                       std::filesystem::absolute(request.data_dir).lexically_normal().string() +
                       " ...)");
    }
    remove_stale_temporaries(dir);  // under the lock, so no live process owns them
    for (std::size_t i : pending) {
      const CatalogFile& file = dataset.files[i];
      std::string problem;
      const std::uint64_t keep = bytes_needed(dataset, i, verify_only);
      held[i] = keep >= bytes_needed(dataset, i, request.needs);
      // Another trainer may have fetched it while this one waited for the lock.
      if (check_cached(names[i], file, keep, contents[i], problem) == Cached::verified) continue;
      contents[i] = fetch_verified(dataset, file, names[i], request.fetch, reporter, keep);
    }
  }
  // A run passes over a decoded cache it cannot write (an optimisation); `download`, whose job
  // includes it (a pre-seeded volume), says so.
  if (const std::string problem = keep_decoded(dir, dataset, names, request.threads);
      !problem.empty() && !request.use_decoded) {
    reporter.warning("the decoded cache was not written (" + problem +
                     "); the archives are verified, and runs decode them each time");
  }
  if (std::find(held.begin(), held.end(), false) != held.end()) {
    if (auto decoded = request.use_decoded
                           ? read_decoded(dir, dataset, request.needs, request.threads)
                           : std::nullopt)
      return make_dataset(dataset, std::move(*decoded), decoded_paths(dir, dataset));
    // No decoded cache after all (a full disk, say): the archives once more, keeping this time.
    for (std::size_t i = 0; i < dataset.files.size(); ++i) {
      std::string problem;
      if (!held[i] &&
          check_cached(names[i], dataset.files[i], bytes_needed(dataset, i, request.needs),
                       contents[i], problem) != Cached::verified) {
        throw RuntimeFailure(names[i] + ": changed while it was read" +
                             (problem.empty() ? std::string() : " (" + problem + ")"));
      }
    }
  }
  return make_dataset(dataset, std::move(contents), names);
}

Dataset load_cached_dataset(const std::filesystem::path& data_dir, const CatalogDataset& dataset) {
  DataRequest request{data_dir, &dataset, {}, true, {}, usable_cpu_count()};
  request.fetch.catalog_mirrors = false;
  request.fetch.offline = true;
  SilentReporter silent;
  return obtain_dataset(request, silent);
}

DataDirChoice resolve_data_dir(const std::optional<std::string>& flag) {
  auto env = [](const char* name) -> const char* {
    const char* value = std::getenv(name);
    return value && *value ? value : nullptr;
  };
  if (flag) return {*flag, "--data-dir"};
  if (const char* dir = env("TRAINER_DATA_DIR")) return {dir, "TRAINER_DATA_DIR"};
  // The XDG spec: a relative path there is invalid and is to be ignored.
  if (const char* dir = env("XDG_CACHE_HOME"); dir && dir[0] == '/')
    return {std::filesystem::path(dir) / "trainer", "XDG_CACHE_HOME"};
  if (const char* dir = env("HOME"))
    return {std::filesystem::path(dir) / ".cache" / "trainer", "HOME"};
  return {"data", "default"};
}

}  // namespace trainer
