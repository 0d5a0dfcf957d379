// The autoencoder's shape and where each tensor lives in the flat parameter arena.
// The arena holds all parameters back to back in this order (PyTorch's [out, in] weight layout):
//   encoder.0.weight [hidden, input]  encoder.0.bias [hidden]
//   encoder.2.weight [code, hidden]   encoder.2.bias [code]
//   decoder.0.weight [hidden, code]   decoder.0.bias [hidden]
//   decoder.2.weight [input, hidden]  decoder.2.bias [input]
// Names are the state_dict keys of torch.nn.Sequential(OrderedDict(encoder=..., decoder=...)).
// Optimizer state (Adam m, then v) follows in the same layout, so params + m + v is one block that
// formats and devices copy in one piece.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "kernels/op_args.h"

namespace trainer {

struct ModelShape {
  int input = 784, hidden = 128, code = 128;
  Activation output_activation = Activation::relu;  // hidden layers are always ReLU
};

struct DenseLayer {
  int in = 0, out = 0;
  Activation activation = Activation::relu;
  std::size_t weight_offset = 0, bias_offset = 0;  // into the parameter block
};

struct TensorEntry {
  std::string name;
  std::vector<int> shape;
  std::size_t offset = 0, count = 0;
};

struct ModelLayout {
  ModelShape shape;
  std::vector<DenseLayer> layers;    // forward order
  std::vector<TensorEntry> tensors;  // arena order
  std::size_t param_count = 0;
  // params, Adam m, Adam v
  std::size_t state_count() const { return 3 * param_count; }
};

ModelLayout make_layout(const ModelShape& shape);
const char* activation_name(Activation activation);

}  // namespace trainer
