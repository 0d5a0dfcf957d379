// The checkpoint format: round trip, every kind of damage detected, and the version-1 golden
// files still load.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "data/idx.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "model/layout.h"

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
  const std::vector<std::uint8_t> bytes = read_whole_file(path);
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
  std::filesystem::create_directories(dir);
  for (int step : {9, 120, 10}) std::ofstream(checkpoint_path(dir, step)) << "x";
  std::ofstream(dir / "notes.txt") << "x";
  const auto files = list_checkpoints(dir);
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
