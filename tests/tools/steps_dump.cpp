// Test tool for the PyTorch reference check: trains `steps` steps of `batch` images in file order
// from a seed and writes init.safetensors, step_<k>.safetensors after each step k, and losses.txt
// (one batch mean loss per line, as %.9g).
//   steps_dump DATA_DIR DATASET STEPS BATCH SEED OUT_DIR [relu|sigmoid]
#include <cstdio>
#include <numeric>
#include <string>

#include "backend/backend.h"
#include "data/cache.h"
#include "io/safetensors.h"
#include "model/autoencoder.h"
#include "model/rng.h"
#include "util/atomic_file.h"

using namespace trainer;

int main(int argc, char** argv) {
  if (argc < 7) {
    std::fprintf(stderr,
                 "usage: steps_dump DATA_DIR DATASET STEPS BATCH SEED OUT_DIR [relu|sigmoid]\n");
    return 2;
  }
  try {
    const std::string out_dir = argv[6];
    const int steps = std::stoi(argv[3]), batch = std::stoi(argv[4]);
    const Dataset data = load_cached_dataset(argv[1], *find_dataset(argv[2]));
    ModelShape shape;
    if (argc > 7 && std::string(argv[7]) == "sigmoid")
      shape.output_activation = Activation::sigmoid;
    const ModelLayout layout = make_layout(shape);
    std::unique_ptr<Backend> backend = make_cpu_backend({});
    Autoencoder model(*backend, layout, AdamConfig{}, batch);
    std::vector<float> state = initial_state(layout, std::stoull(argv[5]));
    model.upload_state(state);
    make_directories(out_dir);
    write_file_atomically(out_dir + "/init.safetensors",
                          encode_safetensors(layout, state.data(), {}));

    const int count = steps * batch;
    std::uint8_t* images = backend->allocate_array<std::uint8_t>(std::size_t(count) * 784);
    backend->upload(images, data.train_images.pixels.data(), std::size_t(count) * 784);
    std::vector<std::uint32_t> order(static_cast<std::size_t>(count));
    std::iota(order.begin(), order.end(), 0u);
    std::uint32_t* rows = backend->allocate_array<std::uint32_t>(order.size());
    backend->upload(rows, order.data(), order.size() * sizeof(std::uint32_t));
    float* sse = backend->allocate_array<float>(1);
    float* alpha = backend->allocate_array<float>(1);
    std::string losses;
    for (int s = 0; s < steps; ++s) {
      const float step_size = adam_step_size(AdamConfig{}, s + 1);
      backend->upload(alpha, &step_size, sizeof step_size);
      model.train_step({images, count, 784}, rows + s * batch, batch, alpha, sse);
      float value = 0;
      backend->download(&value, sse, sizeof value);
      char line[64];
      std::snprintf(line, sizeof line, "%.9g\n", double(value) / (double(batch) * 784));
      losses += line;
      state = model.download_state();
      write_file_atomically(out_dir + "/step_" + std::to_string(s + 1) + ".safetensors",
                            encode_safetensors(layout, state.data(), {}));
    }
    write_file_atomically(out_dir + "/losses.txt", losses);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "steps_dump: %s\n", e.what());
    return 1;
  }
  return 0;
}
