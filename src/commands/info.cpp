// `trainer info`: the binary, the machine and the data dir (commands/commands.h).
#include "commands/commands.h"

#include <cstdlib>
#include <filesystem>

#include "backend/cuda_backend.h"
#include "cli/flag_values.h"
#include "data/cache.h"
#include "data/catalog.h"
#include "kernels/cpu/simd_arch.h"
#include "report/console.h"
#include "util/system_info.h"
#include "util/text.h"

namespace trainer {
namespace {

std::string cuda_version(int version) {
  return std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
}

void print_cuda(std::ostream& out) {
  const CudaProbe probe = probe_cuda();
  out << "cuda:      ";
  if (!kCudaBuild) {
    out << "not in this build (the cuda preset has it: cmake --preset cuda)\n";
    return;
  }
  out << "runtime " << cuda_version(probe.runtime_version) << " (static), driver "
      << (probe.driver_version ? cuda_version(probe.driver_version) : std::string("none")) << "\n";
  if (!probe.available) {
    out << "           no usable device: " << probe.reason << " (--device auto uses the CPU)\n";
    return;
  }
  for (std::size_t i = 0; i < probe.devices.size(); ++i) {
    const CudaDevice& d = probe.devices[i];
    char memory[32];
    std::snprintf(memory, sizeof memory, "%.1f GiB", double(d.memory_bytes) / (1 << 30));
    out << "           device " << i << ": " << d.name << ", sm_" << d.major << d.minor << ", "
        << memory << ", " << d.multiprocessors << " SMs"
        << (i == 0 ? " (--device auto uses it)" : "") << "\n";
  }
}

void print_data(std::ostream& out, const InfoConfig& config) {
  const DataDirChoice dir = resolve_data_dir(config.data_dir);
  out << "data dir:  " << dir.path.string() << " (from " << dir.source << ")\n";
  // What cannot be read is said as such: "not cached" would send the user to download again.
  std::error_code dir_ec;
  const auto dir_status = std::filesystem::status(dir.path, dir_ec);
  if (std::filesystem::exists(dir_status) && !std::filesystem::is_directory(dir_status)) {
    out << "           not a directory: no dataset can be cached there\n";
    return;
  }
  for (const std::string& name : dataset_names()) {
    const CatalogDataset* dataset = find_dataset(name);
    int present = 0;
    std::string unreadable;
    for (const CatalogFile& file : dataset->files) {
      std::error_code ec;
      const auto status = std::filesystem::status(dir.path / name / file.name, ec);
      if (ec && ec != std::errc::no_such_file_or_directory && unreadable.empty())
        unreadable = ec.message();
      present += std::filesystem::is_regular_file(status) ? 1 : 0;
    }
    out << "           " << name << ": ";
    if (!unreadable.empty())
      out << "cannot read " << printable((dir.path / name).string()) << ": " << unreadable << "\n";
    else if (present == int(dataset->files.size()))
      out << "cached (" << present << " files, verified when used)\n";
    else if (present > 0)
      out << "partly cached (" << present << " of " << dataset->files.size() << " files)\n";
    else
      out << "not cached (trainer download --dataset " << name << ")\n";
  }
}

}  // namespace

std::variant<InfoConfig, ShowHelp> parse_info_args(const std::vector<std::string>& args) {
  cxxopts::Options options = command_options(
      "trainer info", "Print the version and build, and what this machine offers the trainer.");
  options.add_options()("data-dir", "Report this data dir instead of the default",
                        cxxopts::value<std::string>())("h,help", "Show this help");
  const cxxopts::ParseResult result = parse_flags(options, "trainer info", args);
  if (result["help"].as<bool>()) return ShowHelp{options.help(), ""};
  InfoConfig config;
  if (result.count("data-dir"))
    config.data_dir = parse_path_flag("data-dir", result["data-dir"].as<std::string>());
  return config;
}

void run_info(const InfoConfig& config, std::ostream& out) {
  out << version_line() << "\n";
  const char* forced = std::getenv("TRAINER_SIMD");
  const CpuBudget cpus = usable_cpus();
  out << "cpu:       " << cpu_model_name() << ", " << cpus.count
      << (cpus.count == 1 ? " usable core" : " usable cores") << " (default --threads"
      << (cpus.source == "cores" ? std::string() : "; " + cpus.source) << ")\n"
      << "simd:      " << cpu::simd_arch_name(cpu::best_supported_arch()) << " chosen of "
      << cpu::supported_arch_list()
      << (forced && *forced ? std::string(" (TRAINER_SIMD=") + forced + " overrides it)" : "")
      << "\n";
  print_cuda(out);
  print_data(out, config);
}

}  // namespace trainer
