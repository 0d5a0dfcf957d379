#include "io/onnx_export.h"

#include <cstdint>

#include "io/protobuf.h"
#include "version.h"

namespace trainer {
namespace {

// onnx.proto field numbers and enum values used below.
enum : int {
  kFloat = 1,  // TensorProto.DataType.FLOAT
  kAttributeInt = 2,
};

ProtoWriter tensor_value_info(const std::string& name, int features) {
  ProtoWriter batch, width, shape, tensor, type;
  batch.bytes(2, "batch");    // Dimension.dim_param
  width.varint(1, features);  // Dimension.dim_value
  shape.message(1, batch).message(1, width);
  tensor.varint(1, kFloat).message(2, shape);  // TypeProto.Tensor: elem_type, shape
  type.message(1, tensor);                     // TypeProto.tensor_type
  ProtoWriter info;
  info.bytes(1, name).message(2, type);  // ValueInfoProto: name, type
  return info;
}

ProtoWriter initializer(const TensorEntry& tensor, const float* params) {
  ProtoWriter t;
  for (int dim : tensor.shape) t.varint(1, std::uint64_t(dim));  // dims
  t.varint(2, kFloat).bytes(8, tensor.name);                     // data_type, name
  t.bytes(9, std::string(reinterpret_cast<const char*>(params + tensor.offset),
                         tensor.count * sizeof(float)));  // raw_data
  return t;
}

ProtoWriter node(const std::string& op, const std::vector<std::string>& inputs,
                 const std::string& output, const std::string& name) {
  ProtoWriter n;
  for (const std::string& input : inputs) n.bytes(1, input);
  n.bytes(2, output).bytes(3, name).bytes(4, op);
  return n;
}

}  // namespace

std::string encode_onnx(const ModelLayout& layout, const float* params,
                        const std::map<std::string, std::string>& metadata) {
  ProtoWriter graph;
  std::string previous = "images";
  for (std::size_t l = 0; l < layout.layers.size(); ++l) {
    const DenseLayer& layer = layout.layers[l];
    const std::string& weight = layout.tensors[2 * l].name;
    const std::string& bias = layout.tensors[2 * l + 1].name;
    const std::string prefix = weight.substr(0, weight.rfind('.'));
    const std::string z = prefix + ".linear";
    const bool last = l + 1 == layout.layers.size();
    const std::string h = last ? "reconstruction" : prefix + ".relu";
    ProtoWriter gemm = node("Gemm", {previous, weight, bias}, z, prefix + "/Gemm");
    ProtoWriter trans_b;
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

  ProtoWriter opset;
  opset.bytes(1, "").varint(2, kOnnxOpset);  // the default domain
  ProtoWriter model;
  model.varint(1, kOnnxIrVersion)
      .bytes(2, "trainer")
      .bytes(3, TRAINER_VERSION)
      .message(7, graph)
      .message(8, opset);
  for (const auto& [key, value] : metadata) {
    model.message(14, ProtoWriter().bytes(1, key).bytes(2, value));  // metadata_props
  }
  return model.str();
}

}  // namespace trainer
