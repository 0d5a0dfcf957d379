#include "io/safetensors.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

#include "util/errors.h"

namespace trainer {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors data is little-endian");

namespace {
constexpr std::uint64_t kMaxHeaderBytes = 100u << 20;  // the reference implementation's limit
}

SafetensorsPieces safetensors_pieces(const ModelLayout& layout, const float* params,
                                     const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::size_t offset = 0;
  for (const TensorEntry& tensor : layout.tensors) {
    const std::size_t bytes = tensor.count * sizeof(float);
    header[tensor.name] = {
        {"dtype", "F32"}, {"shape", tensor.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  SafetensorsPieces pieces;
  pieces.head.assign(8, '\0');
  const std::uint64_t length = json.size();
  std::memcpy(pieces.head.data(), &length, 8);
  pieces.head += json;
  for (const TensorEntry& tensor : layout.tensors) {
    pieces.tensors.emplace_back(reinterpret_cast<const char*>(params + tensor.offset),
                                tensor.count * sizeof(float));
  }
  return pieces;
}

std::vector<std::string_view> SafetensorsPieces::views() const {
  std::vector<std::string_view> all{head};
  all.insert(all.end(), tensors.begin(), tensors.end());
  return all;
}

std::string encode_safetensors(const ModelLayout& layout, const float* params,
                               const std::map<std::string, std::string>& metadata) {
  const SafetensorsPieces pieces = safetensors_pieces(layout, params, metadata);
  std::string out;
  for (std::string_view piece : pieces.views()) out.append(piece);
  return out;
}

SafetensorsFile decode_safetensors(const std::string& bytes, const std::string& name) {
  auto bad = [&](const std::string& why) {
    return RuntimeFailure(name + ": not a valid safetensors file: " + why);
  };
  if (bytes.size() < 8) throw bad("shorter than its 8-byte header length");
  std::uint64_t header_length = 0;
  std::memcpy(&header_length, bytes.data(), 8);
  if (header_length > kMaxHeaderBytes || header_length > bytes.size() - 8) {
    throw bad("header claims " + std::to_string(header_length) + " bytes, file has " +
              std::to_string(bytes.size() - 8) + " after the length");
  }
  nlohmann::json header =
      nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + std::ptrdiff_t(header_length),
                            nullptr, /*allow_exceptions=*/false);
  if (!header.is_object()) throw bad("header is not a JSON object");
  const std::size_t data_begin = 8 + std::size_t(header_length);
  const std::size_t data_size = bytes.size() - data_begin;

  SafetensorsFile file;
  std::vector<std::pair<std::size_t, std::size_t>> extents;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const nlohmann::json& entry = it.value();
    if (it.key() == "__metadata__") {
      if (!entry.is_object()) throw bad("__metadata__ is not an object");
      for (auto m = entry.begin(); m != entry.end(); ++m) {
        if (!m.value().is_string())
          throw bad("__metadata__ value for '" + m.key() + "' is not a string");
        file.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string tensor_name = it.key();
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets")) {
      throw bad("tensor '" + tensor_name + "' lacks dtype, shape or data_offsets");
    }
    if (entry["dtype"] != "F32")
      throw bad("tensor '" + tensor_name + "' has dtype " + entry["dtype"].dump() +
                ", expected F32");
    const nlohmann::json& shape = entry["shape"];
    const nlohmann::json& offsets = entry["data_offsets"];
    if (!shape.is_array() || shape.size() > 8)
      throw bad("tensor '" + tensor_name + "' has a malformed shape");
    SafetensorsTensor tensor;
    std::uint64_t elements = 1;
    for (const nlohmann::json& dim : shape) {
      if (!dim.is_number_unsigned() || dim.get<std::uint64_t>() > 0x7fffffff) {
        throw bad("tensor '" + tensor_name + "' has a malformed shape");
      }
      elements *= dim.get<std::uint64_t>();
      if (elements > data_size) throw bad("tensor '" + tensor_name + "' is larger than the file");
      tensor.shape.push_back(dim.get<int>());
    }
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned()) {
      throw bad("tensor '" + tensor_name + "' has malformed data_offsets");
    }
    const std::uint64_t begin = offsets[0].get<std::uint64_t>(),
                        end = offsets[1].get<std::uint64_t>();
    if (begin > end || end > data_size || end - begin != elements * sizeof(float)) {
      throw bad("tensor '" + tensor_name + "' has data_offsets [" + std::to_string(begin) + ", " +
                std::to_string(end) + "] that do not fit its shape or the file");
    }
    tensor.values.resize(elements);
    if (elements) std::memcpy(tensor.values.data(), bytes.data() + data_begin + begin, end - begin);
    extents.emplace_back(begin, end);
    file.tensors[tensor_name] = std::move(tensor);
  }
  std::sort(extents.begin(), extents.end());
  std::size_t covered = 0;
  for (const auto& [begin, end] : extents) {
    if (begin != covered) throw bad(begin < covered ? "tensors overlap" : "gap between tensors");
    covered = end;
  }
  if (covered != data_size) throw bad("data section has bytes no tensor claims");
  return file;
}

std::vector<float> params_from_safetensors(const SafetensorsFile& file, const ModelLayout& layout,
                                           const std::string& name) {
  // Every shape is checked before anything is allocated: a config.json that claims a larger model
  // than the file holds must not allocate that model first.
  for (const TensorEntry& entry : layout.tensors) {
    auto it = file.tensors.find(entry.name);
    if (it == file.tensors.end())
      throw RuntimeFailure(name + ": tensor '" + entry.name + "' is missing");
    if (it->second.shape != entry.shape) {
      throw RuntimeFailure(name + ": tensor '" + entry.name +
                           "' has another shape than the model expects");
    }
  }
  if (file.tensors.size() != layout.tensors.size()) {
    throw RuntimeFailure(name + ": holds " + std::to_string(file.tensors.size()) +
                         " tensors, the model has " + std::to_string(layout.tensors.size()));
  }
  std::vector<float> params(layout.param_count);  // now the size of what the file holds
  for (const TensorEntry& entry : layout.tensors) {
    const std::vector<float>& values = file.tensors.at(entry.name).values;
    std::copy(values.begin(), values.end(), params.begin() + std::ptrdiff_t(entry.offset));
  }
  return params;
}

}  // namespace trainer
