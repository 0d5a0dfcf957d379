#include "train/resume.h"

#include <algorithm>

#include <cstdio>
#include <cstdlib>

#include "util/errors.h"
#include "util/file_read.h"
#include "util/path_alias.h"
#include "util/sha256.h"

namespace trainer {

Fingerprint run_fingerprint(const TrainConfig& config) {
  char learning_rate[32];
  std::snprintf(learning_rate, sizeof learning_rate, "%.17g", config.adam.learning_rate);
  return {
      {"--dataset", config.dataset},
      {"--hidden", std::to_string(config.shape.hidden)},
      {"--code", std::to_string(config.shape.code)},
      {"--output-activation",
       config.shape.output_activation == Activation::relu ? "relu" : "sigmoid"},
      {"--batch-size", std::to_string(config.batch_size)},
      {"--learning-rate", learning_rate},
      {"--seed", std::to_string(config.seed)},
      {"--no-shuffle", config.shuffle ? "off" : "on"},
      {"--limit", config.limit ? std::to_string(*config.limit) : "off"},
  };
}

bool same_flags(const Checkpoint& checkpoint, const Fingerprint& expected) {
  for (const auto& wanted : expected)
    if (std::find(checkpoint.fingerprint.begin(), checkpoint.fingerprint.end(), wanted) ==
        checkpoint.fingerprint.end())
      return false;
  return true;
}

std::string checkpoint_rounding(const Checkpoint& checkpoint) {
  for (const auto& [key, value] : checkpoint.fingerprint)
    if (key == kRoundingKey) return value;
  return "";
}

std::string run_id(const Fingerprint& fingerprint) {
  std::string text;
  for (const auto& [flag, value] : fingerprint) text += flag + "=" + value + "\n";
  return sha256_hex(text.data(), text.size()).substr(0, 8);
}

TrainedModelSpec spec_from_fingerprint(const Checkpoint& checkpoint, const std::string& name) {
  auto value = [&](const std::string& flag) -> const std::string& {
    for (const auto& [key, text] : checkpoint.fingerprint) {
      if (key == flag) return text;
    }
    throw CheckpointError(name + ": the fingerprint has no " + flag);
  };
  auto number = [&](const std::string& flag) {
    const std::string& text = value(flag);
    char* end = nullptr;
    const long parsed = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || parsed < 1 || parsed > (1 << 20))
      throw CheckpointError(name + ": fingerprint " + flag + " '" + text + "' is not a size");
    return int(parsed);
  };
  TrainedModelSpec spec;
  spec.dataset = value("--dataset");
  spec.shape.hidden = number("--hidden");
  spec.shape.code = number("--code");
  const std::string& output = value("--output-activation");
  if (output != "relu" && output != "sigmoid")
    throw CheckpointError(name + ": fingerprint --output-activation '" + output + "'");
  spec.shape.output_activation = output == "relu" ? Activation::relu : Activation::sigmoid;
  spec.batch_size = number("--batch-size");
  if (value("--limit") != "off") spec.limit = number("--limit");
  spec.epochs = checkpoint.epoch;
  return spec;
}

std::optional<ResumePoint> find_resume_point(const ModelDir& model_dir, const Fingerprint& expected,
                                             std::ostream& err) {
  const std::vector<std::filesystem::path> files = model_dir.list_checkpoints();
  // Damaged checkpoints are reported as warnings only when an older one is used instead; when none
  // is valid, the one error line names the newest and its problem.
  std::vector<std::string> problems;
  for (const std::filesystem::path& file : files) {
    ResumePoint point;
    try {
      const std::vector<std::uint8_t> bytes = read_whole_file(file, kMaxCheckpointBytes);
      point.checkpoint = decode_checkpoint(std::string(bytes.begin(), bytes.end()), file.string());
    } catch (const RuntimeFailure& e) {
      problems.push_back(e.what());
      continue;
    }
    for (const std::string& problem : problems)
      err << "trainer: warning: " << shown_path(problem) << "; using the previous checkpoint"
          << std::endl;
    point.file = file;
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
    throw RuntimeFailure(model_dir.checkpoints_dir().string() +
                         ": no valid checkpoint (newest: " + problems.front() +
                         "); to keep it, move it out of the directory; --fresh starts over and "
                         "removes it");
  }
  return std::nullopt;
}

StartPoint start_point(const ResumePoint& resume, int steps_per_epoch, int batch, int train_count) {
  const Checkpoint& c = resume.checkpoint;
  StartPoint start{c.epoch, int(c.cursor / batch), c.epoch_sse, c.epoch_seconds};
  const bool fits = c.cursor % batch == 0 && c.cursor < train_count &&
                    c.step == std::int64_t(c.epoch) * steps_per_epoch + start.step_in_epoch;
  if (!fits) {
    throw RuntimeFailure(resume.file.string() + ": step " + std::to_string(c.step) + ", epoch " +
                         std::to_string(c.epoch) + " and cursor " + std::to_string(c.cursor) +
                         " do not fit " + std::to_string(train_count) + " images in batches of " +
                         std::to_string(batch));
  }
  return start;
}

}  // namespace trainer
