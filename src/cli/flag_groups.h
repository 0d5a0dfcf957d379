// Running cxxopts over a command's arguments, and the flag groups several commands share, each
// declared and parsed here once: data (where the cache is and how to fill it), backend (--device,
// --threads) and report (--log-format, --quiet, --progress-interval).
#pragma once

#include <string>
#include <vector>

#include "backend/backend.h"
#include "cli/cxxopts_config.h"
#include "data/cache.h"
#include "io/model_location.h"
#include "report/train_reporter.h"

namespace trainer {

// What a command prints instead of running: its help, or (train) the version.
struct ShowHelp {
  std::string text;         // usage and flags
  std::string environment;  // the variables it reads, one per line; may be empty
};
struct ShowVersion {};

// A command's options: "<program> [flags]" in its help, no positional arguments.
cxxopts::Options command_options(const std::string& program, const std::string& description,
                                 const std::string& usage = "[flags]");

// `program` names the command in cxxopts' messages and in the --help hint for stray arguments.
// Errors become one-line UsageErrors. Switches (flags without a value) are read with
// result[flag].as<bool>(), never counted: `--fresh=false` means false.
cxxopts::ParseResult parse_flags(cxxopts::Options& options, const std::string& program,
                                 const std::vector<std::string>& args);

void add_data_flags(cxxopts::Options& options);
// Also reads TRAINER_MIRROR (space-separated URLs, tried after --mirror). Throws UsageError.
DataSource parse_data_flags(const cxxopts::ParseResult& result);
// The environment variables the data flags read, for --help.
extern const char kDataEnvironmentHelp[];
// A bucket's model directory: its local copy below the data directory these flags choose, its
// requests' timeout from --timeout, warnings to stderr.
ModelLocationOptions model_location_options(const DataSource& data);

void add_backend_flags(cxxopts::Options& options);
BackendRequest parse_backend_flags(const cxxopts::ParseResult& result);

void add_report_flags(cxxopts::Options& options);
ReportOptions parse_report_flags(const cxxopts::ParseResult& result);

// "http(s)://host/dir" or "file:///dir", returned with a trailing '/'. Throws UsageError
// naming `source` (the flag or variable).
std::string parse_mirror(const std::string& source, const std::string& text);

}  // namespace trainer
