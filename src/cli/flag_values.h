// Strict parsing of flag values: the whole text must be a value in range, or a UsageError names the
// flag, what is allowed and what was given.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace trainer {

std::int64_t parse_integer_flag(const std::string& flag, const std::string& text, std::int64_t min,
                                std::int64_t max);
std::uint64_t parse_unsigned_flag(const std::string& flag, const std::string& text);
// A finite number in (0, max].
double parse_positive_flag(const std::string& flag, const std::string& text, double max);
// A finite number in [min, max].
double parse_number_flag(const std::string& flag, const std::string& text, double min, double max);
// One of `choices`, returned as given.
std::string parse_choice_flag(const std::string& flag, const std::string& text,
                              const std::vector<std::string>& choices);
std::string parse_path_flag(const std::string& flag, const std::string& text);
// --model-dir: a local path. A URL (`s3://`, `gs://`, `hdfs://`, ... : a scheme followed by "://")
// is a usage error naming what is supported, never a local directory called "s3:".
std::string parse_model_dir_flag(const std::string& text);
// The same check for another path flag (--out).
void reject_url_flag(const std::string& flag, const std::string& path);
// --device auto|cpu|cuda
DeviceKind parse_device_flag(const std::string& text);

}  // namespace trainer
