#include "io/bucket_sync.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "net/s3_retry.h"
#include "util/atomic_file.h"
#include "util/errors.h"

namespace trainer {
namespace {

// A checkpoint of --hidden 4096 is about 0.5 GB; S3 takes at most 5 GiB in one PUT.
constexpr std::uint64_t kMaxObjectBytes = std::uint64_t(2) << 30;

// A key that names a file inside the copy: no empty, ".", ".." or hidden component (the copy's
// lock and the atomic writers' temporaries are hidden), so no key can reach outside it.
bool is_plain_key(const std::string& key) {
  std::size_t start = 0;
  const std::size_t end = key.size() - (!key.empty() && key.back() == '/' ? 1 : 0);
  if (end == 0) return false;
  while (start <= end) {
    const std::size_t slash = std::min(key.find('/', start), end);
    const std::string part = key.substr(start, slash - start);
    if (part.empty() || part[0] == '.' || part.size() > 255 || part.find('\0') != std::string::npos)
      return false;
    start = slash + 1;
  }
  return true;
}

// S3's answers and lost connections become one line naming the object.
[[noreturn]] void rethrow_as_failure(const std::string& url) {
  try {
    throw;
  } catch (const S3Error& e) {
    throw RuntimeFailure(e.what());
  } catch (const NetError& e) {
    throw RuntimeFailure(url + ": " + e.what());
  }
}

}  // namespace

BucketSync::Signature BucketSync::signature_of(const struct stat& info) {
  return Signature{std::uint64_t(info.st_ino), std::uint64_t(info.st_size),
                   std::int64_t(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec, false};
}

BucketSync::BucketSync(S3Client client, S3Location where, std::filesystem::path local,
                       KeyFilter keys, std::function<bool(const std::string&)> sent)
    : client_(std::move(client)),
      where_(std::move(where)),
      local_(std::move(local)),
      keys_(std::move(keys)),
      sent_(std::move(sent)) {}

BucketSync::~BucketSync() {
  {
    const std::lock_guard<std::mutex> hold(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (uploader_.joinable()) uploader_.join();
}

void BucketSync::download() {
  const S3RetryPolicy policy;
  std::vector<S3Object> objects;
  try {
    objects = with_s3_retries(policy, [&] { return client_.list(where_, ""); });
  } catch (...) {
    rethrow_as_failure(where_.text());
  }
  for (const S3Object& object : objects) {
    const KeyCopy copy = is_plain_key(object.key) ? keys_(object.key) : KeyCopy::skip;
    if (copy == KeyCopy::skip) continue;
    const std::string url = s3_object_text(where_, object.key);
    const std::filesystem::path path = local_ / object.key;
    if (object.key.back() == '/') {  // an empty directory, as S3 tools mark one
      make_directories(path);
      uploaded_[object.key] = Signature{0, 0, 0, true};
      continue;
    }
    if (object.size > kMaxObjectBytes)
      throw RuntimeFailure(url + ": " + std::to_string(object.size) +
                           " bytes, more than a model directory's file can be");
    std::optional<std::string> bytes = std::string();
    if (copy == KeyCopy::whole) {
      try {
        bytes =
            with_s3_retries(policy, [&] { return client_.get(where_, object.key, object.size); });
      } catch (...) {
        rethrow_as_failure(url);
      }
    }
    if (!bytes) continue;  // removed since the listing
    // A GET shorter than the listing said (an object replaced meanwhile, a store that cut it) is
    // kept as it came: the checkpoint's and safetensors' own checks name a damaged file, and a
    // damaged checkpoint is skipped with a warning as on a disk.
    make_directories(path.parent_path());
    write_file_atomically(path, *bytes);
    if (copy == KeyCopy::placeholder) {
      placeholders_.insert(object.key);
      continue;
    }
    struct stat info {};
    if (::lstat(path.c_str(), &info) == 0) uploaded_[object.key] = signature_of(info);
  }
}

std::optional<std::map<std::string, BucketSync::Signature>> BucketSync::scan() const {
  std::map<std::string, Signature> found;
  std::error_code ec;
  std::filesystem::recursive_directory_iterator entries(local_, ec), end;
  std::vector<std::string> dirs;
  for (; !ec && entries != end; entries.increment(ec)) {
    const std::filesystem::path& path = entries->path();
    if (path.filename().string()[0] == '.') {
      entries.disable_recursion_pending();
      continue;
    }
    const std::string key = path.lexically_relative(local_).generic_string();
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) continue;  // gone meanwhile
    if (S_ISDIR(info.st_mode)) {
      dirs.push_back(key);
    } else if (S_ISREG(info.st_mode) && sent_(key) && !placeholders_.count(key)) {
      found[key] = signature_of(info);
    }
  }
  // A walk cut short (a directory swapped away under it) has not seen every file: the objects of
  // the unseen ones must not be taken for gone.
  if (ec) {
    scan_error_ = local_.string() + ": cannot walk the local copy: " + ec.message();
    return std::nullopt;
  }
  // Empty directories (a SavedModel's variables/) go up as "dir/" markers.
  for (const std::string& dir : dirs) {
    const std::string prefix = dir + "/";
    const auto next = found.lower_bound(prefix);
    const bool has_files =
        next != found.end() && next->first.compare(0, prefix.size(), prefix) == 0;
    bool has_dirs = false;
    for (const std::string& other : dirs) has_dirs |= other.compare(0, prefix.size(), prefix) == 0;
    if (!has_files && !has_dirs && sent_(prefix)) found[prefix] = Signature{0, 0, 0, true};
  }
  return found;
}

bool BucketSync::upload_pass() {
  const std::optional<std::map<std::string, Signature>> scanned = scan();
  // A walk cut short once is a directory swapped under it; again and again, a copy it cannot read.
  if (!scanned && ++failed_scans_ > 100) throw RuntimeFailure(scan_error_);
  if (!scanned) return false;
  failed_scans_ = 0;
  const std::map<std::string, Signature>& now = *scanned;
  std::vector<std::string> puts;
  for (const auto& [key, signature] : now) {
    const auto known = uploaded_.find(key);
    if (known == uploaded_.end() || !(known->second == signature)) puts.push_back(key);
  }
  // Checkpoints first: they are what a resumed run needs.
  std::stable_partition(puts.begin(), puts.end(),
                        [](const std::string& key) { return key.rfind("checkpoints/", 0) == 0; });
  S3RetryPolicy policy;
  policy.connection_refused_retried = true;
  const auto cancelled = [this] {
    const std::lock_guard<std::mutex> hold(mutex_);
    return stopping_;
  };
  const auto check_lease = [this] {
    if (!lost_lease_) return;
    const std::string lost = lost_lease_();
    if (!lost.empty()) throw RuntimeFailure(lost);
  };
  // A retry's pause ends early when the process stops or the lease is gone.
  const auto give_up = [&] { return cancelled() || (lost_lease_ && !lost_lease_().empty()); };
  bool complete = true;
  for (const std::string& key : puts) {
    if (cancelled()) return false;
    check_lease();
    const std::string url = s3_object_text(where_, key);
    std::string bytes;
    Signature signature = now.at(key);
    if (!signature.is_dir) {
      const std::filesystem::path path = local_ / key;
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0) {
        if (errno == ENOENT) {  // replaced meanwhile: the next pass sends what replaced it
          complete = false;
          continue;
        }
        throw RuntimeFailure(describe_errno(path.string() + ": cannot read to upload", errno));
      }
      struct stat info {};
      ::fstat(fd, &info);
      signature = signature_of(info);
      bytes.resize(std::size_t(info.st_size));
      std::size_t got = 0;
      while (got < bytes.size()) {
        const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += std::size_t(n);
      }
      ::close(fd);
      bytes.resize(got);  // an event file appended to meanwhile is sent again next pass
    }
    try {
      with_s3_retries(
          policy,
          [&] {
            check_lease();  // before every try: a lost lease means another trainer writes here
            return client_.put(where_, key, bytes);
          },
          {}, give_up);
    } catch (...) {
      if (cancelled()) return false;
      check_lease();
      rethrow_as_failure(url);
    }
    uploaded_[key] = signature;
  }
  if (!complete) return false;
  std::vector<std::string> gone;
  for (const auto& entry : uploaded_)
    if (!now.count(entry.first)) gone.push_back(entry.first);
  for (const std::string& key : gone) {
    if (cancelled()) return false;
    check_lease();
    try {
      with_s3_retries(
          policy,
          [&] {
            check_lease();
            client_.remove(where_, key);
            return 0;
          },
          {}, give_up);
    } catch (...) {
      if (cancelled()) return false;
      check_lease();
      rethrow_as_failure(s3_object_text(where_, key));
    }
    uploaded_.erase(key);
  }
  return true;
}

void BucketSync::start_uploads(std::function<std::string()> lost_lease) {
  lost_lease_ = std::move(lost_lease);
  uploader_ = std::thread([this] { upload_until_stopped(); });
}

void BucketSync::upload_until_stopped() {
  std::unique_lock<std::mutex> hold(mutex_);
  while (true) {
    changed_.wait(hold, [this] { return stopping_ || requested_ > done_; });
    if (stopping_) return;
    const std::uint64_t target = requested_;
    hold.unlock();
    bool complete = false;
    std::string failure;
    try {
      complete = upload_pass();
    } catch (const std::exception& e) {
      failure = e.what();
    }
    hold.lock();
    if (!failure.empty()) {
      failure_ = failure;
      changed_.notify_all();
      return;
    }
    if (complete) {
      done_ = std::max(done_, target);
      changed_.notify_all();
    } else if (!stopping_) {
      // The directory changed under the pass: let the writer finish before looking again.
      changed_.wait_for(hold, std::chrono::milliseconds(50), [this] { return stopping_; });
    }
  }
}

void BucketSync::request() {
  if (lost_lease_) {
    const std::string lost = lost_lease_();
    if (!lost.empty()) throw RuntimeFailure(lost);
  }
  {
    const std::lock_guard<std::mutex> hold(mutex_);
    if (!failure_.empty()) throw RuntimeFailure(failure_);
    ++requested_;
  }
  changed_.notify_all();
}

void BucketSync::flush() {
  std::unique_lock<std::mutex> hold(mutex_);
  if (!uploader_.joinable()) return;
  const std::uint64_t target = ++requested_;
  changed_.notify_all();
  changed_.wait(hold, [&] { return done_ >= target || !failure_.empty(); });
  if (!failure_.empty()) throw RuntimeFailure(failure_);
}

}  // namespace trainer
