#include "cli/flag_groups.h"

#include "net/s3_settings.h"

#include <cstdlib>
#include <iostream>
#include <sstream>

#include "cli/flag_values.h"
#include "net/url.h"
#include "report/console.h"
#include "util/errors.h"
#include "util/text.h"

namespace trainer {

const char kDataEnvironmentHelp[] =
    "  TRAINER_DATA_DIR                dataset cache directory\n"
    "  TRAINER_MIRROR                  space-separated mirror URLs, tried after --mirror\n"
    "  HTTPS_PROXY HTTP_PROXY NO_PROXY proxies (http://[user:pass@]host:port) and exceptions\n"
    "  SSL_CERT_FILE                   PEM file of trusted CAs, instead of the built-in bundle\n";

cxxopts::Options command_options(const std::string& program, const std::string& description,
                                 const std::string& usage) {
  cxxopts::Options options(program, description);
  options.custom_help(usage);
  options.positional_help("");
  return options;
}

namespace {

// cxxopts' messages in ours: `--flag: cause`, plain quotes, the flag named when cxxopts names
// only the value (a switch given `=maybe`).
std::string flag_parse_error(const cxxopts::exceptions::exception& e, const std::string& program,
                             const std::vector<std::string>& args) {
  const std::string text = e.what();
  const std::string open = "\xe2\x80\x98", close = "\xe2\x80\x99";  // cxxopts' ‘ and ’
  const std::size_t from = text.find(open);
  const std::size_t to = from == std::string::npos ? from : text.find(close, from);
  const std::string quoted =
      to == std::string::npos ? "" : text.substr(from + open.size(), to - from - open.size());
  const std::string hint = " (see " + program + " --help)";
  if (dynamic_cast<const cxxopts::exceptions::no_such_option*>(&e))
    return (quoted.size() == 1 ? "-" : "--") + printable(quoted) + ": no such flag for " + program +
           hint;
  if (dynamic_cast<const cxxopts::exceptions::missing_argument*>(&e) ||
      dynamic_cast<const cxxopts::exceptions::option_requires_argument*>(&e))
    return "--" + printable(quoted) + ": needs a value" + hint;
  if (dynamic_cast<const cxxopts::exceptions::incorrect_argument_type*>(&e)) {
    // Every valued flag of ours is text: only a switch's "=value" can fail to parse.
    for (const std::string& arg : args) {
      const std::size_t equals = arg.find('=');
      if (arg.rfind("--", 0) == 0 && equals != std::string::npos &&
          arg.substr(equals + 1) == quoted)
        return printable(arg.substr(0, equals)) + ": a switch takes true or false, got '" +
               printable(quoted) + "'";
    }
  }
  if (dynamic_cast<const cxxopts::exceptions::invalid_option_syntax*>(&e))
    return "'" + printable(quoted) + "': not a flag (flags are --name or --name=value)" + hint;
  std::string plain;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, open.size(), open) == 0 || text.compare(i, close.size(), close) == 0) {
      plain += '\'';
      i += open.size() - 1;
    } else {
      plain += text[i];
    }
  }
  return printable(plain);
}

}  // namespace

cxxopts::ParseResult parse_flags(cxxopts::Options& options, const std::string& program,
                                 const std::vector<std::string>& args) {
  // cxxopts matches "--flag=value" with a std::regex, whose recursion overflows the stack on
  // values of tens of kilobytes: no flag of ours takes anything near this long.
  constexpr std::size_t kMaxArgumentBytes = 8192;
  for (const std::string& arg : args) {
    if (arg.size() <= kMaxArgumentBytes) continue;
    const std::string flag = arg.rfind("--", 0) == 0 ? arg.substr(0, arg.find('=')) : "argument";
    throw UsageError(printable(flag.substr(0, 64)) + ": " + std::to_string(arg.size()) +
                     " bytes, longer than the " + std::to_string(kMaxArgumentBytes) +
                     " any flag takes");
  }
  std::vector<const char*> argv = {program.c_str()};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  cxxopts::ParseResult result;
  try {
    result = options.parse(int(argv.size()), argv.data());
  } catch (const cxxopts::exceptions::exception& e) {
    throw UsageError(flag_parse_error(e, program, args));
  }
  if (!result.unmatched().empty()) {
    throw UsageError("unexpected argument '" + result.unmatched().front() + "' (see " + program +
                     " --help)");
  }
  return result;
}

void add_data_flags(cxxopts::Options& options) {
  auto text = [] { return cxxopts::value<std::string>(); };
  auto add = options.add_options("Data");
  add("data-dir",
      "Dataset cache (default: $TRAINER_DATA_DIR, $XDG_CACHE_HOME/trainer, $HOME/.cache/trainer, "
      "./data)",
      text());
  add("mirror",
      "Mirror base URL, laid out like a data dir (URL/<dataset>/<file>); repeatable, tried "
      "first in the order given (https://, http://, file:///, s3://bucket/prefix signed with the "
      "AWS settings)",
      cxxopts::value<std::vector<std::string>>());
  add("no-catalog-mirrors", "Use only --mirror and TRAINER_MIRROR, not the built-in mirrors");
  add("offline", "Never use the network: the cache and file:// mirrors only");
  add("timeout", "Seconds to wait for a connection or for data (0.1..3600)",
      text()->default_value("30"));
  add("retries", "Extra tries of a mirror after a failure that may pass (0..10)",
      text()->default_value("3"));
}

std::string parse_mirror(const std::string& source, const std::string& text) {
  if (text.rfind("s3://", 0) == 0) {
    // A private mirror in a bucket: signed GETs (net/s3_client.h), verified like any mirror.
    const S3Location location = parse_s3_url(source, text);
    return location.text() + "/";
  }
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

ModelLocationOptions model_location_options(const DataSource& data) {
  ModelLocationOptions options;
  options.staging_root =
      default_staging_root(resolve_data_dir(data.data_dir).path, &options.staging_source);
  options.timeout_s = data.fetch.timeout_s;
  options.warn = [](const std::string& text) { print_warning(std::cerr, text); };
  return options;
}

DataSource parse_data_flags(const cxxopts::ParseResult& result) {
  DataSource flags;
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
  flags.fetch.catalog_mirrors = !result["no-catalog-mirrors"].as<bool>();
  flags.fetch.offline = result["offline"].as<bool>();
  // Below a tenth of a second no connection succeeds: a smaller value is a mistake, not a setting.
  flags.fetch.timeout_s =
      parse_number_flag("timeout", result["timeout"].as<std::string>(), 0.1, 3600);
  flags.fetch.retries =
      int(parse_integer_flag("retries", result["retries"].as<std::string>(), 0, 10));
  return flags;
}

void add_backend_flags(cxxopts::Options& options) {
  options.add_options()("device", "auto|cpu|cuda (auto: a usable CUDA GPU, else the CPU)",
                        cxxopts::value<std::string>()->default_value("auto"))(
      "threads", "CPU threads (1..1024; default: every usable core)",
      cxxopts::value<std::string>());
}

BackendRequest parse_backend_flags(const cxxopts::ParseResult& result) {
  BackendRequest request;
  request.device = parse_device_flag(result["device"].as<std::string>());
  if (result.count("threads"))
    request.threads =
        int(parse_integer_flag("threads", result["threads"].as<std::string>(), 1, 1024));
  return request;
}

void add_report_flags(cxxopts::Options& options) {
  auto text = [] { return cxxopts::value<std::string>(); };
  auto add = options.add_options();
  add("log-format",
      "text|json: text is a live line per epoch on a terminal, one line per epoch otherwise; "
      "json is one object per event on stdout (README \"Output\")",
      text()->default_value("text"));
  add("progress-interval",
      "Seconds between progress reports (0..86400]; default 0.1 on a terminal, 1 with "
      "--log-format json; none when stdout is not a terminal and the format is text",
      text());
  add("quiet", "Print nothing but errors and warnings (on stderr)");
}

ReportOptions parse_report_flags(const cxxopts::ParseResult& result) {
  ReportOptions report;
  report.format = parse_choice_flag("log-format", result["log-format"].as<std::string>(),
                                    {"text", "json"}) == "json"
                      ? LogFormat::json
                      : LogFormat::text;
  report.quiet = result["quiet"].as<bool>();
  if (result.count("progress-interval"))
    report.progress_interval = parse_positive_flag(
        "progress-interval", result["progress-interval"].as<std::string>(), 86400.0);
  return report;
}

}  // namespace trainer
