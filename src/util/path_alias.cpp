#include "util/path_alias.h"

#include <mutex>

namespace trainer {
namespace {

// The upload thread's messages are formatted while the main thread may set or clear the alias.
std::mutex alias_mutex;
std::string alias_from, alias_to;

}  // namespace

void set_path_alias(const std::string& local_root, const std::string& shown_as) {
  const std::lock_guard<std::mutex> hold(alias_mutex);
  alias_from = local_root;
  alias_to = shown_as;
}

void clear_path_alias() {
  set_path_alias("", "");
}

std::string shown_path(const std::string& text) {
  const std::lock_guard<std::mutex> hold(alias_mutex);
  if (alias_from.empty()) return text;
  std::string out;
  std::size_t at = 0;
  for (std::size_t found; (found = text.find(alias_from, at)) != std::string::npos;
       at = found + alias_from.size())
    out += text.substr(at, found - at) + alias_to;
  return out + text.substr(at);
}

}  // namespace trainer
