#include "cli/parse_flags.h"

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

}  // namespace trainer
