#include "io/model_dir.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <regex>

#include <unistd.h>

#include "io/safetensors.h"
#include "io/tf_saved_model.h"
#include "util/atomic_file.h"
#include "util/errors.h"
#include "util/file_read.h"
#include "util/sha256.h"

namespace trainer {

std::filesystem::path ModelDir::checkpoint_file(std::int64_t step) const {
  char name[40];
  std::snprintf(name, sizeof name, "ckpt-%010lld.ckpt", static_cast<long long>(step));
  return checkpoints_dir() / name;
}

bool ModelDir::is_layout_path(const std::string& relative) {
  const std::size_t slash = relative.find('/');
  if (slash == std::string::npos)
    return relative == "metrics.jsonl" || relative == "loss.svg" ||
           relative == "reconstructions.png" || relative == "model.onnx";
  const std::string top = relative.substr(0, slash);
  // A directory ("dir/", as S3 tools mark an empty one) only where a SavedModel has one.
  if (relative.back() == '/' && top != "saved_model") return false;
  return slash + 1 < relative.size() &&
         (top == "weights" || top == "saved_model" || top == "checkpoints" || top == "logs");
}

std::vector<std::filesystem::path> ModelDir::serving_versions() const {
  static const std::regex version("[0-9]+");
  std::vector<std::filesystem::path> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(serving_base_dir(), ec)) {
    if (std::regex_match(entry.path().filename().string(), version)) found.push_back(entry.path());
  }
  return found;
}

void ModelDir::check_layout() const {
  for (const std::filesystem::path& dir :
       {weights_dir(), serving_base_dir(), checkpoints_dir(), logs_dir()}) {
    std::error_code ec;
    const auto status = std::filesystem::symlink_status(dir, ec);
    if (ec || !std::filesystem::exists(status)) continue;
    if (!std::filesystem::is_directory(std::filesystem::status(dir, ec)))
      throw RuntimeFailure(dir.string() +
                           ": exists and is not a directory (the model directory keeps its " +
                           dir.filename().string() + " there)");
  }
  // A directory the run will write in must take new files now, not after an epoch of training.
  for (const std::filesystem::path& dir :
       {weights_dir(), serving_base_dir(), checkpoints_dir(), logs_dir()}) {
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec) && ::access(dir.c_str(), W_OK | X_OK) != 0)
      throw RuntimeFailure(describe_errno(dir.string() + ": cannot write in it", errno));
  }
  // A version directory is swapped whole at an epoch's end: it must be one (not a link to one).
  for (const std::filesystem::path& version : serving_versions()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(std::filesystem::symlink_status(version, ec)))
      throw RuntimeFailure(version.string() +
                           ": exists and is not a directory (SavedModel versions are directories)");
  }
  std::vector<std::filesystem::path> files = {weights_file(), config_file(), metrics_file(),
                                              loss_curve_file(), reconstructions_file()};
  // Only the names a run writes: anything else a user keeps in checkpoints/ is none of its
  // business.
  for (const std::filesystem::path& checkpoint : list_checkpoints()) files.push_back(checkpoint);
  files.push_back(lock_file());
  for (const std::filesystem::path& file : files) require_replaceable(file);
}

std::unique_ptr<FileLock> ModelDir::lock_for_training() const {
  // The root alone: weights/ comes with the first weights, so that a run killed before any
  // (the OOM killer, kill -9) leaves no empty directory that looks like a model.
  make_directories(root_);
  std::unique_ptr<FileLock> lock;
  try {
    lock = std::make_unique<FileLock>(lock_file(), nullptr);
  } catch (const FileLockBusy&) {
    // One trainer per model directory: a second would interleave checkpoints with the first's.
    throw RuntimeFailure(root_.string() +
                         ": another trainer is using this model directory (it holds " +
                         lock_file().string() + "); wait for it or pass another --model-dir");
  }
  // Under the lock no live writer owns a temporary here.
  remove_stale_temporaries(root_);
  remove_stale_temporaries(weights_dir());
  remove_stale_temporaries(serving_base_dir());
  remove_stale_temporaries(checkpoints_dir());
  return lock;
}

std::vector<std::filesystem::path> ModelDir::list_checkpoints() const {
  static const std::regex pattern("ckpt-([0-9]{10})\\.ckpt");
  std::vector<std::pair<std::string, std::filesystem::path>> found;
  std::error_code ec;
  std::filesystem::directory_iterator entries(checkpoints_dir(), ec), end;
  for (; !ec && entries != end; entries.increment(ec)) {
    const std::string file = entries->path().filename().string();
    if (std::regex_match(file, pattern)) found.emplace_back(file, entries->path());
  }
  // A directory that cannot be read is not an empty one: a run would start over silently.
  // (Absent, or below a file, which the callers' own checks name.)
  if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory)
    throw RuntimeFailure(checkpoints_dir().string() +
                         ": cannot list the checkpoints: " + ec.message());
  std::sort(found.rbegin(), found.rend());  // fixed-width step: text order is step order
  std::vector<std::filesystem::path> paths;
  for (auto& [file, path] : found) paths.push_back(path);
  return paths;
}

std::filesystem::path ModelDir::find_checkpoint(const std::filesystem::path& name) const {
  std::error_code ec;
  const std::filesystem::path in_dir = checkpoints_dir() / name;
  if (!std::filesystem::exists(name, ec) && name.is_relative() &&
      std::filesystem::exists(in_dir, ec))
    return in_dir;
  return name;
}

std::filesystem::path ModelDir::save_checkpoint(const Checkpoint& checkpoint, int keep,
                                                bool first_of_fresh_run) const {
  make_directories(checkpoints_dir());
  const std::filesystem::path file = checkpoint_file(checkpoint.step);
  write_file_atomically(file, checkpoint_pieces(checkpoint).views());
  int kept = 0;  // newest first: keep `keep` files, ours among them
  for (const std::filesystem::path& other : list_checkpoints()) {
    if (other == file) {
      ++kept;
    } else if (!first_of_fresh_run && other.filename() > file.filename()) {
      // A later step than this run's newest: one that resume skipped as damaged (or a foreign
      // file). It does not count toward `keep`, or it would cost the valid older ones; this
      // run's checkpoint of that step will replace it.
      continue;
    } else if (first_of_fresh_run || kept >= keep) {
      std::error_code ec;
      std::filesystem::remove(other, ec);
      if (ec)
        throw RuntimeFailure(other.string() + ": cannot remove this older checkpoint: " +
                             ec.message() + " (" + file.string() + " is saved)");
    } else {
      ++kept;
    }
  }
  return file;
}

void ModelDir::write_weights(const ModelLayout& layout, const float* params, const RunRecord& run,
                             const EpochMetrics& last) const {
  // Metadata holds only what the weights depend on, so that equal weights give equal bytes.
  const std::map<std::string, std::string> metadata = {
      {"format", "pt"}, {"trainer_format_version", std::to_string(kSavedModelFormatVersion)}};
  make_directories(weights_dir());
  const auto pieces = safetensors_pieces(layout, params, metadata);
  Sha256 hash;
  for (const std::string_view piece : pieces.views()) hash.update(piece.data(), piece.size());
  // The weights first: config.json, written last, names them by their hash.
  write_file_atomically(weights_file(), pieces.views());
  write_file_atomically(config_file(), config_json(layout, run, last, hash.hex_digest()));
  // Layout 1's copies are older than these now; saved_model/ keeps only SavedModel versions.
  for (const std::filesystem::path& old : {layout1_weights_file(), layout1_config_file()}) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(std::filesystem::symlink_status(old, ec)))
      std::filesystem::remove(old, ec);
  }
}

std::filesystem::path ModelDir::write_serving_model(const ModelLayout& layout, const float* params,
                                                    int version) const {
  const std::filesystem::path dir = serving_base_dir() / std::to_string(version);
  make_directories(serving_base_dir());
  write_tf_saved_model(dir, layout, params);
  // An older version goes in one rename (out of TF Serving's sight: it ignores names that are not
  // numbers), then is deleted; a kill in between leaves a temporary that the next run removes,
  // never a half version that a server would pick.
  for (const std::filesystem::path& other : serving_versions()) {
    if (other == dir) continue;
    const std::filesystem::path hidden =
        serving_base_dir() /
        (temporary_prefix(other.filename().string()) + std::to_string(::getpid()) + ".00000000");
    if (::rename(other.c_str(), hidden.c_str()) != 0)
      throw RuntimeFailure(
          describe_errno(other.string() + ": cannot remove this older version", errno) + " (" +
          dir.string() + " is saved; TF Serving serves the highest)");
    std::error_code ec;
    std::filesystem::remove_all(hidden, ec);
    if (ec)
      throw RuntimeFailure(hidden.string() +
                           ": cannot remove (an older version, moved aside): " + ec.message());
  }
  return dir;
}

void ModelDir::write_pictures(const std::string& loss_svg,
                              const std::string& reconstructions_png) const {
  write_file_atomically(loss_curve_file(), loss_svg);
  write_file_atomically(reconstructions_file(), reconstructions_png);
}

void ModelDir::write_metrics(const std::vector<EpochMetrics>& epochs) const {
  std::string lines;
  for (const EpochMetrics& m : epochs) lines += metrics_json_line(m);
  write_file_atomically(metrics_file(), lines);
}

bool ModelDir::is_layout1() const {
  std::error_code ec;
  return !std::filesystem::exists(config_file(), ec) &&
         !std::filesystem::exists(weights_file(), ec) &&
         std::filesystem::exists(layout1_config_file(), ec);
}

SavedModel ModelDir::load_saved_model(const std::string& missing_hint) const {
  if (is_layout1())
    return read_saved_model(layout1_config_file(), layout1_weights_file(), missing_hint);
  return read_saved_model(config_file(), weights_file(), missing_hint);
}

bool ModelDir::is_trained() const {
  std::error_code ec;
  return std::filesystem::exists(config_file(), ec) ||
         std::filesystem::exists(layout1_config_file(), ec);
}

TrainedModelSpec ModelDir::load_spec(const std::string& missing_hint) const {
  const std::filesystem::path file = is_layout1() ? layout1_config_file() : config_file();
  return parse_config_json(read_text_file(file, kMaxConfigJsonBytes, missing_hint), file.string());
}

std::vector<EpochMetrics> ModelDir::load_metrics() const {
  std::error_code ec;
  if (!std::filesystem::exists(metrics_file(), ec)) return {};
  // A line per epoch: a million epochs stay well inside this.
  return parse_metrics_jsonl(read_text_file(metrics_file(), std::uint64_t(256) << 20, ""),
                             metrics_file().string());
}

}  // namespace trainer
