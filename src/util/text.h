// Small text helpers shared by the URL, HTTP and proxy parsers.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>

namespace trainer {

inline std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return text;
}

// Without leading and trailing spaces and tabs.
inline std::string trim(const std::string& text) {
  const std::size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

}  // namespace trainer
