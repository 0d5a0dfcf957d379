// Where a --model-dir lives (README "Object storage"): a local directory, used as it is, or
// s3://bucket/prefix, worked on in a local copy under <staging root>/staging/ that is filled from
// the bucket when the command starts and sent back as it changes (io/bucket_sync.h); a training run
// also holds the prefix's lease (io/bucket_lease.h). The commands and the training loop see one
// interface and a ModelDir either way.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "io/bucket_sync.h"
#include "io/model_dir.h"

namespace trainer {

enum class ModelDirUse {
  read,   // eval, reconstruct: nothing is written back
  write,  // export: what it writes is uploaded, no lease (as on a disk, where it takes no lock)
  train,  // the lease, then uploads while training
};

struct ModelLocationOptions {
  std::filesystem::path staging_root;  // default_staging_root(): the local copy goes below it
  std::string staging_source = "TRAINER_STAGING_DIR";  // which setting chose it
  int lease_seconds = 30;
  double timeout_s = 30;  // per connect and per wait for data
  // Which keys a bucket's copy holds; empty: the model directory's own (ModelDir::is_layout_path).
  KeyFilter keys;
  // Heard of waits (a lease to expire) and of failures the destructor cannot throw.
  std::function<void(const std::string&)> warn;
};

// Where local copies go: $TRAINER_STAGING_DIR, else $TMPDIR, else /tmp/trainer, else `data_dir`
// (a scratch image has no /tmp; its data directory is /data).
// `source` (if given) receives which of them, for messages.
std::filesystem::path default_staging_root(const std::filesystem::path& data_dir,
                                           std::string* source = nullptr);

class ModelLocation {
 public:
  virtual ~ModelLocation() = default;
  const ModelDir& dir() const { return dir_; }
  // Where the directory is lost with the container (util/volumes.h vanishing_storage: its own
  // filesystem, a tmpfs), or "": a local copy of a bucket is not.
  virtual std::string vanishing_storage() const;
  // The directory holds a consistent state worth keeping (a checkpoint, an epoch's outputs): it
  // is sent on its way; never waits. Throws RuntimeFailure if sending failed for good earlier.
  virtual void changed() {}
  // Waits until everything written is where the user asked (the end of a command, a stop on a
  // signal). Throws RuntimeFailure.
  virtual void finish() {}

 protected:
  explicit ModelLocation(std::filesystem::path root) : dir_(std::move(root)) {}
  ModelDir dir_;
};

// `model_dir` as --model-dir gave it (a path, or s3://... as cli/flag_values.h accepts it).
// Throws RuntimeFailure naming the URL and S3's error code (credentials, bucket, the lease).
std::unique_ptr<ModelLocation> open_model_location(const std::string& model_dir, ModelDirUse use,
                                                   const ModelLocationOptions& options);

// A copy of the trained model only (and of the checkpoints too): what a reader needs, not the
// whole directory's history.
KeyFilter weights_only(bool with_checkpoints = false);

}  // namespace trainer
