// `trainer export --format onnx`: the saved model as model.onnx (io/onnx_export.h).
#pragma once

#include <ostream>

#include "cli/parse_model_commands.h"

namespace trainer {

void run_export(const ExportConfig& config, std::ostream& out);

}  // namespace trainer
