#include "io/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "util/sha256.h"
#include "version.h"

namespace trainer {
namespace {

constexpr char kMagic[8] = {'T', 'R', 'N', 'R', 'C', 'K', 'P', 'T'};
constexpr std::size_t kDigestBytes = 32;
static_assert(sizeof(float) == 4, "float32 state");

void put_u32(std::string& out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out += char((value >> (8 * i)) & 0xff);
}

std::uint32_t get_u32(const std::string& bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= std::uint32_t(std::uint8_t(bytes[at + i])) << (8 * i);
  return value;
}

std::string raw_digest(const std::string& bytes, std::size_t size) {
  Sha256 hash;
  hash.update(bytes.data(), size);
  return hash.digest();
}

}  // namespace

CheckpointPieces checkpoint_pieces(const Checkpoint& checkpoint) {
  nlohmann::ordered_json header;
  header["step"] = checkpoint.step;
  header["epoch"] = checkpoint.epoch;
  header["cursor"] = checkpoint.cursor;
  header["epoch_sse"] = checkpoint.epoch_sse;  // JSON numbers round-trip doubles exactly
  header["epoch_seconds"] = checkpoint.epoch_seconds;
  nlohmann::ordered_json fingerprint = nlohmann::ordered_json::array();
  for (const auto& [flag, value] : checkpoint.fingerprint) fingerprint.push_back({flag, value});
  header["fingerprint"] = fingerprint;
  nlohmann::ordered_json history = nlohmann::ordered_json::array();
  for (const EpochMetrics& m : checkpoint.history) {
    history.push_back({{"epoch", m.epoch},
                       {"step", m.step},
                       {"train_loss", m.train_loss},
                       {"test_loss", m.test_loss},
                       {"seconds", m.seconds},
                       {"images_per_second", m.images_per_second}});
  }
  header["history"] = history;
  header["state_floats"] = checkpoint.state.size();
  header["trainer_version"] = checkpoint.trainer_version.empty() ? std::string(TRAINER_VERSION)
                                                                 : checkpoint.trainer_version;
  const std::string header_text = header.dump();
  CheckpointPieces pieces;
  pieces.head.assign(kMagic, sizeof kMagic);
  put_u32(pieces.head, kCheckpointFormatVersion);
  put_u32(pieces.head, std::uint32_t(header_text.size()));
  pieces.head += header_text;
  pieces.state = std::string_view(reinterpret_cast<const char*>(checkpoint.state.data()),
                                  checkpoint.state.size() * sizeof(float));
  Sha256 hash;
  hash.update(pieces.head.data(), pieces.head.size());
  hash.update(pieces.state.data(), pieces.state.size());
  pieces.digest = hash.digest();
  return pieces;
}

std::string encode_checkpoint(const Checkpoint& checkpoint) {
  const CheckpointPieces pieces = checkpoint_pieces(checkpoint);
  std::string out;
  out.reserve(pieces.head.size() + pieces.state.size() + pieces.digest.size());
  for (std::string_view piece : pieces.views()) out.append(piece);
  return out;
}

Checkpoint decode_checkpoint(const std::string& bytes, const std::string& name) {
  auto fail = [&](const std::string& why) -> CheckpointError {
    return CheckpointError(name + ": " + why);
  };
  if (bytes.size() < sizeof kMagic + 8 + kDigestBytes) {
    if (bytes.size() >= sizeof kMagic && std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
      throw fail("not a trainer checkpoint");
    throw fail("truncated (" + std::to_string(bytes.size()) + " bytes)");
  }
  if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) throw fail("not a trainer checkpoint");
  const std::uint32_t version = get_u32(bytes, 8);
  if (version == 0 || version > kCheckpointFormatVersion) {
    throw fail("checkpoint format version " + std::to_string(version) + ", but this trainer (" +
               TRAINER_VERSION + ") reads format versions 1 to " +
               std::to_string(kCheckpointFormatVersion));
  }
  const std::size_t header_length = get_u32(bytes, 12);
  const std::size_t body_end = bytes.size() - kDigestBytes;
  if (16 + header_length > body_end) throw fail("truncated (header runs past the end)");
  if (raw_digest(bytes, body_end) != bytes.substr(body_end))
    throw fail("checksum mismatch: the file is damaged or truncated");
  Checkpoint checkpoint;
  try {
    const nlohmann::json header = nlohmann::json::parse(bytes.substr(16, header_length));
    checkpoint.step = header.at("step").get<std::int64_t>();
    checkpoint.epoch = header.at("epoch").get<int>();
    checkpoint.cursor = header.at("cursor").get<std::int64_t>();
    checkpoint.epoch_sse = header.value("epoch_sse", 0.0);
    checkpoint.epoch_seconds = header.value("epoch_seconds", 0.0);
    for (const auto& pair : header.at("fingerprint"))
      checkpoint.fingerprint.emplace_back(pair.at(0).get<std::string>(),
                                          pair.at(1).get<std::string>());
    for (const auto& m : header.at("history")) {
      EpochMetrics metrics;
      metrics.epoch = m.at("epoch").get<int>();
      metrics.step = m.at("step").get<std::int64_t>();
      metrics.train_loss = m.at("train_loss").get<double>();
      metrics.test_loss = m.at("test_loss").get<double>();
      metrics.seconds = m.at("seconds").get<double>();
      metrics.images_per_second = m.at("images_per_second").get<double>();
      checkpoint.history.push_back(metrics);
    }
    checkpoint.trainer_version = header.at("trainer_version").get<std::string>();
    const std::size_t floats = header.at("state_floats").get<std::size_t>();
    if (floats * sizeof(float) != body_end - 16 - header_length)
      throw fail("header says " + std::to_string(floats) + " floats, the file holds " +
                 std::to_string((body_end - 16 - header_length) / sizeof(float)));
    checkpoint.state.resize(floats);
    std::memcpy(checkpoint.state.data(), bytes.data() + 16 + header_length, floats * sizeof(float));
    // A trainer never saves inf or NaN (train/train_loop.cpp); a state that holds one was made
    // by something else and would spread through every step.
    for (const float value : checkpoint.state)
      if (!std::isfinite(value)) throw fail("the state holds a value that is not finite");
  } catch (const nlohmann::json::exception& e) {
    throw fail(std::string("bad header: ") + e.what());
  }
  if (checkpoint.step < 0 || checkpoint.epoch < 0 || checkpoint.cursor < 0)
    throw fail("negative step, epoch or cursor");
  return checkpoint;
}

}  // namespace trainer
