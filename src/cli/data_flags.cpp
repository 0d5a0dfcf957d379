#include "cli/data_flags.h"

#include <cstdlib>
#include <sstream>

#include "cli/options.h"
#include "net/url.h"
#include "util/errors.h"

namespace trainer {

const char kDataEnvironmentHelp[] =
    "  TRAINER_DATA_DIR                dataset cache directory\n"
    "  TRAINER_MIRROR                  space-separated mirror URLs, tried after --mirror\n"
    "  HTTPS_PROXY HTTP_PROXY NO_PROXY proxies (http://[user:pass@]host:port) and exceptions\n"
    "  SSL_CERT_FILE                   PEM file of trusted CAs, instead of the built-in bundle\n";

void add_data_flags(cxxopts::Options& options) {
  auto text = [] { return cxxopts::value<std::string>(); };
  auto add = options.add_options("Data");
  add("data-dir",
      "Dataset cache (default: $TRAINER_DATA_DIR, $XDG_CACHE_HOME/trainer, $HOME/.cache/trainer, "
      "./data)",
      text());
  add("mirror",
      "Mirror base URL, laid out like a data dir (URL/<dataset>/<file>); repeatable, tried "
      "first in the order given (https://, http://, file:///)",
      cxxopts::value<std::vector<std::string>>());
  add("no-catalog-mirrors", "Use only --mirror and TRAINER_MIRROR, not the built-in mirrors");
  add("offline", "Never use the network: the cache and file:// mirrors only");
  add("timeout", "Seconds to wait for a connection or for data (0..3600]",
      text()->default_value("30"));
  add("retries", "Extra tries of a mirror after a failure that may pass (0..10)",
      text()->default_value("3"));
}

std::string parse_mirror(const std::string& source, const std::string& text) {
  Url url;
  try {
    url = parse_url(text);
  } catch (const std::invalid_argument& why) {
    throw UsageError(source + ": '" + text + "': " + why.what());
  }
  if (url.target.find('?') != std::string::npos)
    throw UsageError(source + ": '" + text + "': a mirror is a directory URL, without a query");
  std::string base = url.text();
  if (base.back() != '/') base += '/';
  return base;
}

DataFlags parse_data_flags(const cxxopts::ParseResult& result) {
  DataFlags flags;
  if (result.count("data-dir"))
    flags.data_dir = parse_path_flag("data-dir", result["data-dir"].as<std::string>());
  if (result.count("mirror")) {
    for (const std::string& mirror : result["mirror"].as<std::vector<std::string>>())
      flags.fetch.mirrors.push_back(parse_mirror("--mirror", mirror));
  }
  if (const char* env = std::getenv("TRAINER_MIRROR")) {
    std::istringstream words(env);
    std::string mirror;
    while (words >> mirror) flags.fetch.mirrors.push_back(parse_mirror("TRAINER_MIRROR", mirror));
  }
  flags.fetch.catalog_mirrors = result.count("no-catalog-mirrors") == 0;
  flags.fetch.offline = result.count("offline") != 0;
  flags.fetch.timeout_s = parse_positive_flag("timeout", result["timeout"].as<std::string>(), 3600);
  flags.fetch.retries =
      int(parse_integer_flag("retries", result["retries"].as<std::string>(), 0, 10));
  return flags;
}

}  // namespace trainer
