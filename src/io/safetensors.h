// safetensors: u64 little-endian header length N, N bytes of JSON
//   {"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}
// padded with spaces to a multiple of 8, then the raw little-endian tensor bytes.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "model/layout.h"

namespace trainer {

// The widest model's parameters (160 MB) and the largest header decode_safetensors accepts.
constexpr std::uint64_t kMaxSafetensorsBytes = std::uint64_t(512) << 20;

// The parameter block of `layout` as a safetensors file, tensors in arena order: the header, then
// one view per tensor into `params` (written from where they lie, not copied).
struct SafetensorsPieces {
  std::string head;
  std::vector<std::string_view> tensors;
  std::vector<std::string_view> views() const;
};
SafetensorsPieces safetensors_pieces(const ModelLayout& layout, const float* params,
                                     const std::map<std::string, std::string>& metadata);
// The pieces joined: the whole file in memory.
std::string encode_safetensors(const ModelLayout& layout, const float* params,
                               const std::map<std::string, std::string>& metadata);

struct SafetensorsTensor {
  std::vector<int> shape;
  std::vector<float> values;
};

struct SafetensorsFile {
  std::map<std::string, SafetensorsTensor> tensors;
  std::map<std::string, std::string> metadata;
};

// Validates everything before trusting it (header length, JSON, dtype F32, shapes, offsets in
// range, no overlaps or gaps). `name` labels errors. Throws RuntimeFailure.
SafetensorsFile decode_safetensors(const std::string& bytes, const std::string& name);

// The parameters of `layout` from a decoded file: every tensor present with the right shape.
std::vector<float> params_from_safetensors(const SafetensorsFile& file, const ModelLayout& layout,
                                           const std::string& name);

}  // namespace trainer
