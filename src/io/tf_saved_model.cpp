#include "io/tf_saved_model.h"

#include <cstdint>
#include <vector>

#include "io/protobuf.h"
#include "util/atomic_file.h"

namespace trainer {
namespace {

// Field numbers from tensorflow/core/framework/*.proto and core/protobuf/{saved_model,
// meta_graph}.proto; checked against TensorFlow 2.21's descriptors (tests/e2e/tf_interop_check.py
// loads what this writes).
enum : int { kDtFloat = 1 };  // DataType.DT_FLOAT

// TensorShapeProto: dim (2) { size (1) }; -1 is a dimension of unknown size.
ProtoWriter tensor_shape(const std::vector<std::int64_t>& dims) {
  ProtoWriter shape;
  for (const std::int64_t dim : dims) shape.message(2, ProtoWriter().int64(1, dim));
  return shape;
}

// AttrValue: s (2), b (5), type (6), shape (7), tensor (8).
ProtoWriter attr_type(int dtype) {
  return ProtoWriter().varint(6, unsigned(dtype));
}
ProtoWriter attr_bool(bool value) {
  return ProtoWriter().varint(5, value);
}
ProtoWriter attr_string(const std::string& value) {
  return ProtoWriter().bytes(2, value);
}
ProtoWriter attr_shape(const std::vector<std::int64_t>& dims) {
  return ProtoWriter().message(7, tensor_shape(dims));
}

// NodeDef: name (1), op (2), input (3), attr (5, map<string, AttrValue>).
class Node {
 public:
  Node(const std::string& name, const std::string& op) { node_.bytes(1, name).bytes(2, op); }
  Node& input(const std::string& name) {
    node_.bytes(3, name);
    return *this;
  }
  Node& attr(const std::string& key, const ProtoWriter& value) {
    node_.map_entry(5, key, value);
    return *this;
  }
  const ProtoWriter& proto() const { return node_; }

 private:
  ProtoWriter node_;
};

// A Const node: TensorProto dtype (1), tensor_shape (2), tensor_content (4, little-endian).
Node constant(const std::string& name, const TensorEntry& tensor, const float* params) {
  std::vector<std::int64_t> dims(tensor.shape.begin(), tensor.shape.end());
  ProtoWriter value;
  value.varint(1, kDtFloat)
      .message(2, tensor_shape(dims))
      .bytes(4, std::string_view(reinterpret_cast<const char*>(params + tensor.offset),
                                 tensor.count * sizeof(float)));
  Node node(name, "Const");
  node.attr("dtype", attr_type(kDtFloat)).attr("value", ProtoWriter().message(8, value));
  return node;
}

// TensorInfo: name (1, "node:0"), dtype (2), tensor_shape (3).
ProtoWriter tensor_info(const std::string& node, int features) {
  return ProtoWriter()
      .bytes(1, node + ":0")
      .varint(2, kDtFloat)
      .message(3, tensor_shape({-1, features}));
}

}  // namespace

std::string encode_tf_saved_model(const ModelLayout& layout, const float* params) {
  const int features = layout.shape.input;
  ProtoWriter graph;  // GraphDef: node (1), versions (4)
  graph.message(1, Node("images", "Placeholder")
                       .attr("dtype", attr_type(kDtFloat))
                       .attr("shape", attr_shape({-1, features}))
                       .proto());
  std::string previous = "images";
  for (std::size_t l = 0; l < layout.layers.size(); ++l) {
    const TensorEntry& weight = layout.tensors[2 * l];
    const TensorEntry& bias = layout.tensors[2 * l + 1];
    const std::string prefix = weight.name.substr(0, weight.name.rfind('.'));  // "encoder.0"
    graph.message(1, constant(prefix + "/weight", weight, params).proto());
    graph.message(1, constant(prefix + "/bias", bias, params).proto());
    graph.message(1, Node(prefix + "/MatMul", "MatMul")
                         .input(previous)
                         .input(prefix + "/weight")
                         .attr("T", attr_type(kDtFloat))
                         .attr("transpose_a", attr_bool(false))
                         .attr("transpose_b", attr_bool(true))
                         .proto());
    graph.message(1, Node(prefix + "/BiasAdd", "BiasAdd")
                         .input(prefix + "/MatMul")
                         .input(prefix + "/bias")
                         .attr("T", attr_type(kDtFloat))
                         .attr("data_format", attr_string("NHWC"))
                         .proto());
    const char* activation =
        layout.layers[l].activation == Activation::sigmoid ? "Sigmoid" : "Relu";
    graph.message(1, Node(prefix + "/" + activation, activation)
                         .input(prefix + "/BiasAdd")
                         .attr("T", attr_type(kDtFloat))
                         .proto());
    previous = prefix + "/" + activation;
  }
  graph.message(
      1, Node("reconstruction", "Identity").input(previous).attr("T", attr_type(kDtFloat)).proto());
  graph.message(4, ProtoWriter().varint(1, kTfGraphProducer));  // VersionDef.producer

  // SignatureDef: inputs (1), outputs (2), method_name (3).
  ProtoWriter signature;
  signature.map_entry(1, "images", tensor_info("images", features))
      .map_entry(2, "reconstruction", tensor_info("reconstruction", features))
      .bytes(3, "tensorflow/serving/predict");
  // MetaInfoDef: tags (4); any_info and tensorflow_version stay empty: this is not TensorFlow.
  ProtoWriter meta_info;
  meta_info.bytes(4, "serve");
  ProtoWriter meta_graph;  // MetaGraphDef: meta_info_def (1), graph_def (2), signature_def (5)
  meta_graph.message(1, meta_info).message(2, graph).map_entry(5, "serving_default", signature);
  ProtoWriter saved_model;  // SavedModel: saved_model_schema_version (1), meta_graphs (2)
  saved_model.varint(1, 1).message(2, meta_graph);
  return saved_model.str();
}

void write_tf_saved_model(const std::filesystem::path& dir, const ModelLayout& layout,
                          const float* params) {
  const std::string graph = encode_tf_saved_model(layout, params);
  write_directory_atomically(dir, {{"saved_model.pb", graph}}, {"variables"});
}

}  // namespace trainer
