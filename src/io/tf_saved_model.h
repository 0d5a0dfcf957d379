// The trained model as a TensorFlow SavedModel (README "Interop"), so that tf.saved_model.load,
// TF Serving, saved_model_cli and Keras 3's TFSMLayer load it without any code of ours: one
// MetaGraphDef tagged "serve" holding a frozen graph (the weights are Const nodes, so variables/
// stays empty) and the signature "serving_default": input "images" float32 [-1, input] holding
// pixel/255, output "reconstruction" float32 [-1, input]. Per layer MatMul (transpose_b: the
// weights as stored, [out, in]) -> BiasAdd -> Relu, Sigmoid for a sigmoid output layer.
#pragma once

#include <filesystem>
#include <string>

#include "model/layout.h"

namespace trainer {

// GraphDef producer version the graph claims: TensorFlow 2.21's (a consumer older than the ops'
// attributes it reads would refuse it; none of these ops changed since TF 1.x).
constexpr int kTfGraphProducer = 2474;

// The bytes of saved_model.pb (a protobuf SavedModel, written field by field).
std::string encode_tf_saved_model(const ModelLayout& layout, const float* params);

// `dir` (a version directory: <base>/<version>) holding saved_model.pb and an empty variables/,
// put in place whole (util/atomic_file). Throws RuntimeFailure naming the path.
void write_tf_saved_model(const std::filesystem::path& dir, const ModelLayout& layout,
                          const float* params);

}  // namespace trainer
