#include "net/net_error.h"

#include <cstdio>

namespace trainer {

std::string format_seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", seconds);
  return text;
}

}  // namespace trainer
