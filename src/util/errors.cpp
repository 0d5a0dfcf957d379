#include "util/errors.h"

#include <cstring>

namespace trainer {

std::string describe_errno(const std::string& what, int errno_value) {
  return what + ": " + std::strerror(errno_value);
}

}  // namespace trainer
