#include "io/protobuf.h"

namespace trainer {

std::optional<std::uint64_t> ProtoReader::take_varint() {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (rest_.empty()) return std::nullopt;
    const std::uint8_t byte = std::uint8_t(rest_.front());
    rest_.remove_prefix(1);
    value |= std::uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return value;
  }
  return std::nullopt;  // more than ten bytes: not a varint
}

bool ProtoReader::next(Field& field) {
  if (rest_.empty() || !ok_) return false;
  const std::optional<std::uint64_t> key = take_varint();
  ok_ = false;  // until the field is complete
  if (!key || (*key >> 3) == 0 || (*key >> 3) > 0x1fffffff) return false;
  field = Field{};
  field.number = int(*key >> 3);
  field.wire_type = int(*key & 7);
  switch (field.wire_type) {
    case 0: {
      const std::optional<std::uint64_t> value = take_varint();
      if (!value) return false;
      field.value = *value;
      break;
    }
    case 1:
    case 5: {
      const std::size_t size = field.wire_type == 1 ? 8 : 4;
      if (rest_.size() < size) return false;
      std::memcpy(&field.value, rest_.data(), size);
      rest_.remove_prefix(size);
      break;
    }
    case 2: {
      const std::optional<std::uint64_t> size = take_varint();
      if (!size || *size > rest_.size()) return false;
      field.bytes = rest_.substr(0, std::size_t(*size));
      rest_.remove_prefix(std::size_t(*size));
      break;
    }
    default:
      return false;  // groups (3, 4) and unknown wire types: none of our formats has them
  }
  ok_ = true;
  return true;
}

}  // namespace trainer
