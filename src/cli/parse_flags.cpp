#include "cli/parse_flags.h"

#include "cli/options.h"
#include "util/errors.h"

namespace trainer {

cxxopts::ParseResult parse_flags(cxxopts::Options& options, const std::string& program,
                                 const std::vector<std::string>& args) {
  std::vector<const char*> argv = {program.c_str()};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  cxxopts::ParseResult result;
  try {
    result = options.parse(int(argv.size()), argv.data());
  } catch (const cxxopts::exceptions::exception& e) {
    throw UsageError(e.what());
  }
  if (!result.unmatched().empty()) {
    throw UsageError("unexpected argument '" + result.unmatched().front() + "' (see " + program +
                     " --help)");
  }
  return result;
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

}  // namespace trainer
