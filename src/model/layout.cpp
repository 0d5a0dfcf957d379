#include "model/layout.h"

namespace trainer {

const char* activation_name(Activation activation) {
  switch (activation) {
    case Activation::relu:
      return "relu";
    case Activation::sigmoid:
      return "sigmoid";
    case Activation::none:
      break;
  }
  return "linear";
}

ModelLayout make_layout(const ModelShape& shape) {
  ModelLayout layout;
  layout.shape = shape;
  struct Spec {
    const char* prefix;
    int in, out;
    Activation activation;
  };
  const Spec specs[] = {
      {"encoder.0", shape.input, shape.hidden, Activation::relu},
      {"encoder.2", shape.hidden, shape.code, Activation::relu},
      {"decoder.0", shape.code, shape.hidden, Activation::relu},
      {"decoder.2", shape.hidden, shape.input, shape.output_activation},
  };
  std::size_t offset = 0;
  for (const Spec& spec : specs) {
    DenseLayer layer{spec.in, spec.out, spec.activation, offset, 0};
    const std::size_t weights = std::size_t(spec.in) * spec.out;
    layout.tensors.push_back(
        {std::string(spec.prefix) + ".weight", {spec.out, spec.in}, offset, weights});
    offset += weights;
    layer.bias_offset = offset;
    layout.tensors.push_back(
        {std::string(spec.prefix) + ".bias", {spec.out}, offset, std::size_t(spec.out)});
    offset += std::size_t(spec.out);
    layout.layers.push_back(layer);
  }
  layout.param_count = offset;
  return layout;
}

}  // namespace trainer
