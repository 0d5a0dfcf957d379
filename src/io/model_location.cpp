#include "io/model_location.h"

#include <unistd.h>

#include <cstdlib>

#include "io/bucket_lease.h"
#include "io/bucket_sync.h"
#include "net/net_error.h"
#include "net/proxy.h"
#include "net/s3_settings.h"
#include "net/tls_stream.h"
#include "util/atomic_file.h"
#include "util/errors.h"
#include "util/file_lock.h"
#include "util/path_alias.h"
#include "util/volumes.h"
#include "version.h"

namespace trainer {

std::filesystem::path default_staging_root(const std::filesystem::path& data_dir,
                                           std::string* source) {
  auto chosen = [&](const std::string& name, std::filesystem::path path) {
    if (source) *source = name;
    return path;
  };
  for (const char* name : {"TRAINER_STAGING_DIR", "TMPDIR"}) {
    const char* value = std::getenv(name);
    if (value && *value) return chosen(name, value);
  }
  std::error_code ec;
  if (std::filesystem::is_directory("/tmp", ec)) return chosen("/tmp", "/tmp/trainer");
  return chosen("the data directory", data_dir);
}

std::string ModelLocation::vanishing_storage() const {
  return trainer::vanishing_storage(dir_.root());
}

namespace {

class LocalLocation : public ModelLocation {
 public:
  explicit LocalLocation(const std::string& path) : ModelLocation(path) {}
};

// This process's local copy: <root>/staging/<pid>-<tag>/, locked while it lives (its .holder).
// Copies whose lock nobody holds are what killed processes left; they are removed first (their
// bucket has everything a resumed run needs: it trains the lost steps again, identically).
class StagingCopy {
 public:
  explicit StagingCopy(const std::filesystem::path& root) : base_(root / "staging") {
    make_directories(base_);
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(base_, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.empty() || name[0] == '.' || !entry.is_directory(ec)) continue;
      try {
        const FileLock stale(entry.path() / ".holder", nullptr);
        std::filesystem::remove_all(entry.path(), ec);
      } catch (const RuntimeFailure&) {
        // Held: a live command's copy.
      }
    }
    // Made under a hidden name and locked before it is renamed into sight of the cleanup above.
    const std::string name = std::to_string(::getpid()) + "-" + random_tag();
    const std::filesystem::path hidden = base_ / ("." + name);
    make_directories(hidden);
    lock_ = std::make_unique<FileLock>(hidden / ".holder", nullptr);
    dir_ = base_ / name;
    std::filesystem::rename(hidden, dir_, ec);
    if (ec) throw RuntimeFailure(dir_.string() + ": cannot make the local copy: " + ec.message());
  }
  ~StagingCopy() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  StagingCopy(const StagingCopy&) = delete;
  StagingCopy& operator=(const StagingCopy&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  // Moves the copy out of the cleanup's way; returns where it now is.
  std::filesystem::path keep() {
    const std::filesystem::path kept = base_.parent_path() / "unsynced" / dir_.filename();
    std::error_code ec;
    std::filesystem::create_directories(kept.parent_path(), ec);
    std::filesystem::rename(dir_, kept, ec);
    if (ec) return dir_;
    dir_.clear();
    return kept;
  }

 private:
  std::filesystem::path base_, dir_;
  std::unique_ptr<FileLock> lock_;
};

// S3's answers and lost connections become one line naming the URL.
template <class Call>
auto naming_url(const std::string& url, Call&& call) -> decltype(call()) {
  try {
    return call();
  } catch (const S3Error& e) {
    throw RuntimeFailure(e.what());
  } catch (const NetError& e) {
    throw RuntimeFailure(url + ": " + e.what());
  }
}

class BucketLocation : public ModelLocation {
 public:
  BucketLocation(const S3Location& where, ModelDirUse use, const ModelLocationOptions& options,
                 std::unique_ptr<StagingCopy> staging)
      : ModelLocation(staging->dir()),
        where_(where),
        warn_(options.warn),
        staging_(std::move(staging)),
        proxies_(ProxySettings::from_environment()) {
    const S3Settings settings = resolve_s3_settings(process_environment());
    HttpOptions http;
    http.timeout_s = options.timeout_s;
    http.proxies = &proxies_;
    http.trust = []() -> const TrustStore& { return TrustStore::system(); };
    http.user_agent = std::string("trainer/") + TRAINER_VERSION;
    // Messages name the bucket's objects from here on, not the copy's files.
    set_path_alias(staging_->dir().string(), where_.text());
    if (use == ModelDirUse::train) {
      lease_ = naming_url(where_.text(), [&] {
        return std::make_unique<BucketLease>(S3Client(settings, http), where_,
                                             options.lease_seconds, options.warn);
      });
    }
    KeyFilter keys = options.keys;
    if (!keys)
      keys = [](const std::string& key) {
        return ModelDir::is_layout_path(key) ? KeyCopy::whole : KeyCopy::skip;
      };
    // What goes back: the model directory's files, and whatever else the command copied in.
    auto sent = [keys](const std::string& key) {
      return ModelDir::is_layout_path(key) || keys(key) != KeyCopy::skip;
    };
    sync_ = std::make_unique<BucketSync>(S3Client(settings, http), where_, staging_->dir(),
                                         std::move(keys), std::move(sent));
    sync_->download();
    if (use != ModelDirUse::read) {
      BucketLease* lease = lease_.get();
      sync_->start_uploads([lease] { return lease ? lease->lost() : std::string(); });
      uploads_ = true;
    }
  }

  ~BucketLocation() override {
    bool kept = false;
    if (uploads_ && !finished_) {
      // A run that failed still sends what it saved (its checkpoints) before the copy goes.
      try {
        sync_->flush();
      } catch (const std::exception& e) {
        kept = true;
        // Said once: as the command's error when changed() or finish() threw it already.
        if (warn_ && !failure_thrown_) warn_(shown_path(e.what()));
      }
    }
    sync_.reset();
    lease_.reset();
    // The alias stays: the error that ended the command is printed after this.
    if (kept && warn_)
      warn_("what was not uploaded to " + where_.text() + " is kept in " +
            staging_->keep().string());
  }

  std::string vanishing_storage() const override { return ""; }
  void changed() override {
    if (uploads_) noting_failure([this] { sync_->request(); });
  }
  void finish() override {
    if (!uploads_) return;
    noting_failure([this] { sync_->flush(); });
    finished_ = true;
  }

 private:
  // The upload failure the command will print: the destructor does not print it again.
  template <class Call>
  void noting_failure(Call&& call) {
    try {
      call();
    } catch (...) {
      failure_thrown_ = true;
      throw;
    }
  }

  const S3Location where_;
  const std::function<void(const std::string&)> warn_;
  std::unique_ptr<StagingCopy> staging_;  // outlives the threads below, which read it
  ProxySettings proxies_;
  std::unique_ptr<BucketLease> lease_;
  std::unique_ptr<BucketSync> sync_;
  bool uploads_ = false, finished_ = false, failure_thrown_ = false;
};

}  // namespace

KeyFilter weights_only(bool with_checkpoints) {
  return [with_checkpoints](const std::string& key) {
    return ModelDir::is_weights_path(key) || (with_checkpoints && ModelDir::is_checkpoint_path(key))
               ? KeyCopy::whole
               : KeyCopy::skip;
  };
}

std::unique_ptr<ModelLocation> open_model_location(const std::string& model_dir, ModelDirUse use,
                                                   const ModelLocationOptions& options) {
  if (model_dir.rfind("s3://", 0) != 0) return std::make_unique<LocalLocation>(model_dir);
  const S3Location where = parse_s3_url("--model-dir", model_dir);
  std::unique_ptr<StagingCopy> staging;
  try {
    staging = std::make_unique<StagingCopy>(options.staging_root);
  } catch (const RuntimeFailure& e) {
    throw RuntimeFailure(std::string(e.what()) + " (the local copy of " + where.text() +
                         " goes below " + options.staging_source +
                         (options.staging_source == "TRAINER_STAGING_DIR"
                              ? ": point it at a writable directory)"
                              : ": set TRAINER_STAGING_DIR to a writable directory)"));
  }
  return std::make_unique<BucketLocation>(where, use, options, std::move(staging));
}

}  // namespace trainer
