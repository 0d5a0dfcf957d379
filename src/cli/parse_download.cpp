#include "cli/parse_download.h"

#include "cli/data_flags.h"
#include "cli/options.h"
#include "cli/parse_flags.h"
#include "data/catalog.h"
#include "util/errors.h"

namespace trainer {

std::variant<DownloadConfig, ShowHelp> parse_download_args(const std::vector<std::string>& args) {
  cxxopts::Options options("trainer download",
                           "Fetch datasets into the cache and verify them (for image builds, init "
                           "containers and air-gapped machines).");
  options.custom_help("[flags]");
  options.positional_help("");
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
  if (result.count("help"))
    return ShowHelp{options.help() + "\nEnvironment:\n" + kDataEnvironmentHelp};
  DownloadConfig config;
  const std::string dataset =
      parse_choice_flag("dataset", result["dataset"].as<std::string>(), choices);
  config.datasets = dataset == "all" ? dataset_names() : std::vector<std::string>{dataset};
  DataFlags data = parse_data_flags(result);
  config.data_dir = data.data_dir;
  config.fetch = data.fetch;
  return config;
}

}  // namespace trainer
