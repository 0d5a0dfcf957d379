// The flags every command that reads data shares: where the cache is and how to fill it.
#pragma once

#include <optional>
#include <string>
#include "cli/cxxopts_config.h"

#include "data/fetch.h"

namespace trainer {

struct DataFlags {
  std::optional<std::string> data_dir;
  FetchOptions fetch;
};

void add_data_flags(cxxopts::Options& options);

// Also reads TRAINER_MIRROR (space-separated URLs, tried after --mirror). Throws UsageError.
DataFlags parse_data_flags(const cxxopts::ParseResult& result);

// "http(s)://host/dir" or "file:///dir", returned with a trailing '/'. Throws UsageError
// naming `source` (the flag or variable).
std::string parse_mirror(const std::string& source, const std::string& text);

extern const char kDataEnvironmentHelp[];

}  // namespace trainer
