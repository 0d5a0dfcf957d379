// A model directory in a bucket, kept as a local copy (README "Object storage"): the objects are
// downloaded into it when a command starts, and what the command then writes there goes up from a
// thread of its own, so that the step loop never waits on the network except at the end of a run
// and on a signal.
//
// Each upload pass compares the copy with what the bucket was last known to hold and PUTs every
// file that changed (each PUT replaces its object whole, so a failed one leaves the previous
// object intact), checkpoints first; only when every PUT of the pass went through does it DELETE
// the objects whose files are gone (the older checkpoints and SavedModel versions, replaced runs'
// event files): the bucket always holds a complete checkpoint once it had one. Passes run after
// each request(), coalescing: a checkpoint replaced before its upload is simply not sent.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "net/s3_client.h"

struct stat;

namespace trainer {

// What a local copy takes of a key: nothing, the object, or only an empty file of its name (for
// `trainer gather`, which asks whether a run has checkpoints, not what they hold).
enum class KeyCopy { skip, whole, placeholder };
using KeyFilter = std::function<KeyCopy(const std::string&)>;

class BucketSync {
 public:
  // `local` is an empty directory; `keys(relative path)` says which keys to copy into it, and
  // `sent(relative path)` which of its files go back (others under the prefix, e.g. a sweep's
  // run-<i>/, are left alone).
  BucketSync(S3Client client, S3Location where, std::filesystem::path local, KeyFilter keys,
             std::function<bool(const std::string&)> sent);
  ~BucketSync();  // stops the thread; what is not uploaded yet stays in the local copy
  BucketSync(const BucketSync&) = delete;
  BucketSync& operator=(const BucketSync&) = delete;

  // The model directory's objects into the local copy. Throws RuntimeFailure naming the URL and
  // S3's error code.
  void download();
  // Starts the upload thread. `lost_lease()` (may be empty) says why writing must stop.
  void start_uploads(std::function<std::string()> lost_lease);
  // Asks for an upload pass; never waits. Throws RuntimeFailure if an earlier pass failed for good.
  void request();
  // Waits until the bucket holds what the local copy holds now. Throws RuntimeFailure.
  void flush();

 private:
  struct Signature {
    std::uint64_t inode = 0, size = 0;
    std::int64_t mtime_ns = 0;
    bool is_dir = false;
    bool operator==(const Signature& o) const {
      return inode == o.inode && size == o.size && mtime_ns == o.mtime_ns && is_dir == o.is_dir;
    }
  };
  static Signature signature_of(const struct stat& info);
  // Every file to send, or nullopt when the walk could not see them all.
  std::optional<std::map<std::string, Signature>> scan() const;
  // One pass; false when a file vanished under it (the directory changed: go again).
  bool upload_pass();
  void upload_until_stopped();

  S3Client client_;
  const S3Location where_;
  const std::filesystem::path local_;
  const KeyFilter keys_;
  const std::function<bool(const std::string&)> sent_;
  std::function<std::string()> lost_lease_;
  // Key (relative to the prefix; a directory's with a trailing '/') -> what was uploaded, for
  // objects that are in the bucket as far as this process knows. Only the upload thread touches
  // it once uploads have started.
  std::map<std::string, Signature> uploaded_;
  // Keys copied as empty placeholders: never sent back (they would replace the real objects).
  std::set<std::string> placeholders_;
  mutable std::string scan_error_;  // the upload thread's, like the two above
  int failed_scans_ = 0;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t requested_ = 0, done_ = 0;  // passes asked for, and the last one completed
  bool stopping_ = false;
  std::string failure_;
  std::thread uploader_;
};

}  // namespace trainer
