// The protobuf wire format (protobuf.dev/programming-guides/encoding), as far as the formats we
// write need it: ONNX (onnx_export), TensorFlow's SavedModel (tf_saved_model) and TensorBoard's
// Event records (event_file). Each field is a varint key (field number << 3 | wire type) then a
// varint, 8 or 4 little-endian bytes, or a length-prefixed byte string; messages nest as byte
// strings, and a map entry is a message with the key in field 1 and the value in field 2.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace trainer {

class ProtoWriter {
 public:
  // int64 fields take negative values as their two's complement (ten bytes), as protobuf does.
  ProtoWriter& varint(int field, std::uint64_t value) {
    key(field, kVarint);
    put_varint(value);
    return *this;
  }
  ProtoWriter& int64(int field, std::int64_t value) { return varint(field, std::uint64_t(value)); }
  ProtoWriter& bytes(int field, std::string_view value) {
    key(field, kLengthDelimited);
    put_varint(value.size());
    out_.append(value.data(), value.size());
    return *this;
  }
  ProtoWriter& message(int field, const ProtoWriter& value) { return bytes(field, value.out_); }
  ProtoWriter& map_entry(int field, std::string_view key_text, const ProtoWriter& value) {
    return message(field, ProtoWriter().bytes(1, key_text).message(2, value));
  }
  ProtoWriter& float32(int field, float value) { return fixed(field, kFixed32, &value, 4); }
  ProtoWriter& float64(int field, double value) { return fixed(field, kFixed64, &value, 8); }
  const std::string& str() const { return out_; }

 private:
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "fixed fields are little-endian");
  enum : int { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };
  ProtoWriter& fixed(int field, int wire_type, const void* value, std::size_t size) {
    key(field, wire_type);
    out_.append(static_cast<const char*>(value), size);
    return *this;
  }
  void key(int field, int wire_type) {
    put_varint(std::uint64_t(field) << 3 | unsigned(wire_type));
  }
  void put_varint(std::uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(char((value & 0x7f) | 0x80));
      value >>= 7;
    }
    out_.push_back(char(value));
  }
  std::string out_;
};

// Walks the fields of one message without a schema. next() returns false at the end and on
// malformed input (then ok() is false): a reader of files another program may have cut short
// must never read past the bytes it was given.
class ProtoReader {
 public:
  explicit ProtoReader(std::string_view bytes) : rest_(bytes) {}

  struct Field {
    int number = 0;
    int wire_type = 0;
    std::uint64_t value = 0;  // varint, or the raw bits of a fixed32/fixed64
    std::string_view bytes;   // length-delimited
  };
  bool next(Field& field);
  bool ok() const { return ok_; }

 private:
  std::optional<std::uint64_t> take_varint();
  std::string_view rest_;
  bool ok_ = true;
};

}  // namespace trainer
