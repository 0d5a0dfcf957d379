// The saved model as an ONNX file that onnxruntime, PyTorch's and other tools load (README
// "Interop"): opset 13, IR version 7; input "images" float32 [batch, input] holding pixel/255,
// output "reconstruction" float32 [batch, input]; one Gemm (transB = 1, weights as stored, [out,
// in]) and one Relu or Sigmoid per layer; initializers named as in model.safetensors.
#pragma once

#include <map>
#include <string>

#include "model/layout.h"

namespace trainer {

constexpr int kOnnxOpset = 13, kOnnxIrVersion = 7;

// The bytes of the .onnx file (a protobuf ModelProto, written here field by field).
std::string encode_onnx(const ModelLayout& layout, const float* params,
                        const std::map<std::string, std::string>& metadata);

}  // namespace trainer
