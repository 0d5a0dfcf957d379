// The checkpoint format: round trip, every kind of damage detected, and the version-1 golden
// files still load.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "data/idx.h"
#include "io/checkpoint.h"
#include "io/model_dir.h"
#include "io/safetensors.h"
#include "model/layout.h"
#include "train/resume.h"
#include "util/file_read.h"

using namespace trainer;

namespace {

const std::filesystem::path kGolden =
    std::filesystem::path(TRAINER_SOURCE_DIR) / "tests/data/golden-v1";

Checkpoint sample() {
  Checkpoint c;
  c.step = 470;
  c.epoch = 2;
  c.cursor = 0;
  c.fingerprint = {{"--hidden", "128"}, {"--seed", "42"}};
  EpochMetrics m;
  m.epoch = 2;
  m.step = 470;
  m.train_loss = 0.031;
  m.test_loss = 0.029;
  c.history = {m};
  c.state = {1.5f, -2.25f, 0.0f, 3e-8f};
  return c;
}

std::string failure_of(const std::string& bytes) {
  try {
    decode_checkpoint(bytes, "ckpt");
  } catch (const CheckpointError& e) {
    return e.what();
  }
  return "(accepted)";
}

std::string read_text(const std::filesystem::path& path) {
  const std::vector<std::uint8_t> bytes = read_whole_file(path, 1u << 30);
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

TEST_CASE("checkpoints round-trip exactly", "[checkpoint]") {
  const std::string bytes = encode_checkpoint(sample());
  CHECK(bytes.compare(0, 8, "TRNRCKPT") == 0);
  const Checkpoint back = decode_checkpoint(bytes, "ckpt");
  CHECK(back.step == 470);
  CHECK(back.epoch == 2);
  CHECK(back.fingerprint == sample().fingerprint);
  CHECK(back.history.at(0).test_loss == 0.029);
  CHECK(back.state == sample().state);
  CHECK(encode_checkpoint(back) == bytes);
}

TEST_CASE("progress inside an epoch round-trips to the last bit", "[checkpoint]") {
  Checkpoint c = sample();
  c.cursor = 6400;
  c.epoch_sse = 0.1 + 0.2;  // not a short decimal
  c.epoch_seconds = 1.0 / 3.0;
  const Checkpoint back = decode_checkpoint(encode_checkpoint(c), "ckpt");
  CHECK(back.cursor == 6400);
  CHECK(back.epoch_sse == c.epoch_sse);
  CHECK(back.epoch_seconds == c.epoch_seconds);
}

TEST_CASE("a fingerprint describes the model to evaluate", "[checkpoint]") {
  TrainConfig config;
  config.dataset = "fashion-mnist";
  config.shape.hidden = 64;
  config.shape.code = 8;
  config.shape.output_activation = Activation::sigmoid;
  config.batch_size = 32;
  config.limit = 1000;
  Checkpoint c = sample();
  c.fingerprint = run_fingerprint(config);
  const TrainedModelSpec spec = spec_from_fingerprint(c, "ckpt");
  CHECK(spec.dataset == "fashion-mnist");
  CHECK(spec.shape.hidden == 64);
  CHECK(spec.shape.code == 8);
  CHECK(spec.shape.output_activation == Activation::sigmoid);
  CHECK(spec.batch_size == 32);
  CHECK(spec.limit == 1000);
  CHECK(spec.epochs == 2);
  c.fingerprint.erase(c.fingerprint.begin() + 1);  // --hidden
  CHECK_THROWS_WITH(spec_from_fingerprint(c, "ckpt"), "ckpt: the fingerprint has no --hidden");
}

TEST_CASE("saved-model config.json is read back, newer versions refused", "[checkpoint]") {
  RunRecord run;
  run.dataset = "mnist";
  run.batch_size = 64;
  ModelShape shape;
  shape.hidden = 16;
  shape.code = 4;
  EpochMetrics last;
  last.epoch = 3;
  const std::string hash(64, 'a');
  const std::string text = config_json(make_layout(shape), run, last, hash);
  const TrainedModelSpec spec = parse_config_json(text, "config.json");
  CHECK(spec.weights_sha256 == hash);
  CHECK(spec.dataset == "mnist");
  CHECK(spec.shape.input == 784);
  CHECK(spec.shape.hidden == 16);
  CHECK(spec.shape.code == 4);
  CHECK(spec.batch_size == 64);
  CHECK(!spec.limit);
  CHECK(spec.epochs == 3);
  std::string newer = text;
  newer.replace(newer.find("\"format_version\": 1"), 19, "\"format_version\": 9");
  CHECK_THROWS_WITH(parse_config_json(newer, "config.json"),
                    Catch::Contains("config.json: saved-model format version 9") &&
                        Catch::Contains("reads format versions 1 to 1"));
  CHECK_THROWS_WITH(parse_config_json("{", "config.json"), Catch::StartsWith("config.json: "));
  std::string bad_hash = text;
  bad_hash.replace(bad_hash.find(hash), 64, "not hex");
  CHECK_THROWS_WITH(parse_config_json(bad_hash, "config.json"),
                    Catch::Contains("weights_sha256 is not 64 lowercase hex digits"));
}

TEST_CASE("damaged, truncated, foreign and newer checkpoints are refused by name", "[checkpoint]") {
  const std::string good = encode_checkpoint(sample());
  for (std::size_t at : {std::size_t(20), good.size() / 2, good.size() - 40, good.size() - 1}) {
    std::string damaged = good;
    damaged[at] ^= 0x10;
    CHECK_THAT(failure_of(damaged),
               Catch::Contains("ckpt: ") && Catch::Contains("checksum mismatch"));
  }
  for (std::size_t size : {std::size_t(0), std::size_t(10), std::size_t(30), good.size() - 1}) {
    CHECK_THAT(failure_of(good.substr(0, size)),
               Catch::Contains("truncated") || Catch::Contains("checksum mismatch"));
  }
  CHECK_THAT(failure_of("PK\x03\x04" + good.substr(4)),
             Catch::Contains("not a trainer checkpoint"));
  std::string newer = good;
  newer[8] = 7;  // format version 7
  CHECK_THAT(failure_of(newer), Catch::Contains("format version 7") &&
                                    Catch::Contains("reads format versions 1 to 1"));
}

TEST_CASE("checkpoint files sort newest first", "[checkpoint]") {
  const auto dir = std::filesystem::temp_directory_path() / "trainer-ckpt-list";
  std::filesystem::remove_all(dir);
  const ModelDir model_dir(dir);
  std::filesystem::create_directories(model_dir.checkpoints_dir());
  for (int step : {9, 120, 10}) std::ofstream(model_dir.checkpoint_file(step)) << "x";
  std::ofstream(model_dir.checkpoints_dir() / "notes.txt") << "x";
  const auto files = model_dir.list_checkpoints();
  REQUIRE(files.size() == 3);
  CHECK(files[0].filename() == "ckpt-0000000120.ckpt");
  CHECK(files[2].filename() == "ckpt-0000000009.ckpt");
  std::filesystem::remove_all(dir);
}

TEST_CASE("golden files of format version 1 load", "[checkpoint]") {
  const Checkpoint golden =
      decode_checkpoint(read_text(kGolden / "ckpt-0000000002.ckpt"), "golden checkpoint");
  CHECK(golden.step == 2);
  CHECK(golden.epoch == 1);
  CHECK(golden.cursor == 0);
  ModelShape shape;
  shape.hidden = 4;
  shape.code = 2;
  const ModelLayout layout = make_layout(shape);
  CHECK(golden.state.size() == layout.state_count());
  CHECK(golden.history.size() == 1);
  const SafetensorsFile model =
      decode_safetensors(read_text(kGolden / "model.safetensors"), "golden model.safetensors");
  const std::vector<float> params = params_from_safetensors(model, layout, "golden");
  // The saved model holds exactly the checkpoint's parameters.
  CHECK(std::equal(params.begin(), params.end(), golden.state.begin()));
}
