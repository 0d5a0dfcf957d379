#include "io/onnx_export.h"

#include <cstdint>
#include <cstring>

#include "version.h"

namespace trainer {
namespace {

// Protobuf wire format (developers.google.com/protocol-buffers/docs/encoding): each field is a
// varint key (field number << 3 | wire type) then a varint, or a length-prefixed byte string, or
// 4 little-endian bytes. Messages nest as length-prefixed byte strings.
class Message {
 public:
  Message& varint(int field, std::uint64_t value) {
    key(field, 0);
    put_varint(value);
    return *this;
  }
  Message& bytes(int field, const std::string& value) {
    key(field, 2);
    put_varint(value.size());
    out_ += value;
    return *this;
  }
  Message& message(int field, const Message& value) { return bytes(field, value.out_); }
  Message& float32(int field, float value) {
    key(field, 5);
    char raw[4];
    std::memcpy(raw, &value, 4);
    out_.append(raw, 4);
    return *this;
  }
  const std::string& str() const { return out_; }

 private:
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

// onnx.proto field numbers and enum values used below.
enum : int {
  kFloat = 1,  // TensorProto.DataType.FLOAT
  kAttributeInt = 2,
};

Message tensor_value_info(const std::string& name, int features) {
  Message batch, width, shape, tensor, type;
  batch.bytes(2, "batch");    // Dimension.dim_param
  width.varint(1, features);  // Dimension.dim_value
  shape.message(1, batch).message(1, width);
  tensor.varint(1, kFloat).message(2, shape);  // TypeProto.Tensor: elem_type, shape
  type.message(1, tensor);                     // TypeProto.tensor_type
  Message info;
  info.bytes(1, name).message(2, type);  // ValueInfoProto: name, type
  return info;
}

Message initializer(const TensorEntry& tensor, const float* params) {
  Message t;
  for (int dim : tensor.shape) t.varint(1, std::uint64_t(dim));  // dims
  t.varint(2, kFloat).bytes(8, tensor.name);                     // data_type, name
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "raw_data is little-endian");
  t.bytes(9, std::string(reinterpret_cast<const char*>(params + tensor.offset),
                         tensor.count * sizeof(float)));  // raw_data
  return t;
}

Message node(const std::string& op, const std::vector<std::string>& inputs,
             const std::string& output, const std::string& name) {
  Message n;
  for (const std::string& input : inputs) n.bytes(1, input);
  n.bytes(2, output).bytes(3, name).bytes(4, op);
  return n;
}

}  // namespace

std::string encode_onnx(const ModelLayout& layout, const float* params,
                        const std::map<std::string, std::string>& metadata) {
  Message graph;
  std::string previous = "images";
  for (std::size_t l = 0; l < layout.layers.size(); ++l) {
    const DenseLayer& layer = layout.layers[l];
    const std::string& weight = layout.tensors[2 * l].name;
    const std::string& bias = layout.tensors[2 * l + 1].name;
    const std::string prefix = weight.substr(0, weight.rfind('.'));
    const std::string z = prefix + ".linear";
    const bool last = l + 1 == layout.layers.size();
    const std::string h = last ? "reconstruction" : prefix + ".relu";
    Message gemm = node("Gemm", {previous, weight, bias}, z, prefix + "/Gemm");
    Message trans_b;
    trans_b.bytes(1, "transB").varint(3, 1).varint(20, kAttributeInt);  // name, i, type
    gemm.message(5, trans_b);
    graph.message(1, gemm);
    const char* activation = layer.activation == Activation::sigmoid ? "Sigmoid" : "Relu";
    graph.message(1, node(activation, {z}, h, prefix + "/" + activation));
    previous = h;
  }
  graph.bytes(2, "autoencoder");
  for (const TensorEntry& tensor : layout.tensors) graph.message(5, initializer(tensor, params));
  graph.message(11, tensor_value_info("images", layout.shape.input));
  graph.message(12, tensor_value_info("reconstruction", layout.shape.input));

  Message opset;
  opset.bytes(1, "").varint(2, kOnnxOpset);  // the default domain
  Message model;
  model.varint(1, kOnnxIrVersion)
      .bytes(2, "trainer")
      .bytes(3, TRAINER_VERSION)
      .message(7, graph)
      .message(8, opset);
  for (const auto& [key, value] : metadata) {
    Message entry;
    entry.bytes(1, key).bytes(2, value);
    model.message(14, entry);  // metadata_props
  }
  return model.str();
}

}  // namespace trainer
