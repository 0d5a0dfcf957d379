#include "io/trained_model.h"

#include <thread>

#include <chrono>

#include <cmath>

#include <nlohmann/json.hpp>

#include "io/safetensors.h"
#include "util/errors.h"
#include "util/file_read.h"
#include "util/sha256.h"
#include "version.h"

namespace trainer {

std::string config_json(const ModelLayout& layout, const RunRecord& run, const EpochMetrics& last,
                        const std::string& weights_sha256) {
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
      {"dataset", run.dataset},
      {"seed", run.seed},
      {"epochs", last.epoch},
      {"weights_sha256", weights_sha256},
      {"steps", last.step},
      {"batch_size", run.batch_size},
      {"shuffle", run.shuffle},
      {"optimizer",
       {{"name", "adam"},
        {"epsilon_placement", "keras"},
        {"learning_rate", run.adam.learning_rate},
        {"beta1", run.adam.beta1},
        {"beta2", run.adam.beta2},
        {"epsilon", run.adam.epsilon}}},
      {"loss", "mean squared error over batch x 784"},
      {"train_loss", last.train_loss},
      {"test_loss", last.test_loss},
  };
  j["limit"] = run.limit ? nlohmann::json(*run.limit) : nlohmann::json(nullptr);
  if (run.grid) {
    nlohmann::json flags = nlohmann::json::array();
    for (const auto& [flag, value] : run.grid->flags) flags.push_back({flag, value});
    j["grid"] = {{"index", run.grid->index}, {"size", run.grid->size}, {"flags", flags}};
  }
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
    const nlohmann::json& epochs = j.at("epochs");
    if (!epochs.is_number_integer() || epochs.get<std::int64_t>() < 0 ||
        epochs.get<std::int64_t>() > 1000000)
      throw RuntimeFailure(name + ": epochs is not a whole number from 0 to 1000000");
    spec.epochs = epochs.get<int>();
    if (j.contains("weights_sha256")) {
      const nlohmann::json& hash = j.at("weights_sha256");
      if (!hash.is_string() || hash.get<std::string>().size() != 64 ||
          hash.get<std::string>().find_first_not_of("0123456789abcdef") != std::string::npos)
        throw RuntimeFailure(name + ": weights_sha256 is not 64 lowercase hex digits");
      spec.weights_sha256 = hash.get<std::string>();
    }
    for (const auto& [key, value] :
         {std::pair<const char*, double*>{"train_loss", &spec.train_loss},
          std::pair<const char*, double*>{"test_loss", &spec.test_loss}}) {
      const nlohmann::json& loss = j.at(key);
      if (!loss.is_number() || !std::isfinite(loss.get<double>()) || loss.get<double>() < 0)
        throw RuntimeFailure(name + ": " + key + " is not a finite loss");
      *value = loss.get<double>();
    }
    if (j.contains("grid")) {
      const nlohmann::json& grid = j.at("grid");
      GridMembership member;
      member.index = grid.at("index").get<std::size_t>();
      member.size = grid.at("size").get<std::size_t>();
      for (const nlohmann::json& flag : grid.at("flags"))
        member.flags.emplace_back(flag.at(0).get<std::string>(), flag.at(1).get<std::string>());
      spec.grid = member;
    }
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

std::vector<EpochMetrics> parse_metrics_jsonl(const std::string& text, const std::string& name) {
  std::vector<EpochMetrics> epochs;
  std::size_t begin = 0, line = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    ++line;
    try {
      const nlohmann::json j = nlohmann::json::parse(text.substr(begin, end - begin));
      EpochMetrics m;
      m.epoch = j.at("epoch").get<int>();
      m.step = j.at("step").get<std::int64_t>();
      m.train_loss = j.at("train_loss").get<double>();
      m.test_loss = j.at("test_loss").get<double>();
      m.seconds = j.value("seconds", 0.0);
      m.images_per_second = j.value("images_per_second", 0.0);
      epochs.push_back(m);
    } catch (const nlohmann::json::exception& e) {
      throw RuntimeFailure(name + ": line " + std::to_string(line) + ": " + e.what());
    }
    begin = end + 1;
  }
  return epochs;
}

SavedModel read_saved_model(const std::filesystem::path& config_file,
                            const std::filesystem::path& weights_file,
                            const std::string& missing_hint) {
  SavedModel model;
  model.file = weights_file;
  std::string weights, config, seen_weights, seen_config;
  // A trainer replaces the weights, then config.json, after every epoch: a reader between the two
  // reads of the pair can see two epochs. The hash config.json holds tells; read again while the
  // files change. A pair that stays mismatched was edited or damaged: said as such, or as what
  // is wrong with the weights file when it does not even decode.
  for (int attempt = 0;; ++attempt) {
    config = read_text_file(config_file, kMaxConfigJsonBytes, missing_hint);
    model.spec = parse_config_json(config, config_file.string());
    weights = read_text_file(model.file, kMaxSafetensorsBytes, missing_hint);
    if (model.spec.weights_sha256.empty() ||
        sha256_hex(weights.data(), weights.size()) == model.spec.weights_sha256)
      break;
    const bool settled = weights == seen_weights && config == seen_config;
    if (settled || attempt == 100) {
      decode_safetensors(weights, model.file.string());  // throws what is wrong, if anything
      throw RuntimeFailure(model.file.string() + ": is not the file " + config_file.string() +
                           " was written with (its weights_sha256 differs): replaced by hand, or "
                           "damaged");
    }
    seen_weights.swap(weights);
    seen_config.swap(config);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const SafetensorsFile tensors = decode_safetensors(weights, model.file.string());
  model.params =
      params_from_safetensors(tensors, make_layout(model.spec.shape), model.file.string());
  return model;
}

}  // namespace trainer
