// Reading what a training run saved: <model-dir>/saved_model/{model.safetensors,config.json}.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "io/model_dir.h"

namespace trainer {

struct SavedModel {
  std::filesystem::path file;  // model.safetensors
  TrainedModelSpec spec;       // from config.json; spec.shape.input from the file
  std::vector<float> params;   // the parameter block, layout order
};

// Throws RuntimeFailure naming the file and the cause; `missing_hint` is appended when a file is
// missing ("(train into --model-dir M first)").
SavedModel load_saved_model(const std::filesystem::path& model_dir,
                            const std::string& missing_hint);

// The whole file as text; RuntimeFailure "<path>: does not exist<missing_hint>" if absent.
std::string read_text_file(const std::filesystem::path& path, const std::string& missing_hint);

}  // namespace trainer
