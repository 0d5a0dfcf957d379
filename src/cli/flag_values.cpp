#include "cli/flag_values.h"

#include "net/s3_settings.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "util/errors.h"
#include "util/text.h"

namespace trainer {
namespace {
[[noreturn]] void reject(const std::string& flag, const std::string& expected,
                         const std::string& text) {
  throw UsageError("--" + flag + ": expected " + expected + ", got '" + text + "'");
}
}  // namespace

std::int64_t parse_integer_flag(const std::string& flag, const std::string& text, std::int64_t min,
                                std::int64_t max) {
  const std::string expected =
      "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  if (text.empty() || text.find_first_not_of("-0123456789") != std::string::npos)
    reject(flag, expected, text);
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || value < min || value > max) reject(flag, expected, text);
  return value;
}

std::uint64_t parse_unsigned_flag(const std::string& flag, const std::string& text) {
  const std::string expected = "a whole number from 0 to 18446744073709551615";
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos)
    reject(flag, expected, text);
  errno = 0;
  char* end = nullptr;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') reject(flag, expected, text);
  return value;
}

double parse_positive_flag(const std::string& flag, const std::string& text, double max) {
  char max_text[32];
  std::snprintf(max_text, sizeof max_text, "%g", max);
  const std::string expected = std::string("a number greater than 0 and at most ") + max_text;
  if (text.empty() || text.find_first_of(" \t\n") != std::string::npos)
    reject(flag, expected, text);
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(value) || !(value > 0) || value > max) {
    reject(flag, expected, text);
  }
  return value;
}

double parse_number_flag(const std::string& flag, const std::string& text, double min, double max) {
  char range[64];
  std::snprintf(range, sizeof range, "a number from %g to %g", min, max);
  if (text.empty() || text.find_first_of(" \t\n") != std::string::npos) reject(flag, range, text);
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(value) || value < min || value > max)
    reject(flag, range, text);
  return value;
}

std::string parse_choice_flag(const std::string& flag, const std::string& text,
                              const std::vector<std::string>& choices) {
  std::string allowed;
  for (const std::string& choice : choices) {
    if (text == choice) return text;
    allowed += allowed.empty() ? "" : "|";
    allowed += choice;
  }
  reject(flag, "one of " + allowed, text);
}

std::string parse_path_flag(const std::string& flag, const std::string& text) {
  if (text.empty()) reject(flag, "a path", text);
  return text;
}

void reject_url_flag(const std::string& flag, const std::string& path) {
  auto scheme_like = [](const std::string& text, std::size_t end) {
    return end > 0 && std::all_of(text.begin(), text.begin() + std::ptrdiff_t(end), [](char c) {
             return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
           });
  };
  const std::size_t scheme_end = path.find("://");
  if (scheme_end != std::string::npos && scheme_like(path, scheme_end)) {
    throw UsageError(
        "--" + flag + ": '" + printable(path) + "' is a URL (" +
        printable(path.substr(0, scheme_end)) + "://); --" + flag +
        " takes a local or mounted path (only --model-dir and --mirror take s3:// URLs; what "
        "is written inside a model directory in a bucket goes to the bucket); a local file of "
        "that name is ./" +
        printable(path) + ")");
  }
  // "s3:/bucket/x": a URL's scheme with one slash is a typo far more often than a directory.
  const std::size_t colon = path.find(":/");
  if (colon != std::string::npos && path.find('/') == colon + 1 && scheme_like(path, colon)) {
    throw UsageError("--" + flag + ": '" + printable(path) + "' looks like a URL with one slash (" +
                     printable(path.substr(0, colon)) +
                     "://...); a local directory of that name is ./" + printable(path));
  }
}

std::string parse_model_dir_flag(const std::string& text) {
  const std::string path = parse_path_flag("model-dir", text);
  // A bucket through the S3 API (README "Object storage"), as s3://bucket/prefix without a
  // trailing slash: the same directory is always spelled the same.
  if (path.rfind("s3://", 0) == 0) return parse_s3_url("--model-dir", path).text();
  const std::size_t scheme_end = path.find("://");
  if (scheme_end != std::string::npos && path.rfind("gs://", 0) == 0)
    throw UsageError("--model-dir: '" + printable(path) +
                     "': gs:// is not read directly; Google Cloud Storage serves the same bucket "
                     "through its S3-compatible API: --model-dir s3://" +
                     printable(path.substr(5)) +
                     " with AWS_ENDPOINT_URL=https://storage.googleapis.com and an HMAC key "
                     "(README \"Object storage\")");
  try {
    reject_url_flag("model-dir", path);
  } catch (const UsageError&) {
    if (path.find(":/") == path.find("://"))
      throw UsageError("--model-dir: '" + printable(path) + "' is a URL (" +
                       printable(path.substr(0, scheme_end)) +
                       "://); a model directory is a local path or s3://bucket/prefix (S3, "
                       "MinIO, Ceph, R2, GCS through its S3 API); a local directory of that name "
                       "is ./" +
                       printable(path));
    throw;
  }
  return path;
}

DeviceKind parse_device_flag(const std::string& text) {
  const std::string device = parse_choice_flag("device", text, {"auto", "cpu", "cuda"});
  return device == "cpu"    ? DeviceKind::cpu
         : device == "cuda" ? DeviceKind::cuda
                            : DeviceKind::automatic;
}

}  // namespace trainer
