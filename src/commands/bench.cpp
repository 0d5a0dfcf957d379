// `trainer bench`: the machine's peak, each op of a step timed, and epochs of the seed model.
#include "commands/commands.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "backend/cpu_backend.h"
#include "backend/cuda_backend.h"
#include "backend/products_only_backend.h"
#include "backend/timing_backend.h"
#include "cli/flag_values.h"
#include "model/autoencoder.h"
#include "model/rng.h"
#include "report/console.h"
#include "train/epoch_runner.h"
#include "util/system_info.h"
#include "util/thread_pool.h"

namespace trainer {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs round(thread, repeats) on every thread at once, each returning the flops it did; repeats
// grow 4x until a round lasts 50 ms (shorter ones are not counted), then the best of 5 rounds,
// in GFLOP/s.
double best_gflops(int threads, std::int64_t repeats,
                   const std::function<double(int, std::int64_t)>& round) {
  ThreadPool pool(threads);
  std::vector<double> flops(static_cast<std::size_t>(threads));
  double best = 0;
  for (int timed = 0; timed < 5;) {
    const auto start = Clock::now();
    pool.run(threads, [&](int i) { flops[std::size_t(i)] = round(i, repeats); });
    const double seconds = seconds_since(start);
    if (seconds < 0.05) {
      repeats *= 4;
      continue;
    }
    double total = 0;
    for (double f : flops) total += f;
    best = std::max(best, total / seconds / 1e9);
    ++timed;
  }
  return best;
}

// Every thread runs register-resident madd chains at once.
double measure_fma_peak(const CpuBackend& cpu) {
  const cpu::KernelTable& table = cpu::kernel_table(cpu.arch());
  std::vector<float> sink(static_cast<std::size_t>(cpu.threads()));
  return best_gflops(cpu.threads(), 1 << 16, [&](int i, std::int64_t iterations) {
    return double(table.fma_peak(iterations, &sink[std::size_t(i)]));
  });
}

// Operands start on a cache line, as the model's do (the backend's memory and the packed panels):
// from new[]'s 16-byte alignment every 512-bit load of B spans two lines, which costs an Intel
// core 6-10% and would report a ceiling below what the model's products can reach.
float* cache_line_aligned(std::vector<float>& storage) {
  const std::uintptr_t at = reinterpret_cast<std::uintptr_t>(storage.data());
  return storage.data() + ((64 - at % 64) % 64) / sizeof(float);
}

// The GEMM micro-kernel's own ceiling: every thread multiplies a 6x64x128 problem (one avx512
// register tile, four avx2 ones; as many rows as one tile, so B is used as it lies, not packed)
// whose operands (3 KB of A, 32 KB of B) stay in L1, so neither memory, packing nor the thread
// split limits it. The model's GEMMs are judged against this and the peak.
double measure_gemm_in_l1(const CpuBackend& cpu) {
  const cpu::KernelTable& table = cpu::kernel_table(cpu.arch());
  constexpr int kRows = 6, kCols = 64, kDepth = 128, kSlack = 64 / sizeof(float);
  std::vector<float> a(kRows * kDepth + kSlack, 0.5f), b(kDepth * kCols + kSlack, 0.25f);
  std::vector<std::vector<float>> c(std::size_t(cpu.threads()),
                                    std::vector<float>(kRows * kCols + kSlack));
  return best_gflops(cpu.threads(), 64, [&](int i, std::int64_t repeats) {
    GemmArgs g;
    g.rows = kRows;
    g.cols = kCols;
    g.depth = kDepth;
    g.a = cache_line_aligned(a);
    g.a_row_stride = kDepth;
    g.a_depth_stride = 1;
    g.b = cache_line_aligned(b);
    g.ldb = kCols;
    g.c = cache_line_aligned(c[std::size_t(i)]);
    g.ldc = kCols;
    for (std::int64_t r = 0; r < repeats; ++r) table.gemm(g, {0, kRows}, {0, kCols});
    return 2.0 * kRows * kCols * kDepth * double(repeats);
  });
}

std::vector<std::uint8_t> synthetic_images(int count, int width) {
  std::vector<std::uint8_t> pixels(std::size_t(count) * width);
  Rng rng(12345, 99);
  for (std::uint8_t& p : pixels) p = std::uint8_t(rng.below(256));
  return pixels;
}

struct EpochTiming {
  std::vector<double> seconds;
  double median = 0;
};

struct EpochTimings {
  EpochTiming step;           // the training loop's own epochs
  EpochTiming products_only;  // the same epochs with only their products (ProductsOnlyBackend)
};

// The training loop's own epochs (train/epoch_runner.h) on synthetic images, alternating with the
// same epochs through ProductsOnlyBackend, so that a drifting host slows both alike.
EpochTimings time_epochs(Backend& backend, const ModelLayout& layout, const BenchConfig& config,
                         const DeviceImages& images) {
  ProductsOnlyBackend products(backend);
  Backend* backends[2] = {&backend, &products};
  std::vector<std::unique_ptr<Autoencoder>> models;
  std::vector<std::unique_ptr<EpochRunner>> runners;
  for (Backend* b : backends) {
    models.push_back(std::make_unique<Autoencoder>(*b, layout, AdamConfig{},
                                                   std::min(config.batch_size, images.count)));
    models.back()->upload_state(initial_state(layout, 42));
    runners.push_back(std::make_unique<EpochRunner>(
        *b, *models.back(), images, EpochSettings{config.batch_size, 42, true, AdamConfig{}, 0}));
  }
  EpochTiming timings[2];
  for (int epoch = 0; epoch < config.epochs + 1; ++epoch) {  // epoch 0 warms up, not counted
    for (int i = 0; i < 2; ++i) {
      const auto start = Clock::now();
      // Returns once the losses are on the host.
      runners[std::size_t(i)]->run_epoch(epoch, 0, 0.0, nullptr);
      if (epoch > 0) timings[i].seconds.push_back(seconds_since(start));
    }
  }
  for (EpochTiming& timing : timings) {
    std::vector<double> sorted = timing.seconds;
    std::sort(sorted.begin(), sorted.end());
    timing.median = sorted[sorted.size() / 2];
  }
  return {timings[0], timings[1]};
}

// One step's ops, each timed on its own, after 3 untimed warm-up steps.
std::map<std::string, OpTiming> time_kernels(Backend& backend, const ModelLayout& layout, int batch,
                                             const DeviceImages& images, int steps) {
  TimingBackend timing(backend);
  Autoencoder model(timing, layout, AdamConfig{}, batch);
  model.upload_state(initial_state(layout, 42));
  std::vector<std::uint32_t> host_rows(static_cast<std::size_t>(batch));
  for (int i = 0; i < batch; ++i) host_rows[std::size_t(i)] = std::uint32_t(i);
  std::uint32_t* rows = backend.allocate_array<std::uint32_t>(host_rows.size());
  backend.upload(rows, host_rows.data(), host_rows.size() * sizeof(std::uint32_t));
  float* alpha = backend.allocate_array<float>(1);
  const float step_size = adam_step_size(AdamConfig{}, 1);
  backend.upload(alpha, &step_size, sizeof step_size);
  float* sse = backend.allocate_array<float>(1);
  for (int s = 0; s < 3 + steps; ++s) {
    if (s == 3) timing.reset();
    model.train_step(images, rows, batch, alpha, sse);
  }
  return timing.timings();
}

}  // namespace

std::variant<BenchConfig, ShowHelp> parse_bench_args(const std::vector<std::string>& args) {
  cxxopts::Options options = command_options(
      "trainer bench", "Benchmark the kernels and an epoch of the seed model on synthetic data.");
  auto text = [] { return cxxopts::value<std::string>(); };
  auto add = options.add_options();
  add("batch-size", "Images per step (1..60000)", text()->default_value("256"));
  add("images", "Synthetic training images per epoch (1..1000000)", text()->default_value("60000"));
  add("epochs", "Timed epochs, after one warm-up epoch (1..100)", text()->default_value("3"));
  add("json", "Print one JSON object instead of tables");
  add("h,help", "Show this help");
  add_backend_flags(options);
  const cxxopts::ParseResult result = parse_flags(options, "trainer bench", args);
  if (result["help"].as<bool>()) return ShowHelp{options.help(), ""};
  auto value = [&](const char* flag) { return result[flag].as<std::string>(); };
  BenchConfig config;
  config.backend = parse_backend_flags(result);
  config.batch_size = int(parse_integer_flag("batch-size", value("batch-size"), 1, 60000));
  config.images = int(parse_integer_flag("images", value("images"), 1, 1000000));
  config.epochs = int(parse_integer_flag("epochs", value("epochs"), 1, 100));
  config.json = result["json"].as<bool>();
  return config;
}

void run_bench(const BenchConfig& config, std::ostream& out) {
  BackendChoice choice = make_backend(config.backend);
  print_warning(std::cerr, choice.warning);
  Backend& backend = *choice.backend;
  const auto* cpu = dynamic_cast<const CpuBackend*>(&backend);  // the peak is measured on CPUs only
  const double peak = cpu ? measure_fma_peak(*cpu) : 0.0;
  const double gemm_in_l1 = cpu ? measure_gemm_in_l1(*cpu) : 0.0;
  const ModelLayout layout = make_layout(ModelShape{});
  const int width = layout.shape.input;
  const std::vector<std::uint8_t> pixels = synthetic_images(config.images, width);
  DeviceImages images;
  images.count = config.images;
  images.width = width;
  std::uint8_t* device_pixels = backend.allocate_array<std::uint8_t>(pixels.size());
  backend.upload(device_pixels, pixels.data(), pixels.size());
  images.pixels = device_pixels;
  const int batch = std::min(config.batch_size, config.images);
  const int kernel_steps = 20;
  const auto kernels = time_kernels(backend, layout, batch, images, kernel_steps);
  const EpochTimings timed_epochs = time_epochs(backend, layout, config, images);
  const EpochTiming& epochs = timed_epochs.step;
  double step_flops = 0, step_seconds = 0;
  for (const auto& [name, t] : kernels) {
    step_flops += t.flops / kernel_steps;
    step_seconds += t.seconds / kernel_steps;
  }
  const double epoch_flops = step_flops * double(config.images) / batch;
  const double floor_seconds = peak > 0 ? epoch_flops / (peak * 1e9) : 0;  // the epoch at peak
  const CudaProbe cuda = probe_cuda();

  nlohmann::ordered_json j;
  j["version"] = version_line();
  j["cpu"] = cpu_model_name();
  j["device"] = backend.description();
  j["cuda"] = cuda.available ? cuda.device_name : "none: " + cuda.reason;
  j["fma_peak_gflops"] = peak;
  j["gemm_in_l1_gflops"] = gemm_in_l1;
  j["batch_size"] = batch;
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& [name, t] : kernels) {
    const double seconds = t.seconds / kernel_steps;
    const double gflops = t.flops > 0 ? t.flops / t.seconds / 1e9 : 0;
    rows.push_back({{"kernel", name},
                    {"calls_per_step", t.calls / kernel_steps},
                    {"ms_per_step", seconds * 1e3},
                    {"gflops", gflops},
                    {"percent_of_peak", peak > 0 ? 100 * gflops / peak : 0},
                    {"gb_per_s", t.bytes > 0 ? t.bytes / t.seconds / 1e9 : 0}});
  }
  j["kernels"] = rows;
  j["step_ms_ops_timed_alone"] = step_seconds * 1e3;
  j["epoch_images"] = config.images;
  j["epoch_gflop"] = epoch_flops / 1e9;
  j["epoch_seconds"] = epochs.seconds;
  j["epoch_seconds_median"] = epochs.median;
  j["images_per_second"] = config.images / epochs.median;
  j["floor_seconds"] = floor_seconds;
  j["products_only_seconds"] = timed_epochs.products_only.seconds;
  j["products_only_seconds_median"] = timed_epochs.products_only.median;
  if (config.json) {
    out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    return;
  }
  char line[256];
  out << version_line() << "\n"
      << "machine:  " << cpu_model_name() << "; " << backend.description() << "; cuda "
      << (cuda.available ? cuda.device_name : "none (" + cuda.reason + ")") << "\n";
  if (peak > 0) {
    std::snprintf(line, sizeof line,
                  "peak:     %.1f GFLOP/s (register-resident madd chains on every thread)\n", peak);
    out << line;
    std::snprintf(line, sizeof line,
                  "in L1:    %.1f GFLOP/s, %.0f%% of peak (the GEMM micro-kernel, 6x64x128 per "
                  "thread, operands in L1)\n",
                  gemm_in_l1, 100 * gemm_in_l1 / peak);
    out << line;
  }
  std::snprintf(line, sizeof line, "\n%-44s %6s %9s %9s %7s %8s\n", "kernel (one step, batch)",
                "calls", "ms/step", "GFLOP/s", "% peak", "GB/s");
  out << line;
  for (const auto& row : rows) {
    std::snprintf(line, sizeof line, "%-44s %6d %9.3f %9.1f %6.0f%% %8.1f\n",
                  row["kernel"].get<std::string>().c_str(), row["calls_per_step"].get<int>(),
                  row["ms_per_step"].get<double>(), row["gflops"].get<double>(),
                  row["percent_of_peak"].get<double>(), row["gb_per_s"].get<double>());
    out << line;
  }
  std::snprintf(line, sizeof line,
                "\nepoch:    %d synthetic images, batch %d: median %.3f s of %d (%.0f img/s), "
                "%.1f GFLOP",
                config.images, batch, epochs.median, config.epochs, config.images / epochs.median,
                epoch_flops / 1e9);
  out << line;
  if (peak > 0) {
    std::snprintf(line, sizeof line, "; floor %.3f s at peak, %.2fx the floor", floor_seconds,
                  epochs.median / floor_seconds);
    out << line;
  }
  std::snprintf(line, sizeof line,
                "\nproducts: the same epochs with only their products (no gather, loss, bias sums "
                "or Adam): median %.3f s",
                timed_epochs.products_only.median);
  out << line;
  if (peak > 0) {
    std::snprintf(line, sizeof line, ", %.2fx the floor",
                  timed_epochs.products_only.median / floor_seconds);
    out << line;
  }
  out << std::endl;
}

}  // namespace trainer
