#include "io/model_dir.h"

#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "util/errors.h"
#include "version.h"

namespace trainer {

ModelDir::ModelDir(const std::filesystem::path& root) : root_(root) {
  make_directories(root_ / "saved_model");
}

std::string config_json(const ModelLayout& layout, const TrainConfig& config,
                        const std::string& dataset, const EpochMetrics& last) {
  nlohmann::json layers = nlohmann::json::array();
  for (const TensorEntry& tensor : layout.tensors) {
    layers.push_back({{"name", tensor.name}, {"shape", tensor.shape}});
  }
  const ModelShape& shape = layout.shape;
  nlohmann::json j = {
      {"format_version", kSavedModelFormatVersion},
      {"trainer_version", TRAINER_VERSION},
      {"architecture",
       {{"type", "dense_autoencoder"},
        {"layer_sizes", {shape.input, shape.hidden, shape.code, shape.hidden, shape.input}},
        {"hidden_activation", "relu"},
        {"output_activation", activation_name(shape.output_activation)},
        {"weight_layout", "[out, in], y = x W^T + b (torch.nn.Linear)"},
        {"tensors", layers}}},
      {"normalisation", {{"input", "uint8 pixel / 255 as float32"}, {"divisor", 255}}},
      {"dataset", dataset},
      {"seed", config.seed},
      {"epochs", last.epoch},
      {"steps", last.step},
      {"batch_size", config.batch_size},
      {"shuffle", config.shuffle},
      {"optimizer",
       {{"name", "adam"},
        {"epsilon_placement", "keras"},
        {"learning_rate", config.adam.learning_rate},
        {"beta1", config.adam.beta1},
        {"beta2", config.adam.beta2},
        {"epsilon", config.adam.epsilon}}},
      {"loss", "mean squared error over batch x 784"},
      {"train_loss", last.train_loss},
      {"test_loss", last.test_loss},
  };
  j["limit"] = config.limit ? nlohmann::json(*config.limit) : nlohmann::json(nullptr);
  return j.dump(2) + "\n";
}

TrainedModelSpec parse_config_json(const std::string& text, const std::string& name) {
  TrainedModelSpec spec;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    const int version = j.at("format_version").get<int>();
    if (version < 1 || version > kSavedModelFormatVersion) {
      throw RuntimeFailure(name + ": saved-model format version " + std::to_string(version) +
                           ", but this trainer (" + TRAINER_VERSION +
                           ") reads format versions 1 to " +
                           std::to_string(kSavedModelFormatVersion));
    }
    spec.dataset = j.at("dataset").get<std::string>();
    const auto sizes = j.at("architecture").at("layer_sizes").get<std::vector<int>>();
    if (sizes.size() != 5 || sizes[0] != sizes[4] || sizes[1] != sizes[3])
      throw RuntimeFailure(name + ": layer_sizes is not a dense autoencoder [in, h, c, h, in]");
    for (int size : sizes) {
      if (size < 1 || size > 1 << 20) throw RuntimeFailure(name + ": layer size out of range");
    }
    spec.shape.input = sizes[0];
    spec.shape.hidden = sizes[1];
    spec.shape.code = sizes[2];
    const std::string output = j.at("architecture").at("output_activation").get<std::string>();
    if (output != "relu" && output != "sigmoid")
      throw RuntimeFailure(name + ": unknown output_activation '" + output + "'");
    spec.shape.output_activation = output == "relu" ? Activation::relu : Activation::sigmoid;
    spec.batch_size = j.at("batch_size").get<int>();
    if (spec.batch_size < 1) throw RuntimeFailure(name + ": batch_size must be positive");
    if (j.contains("limit") && !j.at("limit").is_null()) {
      spec.limit = j.at("limit").get<int>();
      if (*spec.limit < 1) throw RuntimeFailure(name + ": limit must be positive");
    }
    spec.epochs = j.at("epochs").get<int>();
  } catch (const nlohmann::json::exception& e) {
    throw RuntimeFailure(name + ": " + e.what());
  }
  return spec;
}

std::string metrics_json_line(const EpochMetrics& m) {
  nlohmann::json j = {{"epoch", m.epoch},           {"step", m.step},
                      {"train_loss", m.train_loss}, {"test_loss", m.test_loss},
                      {"seconds", m.seconds},       {"images_per_second", m.images_per_second}};
  return j.dump() + "\n";
}

void ModelDir::write_saved_model(const ModelLayout& layout, const float* params,
                                 const TrainConfig& config, const std::string& dataset,
                                 const EpochMetrics& last) const {
  // Metadata holds only what the weights depend on, so that equal weights give equal bytes.
  const std::map<std::string, std::string> metadata = {
      {"format", "pt"}, {"trainer_format_version", std::to_string(kSavedModelFormatVersion)}};
  write_file_atomically(saved_model_file(), safetensors_pieces(layout, params, metadata).views());
  write_file_atomically(root_ / "saved_model" / "config.json",
                        config_json(layout, config, dataset, last));
}

void ModelDir::write_pictures(const std::string& loss_svg, const GrayImage& reconstructions) const {
  write_file_atomically(loss_curve_file(), loss_svg);
  write_file_atomically(reconstructions_file(), encode_png(reconstructions));
}

void ModelDir::write_metrics(const std::vector<EpochMetrics>& epochs) const {
  std::string lines;
  for (const EpochMetrics& m : epochs) lines += metrics_json_line(m);
  write_file_atomically(root_ / "metrics.jsonl", lines);
}

}  // namespace trainer
