// Runs cxxopts over a command's arguments; its errors become one-line UsageErrors.
#pragma once

#include <string>
#include <vector>

#include "backend/backend.h"
#include "cli/cxxopts_config.h"

namespace trainer {

// `program` names the command in cxxopts' messages and in the --help hint for stray arguments.
cxxopts::ParseResult parse_flags(cxxopts::Options& options, const std::string& program,
                                 const std::vector<std::string>& args);

// --device auto|cpu|cuda and --threads N, for every command that computes.
void add_backend_flags(cxxopts::Options& options);
BackendRequest parse_backend_flags(const cxxopts::ParseResult& result);

}  // namespace trainer
