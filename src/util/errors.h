// The two kinds of failure the program reports, each as one line on stderr (see main.cpp):
// a UsageError exits 2 (bad flag or value), a RuntimeFailure exits 1 (I/O, corrupt file, network).
// Messages name the flag, file or URL and the cause.
#pragma once

#include <cstring>
#include <stdexcept>
#include <string>

namespace trainer {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RuntimeFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "<what>: <strerror(errno_value)>"
inline std::string describe_errno(const std::string& what, int errno_value) {
  return what + ": " + std::strerror(errno_value);
}

}  // namespace trainer
