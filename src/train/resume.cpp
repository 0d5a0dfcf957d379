#include "train/resume.h"

#include "data/idx.h"
#include "io/atomic_file.h"

namespace trainer {

std::optional<ResumePoint> find_resume_point(const std::filesystem::path& checkpoints_dir,
                                             const TrainConfig& config, std::ostream& err) {
  const std::vector<std::filesystem::path> files = list_checkpoints(checkpoints_dir);
  // Damaged checkpoints are reported as warnings only when an older one is used instead; when none
  // is valid, the one error line names the newest and its problem.
  std::vector<std::string> problems;
  for (const std::filesystem::path& file : files) {
    ResumePoint point;
    try {
      const std::vector<std::uint8_t> bytes = read_whole_file(file);
      point.checkpoint = decode_checkpoint(std::string(bytes.begin(), bytes.end()), file.string());
    } catch (const RuntimeFailure& e) {
      problems.push_back(e.what());
      continue;
    }
    for (const std::string& problem : problems)
      err << "trainer: warning: " << problem << "; using the previous checkpoint" << std::endl;
    point.file = file;
    const auto expected = run_fingerprint(config);
    for (const auto& [flag, value] : point.checkpoint.fingerprint) {
      for (const auto& [wanted_flag, wanted] : expected) {
        if (flag == wanted_flag && value != wanted) {
          throw UsageError(flag + ": " + wanted + " differs from " + value + ", which " +
                           file.string() + " was trained with (pass --fresh to start over)");
        }
      }
    }
    return point;
  }
  if (!files.empty()) {
    throw RuntimeFailure(checkpoints_dir.string() + ": no valid checkpoint (newest: " +
                         problems.front() + "); pass --fresh to start over");
  }
  return std::nullopt;
}

std::filesystem::path save_checkpoint(const std::filesystem::path& checkpoints_dir,
                                      const Checkpoint& checkpoint, int keep,
                                      bool first_of_fresh_run) {
  make_directories(checkpoints_dir);
  const std::filesystem::path file = checkpoint_path(checkpoints_dir, checkpoint.step);
  write_file_atomically(file, checkpoint_pieces(checkpoint).views());
  int kept = 0;  // newest first: keep `keep` files, ours among them
  for (const std::filesystem::path& other : list_checkpoints(checkpoints_dir)) {
    if (other == file) {
      ++kept;
    } else if (first_of_fresh_run || kept >= keep) {
      std::error_code ec;
      std::filesystem::remove(other, ec);
    } else {
      ++kept;
    }
  }
  return file;
}

}  // namespace trainer
