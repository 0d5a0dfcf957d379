// gunzip with a ceiling: a gzip bomb, or a file that is not what the catalog says, stops at
// max_bytes instead of filling memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trainer {

// Throws RuntimeFailure "<name>: <problem>" for corrupt or truncated data, trailing garbage, or
// output beyond max_bytes.
std::vector<std::uint8_t> gunzip(const std::vector<std::uint8_t>& compressed, std::size_t max_bytes,
                                 const std::string& name);

}  // namespace trainer
