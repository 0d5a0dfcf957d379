// `trainer download`: fetch and verify datasets into the cache.
#include "commands/commands.h"

#include <iostream>

#include "cli/flag_values.h"
#include "data/cache.h"
#include "data/catalog.h"
#include "report/fetch_progress.h"
#include "util/errors.h"
#include "util/system_info.h"
#include "util/text.h"

namespace trainer {

std::variant<DownloadConfig, ShowHelp> parse_download_args(const std::vector<std::string>& args) {
  cxxopts::Options options =
      command_options("trainer download",
                      "Fetch datasets into the cache and verify them (for image builds, init "
                      "containers and air-gapped machines).");
  std::vector<std::string> choices = dataset_names();
  choices.push_back("all");
  std::string choice_text;
  for (const std::string& choice : choices)
    choice_text += (choice_text.empty() ? "" : "|") + choice;
  options.add_options()("dataset", choice_text,
                        cxxopts::value<std::string>()->default_value("mnist"))("h,help",
                                                                               "Show this help");
  add_data_flags(options);
  const cxxopts::ParseResult result = parse_flags(options, "trainer download", args);
  if (result["help"].as<bool>()) return ShowHelp{options.help(), kDataEnvironmentHelp};
  DownloadConfig config;
  const std::string dataset =
      parse_choice_flag("dataset", result["dataset"].as<std::string>(), choices);
  config.datasets = dataset == "all" ? dataset_names() : std::vector<std::string>{dataset};
  config.data = parse_data_flags(result);
  return config;
}

void run_download(const DownloadConfig& config, std::ostream& out) {
  const DataDirChoice data_dir = resolve_data_dir(config.data.data_dir);
  ConsoleFetchReporter reporter(out, std::cerr, stdout_is_terminal());
  // `--dataset all` completes every dataset it can, then names each one it could not.
  std::vector<std::string> failures;
  for (const std::string& name : config.datasets) {
    const CatalogDataset* dataset = find_dataset(name);
    try {
      // Verified whole, held not at all: `download` reports the counts, it trains on nothing.
      const Dataset data = obtain_dataset(
          {data_dir.path, dataset, config.data.fetch, false, DataNeeds{0, 0}, usable_cpu_count()},
          reporter);
      out << name << ": " << dataset->files.size() << " files verified in "
          << printable((data_dir.path / name).string()) << " (" << data.train_images.count
          << " training, " << data.test_images.count << " test images; data dir from "
          << data_dir.source << ")" << std::endl;
    } catch (const RuntimeFailure& e) {
      if (config.datasets.size() == 1) throw;
      failures.push_back(name + ": " + e.what());
    }
  }
  if (failures.empty()) return;
  std::string text = std::to_string(failures.size()) + " of " +
                     std::to_string(config.datasets.size()) + " datasets not completed";
  for (const std::string& failure : failures) text += "; " + failure;
  throw RuntimeFailure(text);
}

}  // namespace trainer
