// The one way the program reads a whole file: the checkpoint, config.json, safetensors, cached
// archives and file:// mirrors all come through here, so that a limit on what may be read lives in
// one place.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace trainer {

// The whole file; throws RuntimeFailure "<path>: <strerror>".
std::vector<std::uint8_t> read_whole_file(const std::filesystem::path& path);

// The whole file as text; RuntimeFailure "<path>: does not exist<missing_hint>" if absent.
std::string read_text_file(const std::filesystem::path& path, const std::string& missing_hint);

}  // namespace trainer
