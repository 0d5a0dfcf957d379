#include "report/reconstruct_command.h"

#include <algorithm>
#include <iostream>

#include "data/cache.h"
#include "data/data_dir.h"
#include "io/atomic_file.h"
#include "io/container.h"
#include "io/png.h"
#include "io/saved_model.h"
#include "model/autoencoder.h"
#include "report/fetch_progress.h"
#include "report/pictures.h"
#include "train/evaluate.h"
#include "util/errors.h"

namespace trainer {

void run_reconstruct(const ReconstructConfig& config, std::ostream& out) {
  BackendChoice choice = make_backend({config.device, config.threads});
  if (!choice.note.empty()) out << choice.note << "; using the CPU" << std::endl;
  const std::filesystem::path target = config.out;
  // An unwritable destination is found out before any data is read.
  require_writable_directory(target.has_parent_path() ? target.parent_path() : ".",
                             "--out " + config.out,
                             [](int error) { return permission_hint("--out", error); });
  const SavedModel saved = load_saved_model(
      config.model_dir, " (train into --model-dir " + config.model_dir + " first)");
  const CatalogDataset* spec = find_dataset(saved.spec.dataset);
  if (!spec) {
    throw RuntimeFailure(saved.file.string() + ": trained on '" + saved.spec.dataset +
                         "', which this trainer does not know");
  }
  if (config.count > spec->test_count) {
    throw UsageError("--count " + std::to_string(config.count) + ": " + spec->name + " has only " +
                     std::to_string(spec->test_count) + " test images");
  }
  ConsoleFetchReporter reporter(out, std::cerr, stdout_is_terminal());
  Dataset data =
      obtain_dataset({resolve_data_dir(config.data_dir).path, spec, config.fetch}, reporter);
  ModelShape shape = saved.spec.shape;
  if (shape.input != data.test_images.pixels_per_image()) {
    throw RuntimeFailure(saved.file.string() + ": the model takes " + std::to_string(shape.input) +
                         " pixels, " + data.name + " images have " +
                         std::to_string(data.test_images.pixels_per_image()));
  }
  const int rows = data.test_images.rows, cols = data.test_images.cols;
  const std::vector<std::uint8_t> originals(
      data.test_images.pixels.begin(),
      data.test_images.pixels.begin() + std::ptrdiff_t(config.count) * shape.input);

  const ModelLayout layout = make_layout(shape);
  std::vector<float> state = saved.params;
  state.resize(layout.state_count(), 0.0f);  // Adam state: unused
  const int batch = std::min(config.count, 256);
  Autoencoder model(*choice.backend, layout, {}, batch);
  model.upload_state(state);
  const EvalSet set = upload_eval_set(*choice.backend, std::move(data.test_images), config.count);
  std::vector<float> outputs;
  outputs.reserve(std::size_t(config.count) * std::size_t(shape.input));
  for (int begin = 0; begin < config.count; begin += batch) {
    const std::vector<float> part =
        model.reconstruct(set.images, set.rows + begin, std::min(batch, config.count - begin));
    outputs.insert(outputs.end(), part.begin(), part.end());
  }

  const bool png = target.extension() == ".png";
  write_file_atomically(
      target, png ? encode_png(reconstruction_grid(originals, outputs, config.count, rows, cols))
                  : encode_npy_f32(outputs, config.count, shape.input));
  out << "wrote " << target.string() << " (the first " << config.count << " " << data.name
      << " test images: "
      << (png ? "originals over reconstructions" : "float32 outputs [count, pixels]") << ")"
      << std::endl;
}

}  // namespace trainer
