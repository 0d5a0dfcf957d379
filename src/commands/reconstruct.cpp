// `trainer reconstruct`: a saved model's outputs for the first test images, as a PNG grid or .npy.
#include "commands/commands.h"

#include <algorithm>
#include <iostream>

#include "cli/flag_values.h"
#include "data/cache.h"
#include "io/model_dir.h"
#include "io/png.h"
#include "model/autoencoder.h"
#include "report/console.h"
#include "report/fetch_progress.h"
#include "report/pictures.h"
#include "train/device_data.h"
#include "util/atomic_file.h"
#include "util/errors.h"
#include "util/host_bytes.h"
#include "util/path_alias.h"
#include "util/text.h"
#include "util/volumes.h"

namespace trainer {

// The grid is for people: beyond 100 images it is wider than any screen.
constexpr int kMaxGridImages = 100;

std::variant<ReconstructConfig, ShowHelp> parse_reconstruct_args(
    const std::vector<std::string>& args) {
  cxxopts::Options options =
      command_options("trainer reconstruct",
                      "Run a saved model on the first test images and write the originals "
                      "over their reconstructions (PNG) or the raw outputs (NumPy .npy).");
  auto text = [] { return cxxopts::value<std::string>(); };
  auto add = options.add_options();
  add("model-dir", "The model directory a training run wrote", text()->default_value("model"));
  add("count", "How many test images, from the first (PNG: 1..100; .npy: 1..the test set)",
      text()->default_value("10"));
  add("out",
      "FILE.png: the 2 x count grid, each image 4x enlarged; FILE.npy: float32 [count, pixels], "
      "the model's outputs",
      text()->default_value("reconstructions.png"));
  add("h,help", "Show this help");
  add_backend_flags(options);
  add_data_flags(options);
  const cxxopts::ParseResult result = parse_flags(options, "trainer reconstruct", args);
  if (result["help"].as<bool>()) return ShowHelp{options.help(), kDataEnvironmentHelp};
  auto value = [&](const char* flag) { return result[flag].as<std::string>(); };
  ReconstructConfig config;
  config.model_dir = parse_model_dir_flag(value("model-dir"));
  config.out = parse_path_flag("out", value("out"));
  reject_url_flag("out", config.out);
  const std::string extension = std::filesystem::path(config.out).extension().string();
  if (extension != ".png" && extension != ".npy")
    throw UsageError("--out " + config.out + ": the name must end in .png or .npy");
  // The largest test set any catalog dataset has (a dataset's own is checked once it is known).
  int largest_test_set = 1;
  for (const std::string& name : dataset_names())
    largest_test_set = std::max(largest_test_set, find_dataset(name)->test_count);
  config.count = int(parse_integer_flag("count", value("count"), 1,
                                        extension == ".png" ? kMaxGridImages : largest_test_set));
  config.backend = parse_backend_flags(result);
  config.data = parse_data_flags(result);
  return config;
}

void run_reconstruct(const ReconstructConfig& config, std::ostream& out) {
  BackendChoice choice = make_backend(config.backend);
  print_warning(std::cerr, choice.warning);
  if (!choice.note.empty()) out << choice.note << "; using the CPU" << std::endl;
  const std::filesystem::path target = config.out;
  // An unwritable destination is found out before any data is read.
  require_replaceable(target);
  require_writable_directory(target.has_parent_path() ? target.parent_path() : ".",
                             "--out " + config.out,
                             [](int error) { return permission_hint("--out", error); });
  ModelLocationOptions where = model_location_options(config.data);
  where.keys = weights_only();
  const std::unique_ptr<ModelLocation> location =
      open_model_location(config.model_dir, ModelDirUse::read, where);
  const SavedModel saved =
      location->dir().load_saved_model(" (train into --model-dir " + config.model_dir + " first)");
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
      obtain_dataset({resolve_data_dir(config.data.data_dir).path, spec, config.data.fetch, true,
                      DataNeeds{0, config.count}, host_threads(config.backend)},
                     reporter);
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
  const std::vector<float> outputs = model.reconstruct(set.images, set.rows, config.count);

  const bool png = target.extension() == ".png";
  check_mapped_files();  // the test images, if written in place meanwhile
  write_file_atomically(
      target, png ? encode_png(reconstruction_grid(originals, outputs, config.count, rows, cols))
                  : encode_npy_f32(outputs, config.count, shape.input));
  out << "wrote " << printable(target.string()) << " (the first " << config.count << " "
      << data.name << " test images: "
      << (png ? "originals over reconstructions" : "float32 outputs [count, pixels]") << ")"
      << std::endl;
}

}  // namespace trainer
